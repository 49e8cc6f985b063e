/**
 * The example agents as plain Durable Objects reached with raw stubs (`namespace.getByName()`):
 * one RPC per hop and nothing else, the platform's floor for the same work.
 */
import { DurableObject } from "cloudflare:workers";
import type { PeerEnv } from "./env.ts";
import { type Plan, plan, type Summary, summarize } from "./work.ts";

export class RawSummarizer extends DurableObject<PeerEnv> {
  async summarize(text: string): Promise<Summary> {
    return summarize(text);
  }
}

export class RawPlanner extends DurableObject<PeerEnv> {
  async plan(content: unknown): Promise<Plan> {
    return plan(content, (text) => this.env.RAW_SUMMARIZER.getByName("summarizer").summarize(text));
  }
}

export class RawEcho extends DurableObject<PeerEnv> {
  async echo(content: unknown): Promise<unknown> {
    return content;
  }
}
