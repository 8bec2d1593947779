// compare.js: which periods are compared, their exact sums, and how the change reads.
import assert from 'node:assert/strict';
import test from 'node:test';

const { ALL_SPAN_MS, changeText, periods, sumBetween } = await import('../../static/dashboard/js/compare.js');

const HOUR = 3600e3;
const NOW = 1_800_000_000_000;

test('a time range is compared with the equal span just before it', () => {
  const p = periods({ rangeMs: 24 * HOUR, now: NOW, brush: null });
  assert.deepEqual(p.current, [NOW - 24 * HOUR, Infinity]);
  assert.deepEqual(p.previous, [NOW - 48 * HOUR, NOW - 24 * HOUR]);
  assert.equal(p.label, 'previous 24 h');
  assert.equal(p.ownTotal, false); // the displayed numbers are the current period's
});

test('all time compares the last 30 days with the 30 days before, as its own figure', () => {
  const p = periods({ rangeMs: 0, now: NOW, brush: null });
  assert.equal(ALL_SPAN_MS, 30 * 24 * HOUR);
  assert.deepEqual(p.current, [NOW - ALL_SPAN_MS, Infinity]);
  assert.deepEqual(p.previous, [NOW - 2 * ALL_SPAN_MS, NOW - ALL_SPAN_MS]);
  assert.equal(p.label, 'previous 30 days');
  assert.equal(p.ownTotal, true); // the displayed numbers are all time: the line says its own
});

test('a brushed time chart compares the brushed span with the equal span before it', () => {
  const p = periods({ rangeMs: 24 * HOUR, now: NOW, brush: [NOW - 3 * HOUR, NOW - HOUR] });
  assert.deepEqual(p.current, [NOW - 3 * HOUR, NOW - HOUR]);
  assert.deepEqual(p.previous, [NOW - 5 * HOUR, NOW - 3 * HOUR]);
  assert.equal(p.label, 'the 2 h before the selection');
});

test('a brush reaching before the range is cut at the range start, as the page filters it', () => {
  const p = periods({ rangeMs: HOUR, now: NOW, brush: [NOW - 5 * HOUR, NOW - 30 * 60e3] });
  assert.deepEqual(p.current, [NOW - HOUR, NOW - 30 * 60e3]);
  assert.deepEqual(p.previous, [NOW - 90 * 60e3, NOW - HOUR]);
  assert.equal(p.label, 'the 30 min before the selection');
});

test('sumBetween sums the entries with keys in [low, high), exactly', () => {
  const entries = [10, 20, 30, 40].map((key) => ({ key, value: { records: 1, spent: key * 100 + 1 } }));
  assert.deepEqual(sumBetween(entries, 20, 40), { records: 2, spent: 5002 });
  assert.deepEqual(sumBetween(entries, 0, Infinity), { records: 4, spent: 10004 });
  assert.deepEqual(sumBetween(entries, 41, 50), { records: 0, spent: 0 });
  assert.deepEqual(sumBetween([], 0, 1), { records: 0, spent: 0 });
});

test('a rise, a fall and no change read with a sign and an arrow, never colour alone', () => {
  assert.deepEqual(changeText(112, 100, { records: 3, label: 'previous 24 h' }),
    { kind: 'up', text: '▲ +12 % vs previous 24 h' });
  assert.deepEqual(changeText(88, 100, { records: 3, label: 'previous 24 h' }),
    { kind: 'down', text: '▼ −12 % vs previous 24 h' });
  assert.deepEqual(changeText(100, 100, { records: 3, label: 'previous 1 h' }),
    { kind: 'same', text: '= no change vs previous 1 h' });
  assert.deepEqual(changeText(1005, 1000, { records: 3, label: 'previous 1 h' }),
    { kind: 'up', text: '▲ +0.5 % vs previous 1 h' });
  assert.deepEqual(changeText(0, 100, { records: 3, label: 'previous 1 h' }),
    { kind: 'down', text: '▼ −100 % vs previous 1 h' });
  assert.deepEqual(changeText(123456, 100, { records: 3, label: 'previous 1 h' }),
    { kind: 'up', text: '▲ +123,356 % vs previous 1 h' });
});

test('no previous data is said in words, never as Infinity or NaN', () => {
  assert.deepEqual(changeText(500, 0, { records: 0, label: 'previous 24 h' }),
    { kind: 'none', text: 'no data for previous 24 h' });
  assert.deepEqual(changeText(0, 0, { records: 0, label: 'previous 15 min' }),
    { kind: 'none', text: 'no data for previous 15 min' });
  // records there, but they sum to zero: no percentage of zero
  assert.deepEqual(changeText(500, 0, { records: 2, label: 'previous 1 h', zero: '$0.00' }),
    { kind: 'up', text: '▲ up from $0.00 in previous 1 h' });
  assert.deepEqual(changeText(0, 0, { records: 2, label: 'previous 1 h' }),
    { kind: 'same', text: '= no change vs previous 1 h' });
});

test('the overlay outline runs along each bar and back to zero across an empty bucket', async () => {
  const { stepPath } = await import('../../static/dashboard/js/overlay.js');
  const scale = { x: (v) => v, y: (v) => 100 - v, bucket: 10 };
  assert.equal(stepPath([], scale), '');
  assert.equal(
    stepPath([{ key: 0, value: 5 }, { key: 10, value: 7 }, { key: 30, value: 2 }], scale),
    'M0,100L0,95L10,95L10,93L20,93L20,100M30,100L30,98L40,98L40,100',
  );
});

test('durations read as people say them', async () => {
  const { durationText } = await import('../../static/dashboard/js/compare.js');
  assert.equal(durationText(15 * 60e3), '15 min');
  assert.equal(durationText(HOUR), '1 h');
  assert.equal(durationText(24 * HOUR), '24 h');
  assert.equal(durationText(ALL_SPAN_MS), '30 days');
  assert.equal(durationText(2 * HOUR + 13 * 60e3), '2 h 13 min');
  assert.equal(durationText(40e3), '40 s');
  assert.equal(durationText(0), '0 s'); // a brush the window has moved past
});
