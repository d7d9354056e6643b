/**
 * The figures of a benchmark run, read back from the Markdown the scenarios print (bench/RESULTS.md):
 * each scenario's first table, its rows (orch, the peers, the limit) and the columns that hold
 * measurements (a number with a unit: `1622 ms`, `81.9 MiB`, `0.00 %`), so that the charts and the
 * README's table come from the same run as RESULTS.md.
 *
 * @module
 */

/** One cell of a measured column: its value in the column's base unit, or why there is none. */
export interface Cell {
  /** The cell as printed. */
  readonly text: string;
  /** The value, in the column's unit (seconds become ms), or undefined (n/a, never, not done). */
  readonly value?: number;
}

/** What a row is: orch, a peer, or the limit (what the machine does without any tool). */
export type Role = "orch" | "peer" | "limit";

/** A measured column. */
export interface Figure {
  readonly name: string;
  readonly unit: string;
  /** Whether more is better (frames a second); else less is. */
  readonly higherBetter: boolean;
  /** A count that is neither better high nor low (restarts in a crash loop): no best, no ratio. */
  readonly neutral: boolean;
  readonly cells: readonly Cell[];
}

/** A scenario: its title, its rows and its measured columns. */
export interface Scenario {
  readonly title: string;
  /** A short name for files: `scenario-3-4-x-250-000-lines`. */
  readonly slug: string;
  /** Whether each row is a tool (else each is a run of its own, orch's or the limit's). */
  readonly byTool: boolean;
  /** Each row's tool; `note` says when it lost or corrupted lines. */
  readonly rows: readonly { readonly label: string; readonly role: Role; readonly note?: string }[];
  readonly figures: readonly Figure[];
}

const UNITS: Record<string, [string, number]> = {
  ms: ["ms", 1],
  s: ["ms", 1000],
  MiB: ["MiB", 1],
  "%": ["%", 1],
  "µs": ["ms", 0.001],
};

/** A cell's number and unit, when it is a measurement (not a list, not n/a). */
export function parseCell(text: string): { value: number; unit: string } | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|µs|s|MiB|%)?(?=$|[\s(;])/.exec(text.trim());
  if (!match) return undefined;
  const rest = text.trim().slice(match[0].length);
  if (rest.startsWith(",") && /^,\s*\d/.test(rest)) return undefined; // a list of numbers
  const [unit, scale] = UNITS[match[2] ?? ""] ?? ["", 1];
  return { value: Number(match[1]) * scale, unit };
}

function roleOf(label: string): Role {
  if (/limit/i.test(label)) return "limit";
  return /\borch\b/i.test(label) ? "orch" : "peer";
}

const cellsOf = (line: string) =>
  line.trim().replace(/^\||\|$/g, "").split("|").map((c) => c.trim().replace(/\*\*/g, ""));

/** The scenarios of a run's Markdown, each with its first table. */
export function parseResults(markdown: string): Scenario[] {
  const scenarios: Scenario[] = [];
  const sections = markdown.split(/^### /m).slice(1);
  for (const section of sections) {
    const title = section.slice(0, section.indexOf("\n")).trim();
    const lines = section.split("\n");
    const start = lines.findIndex((l) => l.trim().startsWith("|"));
    if (start < 0) continue;
    const table: string[][] = [];
    for (let i = start; i < lines.length && lines[i].trim().startsWith("|"); i++) {
      if (/^\|[\s|:-]+\|$/.test(lines[i].trim())) continue; // the rule under the header
      table.push(cellsOf(lines[i]));
    }
    const [header, ...body] = table;
    if (!header || body.length === 0) continue;
    const damage = header.flatMap((h, i) => (/^(lost|corrupted)$/i.test(h) ? [i] : []));
    let rows = body.map((r) => {
      const bad = damage.filter((i) => (parseCell(r[i] ?? "")?.value ?? 0) > 0)
        .map((i) => `${header[i].toLowerCase()} ${r[i]}`);
      return { label: r[0], role: roleOf(r[0]), ...(bad.length ? { note: bad.join(", ") } : {}) };
    });
    const byTool = /^tool$/i.test(header[0]);
    // Runs of orch alone (a table of queries or of latencies): each row is orch's.
    if (!byTool && !rows.some((r) => r.role === "orch")) {
      rows = rows.map((r) => (r.role === "limit" ? r : { ...r, role: "orch" as const }));
    }
    const figures: Figure[] = [];
    for (let column = 1; column < header.length; column++) {
      const name = header[column];
      if (/^vs\b|per link|per probe|lost|corrupted|delays/i.test(name)) continue;
      const parsed = body.map((r) => parseCell(r[column] ?? ""));
      const units = new Set(parsed.filter((p) => p).map((p) => p!.unit));
      if (parsed.filter((p) => p).length < 1 || units.size !== 1) continue;
      // A unit in the header (`median ms`) when the cells have none.
      const unit = [...units][0] || (/\bms\b/.test(name) ? "ms" : "");
      figures.push({
        name,
        unit,
        higherBetter: /frames/i.test(name),
        neutral: /^starts$/i.test(name),
        cells: body.map((r, i) => ({
          text: r[column] ?? "",
          ...(parsed[i] ? { value: parsed[i]!.value } : {}),
        })),
      });
    }
    if (figures.length === 0) continue;
    const slug = title.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 60);
    scenarios.push({ title, slug, byTool, rows, figures });
  }
  return scenarios;
}

/** A value as the charts and the table print it. */
export function show(value: number, unit: string): string {
  if (unit === "ms" && value >= 10_000) return `${(value / 1000).toFixed(1)} s`;
  if (unit === "ms" && value >= 1000) return `${(value / 1000).toFixed(2)} s`;
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)}${unit ? ` ${unit}` : ""}`;
}

/** The best of the rows of `role` that have a value, with its index. */
export function best(figure: Figure, scenario: Scenario, role: Role): number | undefined {
  let at: number | undefined;
  if (figure.neutral && role !== "limit") return undefined;
  figure.cells.forEach((cell, i) => {
    if (cell.value === undefined || scenario.rows[i].role !== role) return;
    const current = at === undefined ? undefined : figure.cells[at].value!;
    const better = current === undefined ||
      (figure.higherBetter ? cell.value > current : cell.value < current);
    if (better) at = i;
  });
  return at;
}
