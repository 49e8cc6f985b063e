/**
 * A loopback model server speaking the OpenAI chat completions API, for openai-compatible model
 * agents in tests and for the batching benchmark. The base URL chooses behaviour, so tests need no
 * shared setup:
 *
 *   http://127.0.0.1:<port>/m/<key>/<modifier>/…   (the provider appends /chat/completions)
 *
 * Modifiers (any order, any number):
 *   delay-<ms>   answer after <ms>
 *   serial       one call at a time per key (others queue), like a single-GPU server
 *   partial      in batch (JSON) mode, leave out the last item's result
 *   malformed    answer text that is not JSON
 *   reversed     batch results in reverse order (ids still correct)
 *   duplicate    batch results list item 1 twice
 *   status-<n>   answer HTTP <n> with an OpenAI-style error body
 *   call-<tool>  tool calling, over several steps: the k-th `call-` modifier (in path order) is the
 *                tool the model calls when it has seen k-1 tool results since the last user message,
 *                with arguments filled from the tool's `parameters` (required strings get the prompt);
 *                after the last one it answers `remote:` and the tool results joined by " | "
 *   loop-<tool>  call <tool> at every step, never answering (for max_steps)
 *   bad-args     tool calls send `{"content":42}` instead of arguments that fit
 *   ask          calls the built-in `need_input` (an approval with a schema) until the conversation
 *                holds an answered question (an assistant turn followed by a user turn), then answers
 *                `remote:<the answer>`
 *   gap-<ms>     when streaming, wait <ms> between chunks
 *
 * A request with `"stream": true` is answered as the API streams: SSE `chat.completion.chunk`s, the
 * text word by word (each word with the space after it), a tool call in one chunk, then a chunk with
 * `finish_reason` (and `usage` when `stream_options.include_usage`), then `data: [DONE]`.
 *
 * Without modifiers it answers `remote:<last user message>`, or in batch mode `remote:<input>` per
 * item. `GET /_calls/<key>` → what it received (path, headers, parsed body); `GET /_stats/<key>` →
 * `{ calls, max_concurrent }`.
 *
 * node:http only (with ./loopback-http.ts) so `npm run bench` can import it under plain Node 22.
 */
import { createServer, type Server, type ServerResponse } from "node:http";
import { flatHeaders, readBody, safeJson } from "./loopback-http.ts";

interface ChatTool {
  type: "function";
  function: { name: string; description?: string; parameters?: { properties?: Record<string, { type?: string }>; required?: string[] } };
}

export interface ModelCall {
  path: string;
  headers: Record<string, string>;
  body: {
    model?: string;
    messages?: Array<{ role: string; content: unknown; tool_calls?: unknown[]; tool_call_id?: string }>;
    response_format?: unknown;
    tools?: ChatTool[];
    [key: string]: unknown;
  };
}

interface KeyState {
  calls: ModelCall[];
  active: number;
  max_concurrent: number;
  queue: Promise<void>;
}

export function startModelServer(): Promise<{ server: Server; port: number }> {
  const keys = new Map<string, KeyState>();
  const stateOf = (key: string) => {
    let state = keys.get(key);
    if (!state) {
      state = { calls: [], active: 0, max_concurrent: 0, queue: Promise.resolve() };
      keys.set(key, state);
    }
    return state;
  };
  const server = createServer(async (req, res) => {
    const raw = await readBody(req);
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const parts = path.split("/").filter(Boolean);
    const send = (status: number, value: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(value));
    };
    if (parts[0] === "_calls") return send(200, keys.get(parts[1] ?? "")?.calls ?? []);
    if (parts[0] === "_stats") {
      const state = keys.get(parts[1] ?? "");
      return send(200, { calls: state?.calls.length ?? 0, max_concurrent: state?.max_concurrent ?? 0 });
    }
    if (parts[0] !== "m" || parts.at(-1) !== "completions") return send(404, { error: { message: "unknown path" } });
    const key = parts[1] ?? "";
    const ordered = parts.slice(2, -2);
    const modifiers = new Set(ordered);
    const state = stateOf(key);
    const body = safeJson(raw) as ModelCall["body"];
    state.calls.push({ path, headers: flatHeaders(req), body });
    const answer = async () => {
      state.active++;
      state.max_concurrent = Math.max(state.max_concurrent, state.active);
      try {
        const delay = [...modifiers].find((m) => m.startsWith("delay-"));
        if (delay) await new Promise((r) => setTimeout(r, Number(delay.slice(6))));
        const status = [...modifiers].find((m) => m.startsWith("status-"));
        if (status) return send(Number(status.slice(7)), { error: { message: `scripted ${status.slice(7)}`, type: "server_error" } });
        const answered = completion(body, modifiers, ordered);
        if (body?.stream === true) await streamCompletion(res, answered, body, Number([...modifiers].find((m) => m.startsWith("gap-"))?.slice(4) ?? 0));
        else send(200, answered);
      } finally {
        state.active--;
      }
    };
    if (!modifiers.has("serial")) return answer();
    const turn = state.queue.then(answer);
    state.queue = turn.catch(() => {});
    await turn;
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, port: (server.address() as { port: number }).port })));
}

