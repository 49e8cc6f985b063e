/**
 * Chain of responsibility (seed: a request walks `next` until an agent handles its type). An
 * agent is a chain member when it declares `handles` or `next`; members handle the types they list
 * ("*" for all) and pass the rest on. Agents outside any chain handle every message.
 */
import type { AgentEntry } from "../registry/entry";

export type ChainRoute = { kind: "handle" } | { kind: "forward"; next: string } | { kind: "none" };

export function chainRoute(entry: Pick<AgentEntry, "handles" | "next">, type: unknown): ChainRoute {
  const member = entry.handles.length > 0 || entry.next !== null;
  if (!member || typeof type !== "string") return { kind: "handle" };
  if (entry.handles.includes(type) || entry.handles.includes("*")) return { kind: "handle" };
  return entry.next ? { kind: "forward", next: entry.next } : { kind: "none" };
}
