/**
 * The config loader as a short-lived process (`main.ts __load-config`): it reads a
 * {@link LoadRequest} as JSON from its environment ({@link LOAD_REQUEST_ENV}: there from its
 * start, where a request on stdin came only once the asking process, busy loading its own modules,
 * got round to closing the pipe: 2-23 ms later) and writes the cache entry of the loaded project
 * (the project encoded, and what the load depended on) as JSON on stdout, or `{}` when it could
 * not load it. The process that asked keeps none of the parsers and schemas in its memory; errors
 * are not reported here: the asking process loads again to report them, located.
 *
 * @module
 */
import { loadRecorded, type LoadRequest } from "./load.ts";

/** The variable the request comes in (it holds paths and load options, no secrets). */
export const LOAD_REQUEST_ENV = "ORCH_LOAD_REQUEST";

/** Runs the loader on the request in its environment; returns its exit status (0 once answered). */
export async function runLoaderChild(): Promise<number> {
  let answer = "{}";
  try {
    const text = Deno.env.get(LOAD_REQUEST_ENV) ?? "";
    // Not seen by the config's own interpolation.
    Deno.env.delete(LOAD_REQUEST_ENV);
    const request = JSON.parse(text) as LoadRequest;
    // Process types are keys: a table without a prototype, as the option's parser makes.
    const formation = request.formation
      ? Object.assign(Object.create(null), request.formation)
      : undefined;
    const { entry } = await loadRecorded(
      { ...request, ...(formation ? { formation } : {}) },
      (name) => Deno.env.get(name),
    );
    if (entry) answer = JSON.stringify(entry);
  } catch {
    // the asking process loads again and reports why
  }
  const bytes = new TextEncoder().encode(answer);
  let at = 0;
  while (at < bytes.length) at += await Deno.stdout.write(bytes.subarray(at));
  return 0;
}
