/**
 * Normalizing the stack file fields added for interop: networks (the stack's and each service's),
 * a container's entrypoint, and bind mount sources resolved to absolute paths.
 *
 * @module
 */
import { didYouMean, type NetworkAttachment, type NetworkSpec } from "../domain/mod.ts";
import type { FieldPath } from "./source.ts";
import type { ServiceFile, StackFile } from "./schema.ts";

type Report = (path: FieldPath, message: string, hint?: string) => void;

/** The stack's networks, with Docker names (`STACK_KEY` unless named or external). */
export function normalizeNetworks(
  file: StackFile,
  stackName: string,
): Record<string, NetworkSpec> | undefined {
  if (!file.networks) return undefined;
  const out: Record<string, NetworkSpec> = {};
  for (const [key, n] of Object.entries(file.networks)) {
    out[key] = {
      name: n.name ?? (n.external ? key : `${stackName}_${key}`),
      driver: n.driver,
      external: n.external ?? false,
      internal: n.internal ?? false,
      labels: n.labels ?? {},
    };
  }
  return out;
}

function resolveSource(base: string, source: string): string {
  const home = Deno.env.get("HOME") ?? "/";
  const full = source.startsWith("/")
    ? source
    : source === "~" || source.startsWith("~/")
    ? `${home}/${source.slice(1)}`
    : `${base}/${source}`;
  const parts: string[] = [];
  for (const part of full.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return "/" + parts.join("/");
}

/** `./data:/data` -> `/abs/project/data:/data`; named and anonymous volumes stay as written. */
export function resolveVolume(stackDir: string, volume: string): string {
  const colon = volume.indexOf(":");
  if (colon < 0) return volume;
  const source = volume.slice(0, colon);
  const isPath = source.startsWith(".") || source.startsWith("/") || source.startsWith("~");
  return isPath ? `${resolveSource(stackDir, source)}${volume.slice(colon)}` : volume;
}

/** The interop fields of one service, checked against the stack's networks. */
export function serviceInterop(
  svc: ServiceFile,
  options: {
    readonly name: string;
    readonly runtime: "process" | "docker";
    readonly stackDir: string;
    readonly networks: Record<string, NetworkSpec> | undefined;
    readonly at: (...rest: (string | number)[]) => FieldPath;
    readonly report: Report;
  },
): {
  entrypoint?: readonly string[];
  networks?: readonly NetworkAttachment[];
  volumes: readonly string[];
} {
  const { at, report } = options;
  if (svc.entrypoint && options.runtime !== "docker") {
    report(at("entrypoint"), `is only used by runtime "docker"`);
  }
  let networks: NetworkAttachment[] | undefined;
  if (svc.networks) {
    if (options.runtime !== "docker") report(at("networks"), `are only used by runtime "docker"`);
    if (svc.network) {
      report(at("networks"), `cannot be combined with network "${svc.network}"`);
    }
    const known = Object.keys(options.networks ?? {});
    networks = Object.entries(svc.networks).map(([key, spec]) => {
      if (!known.includes(key)) {
        report(
          at("networks", key),
          `unknown network "${key}"`,
          didYouMean(key, known) ?? "declare it under the top-level networks",
        );
      }
      return { network: key, aliases: [...new Set([options.name, ...(spec.aliases ?? [])])] };
    });
  }
  return {
    ...(svc.entrypoint ? { entrypoint: svc.entrypoint } : {}),
    ...(networks ? { networks } : {}),
    volumes: (svc.volumes ?? []).map((v) => resolveVolume(options.stackDir, v)),
  };
}
