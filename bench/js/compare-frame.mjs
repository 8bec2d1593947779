// What the period comparison costs the page, in node with the page's own store.js, beside the
// store without it (a checkout of main, ../main or RTVIZ_OLD_STORE): loading a long history
// (whole records plus summary rows standing for millions) and one frame's comparison sums.
// Run (node 22; the warning about package.json's module type is harmless):
//   RTVIZ_WIRE="$(cat .venv/wire.json)" node bench/js/compare-frame.mjs [whole] [summary rows]
import { performance } from 'node:perf_hooks';
import crossfilter from 'crossfilter2';

globalThis.crossfilter = crossfilter;
await import('../../tests/js/page-constants.mjs');
const here = new URL('../../static/dashboard/js/', import.meta.url);
const oldStore = process.env.RTVIZ_OLD_STORE ?? new URL('../../../../main/static/dashboard/js/store.js', import.meta.url).href;
const { createStore } = await import(new URL('store.js', here).href);
const { createStore: createOldStore } = await import(oldStore);
const { periods, sumBetween } = await import(new URL('compare.js', here).href);

const WHOLE = Number(process.argv[2] ?? 20000);
const SUMMARY = Number(process.argv[3] ?? 60000);
const NOW = Date.now();
const DAY = 24 * 3600e3;
const NAMES = ['Ben', 'Jarrod', 'Vijay', 'Aziz'];
const PAY = ['cash', 'tab', 'visa', 'mastercard', 'bitcoin'];

// Summary rows over 48 h in 15-minute buckets, each standing for 150 records (60,000 rows:
// 9M records); the latest whole records in the last hour.
const summary = Array.from({ length: SUMMARY }, (_, i) => ({
  summary: true, name: NAMES[i % 4], payType: PAY[i % 5], year: 2012 + (i % 5), amount: (i % 15) * 10,
  created: NOW - 2 * DAY + Math.floor(i / 300) * 900e3, spent: 150 * 5000, records: 150,
}));
const whole = Array.from({ length: WHOLE }, (_, i) => ({
  id: 1_000_000 + i, name: NAMES[i % 4], payType: PAY[i % 5], year: 2012 + (i % 5), spent: 1000 + i,
  quantity: 1, total: 1000, tip: 0, created: NOW - 3600e3 + i * (3600e3 / WHOLE), updated: 0,
}));

function load(make) {
  const started = performance.now();
  const store = make();
  store.replaceSummary(summary, { upto_id: 999_999, bucket: 900e3 });
  store.upsert(whole);
  return [store, performance.now() - started];
}

const median = (values) => values.sort((a, b) => a - b)[values.length >> 1];
const runs = 7;
const loads = { old: [], new: [] };
let store;
for (let run = 0; run < runs; run++) { // interleaved, side by side
  loads.old.push(load(createOldStore)[1]);
  const [made, ms] = load(createStore);
  loads.new.push(ms);
  store = made;
}
store.dimensions.name.filterExact('Ben'); // a cross-filter, as on the page
// One frame's comparison: a 24 h range (its previous day is summary rows) and a 30-minute one
// whose previous period holds half the whole records (the most entries a period can hold).
function frame(rangeMs) {
  store.setWindow(NOW - rangeMs);
  const times = [];
  for (let run = 0; run < 200; run++) {
    const started = performance.now();
    const p = periods({ rangeMs, now: NOW, brush: null });
    sumBetween(store.groups.periodTotals.all(), ...p.previous);
    times.push(performance.now() - started);
  }
  return +median(times).toFixed(3);
}
const perFrame = { day: frame(DAY), halfHour: frame(1800e3) };
const filterMoves = [];
for (let run = 0; run < 50; run++) { // what one click on a person costs the store, for scale
  const started = performance.now();
  store.dimensions.name.filterExact(run % 2 ? 'Ben' : 'Aziz');
  filterMoves.push(performance.now() - started);
}
console.log(JSON.stringify({
  whole: WHOLE, summaryRows: SUMMARY, recordsHeld: store.size(),
  periodTotalsEntries: store.groups.periodTotals.all().length,
  loadMsOld: +median(loads.old).toFixed(1), loadMsNew: +median(loads.new).toFixed(1),
  loadRatio: +(median(loads.new) / median(loads.old)).toFixed(2),
  comparisonPerFrameMs24h: perFrame.day, comparisonPerFrameMs30min: perFrame.halfHour,
  oneFilterClickMs: +median(filterMoves).toFixed(2),
}));
