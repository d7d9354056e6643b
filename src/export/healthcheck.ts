/**
 * orch's probes as one command run inside the container (Docker's HEALTHCHECK, for Compose and
 * Swarm): `cmd` as it is, `http` with wget and `tcp` with nc against the container's own port (the
 * image must have them, as busybox and alpine do), combined with the health expression.
 *
 * @module
 */
import {
  argvOf,
  type HealthExpr,
  parseHostPort,
  type ProbeAlias,
  type Service,
  type Stack,
} from "../domain/mod.ts";
import { containerPortFor, literal } from "./notes.ts";

/** How long a container may take to pass its first check (Docker's start period beyond grace). */
export const STARTUP_BUDGET_MS = 300_000;

/** A Docker health check: the test and its timing in milliseconds. */
export interface DockerHealth {
  /** `["CMD", ...]` or `["CMD-SHELL", "..."]`. */
  readonly test: readonly string[];
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly startPeriodMs: number;
}

function quote(word: string): string {
  return /^[A-Za-z0-9_\/.:=@%+,-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

/** The service's probes as a Docker health check, or undefined (with notes) when there is none. */
export function dockerHealth(
  svc: Service,
  stack: Stack,
  note: (message: string) => void,
): DockerHealth | undefined {
  const h = svc.health;
  if (!h) return undefined;
  const shell = new Map<ProbeAlias, string>();
  let exec: string[] | undefined;
  if (h.cmd) {
    const argv = argvOf(h.cmd.command).map((a) => literal(a, svc, stack, note));
    if (!h.cmd.inContainer) note("the cmd probe runs inside the container, not on the host");
    shell.set(
      "cmd",
      "shell" in h.cmd.command
        ? literal(h.cmd.command.shell, svc, stack, note)
        : argv.map(quote).join(" "),
    );
    exec = argv;
  }
  if (h.http) {
    const url = new URL(literal(h.http.url, svc, stack, note));
    const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
    const inside = containerPortFor(svc, url.hostname.replace(/^\[|\]$/g, ""), port);
    if (inside === undefined) {
      note(
        `the http probe ${url.href} does not reach a published port of the container: not checked`,
      );
    } else {
      url.hostname = "127.0.0.1";
      url.port = String(inside);
      shell.set("http", `wget -q -O /dev/null ${quote(url.href)}`);
      note("the http probe runs wget inside the container (the image needs it)");
    }
  }
  if (h.tcp) {
    const addr = parseHostPort(literal(h.tcp.address, svc, stack, note));
    const inside = addr && containerPortFor(svc, addr.host, addr.port);
    if (inside === undefined || inside === null) {
      note(
        `the tcp probe ${h.tcp.address} does not reach a published port of the container: not checked`,
      );
    } else {
      shell.set("tcp", `nc -z 127.0.0.1 ${inside}`);
      note("the tcp probe runs nc inside the container (the image needs it)");
    }
  }
  if (h.log) note("the log probe cannot be a health check: not checked");
  if (h.successThreshold > 1) {
    note(`successThreshold ${h.successThreshold}: Docker counts one success`);
  }
  const expr: HealthExpr | undefined = h.expression;
  const render = (e: HealthExpr): string | undefined => {
    if (e.op === "probe") return shell.get(e.name);
    const l = render(e.left);
    const r = render(e.right);
    if (l === undefined || r === undefined) return l ?? r;
    return `(${l}) ${e.op === "and" ? "&&" : "||"} (${r})`;
  };
  let test: string[] | undefined;
  if (!expr && shell.size === 1 && exec && shell.has("cmd") && !("shell" in h.cmd!.command)) {
    test = ["CMD", ...exec];
  } else {
    const text = expr
      ? render(expr)
      : [...shell.values()].map((s) => shell.size > 1 ? `(${s})` : s).join(" && ");
    if (text) test = ["CMD-SHELL", text];
  }
  if (!test) return undefined;
  return {
    test,
    intervalMs: h.intervalMs,
    timeoutMs: h.timeoutMs,
    retries: h.failureThreshold,
    // orch does not count failures before the first success; Docker does after its start period.
    startPeriodMs: h.gracePeriodMs + STARTUP_BUDGET_MS,
  };
}

/** Milliseconds as a Go duration string (`1500ms`, `30s`). */
export function goDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
