import { defineAgent } from "../../lib/agents/define-agent";

/** Expenses up to this amount need nobody's approval. */
const AUTO_APPROVE_UP_TO = 100;

const APPROVAL = {
  type: "object",
  properties: { approved: { type: "boolean" }, note: { type: "string" } },
  required: ["approved"],
} as const;

/**
 * Human in the loop: approves small expenses at once and asks before a large one. The question
 * waits, durably, until someone answers `POST /requests/:id/input` with `{ "approved": true }`;
 * then this handler runs again on the same message with the answer in `ctx.input`.
 */
export const approver = defineAgent({
  name: "approver",
  description: "Approves expenses; asks a person first when the amount is over 100.",
  version: "1.0.0",
  capabilities: ["approve"],
  // Content that does not match is refused with 400 before the handler runs.
  input_schema: { type: "object", properties: { item: { type: "string" }, amount: { type: "number", minimum: 0 } }, required: ["item", "amount"] },
  handle(message, ctx) {
    const { item, amount } = message.content as { item: string; amount: number };
    if (amount <= AUTO_APPROVE_UP_TO) return { status: "approved", item, amount, by: "policy" };
    const decision = ctx.input.at(-1);
    if (!decision) return ctx.needInput({ question: `Approve ${amount} for ${item}?`, schema: APPROVAL });
    const { approved, note } = decision.answer as { approved: boolean; note?: string };
    return { status: approved ? "approved" : "rejected", item, amount, by: decision.answered_by ?? "admin", ...(note ? { note } : {}) };
  },
});
