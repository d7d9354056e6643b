/**
 * Procfiles (foreman, honcho, Heroku): `name: command` lines run by the shell, `#` comments, a `.env`
 * beside the file for every process, and foreman's ports: each process type gets `PORT` = base
 * (5000, or `PORT` from the environment or `.env`) + 100 x its position, +1 per extra instance.
 * `-m web=2,worker=1` (and `all=N`) sets the instance counts.
 *
 * @module
 */
import type { ConfigIssue } from "../../domain/mod.ts";
import { parseDotenv } from "../dotenv.ts";
import type { LineCol } from "../source.ts";
import {
  dirOf,
  type ForeignLoad,
  type ForeignOptions,
  literalDollars,
  PathMap,
} from "./foreign.ts";

/** Most instances whose PORT orch writes as `${ORCH_REPLICA}` text; more use shell arithmetic. */
const TEXT_PORTS = 10;

export { parseFormation } from "./formation.ts";

/** Loads a Procfile. */
export async function loadProcfile(
  file: string,
  text: string,
  options: ForeignOptions,
): Promise<ForeignLoad> {
  const issues: ConfigIssue[] = [];
  const warnings: ConfigIssue[] = [];
  const lines = new Map<string, LineCol>();
  const entries: [string, string][] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const m = /^([A-Za-z0-9_-]+):\s*(.*)$/.exec(line);
    if (!m || m[2].trim() === "") {
      issues.push({
        file,
        line: i + 1,
        column: 1,
        path: "",
        message: `expected "name: command", found ${JSON.stringify(line)}`,
      });
      return;
    }
    if (lines.has(m[1])) {
      issues.push({
        file,
        line: i + 1,
        column: 1,
        path: m[1],
        message: `process type ${m[1]} is defined more than once`,
      });
      return;
    }
    lines.set(m[1], { line: i + 1, column: 1 });
    entries.push([m[1], m[2].trim()]);
  });
  const dir = dirOf(file);
  let dotenv: Record<string, string> | undefined;
  try {
    const parsed = parseDotenv(await options.read(`${dir}/.env`));
    dotenv = parsed.vars;
    for (const issue of parsed.issues) {
      issues.push({
        file: `${dir}/.env`,
        line: issue.line,
        column: 1,
        path: "",
        message: issue.message,
      });
    }
  } catch {
    // no .env
  }
  const formation = options.formation ?? {};
  for (const name of Object.keys(formation)) {
    if (name !== "all" && !lines.has(name)) {
      issues.push({
        file,
        path: "",
        message: `-m names ${name}, which the Procfile does not define`,
      });
    }
  }
  const basePort = Number(options.env("PORT") ?? dotenv?.PORT ?? 5000);
  if (!Number.isInteger(basePort) || basePort < 1 || basePort > 65535) {
    issues.push({ file, path: "", message: `PORT ${basePort} is not a port number` });
  }
  const map = new PathMap();
  const services: Record<string, unknown> = Object.create(null);
  entries.forEach(([name, command], position) => {
    const count = formation[name] ?? formation.all ?? 1;
    const port = basePort + 100 * position;
    const text = port + count - 1 <= 65535 ? undefined : `ports from ${port} run past 65535`;
    if (text) {
      issues.push({ file, line: lines.get(name)!.line, column: 1, path: name, message: text });
    }
    const many = count > 1 && (count > TEXT_PORTS || port % 10 !== 0);
    services[name] = {
      kind: "service",
      command: many
        ? `PORT=$((${port} + $ORCH_REPLICA)); export PORT; ${literalDollars(command)}`
        : literalDollars(command),
      ...(count !== 1 ? { replicas: count } : {}),
      env: many ? {} : {
        PORT: count > 1 ? `${String(port).slice(0, -1)}\${ORCH_REPLICA}` : String(port),
      },
      ...(dotenv ? { envFromFile: ["./.env"] } : {}),
      restartPolicy: { policy: "never" },
      required: true,
    };
    map.set(["services", name], [name], {});
  });
  if (entries.length === 0 && issues.length === 0) {
    issues.push({ file, path: "", message: "no processes defined" });
  }
  const stackFile = { version: "0.1", services };
  return {
    format: "procfile",
    results: issues.length > 0 ? [] : [{
      file,
      stackFile,
      locate: (path) => lines.get(String(path[0])),
      translate: (path) => map.translate(path),
    }],
    issues,
    warnings,
    consumed: 1,
  };
}
