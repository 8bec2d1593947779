// The dc.js charts over the store's dimensions and groups.
import { AMOUNT_BIN_DOLLARS } from './store.js';
import { dateTick, timeOfDay, TIME_ZONE } from './clock.js';

dc.config.defaultColors(d3.schemeTableau10); // dc's own default scheme is gone from d3 7

export const money = (cents) => d3.format('$,.2f')(cents / 100);
export const count = d3.format(',d');
const dollarsShort = (cents) => d3.format('$~s')(cents / 100);
// dc's data table writes cells as HTML: a name is text, never markup.
const escapeHtml = (value) => String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const PERSON_ROWS = 10; // more people than this share an "Others" row
const PAY_TYPE_ROWS = 5;
const MIN_BAR_PX = 2; // a small spender's bar stays visible beside the largest
const TICK_SPACING_PX = { time: 130, amount: 70 }; // one tick label per this much width

// Colours by person and by pay type, the same in every chart and in the table.
export const payTypeColor = d3.scaleOrdinal()
  .domain(['cash', 'tab', 'visa', 'mastercard', 'bitcoin', 'Others'])
  .range(['#2a9d8f', '#e76f51', '#1f5fbf', '#c0392b', '#e9a800', '#8a8f98']);
export const personColor = d3.scaleOrdinal(d3.schemeTableau10);
const yearColor = d3.scaleOrdinal(['#264653', '#2a9d8f', '#8ab17d', '#e9c46a', '#f4a261', '#e76f51']);

// The width inside a chart's card: dc's default is the card's own box, padding included,
// which drew every chart ~28 px wider than its card.
function contentWidth(element) {
  const style = getComputedStyle(element);
  return Math.max(200, element.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight));
}

// A group without its emptied bins, for dc's cap and ordering to work on (a chart's own
// .data() would replace the cap's).
const nonEmpty = (group) => ({ all: () => group.all().filter((d) => d.value !== 0) });

function accessible(chart, description) {
  return chart.svgDescription(description).keyboardAccessible(true).width(contentWidth);
}

// A row chart sorted by value, capped with an "Others" row that filters to the rest.
function rankedRows(chart, rows) {
  chart.cap(rows).ordering((d) => -d.value);
  chart.onClick = (d) => {
    const keys = d.others ?? [d.key];
    const missing = keys.filter((key) => !chart.hasFilter(key));
    dc.events.trigger(() => {
      chart.filter([missing.length ? missing : keys]); // add the rest, or toggle them all off
      chart.redrawGroup();
    });
  };
  // The scale is the named rows': an "Others" row summing many would squeeze them all, so
  // it is drawn to the full width at most, and its label says how many it holds. (dc 4.2's
  // row chart computes its scale here; the version is pinned.)
  chart._calculateAxisScale = function calculateAxisScale() {
    const named = this._rowData.filter((d) => !d.others);
    const most = d3.max(named.length ? named : this._rowData, (d) => d.value) || 1;
    this._x = d3.scaleLinear().domain([0, most]).range([0, this.effectiveWidth()]);
    this._xAxis.scale(this._x);
  };
  chart.label((d) => (d.others ? `Others (${d.others.length})` : d.key));
  chart.on('renderlet.minimum', () => {
    chart.selectAll('g.row rect').attr('width', function () {
      return Math.min(chart.effectiveWidth(), Math.max(MIN_BAR_PX, +this.getAttribute('width')));
    });
  });
  chart.xAxis().ticks(4).tickFormat(dollarsShort);
  return chart;
}

// On a wall screen (TV mode) the charts share the window's height, two rows of them.
const TV_CHROME_PX = 430; // header, title, numbers and captions
const tvHeight = (least) => () => Math.max(least, Math.floor((window.innerHeight - TV_CHROME_PX) / 2));

