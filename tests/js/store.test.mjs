// store.js: one record per id, summary rows, removal whatever the filters.
import assert from 'node:assert/strict';
import test from 'node:test';

import crossfilter from 'crossfilter2';

globalThis.crossfilter = crossfilter; // the page loads it as a classic script first
await import('./page-constants.mjs');
const { bucketFor, createStore } = await import('../../static/dashboard/js/store.js');
const { amountBins, DENSE_SLOTS } = await import('../../static/dashboard/js/amount-bins.js');

const record = (id, fields = {}) => ({
  id, name: 'Ben', spent: 1000, year: 2012, payType: 'cash', quantity: 1, total: 1000, tip: 0,
  created: 1_000_000 + id * 1000, updated: 1_000_000 + id * 1000, ...fields,
});

test('upsert adds, and a record sent again replaces the one held', () => {
  const store = createStore();
  store.upsert([record(1), record(2)]);
  store.upsert([record(2, { spent: 5000 })]);
  assert.equal(store.size(), 2);
  assert.equal(store.groups.totalSpend.value(), 6000);
});

test('removeIds removes whatever the filters, and ignores unknown ids', () => {
  const store = createStore();
  store.upsert([record(1, { year: 2012 }), record(2, { year: 2013 })]);
  store.dimensions.year.filterExact(2013);
  assert.equal(store.removeIds([1, 99]), 1);
  store.dimensions.year.filterAll();
  assert.equal(store.size(), 1);
  assert.equal(store.groups.count.value(), 1);
});

test('keepOnly drops what the server no longer has', () => {
  const store = createStore();
  store.upsert([record(1), record(2), record(3)]);
  store.keepOnly(new Set([2]));
  assert.equal(store.size(), 1);
});

test('summary rows count as the records they stand for', () => {
  const store = createStore();
  const summary = { summary: true, name: 'Ben', year: 2012, payType: 'tab', amount: 10, created: 0, spent: 9000, records: 7 };
  store.replaceSummary([summary], { upto_id: 50, bucket: 60000 });
  store.upsert([record(51)]);
  assert.equal(store.size(), 8);
  assert.equal(store.groups.count.value(), 8);
  assert.equal(store.groups.totalSpend.value(), 10000);
  assert.ok(store.summarised(10));
  assert.ok(!store.summarised(51));
  store.setTimeBucket(1000);
  assert.equal(store.timeBucket, 60000); // never finer than the summary's buckets
});

test('bucketFor picks a bucket giving about 120 bars', () => {
  assert.equal(bucketFor(60 * 60e3), 60e3);
  assert.equal(bucketFor(0), 1000);
});

// The decoders move to wire.js (another branch): their tests go in tests/js/wire.test.mjs.

test('periodTotals ignores the time window and brush but not the other filters', () => {
  const store = createStore();
  store.upsert([record(1), record(2, { name: 'Ann' }), record(3), record(4)]);
  store.dimensions.name.filterExact('Ben');
  store.setWindow(record(3).created);
  store.setBrush([record(3).created, record(4).created]);
  assert.equal(store.groups.count.value(), 1); // record 3: in the window and the brush
  const held = store.groups.periodTotals.all().filter((d) => d.value.records);
  assert.deepEqual(held.map((d) => d.key), [1, 3, 4].map((id) => record(id).created));
  store.setBrush(null);
  assert.equal(store.groups.count.value(), 2);
});

test('shown counts the records held since a moment, whatever the filters', () => {
  const store = createStore();
  store.upsert([record(1), record(2), record(3)]);
  store.dimensions.name.filterExact('nobody');
  store.shownFrom(record(2).created);
  assert.equal(store.shown(), 2);
  store.removeIds([3]);
  assert.equal(store.shown(), 1);
});

