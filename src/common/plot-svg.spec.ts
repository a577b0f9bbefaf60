import { escapeXml, formatTick, niceTicks, renderLinePlot } from './plot-svg';

describe('niceTicks', () => {
  it('covers the range with round steps', () => {
    expect(niceTicks(0, 10, 5)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(0.031, 0.068, 4)).toEqual([0.04, 0.05, 0.06]);
    const t = niceTicks(-3.2, 7.9, 6);
    expect(t[0]).toBeGreaterThanOrEqual(-3.2);
    expect(t.at(-1)).toBeLessThanOrEqual(7.9);
    expect(new Set(t.slice(1).map((v, i) => +(v - t[i]).toPrecision(6))).size).toBe(1);
  });
  it('formats compactly', () => {
    expect(formatTick(0)).toBe('0');
    expect(formatTick(25000)).toBe('25k');
    expect(formatTick(2_500_000)).toBe('2.5M');
    expect(formatTick(0.05)).toBe('0.05');
    expect(formatTick(2e-5)).toBe('2.0e-5');
  });
});

describe('renderLinePlot', () => {
  const svg = renderLinePlot({
    title: 'Regret <A&B>',
    xLabel: 'visitors',
    yLabel: 'clicks',
    series: [
      { name: 'one', x: [0, 1, 2, 3], y: [0, 1, NaN, 3], band: { lower: [0, 0.5, 1, 2], upper: [0, 1.5, 3, 4] } },
      { name: 'two "quoted"', x: [0, 3], y: [0, 2], dashed: true },
    ],
    markers: [{ x: 1.5, label: 'true rate' }],
  });
  it('draws one series path per series, in order, and the band separately', () => {
    const series = [...svg.matchAll(/<path class="series" data-series="([^"]*)" d="([^"]*)"/g)];
    expect(series.map((m) => m[1])).toEqual(['one', 'two &quot;quoted&quot;']);
    // the NaN point lifts the pen: two M commands in the first path
    expect(series[0][2].match(/M/g)).toHaveLength(2);
    expect(svg.match(/<path class="band"/g)).toHaveLength(1);
    expect(svg).toContain('stroke-dasharray="6,4"');
  });
  it('escapes text and writes a standalone SVG document', () => {
    expect(svg.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('Regret &lt;A&amp;B&gt;');
    expect(svg).toContain('>visitors</text>');
    expect(svg).toContain('>true rate</text>');
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(escapeXml(`<'&">`)).toBe('&lt;&apos;&amp;&quot;&gt;');
  });
  it('rejects mismatched series', () => {
    expect(() => renderLinePlot({ series: [] })).toThrow(/at least one series/);
    expect(() => renderLinePlot({ series: [{ name: 'a', x: [1, 2], y: [1] }] })).toThrow(/series\[0\] \(a\): x and y differ in length \(2 vs 1\)/);
  });
});
