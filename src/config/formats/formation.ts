/**
 * Foreman's formation (`-m web=2,worker=1`): instances per Procfile process type. Apart from the
 * Procfile loader, so that reading the option loads no parser.
 *
 * @module
 */

/** Parses `web=2,worker=1` (foreman's `-m`); throws a message on a malformed entry. */
export function parseFormation(text: string): Record<string, number> {
  const out: Record<string, number> = Object.create(null);
  for (const part of text.split(",").map((p) => p.trim()).filter(Boolean)) {
    const m = /^([A-Za-z0-9_-]+)=(\d+)$/.exec(part);
    if (!m) throw new Error(`"${part}" is not NAME=COUNT`);
    out[m[1]] = Number(m[2]);
  }
  return out;
}
