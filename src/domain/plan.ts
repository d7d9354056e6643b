/**
 * What `apply` would do: the services added, removed, changed (and which fields), rescaled, and left
 * alone, from the running stack and a new one. Pure.
 *
 * @module
 */
import type { Service, Stack } from "./model.ts";

/** A service whose definition changed. */
export interface ServiceChange {
  readonly service: string;
  /** Top-level fields that differ, e.g. `command`, `env`. */
  readonly fields: readonly string[];
  /** How the running instances get replaced. */
  readonly strategy: "rolling" | "recreate";
}

/** The plan of an apply. */
export interface Plan {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly ServiceChange[];
  readonly scaled: readonly { service: string; from: number; to: number }[];
  readonly unchanged: readonly string[];
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v) => {
    if (v === Infinity) return "Infinity";
    if (v && typeof v === "object" && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)));
    }
    return v;
  });
}

/** The fields of two definitions of a service that differ (replicas aside). */
export function changedFields(a: Service, b: Service): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  keys.delete("replicas");
  return [...keys].filter((k) =>
    canonical((a as unknown as Record<string, unknown>)[k]) !==
      canonical((b as unknown as Record<string, unknown>)[k])
  ).sort();
}

/** The first 16 hex digits of the SHA-256 of `text`: a short, stable name for it. */
export async function shortHash(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest).slice(0, 8)].map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

/** A stable hash of a service's definition (replicas aside), for labels and comparisons. */
export function configHash(service: Service): Promise<string> {
  const { replicas: _replicas, ...rest } = service;
  return shortHash(canonical(rest));
}

/** Compares the running stack with a new one. Disabled services count as absent. */
export function plan(current: Stack, next: Stack): Plan {
  const live = (stack: Stack) =>
    new Map(Object.values(stack.services).filter((s) => s.enabled).map((s) => [s.name, s]));
  const before = live(current);
  const after = live(next);
  const added: string[] = [];
  const changed: ServiceChange[] = [];
  const scaled: { service: string; from: number; to: number }[] = [];
  const unchanged: string[] = [];
  for (const [name, svc] of after) {
    const old = before.get(name);
    if (!old) {
      added.push(name);
      continue;
    }
    const fields = changedFields(old, svc);
    if (fields.length > 0) {
      changed.push({ service: name, fields, strategy: svc.update.strategy });
    } else if (old.replicas !== svc.replicas) {
      scaled.push({ service: name, from: old.replicas, to: svc.replicas });
    } else unchanged.push(name);
  }
  const removed = [...before.keys()].filter((name) => !after.has(name));
  return { added, removed, changed, scaled, unchanged };
}

/** Whether a plan changes anything. */
export function isEmpty(p: Plan): boolean {
  return p.added.length + p.removed.length + p.changed.length + p.scaled.length === 0;
}
