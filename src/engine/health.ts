/**
 * Health of one instance: runs the polled probes on their interval (after the grace period), feeds
 * the log probe from the log stream, applies success and failure thresholds per probe, and combines
 * the verdicts with the expression. It reports changes; the supervisor decides what they mean.
 *
 * @module
 */
import { evaluateHealthExpr, type Health, type ProbeAlias } from "../domain/mod.ts";
import type { Clock, Prober, ProbeResult, ProbeTarget } from "./ports.ts";

interface ProbeState {
  verdict: boolean | undefined;
  successes: number;
  failures: number;
  last: ProbeResult | undefined;
}

/** What the monitor tells the engine. */
export interface HealthListener {
  /** Every probe run, for events and metrics. */
  onResult(probe: ProbeAlias, result: ProbeResult): void;
  /** The combined verdict changed. */
  onChange(healthy: boolean, detail: string): void;
}

/** Watches one instance. */
export class HealthMonitor {
  readonly #health: Health;
  readonly #prober: Prober;
  readonly #clock: Clock;
  readonly #listener: HealthListener;
  readonly #targets: Partial<Record<ProbeAlias, ProbeTarget>>;
  readonly #states = new Map<ProbeAlias, ProbeState>();
  readonly #cancels = new Map<ProbeAlias, () => void>();
  readonly #abort = new AbortController();
  readonly #logPattern: RegExp | undefined;
  #healthy = false;
  #stopped = false;

  constructor(
    health: Health,
    targets: Partial<Record<ProbeAlias, ProbeTarget>>,
    deps: { prober: Prober; clock: Clock; listener: HealthListener },
  ) {
    this.#health = health;
    this.#targets = targets;
    this.#prober = deps.prober;
    this.#clock = deps.clock;
    this.#listener = deps.listener;
    for (const alias of this.configured()) {
      this.#states.set(alias, { verdict: undefined, successes: 0, failures: 0, last: undefined });
    }
    this.#logPattern = health.log ? new RegExp(health.log.pattern) : undefined;
  }

  /** The probes this service has. */
  configured(): ProbeAlias[] {
    return (["http", "tcp", "cmd", "log"] as const).filter((p) => this.#health[p] !== undefined);
  }

  /** Whether the combined verdict is healthy now. */
  get healthy(): boolean {
    return this.#healthy;
  }

  /** Starts polling after the grace period. */
  start(): void {
    for (const alias of ["http", "tcp", "cmd"] as const) {
      const target = this.#targets[alias];
      if (!target) continue;
      const loop = async () => {
        if (this.#stopped) return;
        const result = await this.#prober.check(target, {
          timeoutMs: this.#health.timeoutMs,
          signal: this.#abort.signal,
        });
        if (this.#stopped) return;
        this.#record(alias, result);
        this.#cancels.set(alias, this.#clock.setTimer(this.#health.intervalMs, loop));
      };
      this.#cancels.set(alias, this.#clock.setTimer(this.#health.gracePeriodMs, loop));
    }
  }

  /** Feeds one log line to the log probe. */
  logLine(stream: "stdout" | "stderr", line: string): void {
    if (this.#stopped || !this.#logPattern || !this.#health.log!.sources.includes(stream)) return;
    const state = this.#states.get("log")!;
    if (state.verdict) return;
    if (this.#logPattern.test(line)) {
      this.#record("log", { outcome: "ok", detail: `matched: ${line.slice(0, 80)}`, latencyMs: 0 });
    }
  }

  /** The last result of a probe, for messages. */
  last(alias: ProbeAlias): ProbeResult | undefined {
    return this.#states.get(alias)?.last;
  }

  /** A short account of failing probes: `probe tcp: connection refused`. */
  describe(): string {
    const parts: string[] = [];
    for (const [alias, state] of this.#states) {
      if (state.verdict === true) continue;
      const detail = state.last?.detail ??
        (alias === "log" ? "no matching line yet" : "not run yet");
      parts.push(`probe ${alias}: ${detail}`);
    }
    return parts.join(", ");
  }

  #record(alias: ProbeAlias, result: ProbeResult): void {
    const state = this.#states.get(alias)!;
    state.last = result;
    if (result.outcome === "ok") {
      state.successes++;
      state.failures = 0;
      if (state.successes >= this.#health.successThreshold) state.verdict = true;
    } else if (result.outcome === "fail") {
      state.failures++;
      state.successes = 0;
      if (state.failures >= this.#health.failureThreshold) state.verdict = false;
    }
    this.#listener.onResult(alias, result);
    const healthy = this.#health.expression
      ? evaluateHealthExpr(this.#health.expression, (p) => this.#states.get(p)?.verdict)
      : [...this.#states.values()].every((s) => s.verdict === true);
    if (healthy !== this.#healthy) {
      this.#healthy = healthy;
      this.#listener.onChange(
        healthy,
        healthy ? `probe ${alias}: ${result.detail}` : this.describe(),
      );
    }
  }

  /** Stops polling and cancels probes in flight. */
  stop(): void {
    this.#stopped = true;
    this.#abort.abort();
    for (const cancel of this.#cancels.values()) cancel();
    this.#cancels.clear();
  }
}
