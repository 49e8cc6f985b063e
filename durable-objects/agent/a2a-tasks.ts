/**
 * The A2A tasks of this agent (lib/a2a/task-table.ts). The table is created on first use, so
 * objects of agents never reached over A2A carry no `a2a_tasks` table.
 */
import { type TaskJson, type TaskOwner, type TaskPage, type TaskQuery, TaskTable } from "../../lib/a2a/task-table";

export class A2ATasks {
  private table: TaskTable | null = null;

  constructor(private readonly sql: SqlStorage) {}

  private get tasks(): TaskTable {
    this.table ??= new TaskTable(this.sql);
    return this.table;
  }

  save(task: TaskJson, owner: TaskOwner): TaskJson {
    return this.tasks.save(task, owner);
  }

  load(id: string, owner: TaskOwner): TaskJson | null {
    return this.tasks.load(id, owner);
  }

  list(query: TaskQuery, owner: TaskOwner): TaskPage {
    return this.tasks.list(query, owner);
  }
}
