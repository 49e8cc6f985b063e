/** The peer worker's bindings (bench/peer/wrangler.toml). */
import type { RawEcho, RawPlanner, RawSummarizer } from "./raw-objects.ts";
import type { SdkEcho, SdkPlanner, SdkSummarizer } from "./sdk-agents.ts";

export interface PeerEnv {
  SDK_PLANNER: DurableObjectNamespace<SdkPlanner>;
  SDK_SUMMARIZER: DurableObjectNamespace<SdkSummarizer>;
  SDK_ECHO: DurableObjectNamespace<SdkEcho>;
  RAW_PLANNER: DurableObjectNamespace<RawPlanner>;
  RAW_SUMMARIZER: DurableObjectNamespace<RawSummarizer>;
  RAW_ECHO: DurableObjectNamespace<RawEcho>;
}
