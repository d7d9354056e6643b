/**
 * orch and its peers behind one interface: write a config for a set of services, start the
 * manager, find its own processes, stop it. Peers: supervisord, s6 (s6-svscan), pm2, concurrently,
 * and the limit (a shell that starts the same commands and waits).
 *
 * @module
 */
import { has, killGroup, ORCH, processes, run, spawn, tree, until } from "./lib.ts";

/** One service: a shell command. */
export interface Svc {
  readonly name: string;
  readonly command: string;
}

/** How to run the services. */
export interface RunOptions {
  /** Restart a service that exits (the crash-loop scenario). */
  readonly restart?: boolean;
  /** Seconds between SIGTERM and SIGKILL. */
  readonly stopTimeoutS?: number;
}

/** A running manager. */
export interface Running {
  /** The manager's own processes (not the services). */
  managerPids(): number[];
  /** Asks the manager to stop everything; resolves when the manager has exited. */
  stop(): Promise<void>;
  /** Kills the manager and whatever is left, for cleanup. */
  kill(): Promise<void>;
  /** Files holding the services' output (for the log scenario), oldest first. */
  readonly logFiles: string[];
  /** For a manager that exits by itself once its services have: resolves then. */
  readonly exited?: Promise<unknown>;
}

/** A tool under test. */
export interface Tool {
  readonly name: string;
  readonly version: () => Promise<string>;
  available(): boolean;
  /** Work done before the timed launch (none for most tools). */
  prepare?(dir: string, services: readonly Svc[], options?: RunOptions): Promise<void>;
  start(dir: string, services: readonly Svc[], options?: RunOptions): Promise<Running>;
}

const q = (s: string) => `'${s.replaceAll("'", `'"'"'`)}'`;

function managerOf(pid: number, servicesMarker: (cmd: string) => boolean): number[] {
  return tree(pid).filter((p) => !servicesMarker(p.cmdline)).map((p) => p.pid);
}

async function waitExit(child: Deno.ChildProcess, timeoutMs = 30_000): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    child.status,
    new Promise((
      _,
      reject,
    ) => (timer = setTimeout(() => reject(new Error("did not exit")), timeoutMs))),
  ]).finally(() => clearTimeout(timer));
}

const isService = (services: readonly Svc[]) => (cmd: string) =>
  services.some((s) => cmd.includes(s.command.slice(0, 40))) || /\bsleep \d/.test(cmd);

/** orch's config for `services`, written to `dir/stack.yaml`. */
async function writeOrchConfig(dir: string, services: readonly Svc[], options: RunOptions) {
  const restart = options.restart
    ? `    restartPolicy: { policy: always, maxRetries: unlimited }\n`
    : `    restartPolicy: { policy: never }\n`;
  const yaml = `services:\n${
    services.map((s) =>
      `  ${s.name}:\n    kind: daemon\n    command: ${JSON.stringify(s.command)}\n${restart}` +
      `    stop: { timeout: ${options.stopTimeoutS ?? 10}s }\n`
    ).join("")
  }`;
  await Deno.writeTextFile(`${dir}/stack.yaml`, yaml);
}

export const orch: Tool = {
  name: "orch",
  version: async () => (await run([...ORCH, "--version"])).trim(),
  available: () => true,
  async start(dir, services, options = {}) {
    await writeOrchConfig(dir, services, options);
    const child = spawn([...ORCH, "up", "--no-tui"], { cwd: dir });
    return {
      managerPids: () => managerOf(child.pid, isService(services)),
      async stop() {
        Deno.kill(child.pid, "SIGTERM");
        await waitExit(child);
      },
      kill: () => killGroup(child),
      // Rotated generations first (orch.ndjson.4 is the oldest).
      logFiles: [4, 3, 2, 1].map((n) => `${dir}/.orch/logs/orch.ndjson.${n}`)
        .concat(`${dir}/.orch/logs/orch.ndjson`),
      // `orch up` exits once nothing is left to run, after writing every record.
      exited: child.status,
    };
  },
};

/**
 * orch in a project whose config it has loaded before (`orch validate`, untimed): the start after
 * the first, from `.orch/cache`, with no loader process. s6's counterpart is its scan directory,
 * which the bench writes for it.
 */
