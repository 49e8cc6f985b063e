/**
 * A2A tasks in the agent's Durable Object SQLite. Tasks are stored in the protocol's JSON form
 * (what `Task.toJSON` gives), scoped to the caller that created them (`owner`; admin sees all),
 * and bounded to the newest `maxRows`. A task that reached a terminal state keeps it: a late
 * "completed" from an invocation that was still running never overwrites "canceled".
 */
export interface TaskJson {
  id: string;
  contextId?: string;
  status?: { state?: string; timestamp?: string; message?: unknown };
  [key: string]: unknown;
}

export interface TaskQuery {
  context_id?: string;
  /** Protocol state name, e.g. TASK_STATE_COMPLETED. */
  state?: string;
  status_after?: string;
  page_size: number;
  /** Opaque cursor from the previous page. */
  page_token?: string;
}

export interface TaskPage {
  tasks: TaskJson[];
  next_page_token: string;
  total_size: number;
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

  /** Newest first, filtered, paginated by a cursor on the insertion order. */
  list(query: TaskQuery, owner: TaskOwner): TaskPage {
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
    const before = Number(query.page_token);
    const cursor = query.page_token && Number.isInteger(before) ? `${filter ? `${filter} AND` : "WHERE"} seq < ?` : filter;
    const pageArgs = query.page_token && Number.isInteger(before) ? [...args, before] : args;
    const rows = this.sql
      .exec<{ seq: number; body: string }>(`SELECT seq, body FROM a2a_tasks ${cursor} ORDER BY seq DESC LIMIT ?`, ...pageArgs, query.page_size + 1)
      .toArray();
    const page = rows.slice(0, query.page_size);
    const last = page[page.length - 1];
    return {
      tasks: page.map((r) => JSON.parse(r.body) as TaskJson),
      next_page_token: rows.length > query.page_size && last ? String(last.seq) : "",
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
