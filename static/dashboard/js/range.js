// The time-range selector: it bounds what is shown, its cutoff moves with the clock, and the
// server sends history only as far back as the widest range chosen so far.
import { bucketFor } from './store.js';
import { timeWindow } from './charts.js';

export const RANGES_MS = { '15m': 15 * 60e3, '1h': 60 * 60e3, '24h': 24 * 60 * 60e3, all: 0 };
const span = (key) => RANGES_MS[key] || Infinity;

export function createRange(store, initial) {
  let key = initial in RANGES_MS ? initial : 'all';
  let loaded = key; // the history held reaches this far back
  store.setTimeBucket(bucketFor(RANGES_MS[key] || RANGES_MS['1h']));

  return {
    get key() { return key; },
    get moving() { return RANGES_MS[key] > 0; }, // its window follows the live edge
    // Returns true when the new range reaches further back than the history held.
    choose(newKey) {
      key = newKey;
      if (span(key) <= span(loaded)) return false;
      loaded = key;
      return true;
    },
    apply(charts) {
      const ms = RANGES_MS[key];
      if (ms) store.dimensions.range.filterRange([Date.now() - ms, Infinity]);
      else store.dimensions.range.filterAll();
      store.setTimeBucket(bucketFor(ms || store.timeSpan()));
      timeWindow(charts, store, ms);
    },
    // The socket's query: the start of the history to send.
    params: () => (RANGES_MS[loaded] ? { since: Date.now() - RANGES_MS[loaded] } : {}),
  };
}
