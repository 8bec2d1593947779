// Wiring: socket -> store -> charts, with one redraw per animation frame at most. Each piece
// keeps its own state (history assembly, pause, range, status); the data is the store's.
import { connect, CLOSE_LOGIN_REQUIRED } from './socket.js';
import { createStore } from './store.js';
import { amountWindow, createCharts } from './charts.js';
import { installBrushing } from './brushing.js';
import { drawNumbers } from './numbers.js';
import { createChips } from './chips.js';
import { installDrilldown } from './drilldown.js';
import { createHistoryAssembly } from './history-assembly.js';
import { createPause } from './pause.js';
import { createRange } from './range.js';
import { createStatusView } from './status.js';
import { installTestHooks } from './test-hooks.js';
import { applyFilters, readUrlState, writeUrlState } from './url-state.js';
import { download, recordsCsv } from './csv.js';
import { createBudgets } from './budgets.js';
import { periods } from './compare.js';
import { createOverlay } from './overlay.js';

const LIVE_EDGE_MS = 5000; // a moving time range's window follows the clock this often
const RESIZE_SETTLE_MS = 150;
const URL_SETTLE_MS = 200;

function start(root) {
  const $ = (id) => document.getElementById(id);
  const urlState = readUrlState(location.search);
  const store = createStore();
  const range = createRange(store, urlState.range);
  if (urlState.tv) root.dataset.tv = 'true'; // a wall screen: no controls, large numbers
  const charts = createCharts(store, { tv: urlState.tv });
  installBrushing([charts.amount, charts.time], charts.table);
  const budgets = createBudgets($('budgets'), charts); // the budgets panel (budgets.js)
  const pause = createPause();
  // The periods the numbers compare, as of the range's last window (the numbers' own).
  const view = {
    loaded: false,
    frameRequested: false,
    periods: () => periods({ rangeMs: range.ms, now: range.now, brush: store.brush }),
  };
  const overlay = createOverlay(charts.time, store, {
    button: $('previous'), legend: $('time-legend'), rangeMs: () => range.ms, on: urlState.previous,
  });
  // The URL follows the filters once a brush settles, not on each of its moves: a history
  // entry replaced per move cost the brush milliseconds, and Chromium throttles (and warns
  // about) more than a hundred replacements in ten seconds.
  let urlTimer = null;
  const saveUrl = () => {
    clearTimeout(urlTimer);
    urlTimer = setTimeout(() => writeUrlState(charts, {
      range: range.key, tv: urlState.tv, previous: overlay.on,
    }), URL_SETTLE_MS);
  };

  // Every redraw and render of the charts also writes the numbers and the filter chips, in
  // the same pass.
  const drawChips = createChips(charts);
  dc.renderlet(() => {
    drawNumbers(store, view);
    drawChips();
  });
  drawNumbers(store, view);

  function requestRedraw() {
    if (!view.loaded || pause.paused || view.frameRequested) return;
    view.frameRequested = true;
    requestAnimationFrame(redraw);
  }

  function prepare() {
    range.apply(charts);
    amountWindow(charts, store);
  }

  function redraw() {
    view.frameRequested = false;
    prepare();
    dc.redrawAll();
    root.dataset.records = store.size();
  }

  function render() {
    prepare();
    dc.renderAll();
    // dc shows a chart's reset link on filtering but does not hide it on the first render.
    Object.values(charts.filterable).forEach((chart) => {
      if (!chart.hasFilter()) chart.turnOffControls();
    });
  }

  // The first history is in: draw the charts, then the filters the URL asked for (a range
  // filter moves its chart's brush, which exists only once drawn).
  function firstDraw() {
    view.loaded = true;
    status.loaded();
    render();
    applyFilters(charts, urlState.filters);
    redraw();
  }

  function applyChanges(records, deletes) {
    if (records.some((d) => store.summarised(d.id)) || deletes.some(store.summarised)) {
      socket.reload(); // an edit or delete inside a summary row: start over from the database
      return;
    }
    if (store.upsert(records) + store.removeIds(deletes)) requestRedraw();
  }

  const history = createHistoryAssembly(store, { applyChanges, added: requestRedraw });
  const status = createStatusView({ retry: () => socket.reload() });

  function showMessage(text, link) {
    const box = $('message');
    box.textContent = text;
    if (link) box.append(' ', Object.assign(document.createElement('a'), link));
    box.hidden = false;
  }

  const socket = connect(root.dataset.socketPath, {
    status(state) {
      if (state !== 'live') history.reset(); // the next socket starts its history over
      status.connection(state);
    },
    history: history.chunk,
    historyEnd(frame) {
      history.end(frame);
      status.fresh();
      root.dataset.position = frame.position;
      $('message').hidden = true;
      if (view.loaded) requestRedraw();
      else firstDraw();
    },
    changes(records, deletes) {
      status.fresh();
      if (!pause.paused) {
        applyChanges(records, deletes);
        return;
      }
      pause.hold(records, deletes);
      status.paused(pause);
    },
    budgets(frame) { budgets.update(frame); },
    error(frame) { showMessage(`The server says: ${frame.message}`); },
    refused(code) {
      showMessage(
        code === CLOSE_LOGIN_REQUIRED ? 'Your session has ended.' : 'Your account cannot see this dashboard.',
        { href: root.dataset.loginUrl, textContent: 'Log in again' },
      );
    },
  }, range.params);

  // Controls.
  for (const chart of Object.values(charts.filterable)) {
    chart.on('filtered.url', saveUrl);
    chart.root().select('.reset').on('click', (event) => {
      event.preventDefault();
      chart.filterAll();
      dc.redrawAll();
    });
  }
  $('reset-all').addEventListener('click', () => {
    dc.filterAll();
    dc.redrawAll();
  });
  $('range').value = range.key;
  $('range').addEventListener('change', (event) => {
    if (range.choose(event.target.value)) socket.reload(); // older history to fetch
    saveUrl();
    if (view.loaded) redraw();
  });
  $('previous').addEventListener('click', () => {
    overlay.toggle();
    saveUrl();
    if (view.loaded) redraw();
  });
  $('pause').addEventListener('click', (event) => {
    const paused = pause.toggle();
    event.target.textContent = paused ? 'Resume' : 'Pause';
    event.target.setAttribute('aria-pressed', String(paused));
    root.dataset.paused = String(paused);
    status.paused(paused ? pause : null);
    if (!paused) {
      pause.release().forEach(([records, deletes]) => applyChanges(records, deletes));
      requestRedraw();
    }
  });
  $('export').addEventListener('click', () => {
    const stamp = new Date().toISOString().replace(/[-:]/g, '').slice(0, 15);
    download(recordsCsv(store.selected()), `rtviz-spend-${stamp}.csv`);
  });

  // The charts' widths follow their cards: redrawn whole once a resize settles.
  let resizeTimer;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => { if (view.loaded) render(); }, RESIZE_SETTLE_MS);
  });
  setInterval(() => { if (range.moving) requestRedraw(); }, LIVE_EDGE_MS);

  installDrilldown({
    table: $('table-latest'),
    dialog: $('record'),
    urlFor: (id) => root.dataset.recordUrl.replace(/0\.json$/, `${id}.json`),
  });
  if (root.dataset.testHooks === 'true') installTestHooks(store);
}

start(document.getElementById('dashboard'));
