/**
 * Every code agent the worker deploys. Add a file with `defineAgent` and list it here.
 */
import { codeAgentMap } from "../../lib/agents/define-agent";
import { echo } from "./echo";
import { factChecker } from "./fact-checker";
import { planner } from "./planner";
import { researcher } from "./researcher";
import { summarizer } from "./summarizer";

export const codeAgents = codeAgentMap([echo, summarizer, planner, researcher, factChecker]);
