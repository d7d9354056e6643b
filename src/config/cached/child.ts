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

/**
 * Reads stdin to its end with plain reads: `new Response(Deno.stdin.readable).text()` costs 3-4 ms
 * of stream set-up in a process that lives 50.
 */
async function readStdin(): Promise<string> {
  const parts: Uint8Array[] = [];
  const buffer = new Uint8Array(16 * 1024);
  let size = 0;
  for (;;) {
    const n = await Deno.stdin.read(buffer);
    if (n === null) break;
    parts.push(buffer.slice(0, n));
    size += n;
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  return new TextDecoder().decode(all);
}

/** Runs the loader on stdin's request; returns the exit status (0 whenever it answered). */
export async function runLoaderChild(): Promise<number> {
  let answer = "{}";
  try {
    const request = JSON.parse(await readStdin()) as LoadRequest;
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
