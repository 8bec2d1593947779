// wire.js: decoding what dashboard/wire.py encodes, as docs/protocol.md shows it.
import assert from 'node:assert/strict';
import test from 'node:test';

await import('./page-constants.mjs');
const { constants, decodeBatch, decodeHistory, decodeSummary, encodeFrame, sameConstants } =
  await import('../../static/dashboard/js/wire.js');

// docs/protocol.md, "Columnar batch".
const batch = {
  count: 3,
  columns: {
    id: [41, 1, 1], name: [0, 1, 0], spent: [1234, 999, 15000], year: [2014, 2012, 2015],
    pay_type: [0, 0, 1], quantity: [1, 3, 2], total: [45000, 3099, 700], tip: [1050, 1000, 1299],
    created: [1795765812804, 0, 2], updated: [3, 3, 1],
  },
  dictionaries: { name: ['Ben', 'Aziz'], pay_type: ['visa', 'cash'] },
};

test('a batch: ids and creation times from their differences, names from the dictionary', () => {
  const records = decodeBatch(batch);
  assert.deepEqual(records.map((r) => r.id), [41, 42, 43]);
  assert.deepEqual(records.map((r) => r.created), [1795765812804, 1795765812804, 1795765812806]);
  assert.deepEqual(records.map((r) => r.updated), [1795765812807, 1795765812807, 1795765812807]);
  assert.deepEqual(records.map((r) => r.name), ['Ben', 'Aziz', 'Ben']);
  assert.deepEqual(records.map((r) => r.payType), ['visa', 'visa', 'cash']);
  assert.deepEqual(records[2], {
    id: 43, name: 'Ben', spent: 15000, year: 2015, payType: 'cash', quantity: 2, total: 700,
    tip: 1299, created: 1795765812806, updated: 1795765812807,
  });
});

test('an empty batch is no records', () => {
  const empty = { count: 0, columns: Object.fromEntries(Object.keys(batch.columns).map((k) => [k, []])), dictionaries: {} };
  assert.deepEqual(decodeBatch(empty), []);
});

test('summary rows: bucket starts from their differences, each standing for its records', () => {
  // docs/protocol.md, "Summary rows".
  const rows = decodeSummary({
    count: 2, bucket: 21600000,
    columns: {
      created: [1795759200000, 21600000], name: [0, 0], year: [2014, 2014], pay_type: [0, 0],
      amount: [10, 10], spent: [5241, 1399], records: [4, 1],
    },
    dictionaries: { name: ['Ben'], pay_type: ['visa'] },
  });
  assert.deepEqual(rows.map((r) => r.created), [1795759200000, 1795780800000]);
  assert.deepEqual(rows.map((r) => [r.summary, r.name, r.payType, r.amount, r.spent, r.records]), [
    [true, 'Ben', 'visa', 10, 5241, 4],
    [true, 'Ben', 'visa', 10, 1399, 1],
  ]);
});

test('a history frame: records, deletes or summary, whichever it holds', () => {
  assert.deepEqual(decodeHistory({ mode: 'replay', deletes: [7, 9] }), {
    mode: 'replay', records: [], deletes: [7, 9], summary: [],
  });
  assert.equal(decodeHistory({ mode: 'full', records: batch }).records.length, 3);
});

test('client frames carry the server\'s protocol version; a hello with other constants is a new server', () => {
  assert.deepEqual(JSON.parse(encodeFrame({ type: 'ping', position: 5 })), {
    v: constants.protocol, type: 'ping', position: 5,
  });
  assert.equal(sameConstants({ constants: JSON.parse(JSON.stringify(constants)) }), true);
  assert.equal(sameConstants({ constants: { ...constants, time_buckets: constants.time_buckets + 1 } }), false);
});
