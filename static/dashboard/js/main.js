// Wiring: socket -> store -> charts, with one redraw per animation frame at most.
import { connect, CLOSE_LOGIN_REQUIRED } from './socket.js';
import { bucketFor, createStore } from './store.js';
import { createCharts, timeWindow } from './charts.js';
import { applyFilters, readUrlState, writeUrlState } from './url-state.js';
import { download, recordsCsv } from './csv.js';
import { createBudgets } from './budgets.js'; // budgets: the panel

const RANGES_MS = { '15m': 15 * 60e3, '1h': 60 * 60e3, '24h': 24 * 60 * 60e3, all: 0 };
const STATUS_TEXT = {
  connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…', offline: 'Offline',
};

const root = document.getElementById('dashboard');
const $ = (id) => document.getElementById(id);
const store = createStore();
const urlState = readUrlState(location.search);
let range = urlState.range in RANGES_MS ? urlState.range : 'all';
store.setTimeBucket(bucketFor(RANGES_MS[range] || RANGES_MS['1h']));
const charts = createCharts(store);
const budgets = createBudgets(document.getElementById('budgets'), charts); // budgets

let paused = false;
let frameRequested = false;
const pausedChanges = [];
let historyIds = null; // ids in the full history being received; null when live
let historyChunks = []; // its records not yet added to the store
let historySummary = []; // its summary rows, swapped in for the old ones at its end
const HISTORY_FIRST_ADD = 20000;

function requestRedraw() {
  if (paused || frameRequested) return;
  frameRequested = true;
  requestAnimationFrame(redraw);
}

function redraw() {
  frameRequested = false;
  applyRange();
  charts.amount.elasticX(store.cf.size() > 0); // as the time chart's (charts.js timeWindow)
  dc.redrawAll();
  root.dataset.records = store.size();
}

// The selector bounds what is shown; its cutoff moves with the clock.
function applyRange() {
  const ms = RANGES_MS[range];
  if (ms) store.dimensions.range.filterRange([Date.now() - ms, Infinity]);
  else store.dimensions.range.filterAll();
  store.setTimeBucket(bucketFor(ms || store.timeSpan()));
  timeWindow(charts, store, ms);
}

function setStatus(state) {
  root.dataset.state = state;
  $('status').dataset.state = state;
  $('status').textContent = STATUS_TEXT[state];
}

function showMessage(text, link) {
  const box = $('message');
  box.textContent = text;
  if (link) box.append(' ', Object.assign(document.createElement('a'), link));
  box.hidden = false;
}

// A full history's records are the truth: never checked against the summary rows held.
function addHistory() {
  if (store.upsert(historyChunks.flat())) requestRedraw();
  historyChunks = [];
}

function applyChanges(records, deletes) {
  if (records.some((d) => store.summarised(d.id)) || deletes.some(store.summarised)) {
    socket.reload(); // an edit or delete inside a summary row: start over from the database
    return;
  }
  if (store.upsert(records) + store.removeIds(deletes)) requestRedraw();
}

// The server sends history only as far back as the time range reaches.
const rangeSpan = (key) => RANGES_MS[key] || Infinity;
let loadedRange = range;

const socket = connect(root.dataset.socketPath, {
  status(state) {
    if (state !== 'live') { // a history cut off by a new socket: the next one starts over
      historyIds = null;
      historyChunks = [];
      historySummary = [];
    }
    setStatus(state);
  },
  history({ mode, records, deletes, summary }) {
    if (mode !== 'full') {
      applyChanges(records, deletes);
      return;
    }
    historyIds ??= new Set();
    historySummary.push(...summary);
    records.forEach((d) => historyIds.add(d.id));
    historyChunks.push(records);
    // Each crossfilter add merges every dimension's index, so adding chunk by chunk costs
    // the square of the history; adding whenever the backlog matches what is held already
    // keeps it n log n, and the charts still fill in as the history arrives.
    const backlog = historyChunks.reduce((total, chunk) => total + chunk.length, 0);
    if (backlog >= Math.max(HISTORY_FIRST_ADD, store.cf.size())) addHistory();
  },
  historyEnd(frame) {
    addHistory();
    if (frame.mode === 'full') {
      // A full history is the whole truth: anything else held is gone from the server.
      store.replaceSummary(historySummary, frame.summary);
      store.keepOnly(historyIds ?? new Set());
      historySummary = [];
    }
    historyIds = null;
    root.dataset.position = frame.position;
    $('message').hidden = true;
    requestRedraw();
  },
  changes(records, deletes) {
    if (paused) pausedChanges.push([records, deletes]);
    else applyChanges(records, deletes);
  },
  budgets(frame) { budgets.update(frame); }, // budgets: the panel's frame
  error(frame) { showMessage(`The server says: ${frame.message}`); },
  refused(code) {
    showMessage(
      code === CLOSE_LOGIN_REQUIRED ? 'Your session has ended.' : 'Your account cannot see this dashboard.',
      { href: root.dataset.loginUrl, textContent: 'Log in again' },
    );
  },
}, () => (RANGES_MS[loadedRange] ? { since: Date.now() - RANGES_MS[loadedRange] } : {}));

// Controls.
for (const [name, chart] of Object.entries(charts.filterable)) {
  chart.on('filtered.url', () => writeUrlState(charts, range));
  chart.root().select('.reset').on('click', (event) => {
    event.preventDefault();
    charts[name].filterAll();
    dc.redrawAll();
  });
}
$('reset-all').addEventListener('click', () => {
  dc.filterAll();
  dc.redrawAll();
});
$('range').value = range;
$('range').addEventListener('change', (event) => {
  range = event.target.value;
  writeUrlState(charts, range);
  if (rangeSpan(range) > rangeSpan(loadedRange)) {
    loadedRange = range; // a wider range: fetch the older history it now shows
    socket.reload();
  }
  redraw();
});
$('pause').addEventListener('click', (event) => {
  paused = !paused;
  event.target.textContent = paused ? 'Resume' : 'Pause';
  event.target.setAttribute('aria-pressed', String(paused));
  root.dataset.paused = String(paused);
  if (!paused) {
    pausedChanges.splice(0).forEach(([records, deletes]) => applyChanges(records, deletes));
    requestRedraw();
  }
});
$('export').addEventListener('click', () => {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').slice(0, 15);
  download(recordsCsv(store.selected()), `rtviz-spend-${stamp}.csv`);
});
let resizeTimer;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => dc.renderAll(), 150);
});
setInterval(() => { if (RANGES_MS[range]) requestRedraw(); }, 5000); // follow the live edge

// For the browser tests' invariant check: the charts' own totals, exactly as grouped.
if (root.dataset.testHooks === 'true') {
  const entries = (group) => Object.fromEntries(
    group.all().filter((d) => d.value !== 0).map((d) => [d.key, d.value]),
  );
  window.rtvizTotals = () => ({
    byName: entries(store.groups.spendByName),
    byPayType: entries(store.groups.spendByPayType),
    byYear: entries(store.groups.spendByYear),
    count: store.groups.count.value(),
    spent: store.groups.totalSpend.value(),
  });
}

applyFilters(charts, urlState.filters);
applyRange();
dc.renderAll();
// dc shows a chart's reset link on filtering but does not hide it on the first render.
Object.values(charts.filterable).forEach((chart) => {
  if (!chart.hasFilter()) chart.turnOffControls();
});
