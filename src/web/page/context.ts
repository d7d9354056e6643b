/// <reference lib="dom" />
/**
 * What every view of the page shares: the client, the session's access level, the latest status
 * (kept live by the events and a slower poll for CPU and memory), the services' definitions, and
 * notifications of changes and of flow events.
 *
 * @module
 */
import type { InstanceStatus } from "../../domain/state.ts";
import type { ServiceSummary } from "../../domain/status.ts";
import type { Api } from "./api.ts";

/** `GET /v1/status`. */
export interface StatusBody {
  readonly stack: string;
  readonly version: string;
  readonly pid: number;
  readonly startedAt: number;
  readonly phase: string;
  readonly now: number;
  readonly services: readonly ServiceSummary[];
  readonly instances: readonly (InstanceStatus & { readonly blocked?: Blocked })[];
}

/** Why a waiting instance waits, as the API gives it (when it does). */
export interface Blocked {
  readonly target: string;
  readonly condition: string;
  readonly because: string;
  readonly detail?: string;
}

/** One service of `GET /v1/services`. */
export interface ServiceInfo {
  readonly name: string;
  readonly kind: string;
  readonly runtime: string;
  readonly replicas: number;
  readonly enabled: boolean;
  readonly dependsOn: readonly string[];
  /** The conditions of the dependencies, when the API gives them. */
  readonly dependencies?: readonly { readonly target: string; readonly condition: string }[];
}

/** A part of the page. */
export interface View {
  readonly element: HTMLElement;
  /** The status changed. */
  update?(): void;
  /** The view is left. */
  dispose?(): void;
}

/** The shared state. */
export interface Context {
  readonly api: Api;
  readonly access: "admin" | "read";
  readonly status: StatusBody | undefined;
  /** The server's time now, from the last status and the time since it came. */
  now(): number;
  readonly services: readonly ServiceInfo[];
  /** Asks for a new status soon (after a change). */
  refresh(): void;
  /** Reads the services' definitions again (after an apply). */
  reloadServices(): Promise<void>;
  /** Listens to run and task events; returns the function that stops it. */
  onFlowEvent(listener: (event: FlowEventData) => void): () => void;
  /** Goes to a route of the page. */
  go(route: string): void;
}

/** A run or task event's data, as far as the page reads it. */
export interface FlowEventData {
  readonly type: "run" | "task";
  readonly flow?: string;
  readonly run?: number;
}

/** Whether the session may change anything; a read-only one sees the buttons disabled. */
export function canChange(context: Context): boolean {
  return context.access === "admin";
}

/** The attributes of an action button: disabled, with the reason, in a read-only session. */
export function actionProps(context: Context): Record<string, unknown> {
  return canChange(context)
    ? {}
    : { disabled: true, title: "read-only session: it cannot change anything" };
}
