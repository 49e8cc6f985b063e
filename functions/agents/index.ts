/**
 * Every code agent the worker deploys. Add a file with `defineAgent` and list it here.
 */
import { type CodeAgents, codeAgentMap, codeEntry, servedAgents } from "../../lib/agents/define-agent";
import type { AgentEntry } from "../../lib/registry/entry";
import { approver } from "./approver";
import { tck } from "./tck";
import { auditor } from "./auditor";
import { billing } from "./billing";
import { concierge } from "./concierge";
import { dispatcher } from "./dispatcher";
import { echo } from "./echo";
import { factChecker } from "./fact-checker";
import { greeter } from "./greeter";
import { narrator } from "./narrator";
import { planner } from "./planner";
import { researcher } from "./researcher";
import { summarizer } from "./summarizer";
import { techSupport } from "./tech-support";
import { ticker } from "./ticker";
import { triage } from "./triage";
import { feedbackRouter } from "./feedback-router";
import { wordcount } from "./wordcount";
import { wordcountMap } from "./wordcount-map";
import { wordcountReduce } from "./wordcount-reduce";

export const codeAgents = codeAgentMap([
  echo,
  summarizer,
  planner,
  researcher,
  factChecker,
  auditor,
  wordcount,
  wordcountMap,
  wordcountReduce,
  triage,
  billing,
  techSupport,
  feedbackRouter,
  greeter,
  concierge,
  dispatcher,
  narrator,
  ticker,
  approver,
  tck,
]);

/** The code agents this deployment serves (the `tck` conformance fixture only where SWITCHBOARD_DEV=1). */
export function codeAgentsOf(env: { SWITCHBOARD_DEV?: string }): CodeAgents {
  return servedAgents(codeAgents, env);
}

/** Their directory entries, which every listing merges in (a stored override wins over its defaults). */
export function codeEntriesOf(env: { SWITCHBOARD_DEV?: string }): AgentEntry[] {
  return [...codeAgentsOf(env).values()].map(codeEntry);
}
