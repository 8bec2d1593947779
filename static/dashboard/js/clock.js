// One clock for the whole page: the browser's time zone and its own 12- or 24-hour style,
// the same in the time axis, the table and the status line.

export const TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;
const withSeconds = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit', second: '2-digit' });
const withMinutes = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
const dayOfYear = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });

export const timeOfDay = (ms) => withSeconds.format(ms);

const sameDay = (a, b) => a.toDateString() === b.toDateString();

// A d3 axis tick format: the time at the ticks' own precision, and the date on the first
// tick and wherever the day changes (d3 calls it with the tick's index and text nodes,
// whose data are the ticks before it).
export function dateTick(date, index, nodes) {
  const previous = index > 0 ? nodes[index - 1].__data__ : null;
  const midnight = !date.getHours() && !date.getMinutes() && !date.getSeconds();
  if (midnight) return dayOfYear.format(date);
  const time = (date.getSeconds() ? withSeconds : withMinutes).format(date);
  return previous && sameDay(previous, date) ? time : `${dayOfYear.format(date)}, ${time}`;
}

// A moment with its date: "Nov 27, 20:40:05".
export const dayTime = (ms) => `${dayOfYear.format(ms)}, ${withSeconds.format(ms)}`;
