// The time-range selector: it bounds what is shown, its cutoff moves with the clock, and the
// server sends history as far back as twice the widest range chosen so far: the range itself,
// and the equal period before it for the comparison (compare.js), held but never shown.
import { bucketFor } from './store.js';
import { timeWindow } from './charts.js';

export const RANGES_MS = { '15m': 15 * 60e3, '1h': 60 * 60e3, '24h': 24 * 60 * 60e3, all: 0 };
const span = (key) => RANGES_MS[key] || Infinity;

export function createRange(store, initial) {
  let key = initial in RANGES_MS ? initial : 'all';
  let loaded = key; // the history held reaches this far back (and as far again, to compare)
  store.setTimeBucket(bucketFor(RANGES_MS[key] || RANGES_MS['1h']));
  // "N of M records": M counts what this range alone would have loaded (store.shown).
  const shownFrom = () => store.shownFrom(RANGES_MS[loaded] ? Date.now() - RANGES_MS[loaded] : -Infinity);
  shownFrom();
  let now = Date.now(); // the window's end as last applied

  return {
    get now() { return now; },
    get key() { return key; },
    get ms() { return RANGES_MS[key]; },
    get moving() { return RANGES_MS[key] > 0; }, // its window follows the live edge
    // Returns true when the new range reaches further back than the history held.
    choose(newKey) {
      key = newKey;
      if (span(key) <= span(loaded)) return false;
      loaded = key;
      shownFrom();
      return true;
    },
    apply(charts) {
      const ms = RANGES_MS[key];
      now = Date.now();
      store.setWindow(ms ? now - ms : -Infinity);
      store.setTimeBucket(bucketFor(ms || store.timeSpan()));
      timeWindow(charts, store, ms);
    },
    // The socket's query: the start of the history to send (the period before the range too)
    // and the span the time chart shows, which a summarised history is bucketed for.
    params: () => (RANGES_MS[loaded]
      ? { since: Date.now() - 2 * RANGES_MS[loaded], span: RANGES_MS[loaded] }
      : {}),
  };
}
