// The selection's record count, spend and "N of M records selected", written together in
// the same pass as the charts (dc's NumberDisplay tweened its value a frame later, and its
// DataCount printed a deprecation warning); and under each number its change against the
// previous equal period (compare.js), with the same filters.
import { count, money } from './charts.js';
import { changeText } from './compare.js';
import { dayTime, timeOfDay } from './clock.js';

const $ = (id) => document.getElementById(id);

export function drawNumbers(store, { loaded, periods }) {
  if (!loaded) {
    $('number-records').textContent = '—';
    $('number-spend').textContent = '—';
    $('data-count').textContent = 'Loading history…';
    return;
  }
  const selected = store.groups.count.value();
  const total = store.shown();
  $('number-records').textContent = count(selected);
  $('number-spend').textContent = money(store.groups.totalSpend.value());
  const strong = (value) => Object.assign(document.createElement('strong'), { textContent: count(value) });
  $('data-count').replaceChildren(...(selected === total
    ? ['All ', strong(total), ' records selected']
    : [strong(selected), ' of ', strong(total), ' records selected']));
  drawChanges(store, periods());
}

// The displayed numbers are the current period's, except for all time (its own 30 days).
function drawChanges(store, p) {
  const current = p.ownTotal
    ? store.totalsBetween(...p.current)
    : { records: store.groups.count.value(), spent: store.groups.totalSpend.value() };
  const previous = store.totalsBetween(...p.previous);
  const prefix = (text) => (p.ownTotal ? `last ${p.label.replace('previous ', '')}: ${text} · ` : '');
  const show = (id, value, before, format) => {
    const element = $(id);
    const change = changeText(value, before, { records: previous.records, label: p.label, zero: format(0) });
    element.textContent = prefix(format(value)) + change.text;
    element.dataset.kind = change.kind;
    element.title = `${format(value)} in ${span(p.current)}; ${previous.records ? format(before) : 'nothing'} in ${span(p.previous)}`;
  };
  show('change-records', current.records, previous.records, count);
  show('change-spend', current.spent, previous.spent, money);
  Object.assign($('numbers').dataset, {
    currentFrom: p.current[0], currentTo: p.current[1], previousFrom: p.previous[0], previousTo: p.previous[1],
    currentRecords: current.records, currentCents: current.spent,
    previousRecords: previous.records, previousCents: previous.spent,
  });
  $('compare-note').textContent = note(p);
}

// A moment as the time of day when it is today, with its date otherwise.
const when = (ms) => (new Date(ms).toDateString() === new Date().toDateString() ? timeOfDay(ms) : dayTime(ms));
const span = ([low, high]) => (high === Infinity ? `since ${when(low)}` : `${when(low)} – ${when(high)}`);

function note(p) {
  const length = p.label.replace(/^previous |^the | before the selection$/g, '');
  const what = p.brushed ? `the time selected (${span(p.current)})`
    : `the last ${length} (${span(p.current)})${p.ownTotal ? ', not all time,' : ''}`;
  return `Changes compare ${what} with the ${length} just before it (${span(p.previous)}), `
    + 'under the same filters.';
}
