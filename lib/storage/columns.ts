/**
 * Columns added to a table after objects already created it: `CREATE TABLE IF NOT EXISTS` leaves
 * an existing table as it was, so each added column is added to old tables here, once, when the
 * object starts. Returns the names it added, so a caller can fill them in for old rows.
 */
export function addMissingColumns(sql: SqlStorage, table: string, columns: Record<string, string>): string[] {
  const rows = sql.exec<{ name: string }>("SELECT name FROM pragma_table_info(?)", table).toArray();
  const have = new Set(rows.map((c) => c.name));
  const added = Object.keys(columns).filter((name) => !have.has(name));
  for (const name of added) sql.exec(`ALTER TABLE ${table} ADD COLUMN ${name} ${columns[name]}`);
  return added;
}
