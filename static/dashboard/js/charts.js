// The dc.js charts over the store's dimensions and groups.
import { AMOUNT_BIN_DOLLARS } from './store.js';

dc.config.defaultColors(d3.schemeTableau10); // dc's own default scheme is gone from d3 7

export const money = (cents) => d3.format('$,.2f')(cents / 100);
const count = d3.format(',d');
// dc's data table writes cells as HTML: a name is text, never markup.
const escapeHtml = (value) => String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const nonEmpty = (group) => group.all().filter((d) => d.value !== 0); // hide emptied bins
const PERSON_ROWS = 8; // more people than this share an "Others" row

// Colours by person and by pay type, the same in every chart and in the table.
export const payTypeColor = d3.scaleOrdinal()
  .domain(['cash', 'tab', 'visa', 'mastercard', 'bitcoin', 'Others'])
  .range(['#2a9d8f', '#e76f51', '#1f5fbf', '#c0392b', '#e9a800', '#8a8f98']);
export const personColor = d3.scaleOrdinal(d3.schemeTableau10);
const yearColor = d3.scaleOrdinal(['#264653', '#2a9d8f', '#8ab17d', '#e9c46a', '#f4a261', '#e76f51']);

function accessible(chart, description) {
  return chart.svgDescription(description).keyboardAccessible(true);
}

export function createCharts(store) {
  const { dimensions: dim, groups } = store;

  const year = accessible(new dc.PieChart('#chart-year'), 'Spend by year; select a year to filter')
    .height(200).radius(95).innerRadius(50)
    .dimension(dim.year).group(groups.spendByYear).data(nonEmpty)
    .colors(yearColor).colorAccessor((d) => d.key)
    .title((d) => `${d.key}: ${money(d.value)}`);

  const person = accessible(new dc.RowChart('#chart-person'), 'Spend by person; select people to filter')
    .height(220).elasticX(true).cap(PERSON_ROWS).data(nonEmpty)
    .dimension(dim.name).group(groups.spendByName)
    .ordering((d) => -d.value)
    .colors(personColor).colorAccessor((d) => d.key)
    .title((d) => `${d.key}: ${money(d.value)}`);
  person.xAxis().ticks(4).tickFormat((v) => d3.format('$~s')(v / 100));

  const payType = accessible(new dc.RowChart('#chart-pay-type'), 'Spend by pay type; select one to filter')
    .height(220).elasticX(true).data(nonEmpty)
    .dimension(dim.payType).group(groups.spendByPayType)
    .ordering((d) => -d.value)
    .colors(payTypeColor).colorAccessor((d) => d.key)
    .title((d) => `${d.key}: ${money(d.value)}`);
  payType.xAxis().ticks(4).tickFormat((v) => d3.format('$~s')(v / 100));

  const amount = accessible(new dc.BarChart('#chart-amount'), 'Number of purchases by amount spent; drag to select a range')
    .height(200).margins({ top: 10, right: 20, bottom: 30, left: 45 })
    .dimension(dim.amount).group(groups.countByAmount)
    .x(d3.scaleLinear().domain([0, 150])).elasticX(true).xAxisPadding(AMOUNT_BIN_DOLLARS)
    .xUnits(dc.units.fp.precision(AMOUNT_BIN_DOLLARS))
    .round((v) => Math.round(v / AMOUNT_BIN_DOLLARS) * AMOUNT_BIN_DOLLARS)
    .elasticY(true).brushOn(true)
    .colors(d3.scaleOrdinal(['#1f5fbf']))
    .xAxisLabel('Amount spent ($)').yAxisLabel('Purchases');
  amount.yAxis().ticks(4).tickFormat(count);

  // Bars, not a line: a quiet stretch (a night, a stopped generator) shows as empty time
  // rather than a slope drawn across it.
  const time = accessible(new dc.BarChart('#chart-time'), 'Spend over time; drag to select a time range')
    .height(200).margins({ top: 10, right: 20, bottom: 30, left: 60 })
    .dimension(dim.time).group(groups.spendOverTime)
    .x(d3.scaleTime()).elasticX(true).elasticY(true).brushOn(true)
    .xUnits((start, end) => Math.max(1, Math.ceil((end - start) / store.timeBucket)))
    .colors(d3.scaleOrdinal(['#1f5fbf']))
    .yAxisLabel('Spend');
  time.yAxis().ticks(4).tickFormat((v) => d3.format('$~s')(v / 100));

  const records = new dc.NumberDisplay('#number-records')
    .group(groups.count).valueAccessor((d) => d).formatNumber(count);
  const totalSpend = new dc.NumberDisplay('#number-spend')
    .group(groups.totalSpend).valueAccessor((d) => d).formatNumber(money);
  const selection = new dc.DataCount('#data-count')
    .crossfilter({ size: store.size }).groupAll(groups.count)
    .html({
      some: '<strong>%filter-count</strong> of <strong>%total-count</strong> records selected',
      all: 'All <strong>%total-count</strong> records selected',
    });

  // The latest records held whole: a summary row is no one purchase.
  const wholeRecords = { top: (size) => dim.latest.top(size).filter((d) => !d.summary) };
  const table = new dc.DataTable('#table-latest')
    .dimension(wholeRecords).size(25).order(d3.descending).sortBy((d) => d.id)
    .showSections(false)
    .columns([
      { label: 'Time', format: (d) => new Date(d.created).toLocaleTimeString() },
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
    table.selectAll('td._1').style('border-left', (d) => `4px solid ${personColor(d.name)}`);
    table.selectAll('td._4').style('border-left', (d) => `4px solid ${payTypeColor(d.payType)}`);
  });

  const filterable = { year, person, payType, amount, time };
  for (const chart of [...Object.values(filterable), records, totalSpend, table]) {
    chart.transitionDuration(0); // live data: draw at once, never animate a backlog
  }
  return { ...filterable, records, totalSpend, selection, table, filterable };
}

// The time chart follows the time-range selector: a fixed window ending now, or all data.
// With no data there is no domain to compute (bars leaving an emptied chart would be placed
// at NaN): the last one stays.
export function timeWindow(charts, store, rangeMs) {
  if (rangeMs) {
    const now = Date.now();
    charts.time.elasticX(false).x(d3.scaleTime().domain([now - rangeMs, now]));
  } else {
    charts.time.elasticX(store.cf.size() > 0).xAxisPadding(store.timeBucket);
  }
  charts.time.group(store.groups.spendOverTime);
}
