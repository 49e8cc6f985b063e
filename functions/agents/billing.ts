import { defineAgent } from "../../lib/agents/define-agent";
import { preview } from "./triage";

/** Middle of the example support chain: billing and refunds; technical issues go on. */
export const billing = defineAgent({
  name: "billing",
  description: "Support chain: handles billing and refund requests, passes the rest to tech-support.",
  version: "1.0.0",
  capabilities: ["support", "billing"],
  handles: ["billing", "refund"],
  next: "tech-support",
  handle: (message) => ({ team: "billing", answer: `A billing specialist will look at: ${preview(message.content)}` }),
});