export function createCharts(store, { tv = false } = {}) {
  const { dimensions: dim, groups } = store;
  const height = (px) => (tv ? tvHeight(px) : px);

  const year = accessible(new dc.PieChart('#chart-year'), 'Spend by year; select a year to filter')
    .height(height(200))
    .dimension(dim.year).group(nonEmpty(groups.spendByYear))
    .colors(yearColor).colorAccessor((d) => d.key)
    .title((d) => `${d.key}: ${money(d.value)}`);
  year.on('preRender.radius', () => {
    const radius = Math.floor(Math.min(year.width(), year.height()) / 2) - 5;
    year.radius(radius).innerRadius(Math.round(radius * 0.52));
  });

  const person = rankedRows(
    accessible(new dc.RowChart('#chart-person'), 'Spend by person, largest first; select people to filter'),
    PERSON_ROWS,
  ).height(height(280)).dimension(dim.name).group(nonEmpty(groups.spendByName))
    .colors(personColor).colorAccessor((d) => d.key)
    .title((d) => `${d.key}: ${money(d.value)}`);

  const payType = rankedRows(
    accessible(new dc.RowChart('#chart-pay-type'), 'Spend by pay type, largest first; select one to filter'),
    PAY_TYPE_ROWS,
  ).height(height(240)).dimension(dim.payType).group(nonEmpty(groups.spendByPayType))
    .colors(payTypeColor).colorAccessor((d) => d.key)
    .title((d) => `${d.key}: ${money(d.value)}`);

  const amount = accessible(new dc.BarChart('#chart-amount'), 'Number of purchases by amount spent; drag to select a range')
    .height(height(200)).margins({ top: 10, right: 20, bottom: 40, left: 50 })
    .dimension(dim.amount).group(groups.countByAmount)
    .x(d3.scaleLinear().domain([0, 150]))
    .xUnits(dc.units.fp.precision(AMOUNT_BIN_DOLLARS))
    .round((v) => Math.round(v / AMOUNT_BIN_DOLLARS) * AMOUNT_BIN_DOLLARS)
    .elasticY(true).brushOn(true)
    .colors(d3.scaleOrdinal(['#1f5fbf']))
    .xAxisLabel('Amount spent ($)').yAxisLabel('Purchases');

  // Bars, not a line: a quiet stretch (a night, a stopped generator) shows as empty time
  // rather than a slope drawn across it.
  const time = accessible(new dc.BarChart('#chart-time'), 'Spend over time; drag to select a time range')
    .height(height(200)).margins({ top: 10, right: 45, bottom: 40, left: 60 })
    .dimension(dim.time).group(groups.spendOverTime)
    .x(d3.scaleTime().domain([Date.now() - 3600e3, Date.now()])).elasticY(true).brushOn(true)
    .xUnits((start, end) => Math.max(1, Math.ceil((end - start) / store.timeBucket)))
    .colors(d3.scaleOrdinal(['#1f5fbf']))
    .xAxisLabel(`Time (${TIME_ZONE})`).yAxisLabel('Spend')
    // The brush shares the time dimension with the range's window (store.setBrush).
    .filterHandler((dimension, filters) => {
      store.setBrush(filters[0] ?? null);
      return filters;
    });
  time.yAxis().ticks(4).tickFormat(dollarsShort);
  time.xAxis().tickFormat(dateTick);

  // Tick counts follow the width, so labels never run into each other.
  for (const [name, chart] of Object.entries({ time, amount })) {
    chart.on('preRender.ticks', () => {
      chart.xAxis().ticks(Math.max(2, Math.floor(chart.width() / TICK_SPACING_PX[name])));
    });
  }

  // The latest records held whole, inside the amount brush too (store.latest).
  const wholeRecords = { top: (size) => store.latest(size) };
  const table = new dc.DataTable('#table-latest')
    .dimension(wholeRecords).size(25).order(d3.descending).sortBy((d) => d.id)
    .showSections(false)
    .columns([
      { label: 'Time', format: (d) => timeOfDay(d.created) },
      { label: 'Name', format: (d) => escapeHtml(d.name) },
      { label: 'Spent', format: (d) => money(d.spent) },
      { label: 'Year', format: (d) => d.year },
      { label: 'Pay type', format: (d) => escapeHtml(d.payType) },
      { label: 'Qty', format: (d) => d.quantity },
      { label: 'Total', format: (d) => money(d.total) },
      { label: 'Tip', format: (d) => money(d.tip) },
    ]);

  // The table's names and pay types carry their charts' colours as a bar beside the text
  // (set through the CSSOM: a strict CSP refuses style attributes written as HTML).
  table.on('renderlet.colours', () => {
    table.selectAll('tr.dc-table-row').attr('tabindex', 0); // each opens its record (drilldown.js)
    table.selectAll('td._1').style('border-left', (d) => `4px solid ${personColor(d.name)}`);
    table.selectAll('td._4').style('border-left', (d) => `4px solid ${payTypeColor(d.payType)}`);
  });

  const filterable = { year, person, payType, amount, time };
  for (const chart of [...Object.values(filterable), table]) {
    chart.transitionDuration(0); // live data: draw at once, never animate a backlog
  }
  return { ...filterable, table, filterable };
}

