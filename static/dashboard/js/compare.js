// Period comparison: which two periods the number displays compare, their exact sums from a
// group keyed by creation time, and how the change reads. Pure functions: the page's clock,
// range and brush come in as arguments (numbers.js draws, store.js keeps the group).
//
// - A time range (15 min, 1 h, 24 h) compares [now − R, now] with [now − 2R, now − R).
// - All time compares the last 30 days with the 30 days before them (rolling, not calendar
//   months: equal lengths, no time zone or month-length question), as a figure of its own,
//   since the displayed numbers are all time.
// - A brushed time chart compares the brushed span (cut at the range's start, as the charts
//   filter it) with the equal span just before it.

export const ALL_SPAN_MS = 30 * 24 * 3600e3;
const MINUTE = 60e3;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

// "15 min", "1 h", "24 h", "30 days", "2 h 13 min", "40 s".
export function durationText(ms) {
  if (ms >= 2 * DAY && ms % DAY === 0) return `${ms / DAY} days`;
  if (ms < MINUTE) return `${Math.round(ms / 1000)} s`;
  const minutes = Math.round(ms / MINUTE);
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (!hours) return `${rest} min`;
  return rest ? `${hours} h ${rest} min` : `${hours} h`;
}

// The current and previous periods as [low, high) in epoch ms. `brush` is the time chart's
// selection [low, high) or null; `rangeMs` 0 is all time.
export function periods({ rangeMs, now, brush }) {
  const windowStart = rangeMs ? now - rangeMs : -Infinity;
  if (brush) {
    const low = Math.max(+brush[0], windowStart);
    const high = Math.max(low, +brush[1]);
    const span = high - low;
    return {
      current: [low, high],
      previous: [low - span, low],
      span,
      label: `the ${durationText(span)} before the selection`,
      ownTotal: false,
      brushed: true,
    };
  }
  const span = rangeMs || ALL_SPAN_MS;
  return {
    current: [now - span, Infinity], // as the range filter: records stamped ahead count too
    previous: [now - 2 * span, now - span],
    span,
    label: `previous ${durationText(span)}`,
    ownTotal: !rangeMs,
    brushed: false,
  };
}

// First index whose key is at or past `key` (entries sorted by key, as crossfilter's groups).
export function firstAtOrAfter(entries, key) {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (entries[middle].key < key) low = middle + 1;
    else high = middle;
  }
  return low;
}

// The records and spend of the entries keyed in [low, high): a binary search to the start,
// then only the entries inside the period.
export function sumBetween(entries, low, high) {
  const total = { records: 0, spent: 0 };
  for (let i = firstAtOrAfter(entries, low); i < entries.length && entries[i].key < high; i++) {
    total.records += entries[i].value.records;
    total.spent += entries[i].value.spent;
  }
  return total;
}

const oneDecimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });
const whole = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

function percentText(percent) {
  const size = Math.abs(percent);
  if (size < 0.05) return '<0.1';
  return (size < 10 ? oneDecimal : whole).format(size);
}

// The change of `current` against `previous`, in words with a sign and an arrow (colour is
// never the only signal): kind is up, down, same or none (nothing to compare with).
// `records` is how many records the previous period holds; `zero` how to write a zero value.
export function changeText(current, previous, { records, label, zero = '0' }) {
  if (!records) return { kind: 'none', text: `no data for ${label}` };
  if (current === previous) return { kind: 'same', text: `= no change vs ${label}` };
  const kind = current > previous ? 'up' : 'down';
  const arrow = kind === 'up' ? '▲' : '▼';
  if (previous === 0) return { kind, text: `${arrow} ${kind} from ${zero} in ${label}` };
  const percent = ((current - previous) / Math.abs(previous)) * 100;
  const sign = kind === 'up' ? '+' : '−';
  return { kind, text: `${arrow} ${sign}${percentText(percent)} % vs ${label}` };
}
