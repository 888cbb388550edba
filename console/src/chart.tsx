// One uPlot time-series chart that fills its container's width. uPlot draws on a canvas and styles
// its own elements through the CSSOM (allowed by the console's CSP); it is rebuilt only when its
// series or the colour scheme change, and otherwise just given new data.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import type { ChartModel } from './chart-model.js';
import { cssVariable, useColorScheme } from './color-scheme.js';

const HEIGHT = 180;
/** Series colours, from console.css (--series-1 …); the fallbacks read on either background. */
const FALLBACK_COLOURS = ['#2563eb', '#d97706', '#059669', '#db2777', '#7c3aed', '#0891b2', '#65a30d', '#dc2626'];

function colours(): string[] {
  return FALLBACK_COLOURS.map((fallback, i) => cssVariable(`--series-${i + 1}`, fallback));
}

interface Props {
  readonly model: ChartModel;
  /** How much time the x axis spans, ending at the newest sample. */
  readonly windowMs: number;
  /** Mark every value with a point (values with gaps between them). */
  readonly points?: boolean;
}

export function Chart({ model, windowMs, points = false }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const latest = useRef(model);
  latest.current = model;
  const span = useRef(windowMs);
  span.current = windowMs;
  const scheme = useColorScheme();
  const seriesKey = model.series.join('\u0000');

  useEffect(() => {
    const element = host.current;
    if (element === null) return;
    const palette = colours();
    const axis = cssVariable('--chart-axis', '#57606a');
    const grid = cssVariable('--chart-grid', 'rgba(127, 127, 127, 0.2)');
    const axisStyle = { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const options: uPlot.Options = {
      width: Math.max(element.clientWidth, 100),
      height: HEIGHT,
      series: [
        { label: 'Time' },
        ...latest.current.series.map((label, i) => ({
          label,
          stroke: palette[i % palette.length],
          width: 2,
          points: { show: points, size: 5 },
        })),
      ],
      scales: {
        // Always the whole window, ending at the newest sample, however few samples there are.
        x: {
          time: true,
          range: (): uPlot.Range.MinMax => {
            const xs = latest.current.columns[0];
            const end = xs.length > 0 ? (xs[xs.length - 1] ?? Date.now() / 1000) : Date.now() / 1000;
            return [end - span.current / 1000, end];
          },
        },
        // From zero: a rate that doubles should look doubled.
        y: {
          range: (_self, _min, max): uPlot.Range.MinMax => [0, Number.isFinite(max) && max > 0 ? max * 1.1 : 1],
        },
      },
      axes: [axisStyle, { ...axisStyle, size: 56 }],
      // A legend names the series when there are several (nodes, modules, hits and misses).
      legend: { show: latest.current.series.length > 1 },
    };
    const chart = new uPlot(options, latest.current.columns as uPlot.AlignedData, element);
    plot.current = chart;

    const observer = new ResizeObserver(() => {
      const width = Math.max(element.clientWidth, 100);
      if (width !== chart.width) chart.setSize({ width, height: HEIGHT });
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, [seriesKey, scheme, points]);

  useEffect(() => {
    plot.current?.setData(model.columns as uPlot.AlignedData);
  }, [model.columns]);

  // Hidden from assistive technology: the figure's "Latest" line says what the canvas shows.
  return <div class="chart" ref={host} aria-hidden="true" />;
}
