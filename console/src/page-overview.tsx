// Overview: a few numbers now, then one chart per metric over the last historyMs (15 minutes by default).
import { useMemo } from 'preact/hooks';
import { Chart } from './chart.js';
import { chartModel, CHARTS, type ChartSpec } from './chart-model.js';
import type { StreamState } from './event-stream.js';
import { formatCount, formatRate } from './format.js';
import type { Sample } from './types.js';

interface Props {
  readonly samples: readonly Sample[];
  readonly streamState: StreamState;
  /** From the stream's history event; null until it came. */
  readonly intervalMs: number | null;
  /** The charts' span (the stream's historyMs). */
  readonly windowMs: number;
}

/** "15 minutes", "2 minutes", "1 hour". */
function spanText(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes % 60 === 0) return minutes === 60 ? '1 hour' : `${minutes / 60} hours`;
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}

function streamText(state: StreamState, intervalMs: number | null, windowMs: number): string {
  switch (state) {
    case 'connecting':
      return 'Connecting to live updates…';
    case 'live':
      return intervalMs === null
        ? `Live: the last ${spanText(windowMs)}.`
        : `Live: the last ${spanText(windowMs)}, a sample every ${formatRate(intervalMs / 1000)} s.`;
    case 'reconnecting':
      return 'Live updates interrupted: reconnecting…';
  }
}

export function OverviewPage({ samples, streamState, intervalMs, windowMs }: Props) {
  const latest = samples[samples.length - 1];
  return (
    <>
      <h1 tabIndex={-1}>Overview</h1>
      <p class={`stream stream-${streamState}`}>{streamText(streamState, intervalMs, windowMs)}</p>
      <dl class="tiles">
        <div class="tile">
          <dt>Connections now</dt>
          <dd>{latest === undefined ? '–' : formatCount(latest.connections)}</dd>
        </div>
        <div class="tile">
          <dt>Entitlements</dt>
          <dd>{latest === undefined ? '–' : latest.entitlementsEnabled ? 'Enabled' : 'Disabled'}</dd>
        </div>
        <div class="tile">
          <dt>Cache size</dt>
          <dd>{latest === undefined ? '–' : formatCount(latest.cache.size)}</dd>
        </div>
        {latest?.node != null && (
          <div class="tile">
            <dt>Node</dt>
            <dd>{latest.node}</dd>
          </div>
        )}
      </dl>
      <div class="charts">
        {CHARTS.map((spec) => (
          <ChartFigure key={spec.key} spec={spec} samples={samples} windowMs={windowMs} />
        ))}
      </div>
    </>
  );
}

interface FigureProps {
  readonly spec: ChartSpec;
  readonly samples: readonly Sample[];
  readonly windowMs: number;
}

function ChartFigure({ spec, samples, windowMs }: FigureProps) {
  const model = useMemo(() => chartModel(spec.key, samples), [spec.key, samples]);
  return (
    <figure class="chart-figure" data-chart={spec.key}>
      <figcaption>{spec.caption}</figcaption>
      <Chart model={model} windowMs={windowMs} points={spec.sparse === true} />
      <p data-latest>{model.latest}</p>
    </figure>
  );
}
