/**
 * What happens to every message an agent logs, besides the log row itself: its metrics, its JSON
 * log line, and (once per trace) telling the trace index that this agent holds rows of the trace.
 * Each part can be switched off (`SWITCHBOARD_OBSERVABILITY=off`); none of them awaits anything.
 */
import { writeMessageLog } from "./json-log";
import { isSuccess } from "./log-sampling";
import type { LogRow } from "./message-log";
import type { AgentMetrics } from "./metrics";
import type { ObservabilitySwitches } from "./switches";
import { AnnouncedTraces } from "./trace-index";

export interface ObservePorts {
  switches: ObservabilitySwitches;
  metrics: AgentMetrics;
  /** Tells the trace's index that `agent` has rows; must not block the caller. */
  announce(traceId: string, agent: string, at: string): void;
}

export class MessageObserver {
  private readonly announced = new AnnouncedTraces();

  constructor(private readonly ports: ObservePorts) {}

  /** A handled message: always counted; its JSON line and trace sighting only when its row is `logged` (./log-sampling.ts). */
  observe(agent: string, row: LogRow, logged = true): void {
    const { switches } = this.ports;
    if (switches.metrics) this.ports.metrics.message(row.direction, row.outcome, row.duration_ms);
    if (!logged) return;
    if (switches.jsonLogs && !(switches.jsonErrorsOnly && isSuccess(row.outcome))) writeMessageLog(agent, row);
    this.traced(agent, row);
  }

  /** Rows that are part of a flow without being a handled message (an emitted event): traced only. */
  traced(agent: string, row: LogRow): void {
    if (this.ports.switches.traceIndex && row.trace_id && this.announced.firstSighting(`${agent}:${row.trace_id}`)) {
      this.ports.announce(row.trace_id, agent, row.at);
    }
  }
}
