// The charts' filters, the time range, the previous-period overlay and the view mode in the page's query string, so a
// reload or a shared link shows the same selection. A query string is user input: whatever
// it holds that is not a valid filter is ignored, and the page opens as without it.

export const RANGES = ['15m', '1h', '24h', 'all'];
const MAX_VALUE_LENGTH = 2000; // longer than any real selection (names are at most 64)
const ORDINAL = { // chart -> value parser (undefined for an invalid value)
  year: (text) => (/^\d{1,4}$/.test(text) ? Number(text) : undefined),
  person: (text) => (text && text.length <= 64 ? text : undefined),
  payType: (text) => (/^[a-z]{1,16}$/.test(text) ? text : undefined),
};
const RANGED = ['amount', 'time'];

function ordinal(text, parse) {
  const values = text.split(',').map(parse);
  return values.every((value) => value !== undefined) ? values : undefined;
}

function ranged(text) {
  const bounds = text.split('_');
  if (bounds.length !== 2 || !bounds.every((b) => /^-?\d{1,15}(\.\d{1,6})?$/.test(b))) return undefined;
  const [low, high] = bounds.map(Number);
  return low < high ? [low, high] : undefined;
}

export function readUrlState(search) {
  const params = new URLSearchParams(search);
  const filters = {};
  const read = (chart, parse) => {
    const text = params.get(chart);
    if (!text || text.length > MAX_VALUE_LENGTH) return;
    const values = parse(text);
    if (values) filters[chart] = values;
  };
  Object.entries(ORDINAL).forEach(([chart, parse]) => read(chart, (text) => ordinal(text, parse)));
  RANGED.forEach((chart) => read(chart, ranged));
  const range = params.get('range');
  return {
    filters,
    range: RANGES.includes(range) ? range : 'all',
    tv: params.get('tv') === '1',
    previous: params.get('previous') === '1', // the time chart's previous-period overlay
  };
}

// After the charts' first render: a ranged filter moves its chart's brush, which exists only
// once the chart is drawn (set before, it blanked the page).
export function applyFilters(charts, filters) {
  for (const [chart, values] of Object.entries(filters)) {
    if (RANGED.includes(chart)) {
      const [low, high] = chart === 'time' ? values.map((v) => new Date(v)) : values;
      charts[chart].filter(dc.filters.RangedFilter(low, high));
    } else {
      charts[chart].filter([values]);
    }
  }
}

export function writeUrlState(charts, { range, tv, previous = false }) {
  const params = new URLSearchParams();
  for (const chart of Object.keys(ORDINAL)) {
    const values = charts[chart].filters();
    if (values.length) params.set(chart, values.join(','));
  }
  for (const chart of RANGED) {
    const [bounds] = charts[chart].filters();
    if (bounds) params.set(chart, bounds.map((v) => Math.round(+v)).join('_'));
  }
  if (range !== 'all') params.set('range', range);
  if (previous) params.set('previous', '1');
  if (tv) params.set('tv', '1');
  const query = params.toString();
  history.replaceState(null, '', query ? `?${query}` : location.pathname);
}
