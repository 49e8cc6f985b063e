/**
 * What `ctx.invokeStream` hands a handler: the chunks another agent streams, as an async iterable
 * (strings for text, anything else as the value it wrote), and its reply envelope as `.reply`. The
 * iteration throws the `SwitchboardError` the call failed with, as `ctx.invoke` would; reading
 * only `.reply` drains the stream. Relaying is `for await (const c of stream) ctx.stream.write(c)`.
 */
import type { Envelope } from "../message/envelope";
import { failure, type Result, SwitchboardError } from "../message/errors";
import { failureOfProblem } from "./sse-read";
import { chunkOf, type StepData, type StoredEvent } from "./stream-event";

export interface AgentStream extends AsyncIterable<unknown> {
  /** The reply envelope once the stream ended; rejects with the failure. */
  readonly reply: Promise<Envelope>;
}

/** `opened`: the call, started (its events) or refused; `onStep` sees the sub-agent's steps. */
export function agentStream(opened: Promise<Result<{ events: AsyncIterable<StoredEvent> }>>, who: string, onStep?: (step: StepData) => void): AgentStream {
  let settle: (result: Result<{ reply: Envelope }>) => void = () => {};
  const outcome = new Promise<Result<{ reply: Envelope }>>((resolve) => {
    settle = resolve;
  });
  const reply = outcome.then((result) => {
    if (!result.ok) throw new SwitchboardError(result.code, result.detail, { retryAfter: result.retry_after, transient: result.transient });
    return result.reply;
  });
  // A handler that only iterates never reads `.reply`: its failure is thrown by the iteration instead.
  reply.catch(() => {});
  let iterated = false;

  async function* chunks(): AsyncGenerator<unknown> {
    let ended: Result<{ reply: Envelope }> = failure("agent_error", `the stream of ${who} ended before its reply`, { transient: true });
    try {
      const started = await opened;
      if (!started.ok) {
        ended = started;
        return;
      }
      for await (const event of started.events) {
        if (event.event === "delta") yield chunkOf(event.data);
        else if (event.event === "step") onStep?.(event.data);
        else if (event.event === "reply") {
          ended = { ok: true, reply: event.data };
          return;
        } else if (event.event === "error") {
          ended = failureOfProblem(event.data);
          return;
        }
      }
    } catch (error) {
      ended = failure("agent_error", `the stream of ${who} broke: ${(error as Error).message}`, { transient: true });
    } finally {
      settle(ended);
    }
  }

  const iterator = chunks();
  const stream: AgentStream = {
    [Symbol.asyncIterator]() {
      iterated = true;
      return {
        async next() {
          const next = await iterator.next();
          if (next.done) await reply;
          return next;
        },
        return: (value?: unknown) => iterator.return(value),
      };
    },
    get reply() {
      if (!iterated) {
        iterated = true;
        void (async () => {
          for await (const _ of iterator);
        })().catch(() => {});
      }
      return reply;
    },
  };
  return stream;
}
