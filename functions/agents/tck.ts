import { defineAgent, reply } from "../../lib/agents/define-agent";
import type { A2aShape } from "../../lib/a2a/reply-shape";

const text = (value: string) => ({ text: value, mediaType: "text/plain" });

/**
 * What the official A2A conformance kit (a2aproject/a2a-tck) expects of the agent under test, by the
 * prefix of the A2A `messageId` (the kit's `scenarios/*.feature`). A test fixture: served only where
 * `SWITCHBOARD_DEV=1` (`npm run tck`, the tests), never in a deployment. Anything without a known
 * prefix completes with "Hello from TCK", as the kit's default scenario does.
 */
const SCENARIOS: Array<[prefix: string, answer: (ctx: { needInput: (q: { question: string }) => unknown }) => unknown]> = [
  ["tck-input-required", (ctx) => ctx.needInput({ question: "The TCK needs more input: send a follow-up message on this task." })],
  ["tck-message-response", () => shaped("Direct message response", { response: "message" })],
  ["tck-reject-task", () => shaped("rejected", { state: "rejected" })],
  ["tck-artifact-text", () => "Generated text content"],
  [
    "tck-artifact-file-url",
    () =>
      shaped("output.txt", {
        artifacts: [{ name: "output", parts: [{ url: "https://example.com/output.txt", mediaType: "text/plain", filename: "output.txt" }] }],
      }),
  ],
  [
    "tck-artifact-file",
    () =>
      shaped("output.txt", {
        artifacts: [{ name: "output", parts: [{ raw: btoa("Generated file content"), mediaType: "text/plain", filename: "output.txt" }] }],
      }),
  ],
  ["tck-artifact-data", () => ({ key: "value", count: 42 })],
  ["tck-stream-001", () => "Stream hello from TCK"],
  ["tck-stream-002", () => shaped("completed", { artifacts: [] })],
  ["tck-stream-003", () => "Stream task lifecycle"],
  ["tck-stream-ordering-001", () => "Ordered output"],
  ["tck-stream-artifact-text", () => "Streamed text content"],
  [
    "tck-stream-artifact-file",
    () =>
      shaped("output.txt", {
        artifacts: [{ name: "output", parts: [{ raw: btoa("Streamed file content"), mediaType: "text/plain", filename: "output.txt" }] }],
      }),
  ],
  [
    "tck-stream-artifact-chunked",
    () =>
      shaped("chunk-1 chunk-2", {
        artifacts: [
          { artifactId: "chunked", name: "chunked", parts: [text("chunk-1 ")], append: false, lastChunk: false },
          { artifactId: "chunked", name: "chunked", parts: [text("chunk-2")], append: true, lastChunk: true },
        ],
      }),
  ],
];

function shaped(content: unknown, a2a: A2aShape) {
  return reply(content, { a2a });
}

export const tck = defineAgent({
  name: "tck",
  description: "A2A conformance kit fixture: behaves as the kit's scenarios ask, by messageId prefix.",
  version: "1.0.0",
  capabilities: ["conformance"],
  dev_only: true,
  handle(message, ctx) {
    const id = String(message.metadata.a2a_message_id ?? "");
    // A follow-up on a task that asked for input completes it.
    if (ctx.input.length > 0) return "Hello from TCK";
    const scenario = SCENARIOS.find(([prefix]) => id.startsWith(prefix));
    return scenario ? scenario[1](ctx) : "Hello from TCK";
  },
});
