/** Every scenario, in the order the bench runs them (`--only <id>` picks some). */
import type { Scenario } from "../support/scenario.ts";
import { asyncDelivery } from "./async-delivery.ts";
import { batching } from "./batching.ts";
import { breakerOpen } from "./breaker-open.ts";
import { ctxInvoke } from "./ctx-invoke.ts";
import { fanout } from "./fanout.ts";
import { flowRate } from "./flow-rate.ts";
import { mapReduce } from "./map-reduce.ts";
import { modelTools } from "./model-tools.ts";
import { observability } from "./observability.ts";
import { peer } from "./peer.ts";
import { scheduleCost } from "./schedule-cost.ts";
import { scale } from "./scale.ts";
import { shards } from "./shards.ts";
import { streaming } from "./streaming.ts";
import { syncInvoke } from "./sync-invoke.ts";

export const scenarios: Scenario[] = [
  syncInvoke,
  ctxInvoke,
  breakerOpen,
  batching,
  mapReduce,
  fanout,
  asyncDelivery,
  observability,
  shards,
  modelTools,
  streaming,
  peer,
  flowRate,
  scheduleCost,
  scale,
];
