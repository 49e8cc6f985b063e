/**
 * Every code agent the worker deploys. Add a file with `defineAgent` and list it here.
 */
import { codeAgentMap } from "../../lib/agents/define-agent";
import { auditor } from "./auditor";
import { billing } from "./billing";
import { echo } from "./echo";
import { planner } from "./planner";
import { summarizer } from "./summarizer";
import { techSupport } from "./tech-support";
import { triage } from "./triage";
import { wordcount } from "./wordcount";
import { wordcountMap } from "./wordcount-map";
import { wordcountReduce } from "./wordcount-reduce";

export const codeAgents = codeAgentMap([echo, summarizer, planner, auditor, wordcount, wordcountMap, wordcountReduce, triage, billing, techSupport]);
