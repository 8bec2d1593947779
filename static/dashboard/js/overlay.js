// The time chart's overlay of the previous period: the same bars' spend one comparison span
// earlier (compare.js: the range, or 30 days for all time), shifted onto the current axis and
// drawn as a dashed step line along the tops of its bars (back to zero where it has none),
// under the brush, so brushing works as before. The y axis grows to
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
    layer.attr('data-cents', d3.sum(data, (d) => d.value)); // what it draws, for the tests
    layer.selectAll('path').data(data.length ? [data] : []).join('path')
      .attr('d', (points) => stepPath(points, { x, y, bucket }));
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

// The outline of the previous period's bars as one path: along each bar's top, down to zero
// where the next bucket has nothing.
export function stepPath(points, { x, y, bucket }) {
  const zero = y(0);
  let d = '';
  let end = null; // the key where the last drawn bar ends
  for (const { key, value } of points) {
    if (end !== key) d += `${end === null ? '' : `L${x(end)},${zero}`}M${x(key)},${zero}`;
    d += `L${x(key)},${y(value)}L${x(key + bucket)},${y(value)}`;
    end = key + bucket;
  }
  return end === null ? '' : `${d}L${x(end)},${zero}`;
}
