/**
 * Command probe: ok when the command exits 0 within the timeout.
 *
 * @module
 */
import type { CmdProbe } from "../domain/mod.ts";
import type { CommandRunner, ProbeResult } from "../engine/mod.ts";

/** Runs the command once. */
export async function checkCmd(
  probe: CmdProbe,
  runner: CommandRunner,
  options: {
    cwd: string;
    env: Readonly<Record<string, string>>;
    timeoutMs: number;
    signal?: AbortSignal;
  },
): Promise<ProbeResult> {
  const started = performance.now();
  const result = await runner.run(probe.command, options);
  const latencyMs = Math.round(performance.now() - started);
  if (result.error) return { outcome: "error", detail: result.error, latencyMs };
  if (result.timedOut) {
    return { outcome: "fail", detail: `timeout after ${options.timeoutMs}ms`, latencyMs };
  }
  const tail = result.output.split("\n").pop()?.slice(0, 120) ?? "";
  return result.code === 0 ? { outcome: "ok", detail: "exit code 0", latencyMs } : {
    outcome: "fail",
    detail: `exit code ${result.code ?? "?"}${tail ? `: ${tail}` : ""}`,
    latencyMs,
  };
}