export const orchCached: Tool = {
  ...orch,
  name: "orch (config cached)",
  async prepare(dir, services, options = {}) {
    await writeOrchConfig(dir, services, options);
    await run([...ORCH, "validate"], { cwd: dir });
  },
};

/** Whether `tool` is one of orch's runs (fresh or cached), not a peer. */
export const isOrch = (tool: Tool) => tool === orch || tool === orchCached;

export const supervisord: Tool = {
  name: "supervisord",
  version: async () => `supervisord ${(await run(["supervisord", "--version"])).trim()}`,
  available: () => has("supervisord"),
  async start(dir, services, options = {}) {
    const conf = [
      `[supervisord]\nnodaemon=true\nlogfile=${dir}/supervisord.log\npidfile=${dir}/supervisord.pid\n` +
      `childlogdir=${dir}\n`,
      ...services.map((s) =>
        `[program:${s.name}]\ncommand=sh -c ${
          q(s.command).replaceAll("%", "%%")
        }\nautostart=true\n` +
        `autorestart=${options.restart ? "true" : "false"}\nstartsecs=0\nstartretries=1000000\n` +
        `stopasgroup=true\nkillasgroup=true\nstopwaitsecs=${options.stopTimeoutS ?? 10}\n` +
        `stdout_logfile=${dir}/${s.name}.log\nstdout_logfile_maxbytes=0\nredirect_stderr=true\n`
      ),
    ].join("\n");
    await Deno.writeTextFile(`${dir}/supervisord.conf`, conf);
    const child = spawn(["supervisord", "-c", `${dir}/supervisord.conf`, "-n"], { cwd: dir });
    return {
      managerPids: () => [child.pid],
      async stop() {
        Deno.kill(child.pid, "SIGTERM");
        await waitExit(child, 60_000);
      },
      kill: () => killGroup(child),
      logFiles: services.map((s) => `${dir}/${s.name}.log`),
    };
  },
};

/**
 * s6-svscan over a service directory a service; with `loggers`, each service's output goes to an
 * s6-log of its own (the set-up that persists logs, as orch does), else to s6-svscan's stdout.
 */
function s6Tool(name: string, loggers: boolean): Tool {
  return {
    name,
    version: async () => {
      const text = await run(["dpkg-query", "-W", "-f=${Version}", "s6"]).catch(() => "?");
      return `s6 ${text.trim()}`;
    },
    available: () => has("s6-svscan"),
    async start(dir, services, options = {}) {
      const scan = `${dir}/scan`;
      for (const s of services) {
        const sdir = `${scan}/${s.name}`;
        await Deno.mkdir(loggers ? `${sdir}/log` : sdir, { recursive: true });
        await Deno.writeTextFile(
          `${sdir}/run`,
          `#!/bin/sh\nexec 2>&1\nexec sh -c ${q(s.command)}\n`,
          { mode: 0o755 },
        );
        if (!options.restart) {
          // s6 always restarts; `finish` exiting 125 tells it to stop (s6 >= 2.10).
          await Deno.writeTextFile(`${sdir}/finish`, `#!/bin/sh\nexit 125\n`, { mode: 0o755 });
        }
        await Deno.writeTextFile(
          `${sdir}/timeout-kill`,
          `${(options.stopTimeoutS ?? 10) * 1000}\n`,
        );
        if (!loggers) continue;
        await Deno.writeTextFile(
          `${sdir}/log/run`,
          `#!/bin/sh\nexec s6-log -b n2 s100000000 ${dir}/logs/${s.name}\n`,
          { mode: 0o755 },
        );
        await Deno.mkdir(`${dir}/logs/${s.name}`, { recursive: true });
      }
      const child = spawn(["s6-svscan", scan], { cwd: dir });
      return {
        managerPids: () =>
          processes().filter((p) =>
            /^(s6-svscan|s6-supervise|s6-log)\b/.test(p.cmdline) && p.cmdline.includes(dir) ||
            (p.cmdline.startsWith("s6-supervise") && tree(child.pid).some((t) => t.pid === p.pid))
          ).map((p) => p.pid),
        async stop() {
          await run(["s6-svscanctl", "-t", scan]);
          await waitExit(child, 60_000);
        },
        kill: () => killGroup(child),
        logFiles: loggers ? services.map((s) => `${dir}/logs/${s.name}/current`) : [],
      };
    },
  };
}

