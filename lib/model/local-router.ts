/**
 * `local-router`: the offline model's way of using tools, deterministically. Given a request and
 * function tools it calls the one whose name or description best matches the request's words,
 * with arguments built from the tool's JSON Schema; once the tool answered, it answers with the
 * tool's result (or says which tool failed, and with what code). No match: it answers with the
 * request. The decision comes back as AI SDK content parts, so `generateText` runs its real tool
 * loop around it, as with any provider.
 */
import type { LanguageModelV4CallOptions, LanguageModelV4Content, LanguageModelV4FunctionTool, LanguageModelV4Prompt } from "@ai-sdk/provider";

const STOPWORDS = new Set(
  "a an and are as at be by can for from has have how i in is it its me my of on or our please so that the this to us we what with you your".split(" "),
);

/** Lower-case words with a crude stem, so "summarise", "summarizes" and "summarizer" meet. */
function words(text: string): string[] {
  return (text.toLowerCase().match(/[a-z0-9]+/g) ?? [])
    .filter((w) => w.length > 2 && !STOPWORDS.has(w))
    .map((w) =>
      w
        .replace(/is(e|es|ed|ing)$/, "iz$1")
        .replace(/ies$/, "y")
        .replace(/(ing|ed|s)$/, "")
        .replace(/e$/, ""),
    );
}

/** Stemmed words of tools seen, by name and description: an agent offers the same tools on every call. */
const knownTools = new Map<string, { name: string[]; description: Set<string> }>();
/** Tools whose words are kept, all dropped when full. @default 256 */
const MAX_KNOWN_TOOLS = 256;

function toolWords(name: string, description: string): { name: string[]; description: Set<string> } {
  const key = JSON.stringify([name, description]);
  const known = knownTools.get(key);
  if (known) return known;
  const built = { name: words(name.replace(/[-_]/g, " ")).concat(words(name.replace(/[-_]/g, ""))), description: new Set(words(description)) };
  if (knownTools.size >= MAX_KNOWN_TOOLS) knownTools.clear();
  knownTools.set(key, built);
  return built;
}

/**
 * A request word in the tool's name counts 3 (name words contain it: "count" in "wordcount"), in
 * its description 1. The highest score wins; ties go to the tool listed first; no score, no tool.
 */
export function pickTool(request: string, tools: readonly Pick<LanguageModelV4FunctionTool, "name" | "description">[]): string | null {
  const asked = new Set(words(request));
  let best: { name: string; score: number } | null = null;
  for (const tool of tools) {
    const { name, description } = toolWords(tool.name, tool.description ?? "");
    let score = 0;
    for (const word of asked) {
      if (name.some((n) => n.includes(word) || word.includes(n))) score += 3;
      else if (description.has(word)) score += 1;
    }
    if (score > 0 && (!best || score > best.score)) best = { name: tool.name, score };
  }
  return best?.name ?? null;
}

/** Arguments for `schema` filled from the request: every required (else the first) string field gets it. */
export function argumentsFor(schema: unknown, request: string): Record<string, unknown> {
  const s = schema as { properties?: Record<string, { type?: unknown }>; required?: unknown };
  const properties = s?.properties ?? {};
  const required = Array.isArray(s?.required) ? (s.required as string[]) : [];
  const names =
    required.length > 0
      ? required
      : Object.keys(properties)
          .filter((k) => properties[k]?.type === "string")
          .slice(0, 1);
  // fromEntries defines own properties, so a field named `__proto__` is an argument, not a prototype.
  return Object.fromEntries(
    names.map((name) => {
      const type = Object.hasOwn(properties, name) ? properties[name]?.type : undefined;
      return [name, type === "number" || type === "integer" ? 0 : type === "boolean" ? false : type === "array" ? [] : type === "object" ? {} : request];
    }),
  );
}

/** What the router does with one model call: a tool call, or the final answer. */
export function route(options: Pick<LanguageModelV4CallOptions, "prompt" | "tools">, callId: string): LanguageModelV4Content[] {
  const tools = (options.tools ?? []).filter((t): t is LanguageModelV4FunctionTool => t.type === "function");
  const results = toolResultsAfterLastUser(options.prompt);
  if (results) return [{ type: "text", text: results }];
  const request = lastUserText(options.prompt);
  const name = pickTool(request, tools);
  const tool = tools.find((t) => t.name === name);
  if (!tool) return [{ type: "text", text: request }];
  return [{ type: "tool-call", toolCallId: callId, toolName: tool.name, input: JSON.stringify(argumentsFor(tool.inputSchema, request)) }];
}

function lastUserText(prompt: LanguageModelV4Prompt): string {
  for (let i = prompt.length - 1; i >= 0; i--) {
    const message = prompt[i];
    if (message?.role === "user") return message.content.map((part) => (part.type === "text" ? part.text : "")).join("");
  }
  return "";
}

/** The tool results the model has seen since the last user message, as its answer; null when none. */
function toolResultsAfterLastUser(prompt: LanguageModelV4Prompt): string | null {
  const answers: string[] = [];
  for (let i = prompt.length - 1; i >= 0; i--) {
    const message = prompt[i];
    if (!message || message.role === "user") break;
    if (message.role !== "tool") continue;
    for (const part of message.content) {
      if (part.type !== "tool-result") continue;
      const { output } = part;
      if (output.type === "text") answers.unshift(output.value);
      else if (output.type === "json") answers.unshift(JSON.stringify(output.value));
      else if (output.type === "error-text") answers.unshift(`${part.toolName} failed: ${output.value}`);
      else if (output.type === "error-json") answers.unshift(`${part.toolName} failed: ${JSON.stringify(output.value)}`);
    }
  }
  return answers.length > 0 ? answers.join("\n") : null;
}
