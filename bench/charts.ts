/**
 * SVG charts of a run's scenarios (bench/tables.ts): one chart a scenario, a panel for each
 * measured figure, a bar for orch, each peer and the limit, on a light background of its own so
 * that it reads the same on GitHub's light and dark pages. No script, no external font.
 *
 * @module
 */
import { type Figure, type Scenario, show } from "./tables.ts";

const WIDTH = 760;
const LABEL = 250;
const BAR_AREA = 360;
const ROW = 22;
const COLORS = { orch: "#2563eb", peer: "#f59e0b", limit: "#9ca3af" } as const;

const escape = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

const clip = (
  text: string,
  max: number,
) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

function panel(scenario: Scenario, figure: Figure, top: number): { svg: string; height: number } {
  const parts: string[] = [];
  const direction = figure.higherBetter ? "more is better" : "less is better";
  parts.push(
    `<text x="16" y="${top + 16}" font-weight="bold">${escape(figure.name)}` +
      `<tspan font-weight="normal" fill="#6b7280"> (${direction})</tspan></text>`,
  );
  const values = figure.cells.flatMap((c) => (c.value === undefined ? [] : [c.value]));
  const max = Math.max(...values, 1e-9);
  let y = top + 28;
  scenario.rows.forEach((row, i) => {
    const cell = figure.cells[i];
    const weight = row.role === "orch" ? ` font-weight="bold"` : "";
    const label = clip(row.label, 36);
    parts.push(
      `<text x="${LABEL - 8}" y="${y + 15}" text-anchor="end"${weight}>${escape(label)}</text>`,
    );
    if (cell.value === undefined) {
      parts.push(
        `<text x="${LABEL}" y="${y + 15}" fill="#6b7280">${escape(clip(cell.text, 60))}</text>`,
      );
    } else {
      const width = Math.max(1, (cell.value / max) * BAR_AREA);
      const note = row.note ? ` (${row.note})` : "";
      parts.push(
        `<rect x="${LABEL}" y="${y + 3}" width="${width.toFixed(1)}" height="${ROW - 6}" ` +
          `rx="2" fill="${COLORS[row.role]}"/>`,
        `<text x="${LABEL + width + 6}" y="${y + 15}"${weight}>` +
          `${escape(clip(show(cell.value, figure.unit) + note, 40))}</text>`,
      );
    }
    y += ROW;
  });
  return { svg: parts.join("\n"), height: y - top + 8 };
}

/** The chart of one scenario, as an SVG document. */
export function chartSvg(scenario: Scenario): string {
  const panels: string[] = [];
  let height = 40;
  for (const figure of scenario.figures) {
    const drawn = panel(scenario, figure, height);
    panels.push(drawn.svg);
    height += drawn.height;
  }
  const legend = (["orch", "peer", "limit"] as const).map((role, i) =>
    `<rect x="${WIDTH - 230 + i * 75}" y="10" width="12" height="12" fill="${COLORS[role]}"/>` +
    `<text x="${WIDTH - 214 + i * 75}" y="21">${role}</text>`
  ).join("");
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height + 8}" ` +
    `viewBox="0 0 ${WIDTH} ${height + 8}" font-family="sans-serif" font-size="13" fill="#111827">`,
    `<title>${escape(scenario.title)}</title>`,
    `<rect width="100%" height="100%" rx="6" fill="#ffffff" stroke="#e5e7eb"/>`,
    `<text x="16" y="22" font-size="15" font-weight="bold">${escape(clip(scenario.title, 62))}` +
    `</text>`,
    legend,
    ...panels,
    `</svg>`,
    "",
  ].join("\n");
}
