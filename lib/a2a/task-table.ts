/**
 * A2A tasks in the agent's Durable Object SQLite. Tasks are stored in the protocol's JSON form
 * (what `Task.toJSON` gives), scoped to the caller that created them (`owner`; admin sees all),
 * and bounded to the newest `maxRows`. A task that reached a terminal state keeps it: a late
 * "completed" from an invocation that was still running never overwrites "canceled".
 *
 * ListTasks sorts by last update (the status timestamp), most recent first as the A2A spec asks,
 * ties broken by id (descending), as the SDK's own store does. A task's place in that order is its
 * `taskKey`, so a sharded agent's shards merge into one order (lib/registry/sorted-merge.ts).
 */
export interface TaskJson {
  id: string;
  contextId?: string;
  status?: { state?: string; timestamp?: string; message?: unknown };
  [key: string]: unknown;
}

export interface TaskFilter {
  context_id?: string;
  /** Protocol state name, e.g. TASK_STATE_COMPLETED. */
  state?: string;
  status_after?: string;
}

/** One store's slice of a listing: up to `limit` tasks strictly after key `after`. */
export interface TaskQuery extends TaskFilter {
  limit: number;
  after?: string | undefined;
}

export interface ListedTask {
  key: string;
  task: TaskJson;
}

export interface TaskSlice {
  items: ListedTask[];
  /** Whether tasks follow the slice. */
  more: boolean;
  /** Tasks the filter matches, in all. */
  total_size: number;
}

/** A ListTasks page asked of all an agent's stores (its shards): `page_size` tasks after key `after`. */
export interface TaskListing extends TaskFilter {
  page_size: number;
  after?: string | undefined;
}

export interface TaskPage {
  tasks: TaskJson[];
  /** The key of the page's last task when more follow (the next page's position), else null. */
  last: string | null;
  total_size: number;
}

/**
 * A task's place in the listing: status time, then id. The separator sorts below any character of
 * either, so comparing keys as strings orders them exactly as `ORDER BY status_at, id` does.
 */
export function taskKey(statusAt: string, id: string): string {
  return `${statusAt}\u0000${id}`;
}

function splitKey(key: string): [string, string] | null {
  const cut = key.indexOf("\u0000");
  return cut < 0 ? null : [key.slice(0, cut), key.slice(cut + 1)];
}

/** Who sees a task: an agent principal sees its own, admin (owner null) sees every task. */
export type TaskOwner = string | null;

const ADMIN = "";
const TERMINAL = new Set(["TASK_STATE_COMPLETED", "TASK_STATE_FAILED", "TASK_STATE_CANCELED", "TASK_STATE_REJECTED"]);

export function isTerminalState(state: string | undefined): boolean {
  return state !== undefined && TERMINAL.has(state);
}

export class TaskTable {
  private inserts = 0;

  constructor(
    private readonly sql: SqlStorage,
    private readonly maxRows = 1000,
  ) {
    sql.exec(`CREATE TABLE IF NOT EXISTS a2a_tasks (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, owner TEXT NOT NULL, context_id TEXT NOT NULL,
      state TEXT NOT NULL, status_at TEXT NOT NULL, body TEXT NOT NULL)`);
    sql.exec("CREATE INDEX IF NOT EXISTS a2a_tasks_context ON a2a_tasks(context_id)");
    sql.exec("CREATE INDEX IF NOT EXISTS a2a_tasks_updated ON a2a_tasks(status_at, id)");
  }

  /**
   * Saves a task and returns what is stored. Refused (the stored task is returned) when the task
   * already ended in another state; ignored when another caller owns that id.
   */
  save(task: TaskJson, owner: TaskOwner, now = Date.now()): TaskJson {
    const existing = this.row(task.id);
    const state = task.status?.state ?? "TASK_STATE_UNSPECIFIED";
    if (existing) {
      if (!visible(existing.owner, owner)) return task;
      if (isTerminalState(existing.state) && existing.state !== state) return JSON.parse(existing.body) as TaskJson;
      this.sql.exec(
        "UPDATE a2a_tasks SET context_id = ?, state = ?, status_at = ?, body = ? WHERE id = ?",
        task.contextId ?? "",
        state,
        task.status?.timestamp ?? new Date(now).toISOString(),
        JSON.stringify(task),
        task.id,
      );
      return task;
    }
    this.sql.exec(
      "INSERT INTO a2a_tasks (id, owner, context_id, state, status_at, body) VALUES (?, ?, ?, ?, ?, ?)",
      task.id,
      owner ?? ADMIN,
      task.contextId ?? "",
      state,
      task.status?.timestamp ?? new Date(now).toISOString(),
      JSON.stringify(task),
    );
    if (++this.inserts % 50 === 0) this.prune();
    return task;
  }

  load(id: string, owner: TaskOwner): TaskJson | null {
    const row = this.row(id);
    return row && visible(row.owner, owner) ? (JSON.parse(row.body) as TaskJson) : null;
  }

  /** Most recently updated first (ties: id descending), filtered, after key `after` when given. */
  list(query: TaskQuery, owner: TaskOwner): TaskSlice {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (owner !== null) {
      where.push("owner = ?");
      args.push(owner);
    }
    if (query.context_id) {
      where.push("context_id = ?");
      args.push(query.context_id);
    }
    if (query.state) {
      where.push("state = ?");
      args.push(query.state);
    }
    if (query.status_after) {
      where.push("status_at > ?");
      args.push(query.status_after);
    }
    const filter = where.length ? `WHERE ${where.join(" AND ")}` : "";
    const total = this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM a2a_tasks ${filter}`, ...args).one().n;
    const after = query.after === undefined ? null : splitKey(query.after);
    if (after) {
      where.push("(status_at < ? OR (status_at = ? AND id < ?))");
      args.push(after[0], after[0], after[1]);
    }
    const rows = this.sql
      .exec<{ id: string; status_at: string; body: string }>(
        `SELECT id, status_at, body FROM a2a_tasks ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY status_at DESC, id DESC LIMIT ?`,
        ...args,
        query.limit + 1,
      )
      .toArray();
    return {
      items: rows.slice(0, query.limit).map((r) => ({ key: taskKey(r.status_at, r.id), task: JSON.parse(r.body) as TaskJson })),
      more: rows.length > query.limit,
      total_size: total,
    };
  }

  private row(id: string): { owner: string; state: string; body: string } | undefined {
    return this.sql.exec<{ owner: string; state: string; body: string }>("SELECT owner, state, body FROM a2a_tasks WHERE id = ?", id).toArray()[0];
  }

  private prune(): void {
    this.sql.exec("DELETE FROM a2a_tasks WHERE seq <= (SELECT seq FROM a2a_tasks ORDER BY seq DESC LIMIT 1 OFFSET ?)", this.maxRows);
  }
}

function visible(rowOwner: string, owner: TaskOwner): boolean {
  return owner === null || rowOwner === owner;
}