// The time chart follows the time-range selector: a fixed window ending now, or all data —
// at least a minute of it, so a burst of records within one second does not draw an axis
// of milliseconds. With no data the last window stays.
const MIN_TIME_SPAN_MS = 60e3;

export function timeWindow(charts, store, rangeMs) {
  const now = Date.now();
  let domain = rangeMs ? [now - rangeMs, now] : null;
  if (!rangeMs) {
    const keys = store.groups.spendOverTime.all().filter((d) => d.value !== 0).map((d) => d.key);
    if (keys.length) {
      const end = d3.max(keys) + store.timeBucket;
      domain = [Math.min(d3.min(keys), end - MIN_TIME_SPAN_MS), end];
    }
  }
  if (domain) charts.time.x(d3.scaleTime().domain(domain));
  charts.time.elasticX(false).group(store.groups.spendOverTime);
}

// The amount axis shows the bulk of the purchases: past the 99th percentile (when the rest
// reach much further, as one $5,000 edit does) the bins fold into one overflow bin, "≥ $X",
// and a brush reaching it selects everything above. Counts tick in whole numbers.
export function amountWindow(charts, store) {
  const bins = store.groups.countByAmount.all().filter((d) => d.value > 0);
  const total = d3.sum(bins, (d) => d.value);
  let seen = 0;
  const p99 = bins.find((d) => (seen += d.value) >= total * 0.99)?.key ?? 0;
  const top = bins.at(-1)?.key ?? 140;
  const overflow = top > 2 * p99 + 3 * AMOUNT_BIN_DOLLARS ? p99 + AMOUNT_BIN_DOLLARS : null;
  const end = (overflow ?? top) + AMOUNT_BIN_DOLLARS;
  const { amount } = charts;

  amount.x(d3.scaleLinear().domain([0, end]))
    .group(overflow === null ? store.groups.countByAmount : folded(store.groups.countByAmount, overflow))
    // The brush is the store's sum over amount bins, never a filter on the dimension.
    .filterHandler((dimension, filters) => {
      const [range] = filters;
      store.setAmount(range ? [range[0], overflow !== null && range[1] > overflow ? Infinity : range[1]] : null);
      return filters;
    });
  const ticks = amount.x().ticks(Math.max(2, Math.floor(amount.width() / TICK_SPACING_PX.amount)));
  amount.xAxis()
    .tickValues(overflow === null ? null : [...ticks.filter((v) => v < overflow - AMOUNT_BIN_DOLLARS), overflow])
    .tickFormat((v) => (overflow !== null && v >= overflow ? `≥ $${count(overflow)}` : d3.format('$,')(v)));
  const most = d3.max(bins, (d) => d.value) ?? 1;
  amount.yAxis().ticks(Math.min(4, most)).tickFormat((v) => (Number.isInteger(v) ? count(v) : ''));
}

// Bins at or past `overflow` summed into one, keyed `overflow`.
function folded(group, overflow) {
  return {
    all() {
      const kept = [];
      let rest = 0;
      for (const d of group.all()) {
        if (d.key < overflow) kept.push(d);
        else rest += d.value;
      }
      return rest ? [...kept, { key: overflow, value: rest }] : kept;
    },
  };
}
