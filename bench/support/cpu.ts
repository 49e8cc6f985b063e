/**
 * CPU time of a `wrangler dev` server, read from /proc: user + system time of the workerd
 * processes in its process group, split into the runtime that runs the worker and wrangler's dev
 * proxy in front of it (a workerd of its own that owns the public port, and that production does
 * not have). Scenarios report CPU per request next to throughput: it says what each side's code
 * costs, where req/s also carries the machine's other tenants. Linux only; elsewhere there is no
 * meter and the figures are left out.
 */
import { readdirSync, readFileSync } from "node:fs";

/** /proc's utime and stime are in USER_HZ ticks, 100 a second on every Linux ABI Node runs on. */
const TICKS_PER_SECOND = 100;

/** CPU milliseconds used since the processes started. */
export interface CpuReading {
  /** The workerd running the worker and its Durable Objects. */
  worker: number;
  /** wrangler's dev proxy; 0 when there is none. */
  proxy: number;
}

export interface CpuMeter {
  read(): CpuReading;
}

interface ProcStat {
  comm: string;
  pgrp: number;
  ticks: number;
}

function procStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // The command name is in parentheses and may hold spaces or parentheses itself: the fields
  // after the last ")" start at field 3 (state); pgrp is field 5, utime 14, stime 15.
  const close = text.lastIndexOf(")");
  const fields = text.slice(close + 2).split(" ");
  return { comm: text.slice(text.indexOf("(") + 1, close), pgrp: Number(fields[2]), ticks: Number(fields[11]) + Number(fields[12]) };
}

function workerdPids(group: number): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      const stat = procStat(pid);
      return stat !== null && stat.pgrp === group && stat.comm === "workerd";
    });
}

/** Whether the workerd process listens on the server's public port itself (the dev proxy does). */
function ownsPort(pid: number, port: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").includes(`--socket-addr=entry=127.0.0.1:${port}`);
  } catch {
    return false;
  }
}

/**
 * One meter per server: `alternate()` charges a meter's reading to the round that opened it until
 * that meter is read again, so two meters over one server would each be charged the other's
 * rounds too (the observability scenario's "on" side once read about twice its CPU that way).
 */
const meters = new WeakMap<object, CpuMeter | null>();

/** The meter over the workerd processes of the server whose process group is `server.pid`, or null; the same meter for the same server. */
export function cpuMeter(server: { pid: number; url: string }): CpuMeter | null {
  if (!meters.has(server)) meters.set(server, newMeter(server));
  return meters.get(server) ?? null;
}

function newMeter(server: { pid: number; url: string }): CpuMeter | null {
  if (process.platform !== "linux") return null;
  // Found once: the bench never reloads a worker, and scanning /proc on every read would put
  // the load generator's own CPU into each measured round.
  const pids = workerdPids(server.pid);
  if (pids.length === 0) return null;
  const port = new URL(server.url).port;
  // With a single workerd, it is the worker's and it owns the port.
  const proxies = pids.length > 1 ? pids.filter((pid) => ownsPort(pid, port)) : [];
  const ms = (pid: number) => {
    const stat = procStat(pid);
    if (stat === null) throw new Error(`workerd process ${pid} of process group ${server.pid} is gone`);
    return (stat.ticks * 1000) / TICKS_PER_SECOND;
  };
  return {
    read() {
      const reading: CpuReading = { worker: 0, proxy: 0 };
      for (const pid of pids) reading[proxies.includes(pid) ? "proxy" : "worker"] += ms(pid);
      return reading;
    },
  };
}