export const s6: Tool = s6Tool("s6", true);
/** s6 without its loggers (the fan-out scenario shows both). */
export const s6Bare: Tool = s6Tool("s6 (no loggers)", false);

export const pm2: Tool = {
  name: "pm2",
  version: async () => {
    // `pm2 --version` starts pm2's daemon; it goes again at once, not to idle through the run.
    const env = { PM2_HOME: "/tmp/pm2-version" };
    const text = await run(["pm2", "--version"], { env });
    await run(["pm2", "kill"], { env }).catch(() => "");
    return `pm2 ${text.trim().split("\n").at(-1)}`;
  },
  available: () => has("pm2"),
  async start(dir, services, options = {}) {
    const apps = services.map((s) => ({
      name: s.name,
      script: "/bin/sh",
      args: ["-c", s.command],
      interpreter: "none",
      autorestart: !!options.restart,
      kill_timeout: (options.stopTimeoutS ?? 10) * 1000,
      out_file: `${dir}/${s.name}.log`,
      error_file: `${dir}/${s.name}.log`,
      merge_logs: true,
      treekill: true,
    }));
    await Deno.writeTextFile(
      `${dir}/ecosystem.config.js`,
      `module.exports = ${JSON.stringify({ apps })};\n`,
    );
    const env = { PM2_HOME: `${dir}/.pm2`, HOME: dir, PATH: Deno.env.get("PATH") ?? "" };
    await run(["pm2", "start", `${dir}/ecosystem.config.js`], { cwd: dir, env });
    const god = () => Number(Deno.readTextFileSync(`${dir}/.pm2/pm2.pid`).trim());
    return {
      managerPids: () => [god()],
      async stop() {
        const pid = god();
        await run(["pm2", "kill"], { cwd: dir, env });
        await until("pm2 to exit", () => !processes().some((p) => p.pid === pid), 60_000);
      },
      async kill() {
        await run(["pm2", "kill"], { cwd: dir, env }).catch(() => "");
      },
      logFiles: services.map((s) => `${dir}/${s.name}.log`),
    };
  },
};

export const concurrently: Tool = {
  name: "concurrently",
  version: async () => `concurrently ${(await run(["concurrently", "--version"])).trim()}`,
  available: () => has("concurrently"),
  start(dir, services, options = {}) {
    const args = [
      "concurrently",
      "--raw",
      ...(options.restart ? ["--restart-tries", "-1"] : []),
      "--kill-signal",
      "SIGTERM",
      ...services.map((s) => s.command),
    ];
    const child = spawn(args, { cwd: dir, output: `${dir}/concurrently.log` });
    // sh execs concurrently, so the child's pid is the node process itself.
    return Promise.resolve({
      managerPids: () => [child.pid],
      async stop() {
        Deno.kill(child.pid, "SIGTERM");
        await waitExit(child, 60_000);
      },
      kill: () => killGroup(child),
      logFiles: [`${dir}/concurrently.log`],
    });
  },
};

/** The physical limit: a shell that starts every command in the background and waits. */
export const shell: Tool = {
  name: "limit: sh loop",
  version: () => Promise.resolve("sh"),
  available: () => true,
  async start(dir, services) {
    const script =
      services.map((s) => `sh -c ${q(s.command)} > ${q(`${dir}/${s.name}.log`)} 2>&1 &`)
        .join("\n") + "\nwait\n";
    await Deno.writeTextFile(`${dir}/run.sh`, script);
    const child = spawn(["sh", `${dir}/run.sh`], { cwd: dir });
    return {
      managerPids: () => [child.pid],
      async stop() {
        Deno.kill(-child.pid, "SIGTERM");
        await waitExit(child);
      },
      kill: () => killGroup(child),
      logFiles: services.map((s) => `${dir}/${s.name}.log`),
    };
  },
};

/** Every tool, orch first. */
export const TOOLS: readonly Tool[] = [orch, supervisord, s6, pm2, concurrently];

/** The available tools and the limit; `--tools a,b` keeps only those (and the limit). */
export function selectTools(args: readonly string[]): Tool[] {
  const at = args.indexOf("--tools");
  const only = at >= 0 ? args[at + 1].split(",") : undefined;
  return [...TOOLS.filter((t) => t.available()), shell].filter((t) =>
    !only || t === shell || only.includes(t.name)
  );
}
