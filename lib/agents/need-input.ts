/**
 * What a code handler returns to stop and ask its caller (`return ctx.needInput({ question })`):
 * a marker the handler's output is recognised by (`asReply`), like `reply(...)`. The question is
 * checked here, so a malformed one fails in the handler that asked it, naming the field.
 */
import { SwitchboardError } from "../message/errors";
import { InputRequest } from "../message/input-required";

const ASK = Symbol.for("switchboard.need-input");

export interface NeedInput {
  [ASK]: true;
  request: InputRequest;
}

export function needInput(request: InputRequest): NeedInput {
  const parsed = InputRequest.safeParse(request);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SwitchboardError("agent_error", `ctx.needInput: ${issue?.path.join(".") || "request"}: ${issue?.message}`, { transient: false });
  }
  return { [ASK]: true, request: parsed.data };
}

export function isNeedInput(value: unknown): value is NeedInput {
  return value !== null && typeof value === "object" && ASK in value;
}
