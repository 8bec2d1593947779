// url-state.js: what a query string may hold, and what is ignored.
import assert from 'node:assert/strict';
import test from 'node:test';

import { readUrlState } from '../../static/dashboard/js/url-state.js';

test('ordinal filters: years as numbers, names and pay types as text', () => {
  const { filters } = readUrlState('?year=2012,2013&person=Ben,Aziz&payType=cash');
  assert.deepEqual(filters, { year: [2012, 2013], person: ['Ben', 'Aziz'], payType: ['cash'] });
});

test('ranges: two increasing numbers', () => {
  assert.deepEqual(readUrlState('?amount=20_60&time=1000_2000').filters, {
    amount: [20, 60], time: [1000, 2000],
  });
});

for (const query of ['amount=abc', 'time=1_', 'amount=60_20', 'amount=1_2_3', 'amount=_', 'time=Infinity_1e400', 'year=abc']) {
  test(`"${query}" is ignored`, () => {
    assert.deepEqual(readUrlState(`?${query}`).filters, {});
  });
}

test('a value too long to be a real filter is ignored', () => {
  assert.deepEqual(readUrlState(`?person=${'x'.repeat(10000)}`).filters, {});
  assert.deepEqual(readUrlState(`?amount=${'9'.repeat(10000)}_1`).filters, {});
});

test('the range: one of the known ones, else all time', () => {
  assert.equal(readUrlState('?range=1h').range, '1h');
  assert.equal(readUrlState('?range=2y').range, 'all');
  assert.equal(readUrlState('').range, 'all');
});

test('the view mode: tv only when asked', () => {
  assert.equal(readUrlState('?tv=1').tv, true);
  assert.equal(readUrlState('').tv, false);
});

test('the previous-period overlay: on only when asked', () => {
  assert.equal(readUrlState('?previous=1').previous, true);
  assert.equal(readUrlState('?previous=yes').previous, false);
  assert.equal(readUrlState('').previous, false);
});
