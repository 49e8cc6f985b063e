import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type Call, type InvokeResult, makeEnvelope } from "../../lib/message/call";
import { failure } from "../../lib/message/errors";
import { RequestStore } from "../../lib/protocols/request-store";
import { completeEntry } from "../../lib/registry/entry";
import { KeyedCalls } from "./keyed-calls";

const entry = completeEntry("keyed", { kind: "http", url: "https://agent.example/hook" });
const objectFor = (name: string) => env.AGENT.get(env.AGENT.idFromName(`${name}-${crypto.randomUUID()}`));

function callOf(content: unknown): Call {
  return { message: makeEnvelope({ from: null, to: "keyed", role: "agent_call", content }), deadline: Date.now() + 30_000, path: [], pattern: "invoke" };
}

function replyTo(call: Call, content: unknown): InvokeResult {
  return { ok: true, reply: makeEnvelope({ from: "keyed", to: "caller", role: "reply", content, metadata: { in_reply_to: call.message.id } }) };
}

/** A KeyedCalls over a real object's SQLite whose pipeline answers only when the test says so. */
function keyedCalls(sql: SqlStorage) {
  const runs: Array<{ call: Call; answer: (result: InvokeResult) => void }> = [];
  const replays: string[] = [];
  const keyed = new KeyedCalls({
    shard: 0,
    requests: new RequestStore(sql),
    invoke: (_entry, call) => new Promise((answer) => runs.push({ call, answer })),
    forward: () => Promise.reject(new Error("an unsharded agent never forwards")),
    stream: () => Promise.reject(new Error("these calls do not stream")),
    replayStream: () => {
      throw new Error("these calls do not stream");
    },
    forwardStream: () => Promise.reject(new Error("an unsharded agent never forwards")),
    park: () => Promise.reject(new Error("nothing here asks for input")),
    replayed: (_call, detail) => replays.push(detail),
  });
  return { keyed, runs, replays };
}

describe("KeyedCalls", () => {
  it("a retry that arrives while the first call with its key runs waits for it: one run, one reply", async () => {
    await runInDurableObject(objectFor("keyed-join"), async (_instance, state) => {
      const { keyed, runs, replays } = keyedCalls(state.storage.sql);
      const first = keyed.invoke("keyed", entry, callOf("pay"), { key: "k", timeout_ms: null });
      const retry = keyed.invoke("keyed", entry, callOf("pay"), { key: "k", timeout_ms: null });
      const other = keyed.invoke("keyed", entry, callOf("pay"), { key: "another", timeout_ms: null });
      await Promise.resolve();
      expect(runs).toHaveLength(2);
      const [run, otherRun] = runs as [(typeof runs)[0], (typeof runs)[0]];
      const paid = replyTo(run.call, "paid");
      run.answer(paid);
      otherRun.answer(replyTo(otherRun.call, "paid too"));
      const [a, b, c] = await Promise.all([first, retry, other]);
      expect(a).toEqual(paid);
      expect(b).toEqual({ ...paid, replayed: true });
      expect(c.ok && c.reply.content).toBe("paid too");
      expect(replays).toHaveLength(1);
      // And later the kept reply answers, with no run.
      expect(await keyed.invoke("keyed", entry, callOf("pay"), { key: "k", timeout_ms: null })).toEqual({ ...paid, replayed: true });
      expect(runs).toHaveLength(2);
    });
  });

  it("when the first call fails, one waiting retry runs and the others wait for that one", async () => {
    await runInDurableObject(objectFor("keyed-fail"), async (_instance, state) => {
      const { keyed, runs } = keyedCalls(state.storage.sql);
      const calls = [1, 2, 3].map(() => keyed.invoke("keyed", entry, callOf("pay"), { key: "k", timeout_ms: null }));
      await Promise.resolve();
      expect(runs).toHaveLength(1);
      runs[0]?.answer(failure("agent_error", "the remote agent answered 500"));
      expect(await calls[0]).toMatchObject({ ok: false, code: "agent_error" });
      await Promise.resolve();
      expect(runs).toHaveLength(2);
      const second = runs[1] as (typeof runs)[0];
      second.answer(replyTo(second.call, "paid"));
      const [b, c] = await Promise.all([calls[1], calls[2]]);
      expect(b?.ok && b.reply.content).toBe("paid");
      expect(c?.ok && c.reply.content).toBe("paid");
      expect([b, c].filter((r) => r && "replayed" in r)).toHaveLength(1);
      expect(runs).toHaveLength(2);
    });
  });
});
