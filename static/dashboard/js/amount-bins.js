// Sums kept per amount bin, so that the amount chart's brush is a sum over the bins inside it
// rather than a crossfilter filter. A filter makes every other group re-reduce each row it
// moves, and a brush's first move moves most of them (~67k rows, 26 ms at a million records);
// there are only ~15 bins to add up (docs/benchmarks.md, "Brushing").
//
// A group's value is an array indexed by bin (the bin's dollars / binDollars, a whole number:
// the server's summary rows and the page's whole records alike are binned to multiples of it):
// the spend, or { records, spent } arrays for the groups that count records too. Sums stay
// exact: integer cents and record counts, added and removed alike.

export function amountBins(binDollars, binOf) {
  const slot = (d) => binOf(d) / binDollars;
  const recordsIn = (d) => d.records ?? 1;

  // crossfilter reduce functions: add, remove, initial.
  const spend = [
    (p, d) => { const i = slot(d); p[i] = (p[i] ?? 0) + d.spent; return p; },
    (p, d) => { p[slot(d)] -= d.spent; return p; },
    () => [],
  ];
  const recordsAndSpend = [
    (p, d) => {
      const i = slot(d);
      p.records[i] = (p.records[i] ?? 0) + recordsIn(d);
      p.spent[i] = (p.spent[i] ?? 0) + d.spent;
      return p;
    },
    (p, d) => { const i = slot(d); p.records[i] -= recordsIn(d); p.spent[i] -= d.spent; return p; },
    () => ({ records: [], spent: [] }),
  ];

  // The bins inside an amount range [low, high) of dollars, as crossfilter's filterRange
  // takes a bin's key: [first, end) of slots. null is every bin.
  let first = 0;
  let end = Infinity;
  function setRange(range) {
    first = range ? Math.max(0, Math.ceil(range[0] / binDollars)) : 0;
    end = range ? Math.ceil(range[1] / binDollars) : Infinity;
  }
  const sum = (values) => {
    let total = 0;
    for (let i = first, n = Math.min(end, values.length); i < n; i++) total += values[i] ?? 0;
    return total;
  };

  return {
    spend,
    recordsAndSpend,
    setRange,
    has: (d) => { const i = slot(d); return i >= first && i < end; },
    spentIn: sum,
    totalsIn: (value) => ({ records: sum(value.records), spent: sum(value.spent) }),
    // The records and spend per bin of entries[from ...] keyed below `high`, added up.
    merged(entries, from, high) {
      const total = { records: [], spent: [] };
      for (let i = from; i < entries.length && entries[i].key < high; i++) {
        const { records, spent } = entries[i].value;
        for (let bin = 0; bin < spent.length; bin++) {
          if (spent[bin] === undefined) continue;
          total.records[bin] = (total.records[bin] ?? 0) + records[bin];
          total.spent[bin] = (total.spent[bin] ?? 0) + spent[bin];
        }
      }
      return total;
    },
    // A crossfilter group's entries with each value summed over the range, as dc reads them.
    view: (group, valueOf) => ({
      all: () => group.all().map((d) => ({ key: d.key, value: valueOf(d.value) })),
    }),
  };
}
