/**
 * Run history behind an interface (`history.ts`), and its SQLite adapter (node:sqlite).
 *
 * @module
 */
export * from "./history.ts";
export { SqliteHistory, type SqliteHistoryOptions } from "./sqlite.ts";
