import { defineAgent } from "../../lib/agents/define-agent";

/**
 * An observer: attach it to any agent (`POST /agents/billing/observers {"observer":"auditor"}`) and
 * every event of that agent reaches `onEvent`. Invoked directly, it explains itself.
 */
export const auditor = defineAgent({
  name: "auditor",
  description: "Observer example: acknowledges the events of the agents it observes.",
  version: "1.0.0",
  capabilities: ["observe"],
  handle: () => ({ hint: "attach me as an observer; I handle events in onEvent" }),
  onEvent: (message) => {
    const { event } = (message.content ?? {}) as { event?: string };
    return { audited: event ?? null, from: message.from, event_id: message.metadata.event_id ?? null };
  },
});
