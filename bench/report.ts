/**
 * Draws a run's figures: reads bench/RESULTS.md (or the file given), writes one SVG chart a
 * scenario to bench/charts/ (bench/charts.ts) and rewrites the README's benchmark table and its
 * charts between the markers `<!-- bench:begin -->` and `<!-- bench:end -->`. `bench/run.ts` calls
 * it at the end of a run; run it alone to draw an existing RESULTS.md again:
 * `deno run -A bench/report.ts`.
 *
 * @module
 */
import { chartSvg } from "./charts.ts";
import { best, type Figure, parseResults, type Scenario, show } from "./tables.ts";

const BEGIN = "<!-- bench:begin -->";
const END = "<!-- bench:end -->";

function cellText(scenario: Scenario, figure: Figure, at: number | undefined): string {
  if (at === undefined) return "-";
  const row = scenario.rows[at];
  const note = row.note ? ` (${row.note})` : "";
  return `${row.label} ${show(figure.cells[at].value!, figure.unit)}${note}`;
}

/** A table whose rows are runs: a line for each of orch's, its first figure beside the limit. */
function perRun(scenario: Scenario): string[] {
  const figure = scenario.figures[0];
  const limit = best(figure, scenario, "limit");
  return scenario.rows.flatMap((row, i) => {
    const value = figure.cells[i].value;
    if (row.role !== "orch" || value === undefined) return [];
    const ratio = limit === undefined
      ? "-"
      : `${(value / figure.cells[limit].value!).toFixed(2)}x of the limit`;
    return [
      `| ${scenario.title} | ${row.label} (${figure.name}) | ${show(value, figure.unit)} | - | ${
        cellText(scenario, figure, limit)
      } | ${ratio} |`,
    ];
  });
}

/** The README's table: a line for each figure of each scenario. */
export function summaryTable(scenarios: readonly Scenario[]): string {
  const lines = [
    "| scenario | figure | orch | best peer | limit | orch / best peer |",
    "| --- | --- | --- | --- | --- | --- |",
  ];
  for (const scenario of scenarios) {
    if (!scenario.byTool) {
      lines.push(...perRun(scenario));
      continue;
    }
    for (const figure of scenario.figures) {
      const orch = figure.cells.findIndex((c, i) =>
        scenario.rows[i].role === "orch" && c.value !== undefined
      );
      // A peer that lost or corrupted lines is no match, however fast.
      const clean = {
        ...figure,
        cells: figure.cells.map((c, i) => (scenario.rows[i].note ? { text: c.text } : c)),
      };
      const peer = best(clean, scenario, "peer");
      const limit = best(figure, scenario, "limit");
      const ratio = orch >= 0 && peer !== undefined && figure.cells[peer].value! > 0
        ? `${(figure.cells[orch].value! / figure.cells[peer].value!).toFixed(2)}x`
        : "-";
      const orchText = orch >= 0
        ? show(figure.cells[orch].value!, figure.unit)
        : (figure.cells[scenario.rows.findIndex((r) => r.role === "orch")]?.text ?? "-");
      lines.push(
        `| ${scenario.title} | ${figure.name} | ${orchText} | ${
          cellText(scenario, figure, peer)
        } | ${cellText(scenario, figure, limit)} | ${ratio} |`,
      );
    }
  }
  return lines.join("\n");
}

/** Writes the charts and the README's block for the run in `results`. */
export async function report(results: string, root: URL): Promise<string[]> {
  const markdown = await Deno.readTextFile(results);
  const scenarios = parseResults(markdown);
  const dir = new URL("bench/charts/", root);
  await Deno.mkdir(dir, { recursive: true });
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.endsWith(".svg")) await Deno.remove(new URL(entry.name, dir));
  }
  const written: string[] = [];
  for (const scenario of scenarios) {
    const path = new URL(`${scenario.slug}.svg`, dir);
    await Deno.writeTextFile(path, chartSvg(scenario));
    written.push(`bench/charts/${scenario.slug}.svg`);
  }
  // The header's paragraph: when, how, the machine and the versions.
  const header = /^Run [\s\S]*?(?=\n\n)/m.exec(markdown)?.[0].replace(/\s+/g, " ") ?? "";
  const block = [
    BEGIN,
    "<!-- written by bench/report.ts from bench/RESULTS.md: do not edit by hand -->",
    "",
    header,
    "",
    summaryTable(scenarios),
    "",
    ...scenarios.map((s, i) => `![${s.title}](${written[i]})`),
    END,
  ].join("\n");
  const readme = new URL("README.md", root);
  const text = await Deno.readTextFile(readme);
  const from = text.indexOf(BEGIN);
  const to = text.indexOf(END);
  if (from < 0 || to < from) throw new Error(`README.md has no ${BEGIN} ... ${END} block`);
  await Deno.writeTextFile(readme, text.slice(0, from) + block + text.slice(to + END.length));
  await new Deno.Command(Deno.execPath(), { args: ["fmt", "-q", readme.pathname] }).output();
  return written;
}

if (import.meta.main) {
  const root = new URL("../", import.meta.url);
  const results = Deno.args[0] ?? new URL("bench/RESULTS.md", root).pathname;
  const written = await report(results, root);
  console.log(`drew ${written.length} charts in bench/charts/ and the README's table`);
}
