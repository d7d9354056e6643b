/**
 * The probe targets of one instance: per-instance variables expanded, a `cmd` probe with
 * `inContainer` run through the container, and an http or tcp probe on a port that orch routes sent
 * to the instance itself (the mesh only forwards to replicas already ready).
 *
 * @module
 */
import {
  type Command,
  type Health,
  instanceProbes,
  parseHostPort,
  type ProbeAlias,
  type Service,
} from "../domain/mod.ts";
import { directAddress } from "./mesh.ts";
import type { Handle, ProbeTarget } from "./ports.ts";

/** What the targets are built from. */
export interface TargetContext {
  readonly service: Service;
  readonly replica: number;
  readonly handle: Handle | undefined;
  readonly vars: Readonly<Record<string, string>>;
  readonly env: Readonly<Record<string, string>>;
}

/** `http://localhost:8080/health` to the instance's own address when orch routes 8080. */
function directUrl(url: string, ctx: TargetContext): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  const port = Number(parsed.port || (parsed.protocol === "https:" ? 443 : 80));
  const host = parsed.hostname.replace(/^\[|\]$/g, "");
  const direct = directAddress(ctx.service, ctx.replica, ctx.handle?.endpoints, host, port);
  if (!direct) return url;
  parsed.hostname = direct.hostname.includes(":") ? `[${direct.hostname}]` : direct.hostname;
  parsed.port = String(direct.port);
  return parsed.toString();
}

function directTcp(address: string, ctx: TargetContext): string {
  const parsed = parseHostPort(address);
  if (!parsed) return address;
  const direct = directAddress(
    ctx.service,
    ctx.replica,
    ctx.handle?.endpoints,
    parsed.host,
    parsed.port,
  );
  if (!direct) return address;
  return direct.hostname.includes(":")
    ? `[${direct.hostname}]:${direct.port}`
    : `${direct.hostname}:${direct.port}`;
}

/** The polled probes of `health` for one instance. */
export function probeTargets(
  health: Health,
  ctx: TargetContext,
): Partial<Record<ProbeAlias, ProbeTarget>> {
  const probes = instanceProbes(health, ctx.vars);
  const targets: Partial<Record<ProbeAlias, ProbeTarget>> = {};
  if (probes.http) {
    targets.http = {
      kind: "http",
      probe: { ...probes.http, url: directUrl(probes.http.url, ctx) },
    };
  }
  if (probes.tcp) {
    targets.tcp = { kind: "tcp", probe: { address: directTcp(probes.tcp.address, ctx) } };
  }
  if (probes.cmd) {
    const handle = ctx.handle;
    const inside = probes.cmd.inContainer && handle?.exec
      ? {
        runner: { run: (command: Command, o: { timeoutMs: number }) => handle.exec!(command, o) },
      }
      : {};
    targets.cmd = {
      kind: "cmd",
      probe: probes.cmd,
      cwd: ctx.service.workdir,
      env: ctx.env,
      ...inside,
    };
  }
  return targets;
}
