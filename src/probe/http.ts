/**
 * HTTP probe: ok when the answer's status is expected (any 2xx or 3xx when none is listed).
 *
 * @module
 */
import type { HttpProbe } from "../domain/mod.ts";
import type { ProbeResult } from "../engine/mod.ts";
import { describeNetworkError } from "./errors.ts";

/** Sends one request. */
export async function checkHttp(
  probe: HttpProbe,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<ProbeResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const signals = [AbortSignal.timeout(options.timeoutMs)];
  if (options.signal) signals.push(options.signal);
  try {
    const response = await fetch(probe.url, {
      method: probe.method,
      headers: { "user-agent": "orch-probe", ...probe.headers },
      redirect: "manual",
      signal: AbortSignal.any(signals),
    });
    await response.body?.cancel();
    const ok = probe.expectStatus.length > 0
      ? probe.expectStatus.includes(response.status)
      : response.status >= 200 && response.status < 400;
    return {
      outcome: ok ? "ok" : "fail",
      detail: `${response.status} ${response.statusText}`.trim(),
      latencyMs: elapsed(),
    };
  } catch (error) {
    if ((error as Error)?.name === "TimeoutError") {
      return {
        outcome: "fail",
        detail: `timeout after ${options.timeoutMs}ms`,
        latencyMs: elapsed(),
      };
    }
    return { outcome: "fail", detail: describeNetworkError(error), latencyMs: elapsed() };
  }
}
