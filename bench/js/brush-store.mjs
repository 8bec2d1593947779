// What an amount brush drag costs the store, in node with the page's own store.js beside an
// older one (RTVIZ_OLD_STORE, e.g. a `git archive` of main's static/dashboard/js): the page's
// rows at a million records (29 day buckets of summary rows for 8 people, 4 years, 4 pay types
// and 15 amount bins, and the latest 20,000 records whole), the drag bench/brush.py makes (its
// first move takes the brush from nothing to one bin), and after each move what a frame reads:
// the charts' groups, the numbers and the period comparison's sums. Also what the kept sums
// make dearer: the history's load, a time brush's start and a click on a year. Side by side,
// interleaved; medians and worsts in ms.
// Run (the warning about package.json's module type is harmless):
//   RTVIZ_WIRE="$(cat .venv/wire.json)" RTVIZ_OLD_STORE=/path/to/old/store.js node bench/js/brush-store.mjs
import { performance } from 'node:perf_hooks';
import crossfilter from 'crossfilter2';

globalThis.crossfilter = crossfilter;
await import('../../tests/js/page-constants.mjs');
const here = new URL('../../static/dashboard/js/', import.meta.url);
if (!process.env.RTVIZ_OLD_STORE) throw new Error('RTVIZ_OLD_STORE: the store.js to compare with');
const { createStore } = await import(new URL('store.js', here).href);
const { createStore: createOldStore } = await import(process.env.RTVIZ_OLD_STORE);
const { periods, sumBetween } = await import(new URL('compare.js', here).href);

const NOW = Date.now();
const DAY = 24 * 3600e3;
const NAMES = ['Ben', 'Jarrod', 'Vijay', 'Aziz', 'Maya', 'Lin', 'Omar', 'Sofia'];
const PAY = ['cash', 'tab', 'visa', 'mastercard'];
const WHOLE = 20000;
let seed = 1;
const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);

const summary = [];
for (let day = 0; day < 29; day++) {
  for (const name of NAMES) {
    for (let year = 2012; year < 2016; year++) {
      for (const payType of PAY) {
        for (let amount = 0; amount < 150; amount += 10) {
          const records = 30 + Math.floor(random() * 20);
          summary.push({
            summary: true, name, year, payType, amount, created: NOW - 30 * DAY + day * DAY,
            spent: records * (amount * 100 + 500), records,
          });
        }
      }
    }
  }
}
const whole = Array.from({ length: WHOLE }, (_, i) => {
  const created = NOW - WHOLE * 2500 + i * 2500;
  return {
    id: 1_000_000 + i, name: NAMES[i % 8], spent: 100 + Math.floor(random() * 14900), year: 2012 + (i % 4),
    payType: PAY[(i >> 3) % 4], quantity: 1, total: 3000, tip: 1000, created, updated: created,
  };
});

function load(make) {
  const started = performance.now();
  const store = make();
  store.replaceSummary(summary, { upto_id: 999_999, bucket: DAY });
  store.upsert(whole);
  store.setTimeBucket(DAY);
  return [store, performance.now() - started];
}

// The old store filters the amount dimension; the new one sums its bins (setAmount).
const brushes = {
  old: (store, range) => (range ? store.dimensions.amount.filterRange(range) : store.dimensions.amount.filterAll()),
  new: (store, range) => store.setAmount(range),
};
const totals = {
  old: (store, low, high) => sumBetween(store.groups.periodTotals.all(), low, high),
  new: (store, low, high) => store.totalsBetween(low, high),
};

// One frame's reads after a move: every chart's group, the numbers, the comparison (all time).
function read(store, kind) {
  const { groups } = store;
  [groups.spendByYear, groups.spendByName, groups.spendByPayType, groups.spendOverTime].forEach((g) => g.all());
  const p = periods({ rangeMs: 0, now: NOW, brush: null });
  return [groups.count.value(), groups.totalSpend.value(), totals[kind](store, ...p.current),
    totals[kind](store, ...p.previous)];
}

const MOVES = [...Array.from({ length: 12 }, (_, i) => [20, 30 + 10 * i]),
  ...Array.from({ length: 7 }, (_, i) => [20 + 10 * i, 80 + 10 * i])];
const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
const ms = (value) => +value.toFixed(2);
const runs = () => ({ load: [], moves: [], first: [], timeBrush: [], yearClick: [] });
const result = { old: runs(), new: runs() };
let last = {};
for (let run = 0; run < 5; run++) {
  for (const [kind, make] of [['old', createOldStore], ['new', createStore]]) {
    const [store, loadMs] = load(make);
    result[kind].load.push(loadMs);
    read(store, kind);
    const moves = [];
    const seen = [];
    for (const range of MOVES) {
      const started = performance.now();
      brushes[kind](store, range);
      seen.push(read(store, kind));
      moves.push(performance.now() - started);
    }
    brushes[kind](store, null);
    // For scale, what the kept sums cost the filters that stay crossfilter's: a time brush
    // started (the last day held) and a click on a year.
    const timed = (action) => { const started = performance.now(); action(); return performance.now() - started; };
    result[kind].timeBrush.push(timed(() => store.setBrush([NOW - DAY, NOW])));
    store.setBrush(null);
    result[kind].yearClick.push(timed(() => store.dimensions.year.filterExact(2013)));
    store.dimensions.year.filterAll();
    result[kind].first.push(moves[0]);
    result[kind].moves.push(...moves);
    last[kind] = seen;
  }
}
// The same numbers from both, move by move: the kept sums are the filter's, exactly.
const same = JSON.stringify(last.old) === JSON.stringify(last.new);
console.log(JSON.stringify({
  rows: summary.length + WHOLE, sameTotals: same,
  ...Object.fromEntries(Object.entries(result).map(([kind, r]) => [kind, {
    loadMs: ms(median(r.load)), moveMedianMs: ms(median(r.moves)), firstMoveMedianMs: ms(median(r.first)),
    worstMoveMs: ms(Math.max(...r.moves)), timeBrushMs: ms(median(r.timeBrush)), yearClickMs: ms(median(r.yearClick)),
  }])),
}));
