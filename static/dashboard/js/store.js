// One crossfilter holding every record the page knows, one per id.

// Bucket sizes for the time chart, smallest first; one is chosen for ~120 buckets.
const BUCKETS_MS = [1, 5, 15, 60, 300, 900, 3600, 21600, 86400, 604800].map((s) => s * 1000);
export const AMOUNT_BIN_DOLLARS = 10;

export function bucketFor(spanMs) {
  return BUCKETS_MS.find((ms) => ms >= spanMs / 120) ?? BUCKETS_MS.at(-1);
}

export function createStore() {
  const cf = crossfilter();
  const ids = new Set();
  const dimensions = {
    year: cf.dimension((d) => d.year),
    name: cf.dimension((d) => d.name),
    payType: cf.dimension((d) => d.payType),
    amount: cf.dimension((d) => Math.floor(d.spent / (100 * AMOUNT_BIN_DOLLARS)) * AMOUNT_BIN_DOLLARS),
    time: cf.dimension((d) => d.created),
    range: cf.dimension((d) => d.created), // the time-range selector, apart from the time brush
    latest: cf.dimension((d) => d.id),
  };
  const spend = (d) => d.spent;
  const groups = {
    spendByYear: dimensions.year.group().reduceSum(spend),
    spendByName: dimensions.name.group().reduceSum(spend),
    spendByPayType: dimensions.payType.group().reduceSum(spend),
    countByAmount: dimensions.amount.group(),
    spendOverTime: null, // made by setTimeBucket
    count: cf.groupAll(),
    totalSpend: cf.groupAll().reduceSum(spend),
  };
  let timeBucket = 0;
  let firstCreated = Infinity; // the time span of everything ever held, whatever the filters
  let lastCreated = -Infinity;

  function setTimeBucket(bucketMs) {
    if (bucketMs === timeBucket) return;
    groups.spendOverTime?.dispose();
    groups.spendOverTime = dimensions.time
      .group((t) => Math.floor(t / bucketMs) * bucketMs)
      .reduceSum(spend);
    timeBucket = bucketMs;
  }

  // Adds records, replacing any held under the same id (an update, or a record sent again
  // after a reconnect): one crossfilter add per batch, since each add merges every
  // dimension's index once.
  function upsert(records) {
    const replaced = new Set(records.filter((d) => ids.has(d.id)).map((d) => d.id));
    if (replaced.size) cf.remove((d) => replaced.has(d.id));
    records.forEach((d) => {
      ids.add(d.id);
      firstCreated = Math.min(firstCreated, d.created);
      lastCreated = Math.max(lastCreated, d.created);
    });
    if (records.length) cf.add(records);
    return records.length;
  }

  // remove(predicate) removes by predicate whatever the filters; a bare remove() would
  // delete only the records matching the current filters.
  function removeIds(gone) {
    const goneSet = new Set(gone.filter((id) => ids.has(id)));
    if (!goneSet.size) return 0;
    cf.remove((d) => goneSet.has(d.id));
    goneSet.forEach((id) => ids.delete(id));
    return goneSet.size;
  }

  // After a full history: drop what the server no longer has.
  function keepOnly(keptIds) {
    return removeIds([...ids].filter((id) => !keptIds.has(id)));
  }

  function timeSpan() {
    return lastCreated > firstCreated ? lastCreated - firstCreated : 0;
  }

  return {
    cf, dimensions, groups, upsert, removeIds, keepOnly, setTimeBucket, timeSpan,
    get timeBucket() { return timeBucket; },
    size: () => cf.size(),
    selected: () => cf.allFiltered(),
  };
}
