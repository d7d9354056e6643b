/**
 * Summarizes a V8 CPU profile (`deno run --cpu-prof`): the functions with the most self time, the
 * same by file (orch's modules, each npm package, Deno's own code, V8's (program) and (garbage
 * collector)), and the inclusive time of orch's functions, as markdown tables.
 *
 * Run: `deno run -A bench/cpuprofile.ts FILE.cpuprofile [--top 25]`
 */

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Where a frame's code lives, short: `src/log/hub.ts`, `npm:yaml`, `ext:deno_io`, `(gc)`. */
export function placeOf(frame: CallFrame): string {
  const url = frame.url;
  if (!url) return frame.functionName.startsWith("(") ? frame.functionName : "(native)";
  const npm = /\/npm\/registry\.npmjs\.org\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (npm) return `npm:${npm[1]}`;
  if (url.startsWith("ext:") || url.startsWith("node:")) return url.split("/")[0];
  const src = /\/((?:src|bench|tests)\/.*|main\.ts)$/.exec(url);
  return src ? src[1] : url.slice(url.lastIndexOf("/") + 1);
}

/** Self and inclusive milliseconds per node id. */
function times(profile: Profile): { self: Map<number, number>; total: Map<number, number> } {
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    // A sample's time is the delta to the next sample.
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    self.set(id, (self.get(id) ?? 0) + dt);
  }
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const total = new Map<number, number>();
  const visit = (id: number): number => {
    const node = byId.get(id)!;
    let t = self.get(id) ?? 0;
    for (const child of node.children ?? []) t += visit(child);
    total.set(id, t);
    return t;
  };
  visit(profile.nodes[0].id);
  return { self, total };
}

/** The markdown summary of a profile. */
export function summarize(profile: Profile, top = 25): string {
  const { self, total } = times(profile);
  const wall = (profile.endTime - profile.startTime) / 1000;
  const fnSelf = new Map<string, number>();
  const placeSelf = new Map<string, number>();
  const fnTotal = new Map<string, number>();
  // Inclusive time counted once per function even when it recurses: the outermost frame only.
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const walk = (id: number, open: Set<string>) => {
    const node = byId.get(id)!;
    const f = node.callFrame;
    const place = placeOf(f);
    const key = `${f.functionName || "(anonymous)"} ${place}:${f.lineNumber + 1}`;
    fnSelf.set(key, (fnSelf.get(key) ?? 0) + (self.get(id) ?? 0));
    placeSelf.set(place, (placeSelf.get(place) ?? 0) + (self.get(id) ?? 0));
    const fresh = !open.has(key);
    if (fresh && /^(src\/|main\.ts)/.test(place)) {
      fnTotal.set(key, (fnTotal.get(key) ?? 0) + (total.get(id) ?? 0));
    }
    if (fresh) open.add(key);
    for (const child of node.children ?? []) walk(child, open);
    if (fresh) open.delete(key);
  };
  walk(profile.nodes[0].id, new Set());
  const sampled = [...self.values()].reduce((a, b) => a + b, 0);
  const table = (title: string, rows: Map<string, number>, n: number) => {
    const sorted = [...rows].filter(([, ms]) => ms > 0).sort((a, b) => b[1] - a[1]).slice(0, n);
    return [
      `| ${title} | ms | % of samples |`,
      "| --- | --- | --- |",
      ...sorted.map(([k, ms]) =>
        `| \`${k.replaceAll("|", "\\|")}\` | ${ms.toFixed(1)} | ${
          (ms / sampled * 100).toFixed(1)
        } |`
      ),
    ].join("\n");
  };
  return [
    `Profile of ${wall.toFixed(0)} ms, ${sampled.toFixed(0)} ms in samples.`,
    "",
    table("by file (self time)", placeSelf, top),
    "",
    table("function (self time)", fnSelf, top),
    "",
    table("orch's functions (inclusive time)", fnTotal, top),
  ].join("\n");
}

if (import.meta.main) {
  const file = Deno.args.find((a) => !a.startsWith("--"));
  if (!file) throw new Error("usage: bench/cpuprofile.ts FILE.cpuprofile [--top N]");
  const at = Deno.args.indexOf("--top");
  const top = at >= 0 ? Number(Deno.args[at + 1]) : 25;
  console.log(summarize(JSON.parse(await Deno.readTextFile(file)), top));
}
