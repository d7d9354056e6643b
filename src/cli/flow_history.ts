/**
 * The flows a read command looks at: the running orch's, or, when none runs for the project (and
 * no `--host` names one), the project's history database opened read-only, as `orch logs` reads
 * the persisted logs of a stopped stack. It says so on stderr; the history holds no definitions, so
 * schedules and next runs are not known then.
 *
 * @module
 */
import type { FlowControl } from "../control/mod.ts";
import { type ClientOptions, projectOf, withClient } from "./commands.ts";
import type { CliIO } from "./io.ts";
import { hostSetting, settingsFile } from "./settings.ts";
import { findRunning, stateDir } from "./state.ts";

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Runs `fn` on the flows of the orch the options name, or of the project's history. */
export async function withFlows(
  io: CliIO,
  options: ClientOptions,
  fn: (flows: FlowControl) => Promise<number>,
): Promise<number> {
  const remote = hostSetting(
    options.host,
    io.env,
    options.host ? undefined : await settingsFile(io),
  );
  if (!remote) {
    const project = projectOf(io, options);
    const db = `${stateDir(project)}/history.db`;
    if (!await findRunning(project) && isFile(db)) {
      const { SqliteHistory } = await import("../store/mod.ts");
      const { dbFlows } = await import("./tui_db.ts");
      const store = new SqliteHistory(db, { readOnly: true });
      io.err(`orch: no orch is running for ${project}; read from ${db} (read-only)\n`);
      try {
        return await fn(dbFlows(store));
      } finally {
        store.close();
      }
    }
  }
  return withClient(io, options, (client) => fn(client.flows));
}