test('the selection\'s records and spend follow a filter and come back exactly when it is cleared', () => {
  const store = createStore();
  store.upsert([record(1, { spent: 1999 }), record(2, { spent: 2001, year: 2013 })]);
  store.replaceSummary([{ summary: true, created: 1_000_000, name: 'Lin', year: 2013, payType: 'tab',
    amount: 20, spent: 123456, records: 40 }], { upto_id: 0, bucket: 60_000 });
  store.dimensions.year.filterExact(2013);
  assert.equal(store.groups.count.value(), 41);
  assert.equal(store.groups.totalSpend.value(), 125457);
  store.dimensions.year.filterAll();
  assert.equal(store.groups.count.value(), 42);
  assert.equal(store.groups.totalSpend.value(), 127456);
});

// The amount brush is a sum over the groups' amount bins, not a crossfilter filter: whatever
// the brush and the other filters, every figure equals a plain sum over the rows inside them.
const NAMES = ['Ben', 'Ann', 'Lin'];
function mixedRows() {
  let seed = 7;
  const next = (n) => (seed = (seed * 48271) % 2147483647) % n;
  const whole = Array.from({ length: 300 }, (_, i) => record(100 + i, {
    name: NAMES[next(3)], year: 2012 + next(3), spent: 1 + next(16000), payType: ['cash', 'tab'][next(2)],
  }));
  whole.push(record(500, { spent: 500_000 })); // a $5,000 edit: a bin far past the others
  const summary = Array.from({ length: 120 }, (_, i) => ({
    summary: true, name: NAMES[next(3)], year: 2012 + next(3), payType: 'visa', amount: 10 * next(15),
    created: 1_000_000 + 60_000 * next(5), spent: 100 * (1 + next(9000)), records: 1 + next(50),
  }));
  return { whole, summary, all: [...whole, ...summary] };
}
const amountOf = (d) => d.amount ?? Math.floor(d.spent / 1000) * 10;
const sumBy = (rows, key) => rows.reduce((sums, d) => {
  sums[key(d)] = (sums[key(d)] ?? 0) + d.spent;
  return sums;
}, {});
const totals = (rows) => ({ records: rows.reduce((n, d) => n + (d.records ?? 1), 0), spent: rows.reduce((n, d) => n + d.spent, 0) });
const nonZero = (group) => Object.fromEntries(group.all().filter((d) => d.value !== 0).map((d) => [d.key, d.value]));

test('an amount brush selects exactly the rows in its bins, with the other filters', () => {
  const store = createStore();
  const { whole, summary, all } = mixedRows();
  store.replaceSummary(summary, { upto_id: 99, bucket: 60_000 });
  store.upsert(whole);
  store.setTimeBucket(60_000);
  const windowStart = record(200).created;
  for (const [range, year] of [[[20, 30], null], [[25, 61], 2013], [[0, 150], null], [[40, Infinity], 2014],
    [[-5, 10], null], [[140, 150], 2012], [null, 2013], [null, null]]) {
    store.setAmount(range);
    if (year) store.dimensions.year.filterExact(year);
    else store.dimensions.year.filterAll();
    store.setWindow(windowStart);
    const inAmount = (d) => !range || (amountOf(d) >= range[0] && amountOf(d) < range[1]);
    const byYear = (d) => !year || d.year === year;
    const inTime = (d) => d.created >= windowStart;
    const label = JSON.stringify({ range, year });
    const shown = all.filter((d) => inAmount(d) && byYear(d) && inTime(d));
    assert.deepEqual(nonZero(store.groups.spendByName), sumBy(shown, (d) => d.name), label);
    assert.deepEqual(nonZero(store.groups.spendByPayType), sumBy(shown, (d) => d.payType), label);
    // A group ignores its own dimension's filter.
    assert.deepEqual(nonZero(store.groups.spendByYear), sumBy(all.filter((d) => inAmount(d) && inTime(d)), (d) => d.year), label);
    assert.deepEqual(
      nonZero(store.groups.spendOverTime),
      sumBy(all.filter((d) => inAmount(d) && byYear(d)), (d) => Math.floor(d.created / 60_000) * 60_000),
      label,
    );
    assert.deepEqual({ records: store.groups.count.value(), spent: store.groups.totalSpend.value() }, totals(shown), label);
    const low = record(150).created;
    const high = record(320).created;
    const between = all.filter((d) => inAmount(d) && byYear(d) && d.created >= low && d.created < high);
    assert.deepEqual(store.totalsBetween(low, high), totals(between), label);
    const byTime = store.groups.periodTotals.all().filter((d) => d.value.records);
    assert.deepEqual(byTime.reduce((sum, d) => sum + d.value.spent, 0), totals(all.filter((d) => inAmount(d) && byYear(d))).spent);
    assert.deepEqual(new Set(store.selected()), new Set(shown), label);
    const latest = whole.filter((d) => inAmount(d) && byYear(d) && inTime(d)).sort((a, b) => b.id - a.id).slice(0, 25);
    assert.deepEqual(store.latest(25), latest, label);
  }
});

