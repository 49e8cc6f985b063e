/**
 * Switches for the optional observability work on the message path, read from vars:
 * `SWITCHBOARD_OBSERVABILITY=off` turns off metrics, JSON log lines and the trace index together
 * (the benchmark compares on and off). `SWITCHBOARD_JSON_LOGS` sets the JSON log lines: `errors`
 * (the default) writes a line for every message that did not succeed, `all` one for every message,
 * `off` none. Every line is a console write, which the bench measured at ~30% of invoke throughput
 * under `wrangler dev`, and Workers Logs bills per line; the platform already logs each request.
 * The per-agent message log (`GET /agents/:name/log`) is part of the contract and always kept.
 */
export interface ObservabilitySwitches {
  metrics: boolean;
  jsonLogs: boolean;
  /** Only failures get a JSON line (`SWITCHBOARD_JSON_LOGS=errors`). */
  jsonErrorsOnly: boolean;
  traceIndex: boolean;
}

export interface ObservabilityVars {
  SWITCHBOARD_OBSERVABILITY?: string;
  SWITCHBOARD_JSON_LOGS?: string;
}

const OFF = /^(?:off|0|false|no)$/i;

export function observabilitySwitches(vars: ObservabilityVars): ObservabilitySwitches {
  const on = !OFF.test(vars.SWITCHBOARD_OBSERVABILITY ?? "");
  const json = (vars.SWITCHBOARD_JSON_LOGS ?? "errors").trim();
  return { metrics: on, traceIndex: on, jsonLogs: on && !OFF.test(json), jsonErrorsOnly: !/^(?:all|on|1|true)$/i.test(json) };
}
