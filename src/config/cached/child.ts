/**
 * The config loader as a short-lived process (`main.ts __load-config`): it reads a
 * {@link LoadRequest} as JSON on stdin and writes the cache entry of the loaded project (the
 * project encoded, and what the load depended on) as JSON on stdout, or `{}` when it could not
 * load it. The process that asked keeps none of the parsers and schemas in its memory; errors are
 * not reported here: the asking process loads again to report them, located.
 *
 * @module
 */
import { loadRecorded, type LoadRequest } from "./load.ts";

/** Runs the loader on stdin's request; returns the exit status (0 whenever it answered). */
export async function runLoaderChild(): Promise<number> {
  let answer = "{}";
  try {
    const request = JSON.parse(await new Response(Deno.stdin.readable).text()) as LoadRequest;
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
