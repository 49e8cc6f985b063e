/** A minimal admin client for the Switchboard HTTP API, enough to set scenarios up and drive load. */
import { type DevAnswer, devApi } from "../../test/support/dev-api.ts";

export const BENCH_ADMIN_KEY = "sk_bench_admin";

export type Answer = DevAnswer;

export interface Client {
  url: string;
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Answer>;
  /** Sends a request and resolves true when the status is `expected`; the body is drained, not parsed. */
  expect(method: string, path: string, body: unknown, expected: number): Promise<boolean>;
}

export function client(url: string, key = BENCH_ADMIN_KEY): Client {
  const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
  return {
    url,
    request(method, path, body, extra) {
      return devApi({ url }, method, path, body, { ...headers, ...extra });
    },
    async expect(method, path, body, expected) {
      const res = await fetch(`${url}${path}`, { method, headers, body: JSON.stringify(body) });
      // Reading the body (not just cancelling it) lets undici reuse the connection.
      await res.arrayBuffer();
      return res.status === expected;
    },
  };
}

/** Throws with the answer when a setup call did not get the status it needed. */
export function must(answer: Answer, status: number, what: string): Answer {
  if (answer.status !== status) throw new Error(`${what}: expected ${status}, got ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
  return answer;
}
