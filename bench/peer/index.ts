/**
 * The peer worker of the bench's `peer` scenario (bench/peer/wrangler.toml): the example agents'
 * work three ways, each behind its own route so the bench drives them with the same load and the
 * same bodies as Switchboard's `POST /agents/:name/invoke`.
 *
 *   POST /sdk/{planner,echo}/invoke   Agents SDK as documented: getAgentByName + RPC method
 *   POST /sdk-stub/planner/invoke     the same Agent classes, reached with raw stubs
 *   POST /raw/{planner,echo}/invoke   plain Durable Objects, raw stubs
 *
 * Each answers `{ "content": … }`, the part of Switchboard's reply the scenario compares. A plain
 * fetch handler, no router and no validation: the least a Worker in front of the agents can do,
 * so what is measured on this side is the agents' way of calling each other.
 */
import { getAgentByName } from "agents";
import type { PeerEnv } from "./env.ts";
import type { Invoke } from "./work.ts";

export { RawEcho, RawPlanner, RawSummarizer } from "./raw-objects.ts";
export { SdkEcho, SdkPlanner, SdkSummarizer } from "./sdk-agents.ts";

type Route = (env: PeerEnv, content: unknown) => Promise<unknown>;

const routes: Record<string, Route> = {
  "/sdk/planner/invoke": async (env, content) => (await getAgentByName(env.SDK_PLANNER, "planner")).plan(content),
  "/sdk/echo/invoke": async (env, content) => (await getAgentByName(env.SDK_ECHO, "echo")).echo(content),
  "/sdk-stub/planner/invoke": (env, content) => env.SDK_PLANNER.getByName("planner").planByStub(content),
  "/raw/planner/invoke": (env, content) => env.RAW_PLANNER.getByName("planner").plan(content),
  "/raw/echo/invoke": (env, content) => env.RAW_ECHO.getByName("echo").echo(content),
};

export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (pathname === "/health") return Response.json({ ok: true });
    const route = routes[pathname];
    if (!route || request.method !== "POST") return new Response("not found", { status: 404 });
    const { content } = await request.json<Invoke>();
    return Response.json({ content: await route(env, content) });
  },
} satisfies ExportedHandler<PeerEnv>;
