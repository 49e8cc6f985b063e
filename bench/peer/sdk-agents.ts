/**
 * The example agents on the Cloudflare Agents SDK, written as its docs say ("Agent-to-agent
 * calls"): `Agent` subclasses, each reached with `getAgentByName`, work done in a plain async
 * method called over Durable Object RPC (no `@callable`: that is for WebSocket clients).
 *
 * Per call the SDK adds, beyond the RPC itself: `getAgentByName` makes one more RPC to the object
 * (`__unsafe_ensureInitialized`, which awaits the agent's lifecycle start) before the method call,
 * and every public method is wrapped to enter the agent's AsyncLocalStorage context. The agent's
 * name comes from the runtime (`ctx.id.name`), so no name is written to storage. The SQLite
 * schema and the capabilities start once per object, not per call.
 */
import { Agent, getAgentByName } from "agents";
import type { PeerEnv } from "./env.ts";
import { type Plan, plan, type Summary, summarize } from "./work.ts";

export class SdkSummarizer extends Agent<PeerEnv> {
  async summarize(text: string): Promise<Summary> {
    return summarize(text);
  }
}

export class SdkPlanner extends Agent<PeerEnv> {
  /** As documented: the summarizer through getAgentByName. */
  async plan(content: unknown): Promise<Plan> {
    return plan(content, async (text) => (await getAgentByName(this.env.SDK_SUMMARIZER, "summarizer")).summarize(text));
  }

  /**
   * The same agents reached with a raw stub (`getByName`), skipping getAgentByName's readiness
   * call; the wrapped method starts the agent itself when it has not started. This separates what
   * that call costs from what the rest of the SDK costs.
   */
  async planByStub(content: unknown): Promise<Plan> {
    return plan(content, (text) => this.env.SDK_SUMMARIZER.getByName("summarizer").summarize(text));
  }
}

export class SdkEcho extends Agent<PeerEnv> {
  async echo(content: unknown): Promise<unknown> {
    return content;
  }
}
