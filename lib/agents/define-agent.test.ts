import { describe, expect, it } from "vitest";
import { StreamedReply, type StreamSink } from "../streams/stream-sink";
import { codeAgentMap, codeEntry, defineAgent, handlerOutput, reply } from "./define-agent";

const echo = defineAgent({ name: "echo-x", handle: (m) => m.content });

describe("defineAgent", () => {
  it("is a model agent when it has a model and no handler", () => {
    const desk = defineAgent({ name: "desk-x", model: { provider: "local", model: "local-router" }, tools: ["echo-x"] });
    expect(codeEntry(desk)).toMatchObject({ kind: "model", tools: ["echo-x"], handoffs: [], max_steps: 8 });
    expect(codeEntry(echo).kind).toBe("code");
    expect(codeEntry(echo)).not.toHaveProperty("tools");
  });

  it("refuses a definition with neither handler nor model, or tools beside a handler", () => {
    expect(() => defineAgent({ name: "nothing" })).toThrow(/handle must be a function \(or give a model/);
    expect(() => defineAgent({ name: "mixed", handle: () => 1, tools: ["echo-x"] })).toThrow(/tools, handoffs and max_steps belong to model agents/);
    expect(() => defineAgent({ name: "greedy", model: { provider: "local" }, max_steps: 99 })).toThrow(/max_steps/);
  });

  it("lets an agent in code use only other agents in code as tools and handoffs", () => {
    const desk = defineAgent({ name: "desk-y", model: { provider: "local", model: "local-router" }, tools: ["echo-x"], handoffs: ["elsewhere"] });
    expect(() => codeAgentMap([echo, desk])).toThrow('defineAgent(desk-y): handoffs[0]: "elsewhere" is not another agent defined in code');
    const self = defineAgent({ name: "desk-z", model: { provider: "local" }, tools: ["desk-z"] });
    expect(() => codeAgentMap([self])).toThrow(/tools\[0\]: "desk-z"/);
    expect(codeAgentMap([echo, defineAgent({ name: "desk-w", model: { provider: "local" }, tools: ["echo-x"] })]).size).toBe(2);
  });

  it("streams what a handler returns as an async iterable, and answers with what it wrote when it returns nothing", async () => {
    const sent: unknown[] = [];
    const sink: StreamSink = { delta: (chunk) => void sent.push(chunk), step: () => {} };
    const live = new AbortController().signal;
    async function* words() {
      yield "one ";
      yield "two";
    }
    expect(await handlerOutput(words(), new StreamedReply(sink), live)).toEqual({ content: "one two", metadata: {} });
    expect(sent).toEqual(["one ", "two"]);

    const bytes = new Response("raw text").body as ReadableStream<Uint8Array>;
    expect((await handlerOutput(bytes, new StreamedReply(), live)).content).toBe("raw text");

    const written = new StreamedReply();
    written.delta({ n: 1 });
    written.delta("x");
    expect((await handlerOutput(undefined, written, live)).content).toEqual([{ n: 1 }, "x"]);
    expect(await handlerOutput(reply("chosen", { k: 1 }), written, live)).toEqual({ content: "chosen", metadata: { k: 1 } });
    expect((await handlerOutput(null, new StreamedReply(), live)).content).toBeNull();
  });
});
