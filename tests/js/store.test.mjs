// store.js: one record per id, summary rows, removal whatever the filters.
import assert from 'node:assert/strict';
import test from 'node:test';

import crossfilter from 'crossfilter2';

globalThis.crossfilter = crossfilter; // the page loads it as a classic script first
await import('./page-constants.mjs');
const { bucketFor, createStore } = await import('../../static/dashboard/js/store.js');

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