test('the amount brush leaves the amount chart\'s own counts whole', () => {
  const store = createStore();
  store.upsert([record(1, { spent: 1500 }), record(2, { spent: 2500 })]);
  store.setAmount([20, 30]);
  assert.deepEqual(nonZero(store.groups.countByAmount), { 10: 1, 20: 1 });
  assert.equal(store.groups.count.value(), 1);
  assert.deepEqual(store.amount, [20, 30]);
});

test('the latest records read on past the rows the amount brush drops', () => {
  const store = createStore();
  // 60 records in the $0 bin, then the 3 oldest in the $20 bin.
  store.upsert([...[1, 2, 3].map((id) => record(id, { spent: 2500 })),
    ...Array.from({ length: 60 }, (_, i) => record(10 + i, { spent: 500 }))]);
  store.setAmount([20, 30]);
  assert.deepEqual(store.latest(25).map((d) => d.id), [3, 2, 1]);
  store.setAmount(null);
  assert.equal(store.latest(25)[0].id, 69);
});

test('a period\'s totals follow records added and removed after they were first read', () => {
  const store = createStore();
  store.upsert([record(1, { spent: 1500 }), record(2, { spent: 2500 })]);
  const period = [record(1).created, record(9).created];
  store.setAmount([10, 30]);
  assert.deepEqual(store.totalsBetween(...period), { records: 2, spent: 4000 });
  store.upsert([record(3, { spent: 2900 })]);
  assert.deepEqual(store.totalsBetween(...period), { records: 3, spent: 6900 });
  store.removeIds([1]);
  assert.deepEqual(store.totalsBetween(...period), { records: 2, spent: 5400 });
  store.setAmount([20, 30]);
  assert.deepEqual(store.totalsBetween(...period), { records: 2, spent: 5400 });
  store.dimensions.name.filterExact('Ann');
  assert.deepEqual(store.totalsBetween(...period), { records: 0, spent: 0 });
});

test('far outliers are summed exactly, and an entry holding one keeps no slot for every bin below it', () => {
  const store = createStore();
  const most = 1_000_000; // $10,000.00, the most a record may have spent (feeds.validators.SPENT_MAX)
  store.upsert([record(1, { spent: 1500 }), record(2, { spent: most }), record(3, { spent: 500_000 })]);
  store.setTimeBucket(60_000);
  for (const [range, spent] of [[null, 1500 + most + 500_000], [[0, 20], 1500], [[5000, Infinity], most + 500_000],
    [[10_000, 10_010], most], [[20, 10_000], 500_000]]) {
    store.setAmount(range);
    assert.equal(store.groups.totalSpend.value(), spent, JSON.stringify(range));
    assert.equal(store.groups.spendByName.all()[0].value, spent);
    assert.equal(store.totalsBetween(0, Infinity).spent, spent);
  }
  // The period totals hold an entry per whole record: one holding a $10,000 record must not
  // be an array of a thousand slots (70k of them took 1.7 GB), nor its sums walk them.
  const bins = amountBins(10, (d) => Math.floor(d.spent / 1000) * 10);
  const cf = crossfilter([record(1, { spent: most })]);
  const { records, spent } = cf.groupAll().reduce(...bins.recordsAndSpend).value();
  assert.equal(records.dense.length + spent.dense.length, 0);
  assert.ok(DENSE_SLOTS * 10 >= 150, 'the generator\'s amounts (up to $149.99) are kept by index');
  assert.deepEqual(bins.totalsIn({ records, spent }), { records: 1, spent: most });
});
