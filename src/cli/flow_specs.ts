/**
 * The flows' commands in the command table: `flows`, `runs`, `run` (show, cancel, retry, and
 * Petit's `run --jobs DIR`), `flow run`, `trigger` and `scheduler`. What each runs is loaded when
 * it runs.
 *
 * @module
 */
import type { ArgSpec, ClientCommand, GlobalOptions, ParsedOptions } from "./command_spec.ts";

const str = (v: ParsedOptions[string]) => (typeof v === "string" ? v : undefined);
const list = (v: ParsedOptions[string]) =>
  Array.isArray(v) ? v : typeof v === "string" ? [v] : undefined;
const json = { long: "json", description: "as JSON" } as const;
const client = (g: GlobalOptions) => ({
  file: g.file,
  host: g.host ?? g.hostPort,
  token: g.token,
});
const flows = () => import("./flow_commands.ts");
const arg = (name: string, required: boolean, description?: string): ArgSpec => ({
  name,
  required,
  variadic: false,
  description,
});
const payload = { long: "payload", value: "<json>", description: "the run's payload (JSON)" };
const key = {
  long: "key",
  value: "<key>",
  description: "idempotency key: a key used before answers with that run",
};
const wait = {
  long: "wait",
  description: "wait for the run to end; exit 0 if it succeeded, 1 if not",
};

/** The flows' commands. */
export const FLOW_COMMANDS: readonly ClientCommand[] = [
  {
    name: "flows",
    aliases: [],
    description: "the flows: schedule, next run, last status, recent runs, paused",
    args: [],
    options: [json],
    run: async (io, _a, o, g) => (await flows()).flowsCommand(io, { ...client(g), json: !!o.json }),
  },
  {
    name: "runs",
    aliases: [],
    description: "recent runs of all flows, or of one: RUN FLOW STATUS TRIGGER STARTED TOOK",
    args: [arg("flow", false, "only this flow's runs")],
    options: [
      { long: "status", value: "<status>", description: "only these (comma-separated)" },
      { long: "since", value: "<when>", description: "only runs since then: 1h, or an ISO time" },
      { long: "limit", short: "n", value: "<n>", description: "at most n runs (50)" },
      json,
    ],
    run: async (io, a, o, g) =>
      (await flows()).runsCommand(io, a[0], {
        ...client(g),
        status: str(o.status),
        since: str(o.since),
        limit: str(o.limit),
        json: !!o.json,
      }),
  },
  {
    name: "run",
    aliases: [],
    description: "a run: show ID, cancel ID, retry ID [--from TASK]; or run --jobs DIR " +
      "(Petit's: the scheduler over a jobs directory)",
    args: [arg("action", false, "show, cancel or retry"), arg("id", false, "the run's id")],
    options: [
      { long: "from", value: "<task>", description: "retry: from this task (default the failed)" },
      { long: "only", description: "retry: that task alone, not what follows it" },
      wait,
      json,
      {
        long: "jobs",
        value: "<dir>",
        description: "run the scheduler over this directory of job files",
        slow: true,
      },
      {
        long: "db",
        value: "<file>",
        description: "--jobs: the history database (default .orch/history.db)",
        slow: true,
      },
      {
        long: "trigger",
        value: "<job>",
        description: "--jobs: run this job once and exit with its status",
        slow: true,
      },
      {
        long: "api",
        description: "--jobs: serve the control API (the socket; --listen for TCP)",
        slow: true,
      },
      {
        long: "listen",
        value: "<host:port>",
        description: "--jobs --api: also on TCP, with bearer tokens",
        slow: true,
      },
      {
        long: "max-executors",
        value: "<n>",
        description: "--jobs: tasks at once (default: the cores)",
        slow: true,
      },
      { long: "no-color", description: "--jobs: no colour", slow: true },
    ],
    run: async (io, a, o, g) => {
      if (typeof o.jobs === "string") {
        const jobs = await import("./jobs.ts");
        return await jobs.runJobsCommand(io, {
          jobs: o.jobs,
          db: str(o.db),
          trigger: str(o.trigger),
          maxExecutors: str(o.maxExecutors),
          json: !!o.json,
          color: o.color !== false,
          api: !!o.api,
          listen: str(o.listen),
          token: g.token,
        });
      }
      if (a[0] === undefined) {
        throw new (await import("../domain/mod.ts")).UsageError(
          "orch run needs show|cancel|retry ID, or --jobs DIR",
        );
      }
      return (await flows()).runActionCommand(io, a[0], a[1], {
        ...client(g),
        from: str(o.from),
        only: !!o.only,
        wait: !!o.wait,
        json: !!o.json,
      });
    },
  },
  {
    name: "flow",
    aliases: [],
    description: "flow run FLOW [--payload JSON] [--wait]: a manual run of a flow",
    args: [arg("action", true, "run"), arg("flow", true)],
    options: [payload, key, wait, json],
    run: async (io, a, o, g) =>
      (await flows()).flowRunCommand(io, a[0], a[1], {
        ...client(g),
        payload: str(o.payload),
        key: str(o.key),
        wait: !!o.wait,
        json: !!o.json,
      }),
  },
  {
    name: "trigger",
    aliases: [],
    description: "publish an event (Conducktor's trigger): every flow listening to it runs",
    args: [arg("event", true)],
    options: [payload, key, json],
    run: async (io, a, o, g) =>
      (await flows()).triggerCommand(io, a[0], {
        ...client(g),
        payload: str(o.payload),
        key: str(o.key),
        json: !!o.json,
      }),
  },
  {
    name: "exec",
    aliases: [],
    description: "exec [OPTIONS] -- CMD [ARGS...]: run one command in an executor (Conducktor's " +
      "run), recorded as a run of @exec; its output and exit status are orch's",
    args: [{ name: "command", required: true, variadic: true, description: "CMD [ARGS...]" }],
    options: [
      {
        long: "env",
        short: "e",
        value: "<k=v>",
        repeat: true,
        description: "set K=V (K: as here)",
      },
      { long: "timeout", value: "<duration>", description: "stop its process group after this" },
      { long: "cwd", value: "<dir>", description: "run it there (default: here; remote: project)" },
      { long: "slot", value: "<pool=n>", repeat: true, description: "hold slots of a pool" },
      { long: "db", value: "<file>", description: "no orch running: this history database" },
    ],
    run: async (io, a, o, g) =>
      (await import("./exec.ts")).execCommand(io, a, {
        ...client(g),
        env: list(o.env),
        timeout: str(o.timeout),
        cwd: str(o.cwd),
        slot: list(o.slot),
        db: str(o.db),
      }),
  },
  {
    name: "scheduler",
    aliases: [],
    description: "the scheduler: status, pause [FLOW], resume [FLOW] (all flows without one)",
    args: [arg("action", false, "status (default), pause or resume"), arg("flow", false)],
    options: [json],
    run: async (io, a, o, g) =>
      (await flows()).schedulerCommand(io, a[0], a[1], { ...client(g), json: !!o.json }),
  },
];
