// A grouped bar chart as a static SVG, written by hand: a benchmark's figures as a picture that
// GitHub shows inline in Markdown, with no chart library and nothing to run in a browser. Bars
// are horizontal so that each value's label fits at the bar's end, whatever the number of series.
// Panels are stacked, each with its own axis, so figures in different units never share a scale.

/** One bar: its length on the panel's axis, and the text printed at its end. */
export interface Bar {
  readonly value: number;
  readonly label: string;
  /** The tooltip (an SVG <title>): the exact figure. */
  readonly title?: string;
}

/** A cluster of bars, one per series in the chart's order; null where that series has no figure. */
export interface BarGroup {
  readonly label: string;
  /** A second, smaller line under the label: the unit, the setup. */
  readonly note?: string;
  readonly bars: readonly (Bar | null)[];
}

export interface BarPanel {
  readonly title: string;
  /** Under the axis: what the axis measures, and which way is better. */
  readonly axisLabel: string;
  readonly groups: readonly BarGroup[];
  /** The axis's end; the largest value rounded up to a tick when absent. */
  readonly max?: number;
  /** After each tick's number: '%', ' ms'. */
  readonly tickSuffix?: string;
}

export interface BarChart {
  readonly title: string;
  readonly subtitle?: readonly string[];
  /** The legend, and the order of the bars in every group. */
  readonly series: readonly string[];
  readonly panels: readonly BarPanel[];
}

// Okabe-Ito: told apart with any common colour-vision deficiency, and on white.
const COLOURS = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];
const WIDTH = 820;
const MARGIN = 16;
const LABEL_WIDTH = 170;
const VALUE_WIDTH = 84;
const PLOT_X = MARGIN + LABEL_WIDTH;
const PLOT_WIDTH = WIDTH - PLOT_X - VALUE_WIDTH - MARGIN;
const BAR_HEIGHT = 14;
const BAR_GAP = 3;
const GROUP_GAP = 14;
/** A group's label and note take two lines: a group of few bars is still this tall. */
const MIN_GROUP_HEIGHT = 28;
/** Estimates of a character's width at 12 and 10 px, for laying out text (SVG cannot measure). */
const CHAR_WIDTH = 6.6;
const VALUE_CHAR_WIDTH = 5.6;

export function colourOf(series: number): string {
  return COLOURS[series % COLOURS.length]!;
}

/** Black or white, whichever reads better on `hex` (#RRGGBB), by its relative luminance. */
function textOn(hex: string): string {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.179 ? '#000000' : '#ffffff';
}

/** Text and attribute values for XML: the five characters that could end or open markup. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]!};`);
}

/** A step of 1, 2, 2.5 or 5 times a power of ten, giving about four intervals up to `max`. */
export function niceTicks(max: number): number[] {
  if (!(max > 0) || !Number.isFinite(max)) return [0, 1];
  const rough = max / 4;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = ([1, 2, 2.5, 5, 10].find((f) => f * power >= rough) ?? 10) * power;
  const ticks: number[] = [];
  for (let i = 0; i * step < max + step * 1e-9; i++) ticks.push(Number((i * step).toPrecision(12)));
  if (ticks.at(-1)! < max) ticks.push(Number((ticks.length * step).toPrecision(12)));
  return ticks;
}

const fmt = (n: number): string => (Number.isInteger(n) ? String(n) : String(Number(n.toFixed(2))));

function text(x: number, y: number, content: string, attributes = ''): string {
  return `<text x="${fmt(x)}" y="${fmt(y)}"${attributes === '' ? '' : ` ${attributes}`}>${escapeXml(content)}</text>`;
}

function legend(series: readonly string[], top: number): { svg: string[]; height: number } {
  const svg: string[] = [];
  let x = MARGIN;
  let y = top;
  for (const [i, name] of series.entries()) {
    const width = 18 + name.length * CHAR_WIDTH + 18;
    if (x > MARGIN && x + width > WIDTH - MARGIN) {
      x = MARGIN;
      y += 20;
    }
    svg.push(`<rect x="${fmt(x)}" y="${fmt(y)}" width="12" height="12" fill="${colourOf(i)}"/>`);
    svg.push(text(x + 18, y + 10, name, 'class="legend"'));
    x += width;
  }
  return { svg, height: y - top + 20 };
}

