// The charts' filters and the time range in the page's query string, so a reload or a
// shared link shows the same selection.

const ORDINAL = { year: Number, person: String, payType: String }; // chart -> value parser
const RANGED = ['amount', 'time'];

export function readUrlState(search) {
  const params = new URLSearchParams(search);
  const filters = {};
  for (const [chart, parse] of Object.entries(ORDINAL)) {
    const values = params.get(chart);
    if (values) filters[chart] = values.split(',').map(parse);
  }
  for (const chart of RANGED) {
    const bounds = (params.get(chart) || '').split('_').map(Number);
    if (bounds.length === 2 && bounds.every(Number.isFinite) && bounds[0] < bounds[1]) {
      filters[chart] = bounds;
    }
  }
  return { filters, range: params.get('range') || 'all' };
}

export function applyFilters(charts, filters) {
  for (const [chart, values] of Object.entries(filters)) {
    if (RANGED.includes(chart)) charts[chart].filter(dc.filters.RangedFilter(...values));
    else charts[chart].filter([values]);
  }
}

export function writeUrlState(charts, range) {
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
  const query = params.toString();
  history.replaceState(null, '', query ? `?${query}` : location.pathname);
}
