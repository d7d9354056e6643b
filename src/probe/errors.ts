/**
 * Short, stable wording for network errors: `connection refused`, `no route to host`.
 *
 * @module
 */

/**
 * Describes a connect or fetch error in a few words. A fetch that fails says only `fetch failed`:
 * what happened is in its `cause` (and the cause's), which are read too.
 */
export function describeNetworkError(error: unknown): string {
  const messages: string[] = [];
  for (let e: unknown = error, depth = 0; e !== undefined && depth < 5; depth++) {
    messages.push(String((e as Error)?.message ?? e));
    e = (e as Error)?.cause;
  }
  const text = messages.length > 1 && /^fetch failed$/i.test(messages[0])
    ? messages.slice(1).join(": ")
    : messages.join(": ");
  const known: [RegExp, string][] = [
    [/refused/i, "connection refused"],
    [/reset/i, "connection reset"],
    [/unreachable|no route/i, "host unreachable"],
    [/dns|lookup|name or service|failed to lookup/i, "host not found"],
    [/timed? ?out/i, "timeout"],
    [/certificate|tls|ssl/i, "TLS error"],
  ];
  for (const [pattern, words] of known) if (pattern.test(text)) return words;
  return text.split("\n")[0].slice(0, 200);
}