function completion(body: ModelCall["body"], modifiers: Set<string>, ordered: string[]) {
  const messages = body?.messages ?? [];
  const last = [...messages].reverse().find((m) => m.role === "user");
  const prompt = typeof last?.content === "string" ? last.content : JSON.stringify(last?.content ?? "");
  if (modifiers.has("ask") && !messages.some((m, i) => m.role === "assistant" && !m.tool_calls?.length && messages[i + 1]?.role === "user")) {
    return askTurn(body, prompt);
  }
  const toolTurn = toolCallTurn(body, modifiers, ordered, prompt);
  if (toolTurn) return toolTurn;
  const items = body?.response_format ? extractBatchItems(prompt) : null;
  let content: string;
  if (modifiers.has("malformed")) content = "Sure! Here are your answers: 1) yes 2) no";
  else if (items) {
    let results = items.map((item) => ({ id: item.id, result: `remote:${typeof item.input === "string" ? item.input : JSON.stringify(item.input)}` }));
    if (modifiers.has("partial")) results = results.slice(0, -1);
    if (modifiers.has("reversed")) results = results.reverse();
    if (modifiers.has("duplicate") && results[0]) results = [...results, { id: 1, result: "remote:someone else's answer" }];
    content = JSON.stringify({ results });
  } else content = `remote:${prompt}`;
  const words = (text: string) => text.split(/\s+/).filter(Boolean).length;
  return {
    id: `chatcmpl-${Math.random().toString(36).slice(2)}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: body?.model ?? "unknown",
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
    usage: { prompt_tokens: words(prompt), completion_tokens: words(content), total_tokens: words(prompt) + words(content) },
  };
}

/** `answered` as the API streams it (see the header); stops writing when the client goes away. */
async function streamCompletion(res: ServerResponse, answered: ReturnType<typeof completion>, body: ModelCall["body"], gapMs: number): Promise<void> {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  const choice = answered.choices[0] as { message: { content: string | null; tool_calls?: unknown[] }; finish_reason: string };
  const chunk = (delta: unknown, finish: string | null, usage?: unknown) =>
    `data: ${JSON.stringify({ id: answered.id, object: "chat.completion.chunk", created: answered.created, model: answered.model, choices: [{ index: 0, delta, finish_reason: finish }], ...(usage ? { usage } : {}) })}\n\n`;
  const pieces: string[] = [chunk({ role: "assistant", content: "" }, null)];
  for (const word of (choice.message.content ?? "").split(/(?<=\s)(?=\S)/).filter(Boolean)) pieces.push(chunk({ content: word }, null));
  if (choice.message.tool_calls) pieces.push(chunk({ tool_calls: choice.message.tool_calls.map((call, index) => ({ index, ...(call as object) })) }, null));
  const includeUsage = (body?.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
  pieces.push(chunk({}, choice.finish_reason, includeUsage ? answered.usage : undefined), "data: [DONE]\n\n");
  for (const [i, piece] of pieces.entries()) {
    if (res.destroyed) return;
    if (i > 0 && gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
    res.write(piece);
  }
  res.end();
}

/** The scripted tool call for this step (`call-…`, `loop-…` modifiers), or the answer after the tool results; null without them. */
function toolCallTurn(body: ModelCall["body"], modifiers: Set<string>, ordered: string[], prompt: string) {
  const script = ordered.filter((m) => m.startsWith("call-")).map((m) => m.slice(5));
  const loop = ordered.find((m) => m.startsWith("loop-"))?.slice(5);
  if (script.length === 0 && !loop) return null;
  const messages = body?.messages ?? [];
  const lastUser = messages.map((m) => m.role).lastIndexOf("user");
  const results = messages.slice(lastUser + 1).filter((m) => m.role === "tool");
  const name = loop ?? script[results.length];
  const base = {
    id: `chatcmpl-${Math.random().toString(36).slice(2)}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: body?.model ?? "unknown",
  };
  const usage = { prompt_tokens: 10 + results.length, completion_tokens: 5, total_tokens: 15 + results.length };
  if (name === undefined) {
    const content = `remote:${results.map((m) => (typeof m.content === "string" ? m.content : JSON.stringify(m.content))).join(" | ")}`;
    return { ...base, choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }], usage };
  }
  const tool = body?.tools?.find((t) => t.function.name === name);
  const args: Record<string, unknown> = {};
  for (const field of tool?.function.parameters?.required ?? []) args[field] = prompt;
  const call = {
    id: `call_${results.length + 1}`,
    type: "function",
    function: { name, arguments: JSON.stringify(modifiers.has("bad-args") ? { content: 42 } : args) },
  };
  return { ...base, choices: [{ index: 0, message: { role: "assistant", content: null, tool_calls: [call] }, finish_reason: "tool_calls" }], usage };
}

/** A call of the built-in `need_input`: the model asks its caller to approve the prompt. */
function askTurn(body: ModelCall["body"], prompt: string) {
  const args = {
    question: `May I go ahead with: ${prompt}?`,
    schema: { type: "object", properties: { approved: { type: "boolean" } }, required: ["approved"] },
  };
  const call = { id: "call_ask", type: "function", function: { name: "need_input", arguments: JSON.stringify(args) } };
  return {
    id: `chatcmpl-${Math.random().toString(36).slice(2)}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: body?.model ?? "unknown",
    choices: [{ index: 0, message: { role: "assistant", content: null, tool_calls: [call] }, finish_reason: "tool_calls" }],
    usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
  };
}

/** The numbered items of a batch prompt (lib/resilience/batching.ts `batchPrompt`). */
function extractBatchItems(text: string): Array<{ id: number; input: unknown }> | null {
  const match = text.match(/```json\n(\{"items":[\s\S]*\})\n```/);
  if (!match?.[1]) return null;
  try {
    const items = (JSON.parse(match[1]) as { items?: unknown }).items;
    return Array.isArray(items) ? items : null;
  } catch {
    return null;
  }
}
