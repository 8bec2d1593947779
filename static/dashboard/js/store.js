// One crossfilter holding every record the page knows, one per id, and the summary rows a
// long history arrives as: each stands for `records` records of one time bucket, name, year,
// pay type and amount bin, with their spend (docs/protocol.md). Groups sum both alike.

import { constants } from './wire.js';
import { amountBins } from './amount-bins.js';
import { firstAtOrAfter } from './compare.js';

// Bucket sizes for the time chart, smallest first, and the amount bins: the server's, which
// keeps its summary cells in the same ones (feeds/cells.py).
const BUCKETS_MS = constants.buckets_ms;
export const AMOUNT_BIN_DOLLARS = constants.amount_bin_dollars;

// The bucket size that spans `spanMs` in about `time_buckets` (120) buckets.
export function bucketFor(spanMs) {
  return BUCKETS_MS.find((ms) => ms >= spanMs / constants.time_buckets) ?? BUCKETS_MS.at(-1);
}

const amountBin = (cents) => Math.floor(cents / (100 * AMOUNT_BIN_DOLLARS)) * AMOUNT_BIN_DOLLARS;
const amountOf = (d) => d.amount ?? amountBin(d.spent);
const recordsIn = (d) => d.records ?? 1;

export function createStore() {
  const cf = crossfilter();
  const ids = new Set(); // the records held whole
  let summarisedTo = 0; // the summary rows hold the records with ids up to here ...
  let summaryRecords = 0; // ... this many
  let summaryBucket = 0; // ... in time buckets this long
  const dimensions = {
    year: cf.dimension((d) => d.year),
    name: cf.dimension((d) => d.name),
    payType: cf.dimension((d) => d.payType),
    // The amount chart's group only: its brush never filters it (amount-bins.js).
    amount: cf.dimension(amountOf),
    // The time-range selector's window and the time chart's brush, both: a group over it sees
    // every other filter and neither, so it holds the previous period too (periodTotals).
    time: cf.dimension((d) => d.created),
    latest: cf.dimension((d) => d.id ?? 0),
  };
  // Every group the amount brush changes keeps its sums per amount bin; what the charts read
  // is the sum of the bins inside the brush (setAmount).
  const bins = amountBins(AMOUNT_BIN_DOLLARS, amountOf);
  // The selection's records and spend in one reduce: every group is one more pass over the
  // rows a filter adds or removes, and a brush started or cleared moves most of them.
  const selection = cf.groupAll().reduce(...bins.recordsAndSpend);
  // Records and spend by creation time, whatever the time filters: the period comparison
  // sums it between two moments (compare.js). One entry per distinct time: the whole records
  // and the summary buckets held, never the millions a summary stands for.
  const periodTotals = dimensions.time.group().reduce(...bins.recordsAndSpend);
  const binnedSpend = (dimension) => bins.view(dimension.group().reduce(...bins.spend), bins.spentIn);
  const groups = {
    spendByYear: binnedSpend(dimensions.year),
    spendByName: binnedSpend(dimensions.name),
    spendByPayType: binnedSpend(dimensions.payType),
    countByAmount: dimensions.amount.group().reduceSum(recordsIn),
    spendOverTime: null, // made by setTimeBucket
    count: { value: () => bins.totalsIn(selection.value()).records },
    totalSpend: { value: () => bins.totalsIn(selection.value()).spent },
    periodTotals: bins.view(periodTotals, bins.totalsIn),
  };
  let spendOverTime = null;
  // What the page shows of the time held: the range's window [windowStart, ∞) and the
  // brush [low, high), both on the one time dimension.
  let windowStart = -Infinity;
  let brush = null;
  let amount = null; // the amount chart's brush, [low, high) dollars, or null
  // "N of M records selected": M is the records held since `shownFrom` whatever the filters
  // (a crossfilter of its own, one dimension), not the older ones loaded only to compare.
  const held = crossfilter();
  const heldTime = held.dimension((d) => d.created);
  const heldCount = held.groupAll().reduceSum(recordsIn);
  let timeBucket = 0;
  let firstCreated = Infinity; // the time span of everything ever held, whatever the filters
  let lastCreated = -Infinity;

  // Never finer than the summary's buckets (each size divides the larger ones).
  function setTimeBucket(wantedMs) {
    const bucketMs = Math.max(wantedMs, summaryBucket);
    if (bucketMs === timeBucket) return;
    spendOverTime?.dispose();
    spendOverTime = dimensions.time
      .group((t) => Math.floor(t / bucketMs) * bucketMs)
      .reduce(...bins.spend);
    groups.spendOverTime = bins.view(spendOverTime, bins.spentIn);
    timeBucket = bucketMs;
  }

  function addAll(records) {
    if (!records.length) return;
    cf.add(records);
    held.add(records);
  }

  function removeWhere(predicate) {
    cf.remove(predicate);
    held.remove(predicate);
  }

  function filterTime() {
    const low = Math.max(windowStart, brush ? +brush[0] : -Infinity);
    const high = brush ? +brush[1] : Infinity;
    if (low === -Infinity && high === Infinity) dimensions.time.filterAll();
    else dimensions.time.filterRange([low, Math.max(low, high)]);
  }

  // The range's window: records created at `startMs` or later are shown (-Infinity: all).
  function setWindow(startMs) {
    if (startMs === windowStart) return;
    windowStart = startMs;
    filterTime();
  }

  // The time chart's brush, [low, high) or null; the chart's filterHandler calls it.
  function setBrush(bounds) {
    brush = bounds ? [+bounds[0], +bounds[1]] : null;
    filterTime();
  }

  // The amount chart's brush, [low, high) dollars of the bins' keys, or null: the groups
  // sum the bins inside it, the latest records and the selection keep only the rows inside.
  function setAmount(range) {
    amount = range ? [+range[0], +range[1]] : null;
    bins.setRange(amount);
  }

  // The latest records held whole inside every filter, newest first, at most `size`: a
  // summary row is no one purchase. More are read while the amount brush drops some.
  function latest(size) {
    for (let wanted = size; ; wanted *= 4) {
      const rows = dimensions.latest.top(wanted);
      const kept = rows.filter((d) => !d.summary && bins.has(d));
      if (kept.length >= size || rows.length < wanted || rows.at(-1).summary) return kept.slice(0, size);
    }
  }

  // Records and spend created in [low, high) under every filter but the time filters. A
  // period's sums per bin are kept until the crossfilter next changes: an amount brush's
  // moves read the same periods every frame, over other bins (the comparison's 30 days sum
  // every entry held).
  const periods = new Map(); // "low/high" -> { records, spent } per bin
  cf.onChange(() => periods.clear());
  function totalsBetween(low, high) {
    const key = `${low}/${high}`;
    if (!periods.has(key)) {
      if (periods.size >= 8) periods.clear(); // a moving range's periods move with the clock
      const entries = periodTotals.all();
      periods.set(key, bins.merged(entries, firstAtOrAfter(entries, low), high));
    }
    return bins.totalsIn(periods.get(key));
  }

  // Adds records, replacing any held under the same id (an update, or a record sent again
  // after a reconnect): one crossfilter add per batch, since each add merges every
  // dimension's index once.
  function upsert(records) {
    const replaced = new Set(records.filter((d) => ids.has(d.id)).map((d) => d.id));
    if (replaced.size) removeWhere((d) => replaced.has(d.id));
    records.forEach((d) => {
      ids.add(d.id);
      firstCreated = Math.min(firstCreated, d.created);
      lastCreated = Math.max(lastCreated, d.created);
    });
    addAll(records);
    return records.length;
  }

  // remove(predicate) removes by predicate whatever the filters; a bare remove() would
  // delete only the records matching the current filters.
  function removeIds(gone) {
    const goneSet = new Set(gone.filter((id) => ids.has(id)));
    if (!goneSet.size) return 0;
    removeWhere((d) => goneSet.has(d.id));
    goneSet.forEach((id) => ids.delete(id));
    return goneSet.size;
  }

  // After a full history: drop what the server no longer has.
  function keepOnly(keptIds) {
    return removeIds([...ids].filter((id) => !keptIds.has(id)));
  }

  // After a full history: its summary rows replace any held before.
  function replaceSummary(rows, summary) {
    if (summaryRecords || rows.length) removeWhere((d) => d.summary === true);
    rows.forEach((d) => {
      firstCreated = Math.min(firstCreated, d.created);
      lastCreated = Math.max(lastCreated, d.created);
    });
    addAll(rows);
    summaryRecords = rows.reduce((total, d) => total + d.records, 0);
    summarisedTo = summary?.upto_id ?? 0;
    summaryBucket = summary?.bucket ?? 0;
  }

  // A change to a record held only inside a summary row cannot be applied: the row does not
  // say what the record was before. (Ids only grow, so a new record is never one of them.)
  function summarised(id) {
    return id <= summarisedTo && !ids.has(id);
  }

  function timeSpan() {
    return lastCreated > firstCreated ? lastCreated - firstCreated : 0;
  }

  return {
    cf, dimensions, groups, upsert, removeIds, keepOnly, replaceSummary, summarised,
    setTimeBucket, timeSpan, setWindow, setBrush, setAmount, latest, totalsBetween,
    get timeBucket() { return timeBucket; },
    get brush() { return brush; },
    get amount() { return amount; },
    // Held records shown by some range: those since `fromMs` (the rest only compare).
    shownFrom(fromMs) { heldTime.filterRange([fromMs, Infinity]); },
    shown: () => heldCount.value(),
    size: () => ids.size + summaryRecords, // records, whole or summarised
    selected: () => cf.allFiltered().filter(bins.has),
  };
}
