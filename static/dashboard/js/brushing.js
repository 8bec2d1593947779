// A brush drag, one animation frame at a time: each frame applies the latest extent and redraws
// the charts, the numbers and the chips together; the latest-records table, the costliest
// redraw and not a thing the eye follows during a drag, is redrawn once the brush settles.
// (docs/benchmarks.md, "Brushing", measured what each part costs.)

const TABLE_SETTLE_MS = 150; // before the URL's own settle (main.js), so a written URL finds it drawn

export function installBrushing(brushed, table) {
  // dc applies a brush's filter only after the pointer rests 40 ms (events.trigger): a drag
  // then moves nothing until it pauses. Without the delay each brush event comes straight
  // here, and the frame below keeps the work to one filter and one redraw per frame.
  dc.constants.EVENT_DELAY = 0;
  const pending = new Map(); // chart -> the filter its brush asks for, applied next frame
  let tableTimer = null;

  function frame() {
    pending.forEach((filter, chart) => chart.replaceFilter(filter));
    pending.clear();
    dc.chartRegistry.list().forEach((chart) => { if (chart !== table) chart.redraw(); });
    dc.renderlet()?.(); // the numbers and the chips, as dc.redrawAll() ends with
    clearTimeout(tableTimer);
    tableTimer = setTimeout(() => table.redraw(), TABLE_SETTLE_MS);
  }

  for (const chart of brushed) {
    // dc calls this for every brush event of the chart (start, each move, end).
    chart.applyBrushSelection = (filter) => {
      if (!pending.size) requestAnimationFrame(frame);
      pending.set(chart, filter);
    };
  }
}
