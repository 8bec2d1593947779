// Sums kept per amount bin, so that the amount chart's brush is a sum over the bins inside it
// rather than a crossfilter filter. A filter makes every other group re-reduce each row it
// moves, and a brush's first move moves most of them (~67k rows, 26 ms at a million records);
// there are only ~15 bins to add up (docs/benchmarks.md, "Brushing").
//
// A group's value holds a `BinSums` (the spend), or two (records and spend) for the groups that
// count records too. A bin's slot is its dollars / binDollars, a whole number: the server's
// summary rows and the page's whole records alike are binned to multiples of it. Sums stay
// exact: integer cents and record counts, added and removed alike.

// Slots below this are kept by index: every bin of the generator's amounts (up to $149.99)
// and the like. The rest (a $5,000 edit; spend in the thousands) are kept by key: the period
// totals hold an entry per whole record, and an array reaching a $10,000 record's slot in each
// would take 16 kB an entry (1.7 GB for 70k of them) and make every sum walk a thousand slots.
export const DENSE_SLOTS = 16;

export class BinSums {
  constructor() {
    this.dense = [];
    this.far = null; // Map slot -> sum, for slots at or past DENSE_SLOTS
  }

  add(slot, value) {
    if (slot < DENSE_SLOTS) {
      this.dense[slot] = (this.dense[slot] ?? 0) + value;
    } else {
      this.far ??= new Map();
      this.far.set(slot, (this.far.get(slot) ?? 0) + value);
    }
  }

  addAll(other) {
    other.dense.forEach((value, slot) => this.add(slot, value)); // forEach skips the holes
    other.far?.forEach((value, slot) => this.add(slot, value));
  }

  // The sum over the slots [first, end).
  sumIn(first, end) {
    let total = 0;
    for (let i = first, n = Math.min(end, this.dense.length); i < n; i++) total += this.dense[i] ?? 0;
    this.far?.forEach((value, slot) => { if (slot >= first && slot < end) total += value; });
    return total;
  }
}

export function amountBins(binDollars, binOf) {
  const slot = (d) => binOf(d) / binDollars;
  const recordsIn = (d) => d.records ?? 1;

  // crossfilter reduce functions: add, remove, initial.
  const spend = [
    (p, d) => { p.add(slot(d), d.spent); return p; },
    (p, d) => { p.add(slot(d), -d.spent); return p; },
    () => new BinSums(),
  ];
  const recordsAndSpend = [
    (p, d) => { const i = slot(d); p.records.add(i, recordsIn(d)); p.spent.add(i, d.spent); return p; },
    (p, d) => { const i = slot(d); p.records.add(i, -recordsIn(d)); p.spent.add(i, -d.spent); return p; },
    () => ({ records: new BinSums(), spent: new BinSums() }),
  ];

  // The bins inside an amount range [low, high) of dollars, as crossfilter's filterRange
  // takes a bin's key: [first, end) of slots. null is every bin.
  let first = 0;
  let end = Infinity;
  function setRange(range) {
    first = range ? Math.max(0, Math.ceil(range[0] / binDollars)) : 0;
    end = range ? Math.ceil(range[1] / binDollars) : Infinity;
  }
  const spentIn = (sums) => sums.sumIn(first, end);

  return {
    spend,
    recordsAndSpend,
    setRange,
    has: (d) => { const i = slot(d); return i >= first && i < end; },
    spentIn,
    totalsIn: (value) => ({ records: spentIn(value.records), spent: spentIn(value.spent) }),
    // The records and spend per bin of entries[from ...] keyed below `high`, added up.
    merged(entries, from, high) {
      const total = { records: new BinSums(), spent: new BinSums() };
      for (let i = from; i < entries.length && entries[i].key < high; i++) {
        total.records.addAll(entries[i].value.records);
        total.spent.addAll(entries[i].value.spent);
      }
      return total;
    },
    // A crossfilter group's entries with each value summed over the range, as dc reads them.
    view: (group, valueOf) => ({
      all: () => group.all().map((d) => ({ key: d.key, value: valueOf(d.value) })),
    }),
  };
}
