/**
 * The AI SDK's UI message stream protocol (what `useChat` reads), for `?format=ai-sdk`: our events
 * as its chunks — `start`, text as `text-start` / `text-delta` / `text-end`, a JSON delta as
 * `data-value`, a step as `data-step`, the reply envelope as `data-reply`, then `finish`; a failure
 * is its `error` chunk. A reply no text delta came before (an agent that does not stream, or a
 * retry answered with a kept reply) brings its content as one text part first — a string as it
 * is, anything else as JSON — so the message `useChat` builds always holds the answer's text. The request may be what `useChat` sends (`{ messages: UIMessage[] }`): its
 * text parts become the `{ messages: [{ role, content }] }` conversation model agents read.
 * The SSE framing and headers are the SDK's own (`createUIMessageStreamResponse`).
 */
import { z } from "@hono/zod-openapi";
import type { UIMessageChunk } from "ai";
import { InvokeBody } from "../message/envelope";

const ChatPart = z.object({ type: z.string(), text: z.string().optional() });
const ChatRequest = z.object({
  messages: z
    .array(z.object({ role: z.enum(["system", "user", "assistant"]), parts: z.array(ChatPart).max(1000) }))
    .min(1)
    .max(1000),
});

/** A plain invoke body, or a `useChat` request turned into one. */
export const AiSdkInvokeBody = z.union([
  InvokeBody,
  ChatRequest.transform(
    ({ messages }): InvokeBody => ({
      content: {
        messages: messages.map((m) => ({
          role: m.role,
          content: m.parts
            .filter((p) => p.type === "text")
            .map((p) => p.text ?? "")
            .join(""),
        })),
      },
    }),
  ),
]);

/** One relayed event (`event`, its JSON text) as the UI message chunks it stands for. */
export function uiChunks(): TransformStream<{ event: string; data: string }, UIMessageChunk> {
  let text = false;
  let streamedText = false;
  const endText = (controller: TransformStreamDefaultController<UIMessageChunk>) => {
    if (text) controller.enqueue({ type: "text-end", id: "text" });
    text = false;
  };
  return new TransformStream({
    transform({ event, data }, controller) {
      const value = JSON.parse(data) as Record<string, unknown>;
      switch (event) {
        case "start":
          controller.enqueue({ type: "start", messageId: String(value.message_id), messageMetadata: { stream_id: value.stream_id } });
          break;
        case "delta":
          if (typeof value.text === "string") {
            if (!text) controller.enqueue({ type: "text-start", id: "text" });
            text = true;
            streamedText = true;
            controller.enqueue({ type: "text-delta", id: "text", delta: value.text });
          } else controller.enqueue({ type: "data-value", data: value.value });
          break;
        case "step":
          controller.enqueue({ type: "data-step", data: value });
          break;
        case "reply": {
          const content = value.content;
          const whole = typeof content === "string" ? content : content === undefined ? "" : JSON.stringify(content);
          if (!streamedText && whole !== "") {
            controller.enqueue({ type: "text-start", id: "text" });
            controller.enqueue({ type: "text-delta", id: "text", delta: whole });
            text = true;
          }
          endText(controller);
          controller.enqueue({ type: "data-reply", data: value });
          controller.enqueue({ type: "finish" });
          break;
        }
        case "error":
          endText(controller);
          controller.enqueue({ type: "error", errorText: `${String(value.code ?? "error")}: ${String(value.detail ?? "")}` });
          break;
      }
    },
  });
}
