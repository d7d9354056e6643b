/**
 * TCP probe: ok when the address accepts a connection.
 *
 * @module
 */
import { parseHostPort, type TcpProbe } from "../domain/mod.ts";
import type { ProbeResult } from "../engine/mod.ts";
import { describeNetworkError } from "./errors.ts";

/** Opens and closes one connection. */
export async function checkTcp(
  probe: TcpProbe,
  options: { timeoutMs: number },
): Promise<ProbeResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const target = parseHostPort(probe.address);
  if (!target) return { outcome: "error", detail: `bad address "${probe.address}"`, latencyMs: 0 };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const connecting = Deno.connect({ hostname: target.host, port: target.port });
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), options.timeoutMs);
  });
  try {
    const result = await Promise.race([connecting, timeout]);
    if (result === "timeout") {
      connecting.then((c) => c.close(), () => {});
      return {
        outcome: "fail",
        detail: `timeout after ${options.timeoutMs}ms`,
        latencyMs: elapsed(),
      };
    }
    result.close();
    return {
      outcome: "ok",
      detail: `connected to ${target.host}:${target.port}`,
      latencyMs: elapsed(),
    };
  } catch (error) {
    return { outcome: "fail", detail: describeNetworkError(error), latencyMs: elapsed() };
  } finally {
    clearTimeout(timer);
  }
}
