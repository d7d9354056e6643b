/**
 * Short, stable wording for network errors: `connection refused`, `no route to host`.
 *
 * @module
 */

/** Describes a connect or fetch error in a few words. */
export function describeNetworkError(error: unknown): string {
  const text = String((error as Error)?.message ?? error);
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