function panel(p: BarPanel, seriesCount: number, top: number): { svg: string[]; height: number } {
  const values = p.groups.flatMap((g) => g.bars.flatMap((b) => (b === null ? [] : [b.value])));
  const ticks = niceTicks(p.max ?? Math.max(0, ...values));
  const axisMax = p.max ?? ticks.at(-1)!;
  const scale = (v: number): number => (Math.max(0, Math.min(v, axisMax)) / axisMax) * PLOT_WIDTH;
  const barsHeight = seriesCount * BAR_HEIGHT + (seriesCount - 1) * BAR_GAP;
  const groupHeight = Math.max(MIN_GROUP_HEIGHT, barsHeight);
  const plotTop = top + 26;
  const plotBottom = plotTop + p.groups.length * (groupHeight + GROUP_GAP) - GROUP_GAP + 6;
  const svg: string[] = [text(MARGIN, top + 14, p.title, 'class="panel-title"')];

  // Grid lines and tick labels first, so the bars are drawn over them.
  for (const tick of ticks.filter((t) => t <= axisMax)) {
    const x = PLOT_X + scale(tick);
    svg.push(`<line class="grid" x1="${fmt(x)}" y1="${fmt(plotTop - 4)}" x2="${fmt(x)}" y2="${fmt(plotBottom)}"/>`);
    svg.push(text(x, plotBottom + 14, `${fmt(tick)}${p.tickSuffix ?? ''}`, 'class="tick" text-anchor="middle"'));
  }
  svg.push(`<line class="axis" x1="${PLOT_X}" y1="${fmt(plotTop - 4)}" x2="${PLOT_X}" y2="${fmt(plotBottom)}"/>`);
  svg.push(
    `<line class="axis" x1="${PLOT_X}" y1="${fmt(plotBottom)}" x2="${PLOT_X + PLOT_WIDTH}" y2="${fmt(plotBottom)}"/>`,
  );
  svg.push(text(PLOT_X + PLOT_WIDTH / 2, plotBottom + 32, p.axisLabel, 'class="axis-label" text-anchor="middle"'));

  for (const [g, group] of p.groups.entries()) {
    const groupTop = plotTop + g * (groupHeight + GROUP_GAP);
    const middle = groupTop + groupHeight / 2;
    const barsTop = middle - barsHeight / 2;
    const labelY = group.note === undefined ? middle + 4 : middle - 2;
    svg.push(text(PLOT_X - 8, labelY, group.label, 'class="group" text-anchor="end"'));
    if (group.note !== undefined) svg.push(text(PLOT_X - 8, middle + 11, group.note, 'class="note" text-anchor="end"'));
    for (let s = 0; s < seriesCount; s++) {
      const bar = group.bars[s] ?? null;
      const y = barsTop + s * (BAR_HEIGHT + BAR_GAP);
      if (bar === null) {
        svg.push(text(PLOT_X + 4, y + BAR_HEIGHT - 3, 'no figure', 'class="missing"'));
        continue;
      }
      // A bar too short to see still shows: 1 px.
      const width = bar.value > 0 ? Math.max(1, scale(bar.value)) : 0;
      const tooltip = bar.title === undefined ? '' : `<title>${escapeXml(bar.title)}</title>`;
      svg.push(
        `<rect class="bar" x="${PLOT_X}" y="${fmt(y)}" width="${fmt(width)}" height="${BAR_HEIGHT}" fill="${colourOf(s)}">${tooltip}</rect>`,
      );
      // A label that would run past the chart's edge goes inside the end of its (long) bar.
      const outside = PLOT_X + width + 4 + bar.label.length * VALUE_CHAR_WIDTH <= WIDTH - MARGIN / 2;
      svg.push(
        outside
          ? text(PLOT_X + width + 4, y + BAR_HEIGHT - 3, bar.label, 'class="value"')
          : text(
              PLOT_X + width - 4,
              y + BAR_HEIGHT - 3,
              bar.label,
              `class="value" text-anchor="end" style="fill: ${textOn(colourOf(s))}"`,
            ),
      );
    }
  }
  return { svg, height: plotBottom + 40 - top };
}

/** The chart as a standalone SVG document. */
export function barChartSvg(chart: BarChart): string {
  const body: string[] = [text(MARGIN, 26, chart.title, 'class="title"')];
  let y = 30;
  for (const line of chart.subtitle ?? []) {
    y += 16;
    body.push(text(MARGIN, y, line, 'class="subtitle"'));
  }
  const key = legend(chart.series, y + 12);
  body.push(...key.svg);
  y += 12 + key.height + 8;
  for (const p of chart.panels) {
    const drawn = panel(p, chart.series.length, y);
    body.push(...drawn.svg);
    y += drawn.height + 8;
  }
  const height = Math.ceil(y + MARGIN);
  const style = [
    'text { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; fill: #222; }',
    '.title { font-size: 17px; font-weight: 600; }',
    '.subtitle, .note, .tick { font-size: 11px; fill: #555; }',
    '.legend, .group { font-size: 12px; }',
    '.panel-title { font-size: 14px; font-weight: 600; }',
    '.axis-label { font-size: 11px; fill: #333; }',
    '.value { font-size: 10px; }',
    '.missing { font-size: 10px; fill: #888; font-style: italic; }',
    '.grid { stroke: #e3e3e3; stroke-width: 1; }',
    '.axis { stroke: #444; stroke-width: 1; }',
  ].join('\n    ');
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-labelledby="chart-title">\n` +
    `  <title id="chart-title">${escapeXml(chart.title)}</title>\n` +
    `  <style>\n    ${style}\n  </style>\n` +
    // A white ground: the chart stays legible where the page around it is dark.
    `  <rect width="100%" height="100%" fill="#ffffff"/>\n` +
    body.map((line) => `  ${line}\n`).join('') +
    `</svg>\n`
  );
}
