// bench:peers' chart (bench/peers-chart.ts over bench/svg-bars.ts): a well-formed SVG document with
// one bar per broker per scenario, drawn to scale, labelled, and safe for any broker name.
import { describe, expect, it } from 'vitest';
import {
  compact,
  parsePeersReport,
  peersChart,
  peersChartSvg,
  svgPathFor,
  type PeersReport,
} from '../../bench/peers-chart.js';
import { barChartSvg, escapeXml, niceTicks } from '../../bench/svg-bars.js';

/**
 * Throws unless `xml` is well-formed: one root element, every tag closed in order, attribute values
 * quoted, no raw `<` or `&` in text or attributes outside an entity. (No XML parser is a dependency.)
 */
function checkWellFormed(xml: string): { root: string; elements: number } {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  let root = '';
  let elements = 0;
  const entity = /&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g;
  const checkText = (text: string): void => {
    if (/[<&]/.test(text.replace(entity, ''))) throw new Error(`raw markup character in ${JSON.stringify(text)}`);
  };
  const tag = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/y;
  let at = 0;
  while (at < body.length) {
    const next = body.indexOf('<', at);
    checkText(body.slice(at, next === -1 ? body.length : next));
    if (next === -1) break;
    if (stack.length === 0 && root !== '') throw new Error('content after the root element');
    tag.lastIndex = next;
    const m = tag.exec(body);
    if (m === null) throw new Error(`malformed tag at ${JSON.stringify(body.slice(next, next + 40))}`);
    const [, closing, name, attributes, selfClosing] = m as unknown as [string, string, string, string, string];
    for (const value of attributes.matchAll(/=\s*(?:"([^"]*)"|'([^']*)')/g)) checkText(value[1] ?? value[2] ?? '');
    const names = [...attributes.matchAll(/([\w:.-]+)\s*=/g)].map((a) => a[1]);
    if (new Set(names).size !== names.length) throw new Error(`repeated attribute in <${name}>`);
    if (closing === '/') {
      if (stack.pop() !== name) throw new Error(`</${name}> does not close the open element`);
    } else {
      if (root === '') root = name;
      else if (stack.length === 0) throw new Error('a second root element');
      elements++;
      if (selfClosing === '') stack.push(name);
    }
    at = tag.lastIndex;
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack.at(-1)}>`);
  return { root, elements };
}

const scenario = (deliveriesPerSec: number, p50Ms: number | null = 1, p99Ms: number | null = 2) => ({
  median: { deliveriesPerSec, p50Ms, p99Ms },
});

const REPORT: PeersReport = {
  date: '2026-12-07T04:08:00.000Z',
  params: { seconds: 2, runs: 1, subscribers: 100, pacedRate: 1000, pinned: true },
  brokers: [
    {
      name: 'Warden',
      version: '0.1.0',
      fanout: scenario(4_121_897),
      paced: scenario(99_975, 0.46, 1.33),
      topics: scenario(1_172_116),
      qos1: scenario(302_134),
      storm: { median: { connectionsPerSec: 5349 } },
    },
    {
      name: 'Mosquitto',
      version: '2.0.11',
      fanout: scenario(276_388),
      paced: scenario(99_653, 0.8, 15.06),
      topics: scenario(143_229),
      qos1: scenario(69_482),
      storm: { median: { connectionsPerSec: 13_463 } },
    },
    {
      name: 'nats-server',
      version: '2.9.10',
      fanout: scenario(1_934_842),
      paced: scenario(99_975, 0.67, 5.09),
      topics: scenario(499_837),
      qos1: scenario(48_957),
      storm: { median: { connectionsPerSec: 7443 } },
    },
  ],
};

interface DrawnBar {
  width: number;
  fill: string;
  title: string;
}

function bars(svg: string): DrawnBar[] {
  return [
    ...svg.matchAll(/<rect class="bar" [^>]*width="([\d.]+)"[^>]*fill="([^"]+)"><title>([^<]*)<\/title><\/rect>/g),
  ].map((m) => ({ width: Number(m[1]), fill: m[2]!, title: m[3]! }));
}

describe("bench:peers' chart", () => {
  const svg = peersChartSvg(REPORT);

  it('is a well-formed SVG document', () => {
    expect(svg.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"')).toBe(
      true,
    );
    const { root, elements } = checkWellFormed(svg);
    expect(root).toBe('svg');
    expect(elements).toBeGreaterThan(50);
    expect(svg).toMatch(/viewBox="0 0 820 \d+"/);
  });

  it('draws one bar per broker per scenario, in the brokers order and colours', () => {
    const drawn = bars(svg);
    // Throughput: fan-out, many topics, QoS 1, storm; latency: paced p50 and p99.
    expect(drawn).toHaveLength(3 * 4 + 3 * 2);
    const scenarios = ['fan-out', 'many topics', 'QoS 1', 'connection storm', 'paced p50', 'paced p99'];
    drawn.forEach((bar, i) => {
      const broker = REPORT.brokers[i % 3]!;
      expect(bar.title).toContain(`${broker.name} ${broker.version}, ${scenarios[Math.floor(i / 3)]}: `);
      expect(bar.fill).toBe(drawn[i % 3]!.fill);
    });
    expect(new Set(drawn.slice(0, 3).map((b) => b.fill)).size).toBe(3);
  });

  it('draws throughput as a share of the fastest broker, and latency in ms, to scale', () => {
    const [warden, mosquitto, nats] = bars(svg);
    expect(warden!.width).toBeGreaterThan(400);
    expect(mosquitto!.width / warden!.width).toBeCloseTo(276_388 / 4_121_897, 2);
    expect(nats!.width / warden!.width).toBeCloseTo(1_934_842 / 4_121_897, 2);
    // In the storm Mosquitto is the fastest: its bar is the full width.
    const storm = bars(svg).slice(9, 12);
    expect(storm[1]!.width).toBe(warden!.width);
    const p99 = bars(svg).slice(15, 18);
    expect(p99[0]!.width / p99[1]!.width).toBeCloseTo(1.33 / 15.06, 2);
  });

  it('labels the legend, the scenarios, the units, the bars and the axes', () => {
    for (const label of [
      '>Warden 0.1.0<',
      '>Mosquitto 2.0.11<',
      '>nats-server 2.9.10<',
      '>fan-out<',
      '>many topics<',
      '>QoS 1<',
      '>connection storm<',
      '>deliveries/s<',
      '>msgs/s<',
      '>connections/s<',
      '>paced, p99<',
      '>4.12M<',
      '>143k<',
      '>49.0k<',
      '>5.35k<',
      '>1.33 ms<',
      '>100%<',
      '>0%<',
      '% of the fastest broker in the scenario (higher is better)',
      'milliseconds from publish to delivery (lower is better)',
      'Latency at a fixed load: 1,000 msgs/s to 100 subscribers',
      'median of 1 x 2 s per scenario; broker on core 0, generator on core 1',
    ])
      expect(svg).toContain(label);
  });

  it('says when a broker fell behind the paced load, whose latency is then of another kind', () => {
    const report: PeersReport = {
      ...REPORT,
      brokers: [{ name: 'Slow', version: '1', paced: scenario(37_571, 1978.37, 3313.66) }, REPORT.brokers[0]!],
    };
    const drawn = peersChartSvg(report);
    expect(drawn).toContain('>3313.66 ms (38% of the load)<');
    expect(drawn).toContain('>1.33 ms<');
    expect(drawn).toContain('; (N% of the load): the broker delivered only that share');
    expect(peersChartSvg(REPORT)).not.toContain('of the load');
  });

  it('marks a scenario a broker has no figure for, and leaves out a panel with no figures', () => {
    const report: PeersReport = {
      ...REPORT,
      brokers: [
        { name: 'Warden', version: '0.1.0', fanout: scenario(1000) },
        { name: 'Aedes', version: '0.51.3' },
      ],
    };
    const chart = peersChart(report);
    expect(chart.panels.map((p) => p.title)).toEqual(['Throughput, each scenario against its fastest broker']);
    expect(chart.panels[0]!.groups.map((g) => g.bars.map((b) => b?.label ?? null))).toEqual([['1.00k', null]]);
    const drawn = barChartSvg(chart);
    checkWellFormed(drawn);
    expect(bars(drawn)).toHaveLength(1);
    expect(drawn).toContain('>no figure<');
  });

  it('puts a label that would run past the edge inside the end of its bar, legible on its colour', () => {
    const drawn = barChartSvg({
      title: 't',
      series: ['a', 'b'],
      panels: [
        {
          title: 'p',
          axisLabel: 'x',
          max: 100,
          groups: [
            {
              label: 'g',
              bars: [
                { value: 100, label: 'a long label '.repeat(3) },
                { value: 10, label: 'short' },
              ],
            },
          ],
        },
      ],
    });
    checkWellFormed(drawn);
    // Series 0 is dark blue: white text, anchored at the bar's end; series 1's label is after its bar.
    expect(drawn).toMatch(
      /<text x="[\d.]+" y="[\d.]+" class="value" text-anchor="end" style="fill: #ffffff">a long label/,
    );
    expect(drawn).toMatch(/<text x="[\d.]+" y="[\d.]+" class="value">short<\/text>/);
  });

  it('escapes names that hold markup characters', () => {
    const report: PeersReport = {
      ...REPORT,
      brokers: [{ name: `<b>"A" & 'B'`, version: '1', fanout: scenario(10) }],
    };
    const drawn = peersChartSvg(report);
    checkWellFormed(drawn);
    expect(drawn).toContain('&lt;b&gt;&quot;A&quot; &amp; &apos;B&apos; 1');
    expect(drawn).not.toContain('<b>');
  });
});

describe('the pieces', () => {
  it('checker refuses what is not well-formed', () => {
    expect(() => checkWellFormed('<svg><g></svg></g>')).toThrow(/does not close/);
    expect(() => checkWellFormed('<svg><text>a & b</text></svg>')).toThrow(/raw markup/);
    expect(() => checkWellFormed('<svg x=1/>')).toThrow(/malformed/);
    expect(() => checkWellFormed('<svg/><svg/>')).toThrow(/after the root/);
    expect(() => checkWellFormed('<svg><g>')).toThrow(/unclosed/);
  });

  it('escapes the five XML characters', () => {
    expect(escapeXml(`a<b>&"c"'`)).toBe('a&lt;b&gt;&amp;&quot;c&quot;&apos;');
  });

  it('chooses ticks of 1, 2, 2.5 or 5 times a power of ten up to past the largest value', () => {
    expect(niceTicks(100)).toEqual([0, 25, 50, 75, 100]);
    expect(niceTicks(13.41)).toEqual([0, 5, 10, 15]);
    expect(niceTicks(3313.66)).toEqual([0, 1000, 2000, 3000, 4000]);
    expect(niceTicks(0.8)).toEqual([0, 0.2, 0.4, 0.6, 0.8]);
    expect(niceTicks(0)).toEqual([0, 1]);
  });

  it('writes figures compactly', () => {
    expect([4_121_897, 143_229, 48_957, 5349, 28].map(compact)).toEqual(['4.12M', '143k', '49.0k', '5.35k', '28']);
  });

  it('puts the chart next to the JSON', () => {
    expect(svgPathFor('bench/results/peers.json')).toBe('bench/results/peers.svg');
    expect(svgPathFor('peers')).toBe('peers.svg');
  });

  it('reads a report as bench:peers writes it (NaN as null, other fields ignored), and refuses another', () => {
    const json = JSON.stringify({
      ...REPORT,
      benchmark: 'peers',
      brokers: [{ ...REPORT.brokers[0], paced: scenario(10, Number.NaN, Number.NaN), errors: {} }],
    });
    expect(parsePeersReport(json).brokers[0]!.paced!.median.p99Ms).toBeNull();
    expect(() => parsePeersReport('{"date": "x", "params": {}, "brokers": []}')).toThrow(
      /^not a bench:peers report: params\.seconds: /,
    );
  });
});
