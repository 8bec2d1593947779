// The time chart's overlay of the previous period: the same bars' spend one comparison span
// earlier (compare.js: the range, or 30 days for all time), shifted onto the current axis and
// drawn as dashed ghost bars under the brush, so brushing works as before. The y axis grows to
// fit both. A toggle button turns it on; the URL remembers it (url-state.js).
import { ALL_SPAN_MS, durationText } from './compare.js';

export function createOverlay(chart, store, { button, legend, rangeMs, on = false }) {
  let shown = on;

  // The spend of the buckets one span earlier, keyed where they land on the current axis.
  function points() {
    const shift = rangeMs() || ALL_SPAN_MS;
    const [low, high] = chart.x().domain().map(Number);
    return store.groups.spendOverTime.all()
      .map((d) => ({ key: d.key + shift, value: d.value }))
      .filter((d) => d.value !== 0 && d.key >= low && d.key <= high);
  }

  const baseYMax = chart.yAxisMax.bind(chart);
  chart.yAxisMax = () => {
    const most = shown ? d3.max(points(), (d) => d.value) ?? 0 : 0;
    return Math.max(baseYMax() ?? 0, most);
  };

  function draw() {
    const body = chart.chartBodyG();
    if (!body) return;
    const data = shown ? points() : [];
    const x = chart.x();
    const y = chart.y();
    const bucket = store.timeBucket;
    let layer = body.select('g.previous-period');
    if (layer.empty()) layer = body.append('g').attr('class', 'previous-period').attr('aria-hidden', 'true');
    layer.raise(); // over the bars; the brush is outside the chart body, above both
    layer.selectAll('rect').data(data, (d) => d.key).join('rect')
      .attr('x', (d) => x(d.key))
      .attr('width', (d) => Math.max(1, x(d.key + bucket) - x(d.key) - 1))
      .attr('y', (d) => y(d.value))
      .attr('height', (d) => Math.max(0, y(0) - y(d.value)));
  }

  function label() {
    const span = durationText(rangeMs() || ALL_SPAN_MS);
    legend.querySelector('.legend-previous-text').textContent = `Previous ${span}, drawn ${span} later`;
    legend.hidden = !shown;
    button.setAttribute('aria-pressed', String(shown));
  }

  chart.on('renderlet.previous', () => {
    draw();
    label();
  });
  label();

  return {
    get on() { return shown; },
    toggle() {
      shown = !shown;
      return shown;
    },
  };
}
