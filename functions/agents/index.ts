/**
 * Every code agent the worker deploys. Add a file with `defineAgent` and list it here.
 */
import { codeAgentMap } from "../../lib/agents/define-agent";
import { echo } from "./echo";
import { planner } from "./planner";
import { summarizer } from "./summarizer";

export const codeAgents = codeAgentMap([echo, summarizer, planner]);
