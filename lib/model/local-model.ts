/**
 * The offline default model: an AI SDK language model (LanguageModelV4) that answers
 * deterministically, so `generateText` and `streamText` run the same code paths as with a real
 * provider while tests and the README tour need no network. Same prompt in, same answer out, every
 * time; streamed, the answer comes word by word.
 *
 * Model ids:
 *   local-echo       replies with the last user message (the default)
 *   local-sentiment  "positive" | "negative" | "neutral" from a small word list
 *   local-router     uses the tools it is given (./local-router.ts): calls the best match, then
 *                    answers with its result
 *
 * In JSON mode it understands the batching prompt (lib/resilience/batching.ts): it finds the
 * fenced items block and answers every numbered item with the same transform.
 */
import type {
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4Content,
  LanguageModelV4GenerateResult,
  LanguageModelV4Prompt,
  LanguageModelV4StreamPart,
  LanguageModelV4StreamResult,
} from "@ai-sdk/provider";
import { LOCAL_MODELS, type LocalModelId } from "../registry/local-model-ids";
import { extractBatchItems } from "../resilience/batching";
import { route } from "./local-router";

export const DEFAULT_LOCAL_MODEL: LocalModelId = "local-echo";

const POSITIVE = new Set(["good", "great", "love", "excellent", "happy", "thanks", "fast", "works", "nice", "perfect"]);
const NEGATIVE = new Set(["bad", "broken", "hate", "slow", "angry", "refund", "crash", "crashes", "terrible", "bug", "fails"]);

export function isLocalModel(id: string): id is LocalModelId {
  return (LOCAL_MODELS as readonly string[]).includes(id);
}

/** The deterministic answer of a local model to one input. */
export function localAnswer(modelId: LocalModelId, input: unknown): string {
  const text = typeof input === "string" ? input : JSON.stringify(input);
  if (modelId === "local-sentiment") {
    let score = 0;
    for (const word of text.toLowerCase().match(/[a-z']+/g) ?? []) {
      if (POSITIVE.has(word)) score++;
      if (NEGATIVE.has(word)) score--;
    }
    return score > 0 ? "positive" : score < 0 ? "negative" : "neutral";
  }
  return text;
}

export class LocalLanguageModel implements LanguageModelV4 {
  readonly specificationVersion = "v4";
  readonly provider = "local";
  readonly supportedUrls = {};

  private calls = 0;

  constructor(readonly modelId: LocalModelId = DEFAULT_LOCAL_MODEL) {}

  async doGenerate(options: LanguageModelV4CallOptions): Promise<LanguageModelV4GenerateResult> {
    options.abortSignal?.throwIfAborted();
    return { ...this.answer(options), response: { modelId: this.modelId }, warnings: [] };
  }

  /** The same answer as `doGenerate`, its text streamed word by word (each word with the space after it). */
  async doStream(options: LanguageModelV4CallOptions): Promise<LanguageModelV4StreamResult> {
    options.abortSignal?.throwIfAborted();
    const { content, finishReason, usage } = this.answer(options);
    const parts: LanguageModelV4StreamPart[] = [
      { type: "stream-start", warnings: [] },
      { type: "response-metadata", modelId: this.modelId },
    ];
    content.forEach((part, i) => {
      if (part.type !== "text") {
        parts.push(part as LanguageModelV4StreamPart);
        return;
      }
      const id = `text_${i}`;
      parts.push({ type: "text-start", id });
      for (const word of words(part.text)) parts.push({ type: "text-delta", id, delta: word });
      parts.push({ type: "text-end", id });
    });
    parts.push({ type: "finish", finishReason, usage });
    let next = 0;
    const stream = new ReadableStream<LanguageModelV4StreamPart>({
      // One part per pull, so a reader that stops (an abort) stops the words too.
      pull(controller) {
        const part = parts[next++];
        if (part) controller.enqueue(part);
        else controller.close();
      },
    });
    return { stream };
  }

  private answer(options: LanguageModelV4CallOptions): Pick<LanguageModelV4GenerateResult, "content" | "finishReason" | "usage"> {
    const input = lastUserText(options.prompt);
    const content: LanguageModelV4Content[] =
      this.modelId === "local-router"
        ? route(options, `call_${++this.calls}`)
        : [{ type: "text", text: options.responseFormat?.type === "json" ? this.json(input) : localAnswer(this.modelId, input) }];
    const output = content.map((part) => (part.type === "text" ? part.text : part.type === "tool-call" ? `${part.toolName} ${part.input}` : "")).join(" ");
    const calledTool = content.some((part) => part.type === "tool-call");
    return {
      content,
      finishReason: calledTool ? { unified: "tool-calls", raw: "tool_calls" } : { unified: "stop", raw: "stop" },
      usage: {
        inputTokens: { total: countTokens(promptText(options.prompt)), noCache: undefined, cacheRead: undefined, cacheWrite: undefined },
        outputTokens: { total: countTokens(output), text: undefined, reasoning: undefined },
      },
    };
  }

  private json(input: string): string {
    const items = extractBatchItems(input);
    if (!items) return JSON.stringify({ result: localAnswer(this.modelId, input) });
    return JSON.stringify({ results: items.map((item) => ({ id: item.id, result: localAnswer(this.modelId, item.input) })) });
  }
}

function lastUserText(prompt: LanguageModelV4Prompt): string {
  for (let i = prompt.length - 1; i >= 0; i--) {
    const message = prompt[i];
    if (message?.role !== "user") continue;
    return message.content.map((part) => (part.type === "text" ? part.text : "")).join("");
  }
  return "";
}

/** Everything the model reads: text, tool calls and tool results (a tool loop's later steps read more). */
function promptText(prompt: LanguageModelV4Prompt): string {
  return prompt
    .map((m) =>
      typeof m.content === "string"
        ? m.content
        : m.content
            .map((p) =>
              "text" in p && typeof p.text === "string"
                ? p.text
                : p.type === "tool-result"
                  ? JSON.stringify(p.output)
                  : p.type === "tool-call"
                    ? JSON.stringify(p.input)
                    : "",
            )
            .join(" "),
    )
    .join("\n");
}

/** `text` cut before each word that follows whitespace: "hello there" → ["hello ", "there"]; joined, the text again. */
export function words(text: string): string[] {
  return text.split(/(?<=\s)(?=\S)/).filter((w) => w !== "");
}

/** Whitespace-separated words: a stable stand-in for a tokenizer. */
function countTokens(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}
