/**
 * The Compose project's networks as orch's stack `networks`: the `default` network every service
 * without `networks` joins (named PROJECT_default, as Compose names it), and the declared ones.
 *
 * @module
 */
import type { ConfigIssue } from "../../domain/mod.ts";
import type { Locator } from "../source.ts";
import { issueAt, type PathMap } from "./foreign.ts";

const MAPPED = new Set(["name", "driver", "external", "internal", "labels"]);

/** Translates a unit's networks; undefined when no service uses one. */
export function translateComposeNetworks(
  unit: {
    readonly file: string;
    readonly locate: Locator;
    readonly networks: Record<string, Record<string, unknown>>;
  },
  services: Record<string, unknown>,
  map: PathMap,
  report: { warn: (issue: ConfigIssue) => void },
): Record<string, unknown> | undefined {
  const used = new Set<string>();
  for (const svc of Object.values(services)) {
    const nets = (svc as { networks?: Record<string, unknown> }).networks;
    for (const key of Object.keys(nets ?? {})) used.add(key);
  }
  const out: Record<string, unknown> = Object.create(null);
  for (const [key, n] of Object.entries(unit.networks)) {
    const spec: Record<string, unknown> = {};
    if (typeof n.name === "string") spec.name = n.name;
    if (typeof n.driver === "string") spec.driver = n.driver;
    if (n.external) {
      spec.external = true;
      if (typeof n.external === "object") {
        const named = (n.external as { name?: unknown }).name;
        if (typeof named === "string") spec.name = named;
      }
    }
    if (typeof n.internal === "boolean") spec.internal = n.internal;
    if (n.labels !== undefined) {
      spec.labels = Array.isArray(n.labels)
        ? Object.fromEntries(n.labels.map((l: string) => {
          const eq = l.indexOf("=");
          return eq < 0 ? [l, ""] : [l.slice(0, eq), l.slice(eq + 1)];
        }))
        : n.labels;
    }
    for (const extra of Object.keys(n).filter((k) => !MAPPED.has(k))) {
      report.warn(
        issueAt(
          unit.file,
          unit.locate,
          ["networks", key, extra],
          `${extra} is not supported: the network is created without it`,
        ),
      );
    }
    out[key] = spec;
    map.set(["networks", key], ["networks", key], { descend: true });
  }
  if (used.has("default") && !("default" in out)) out.default = {};
  return Object.keys(out).length > 0 ? out : undefined;
}
