// A bar listing every active filter ("Year 2012", "Person Aziz", "Amount $10–$50"), each a
// button that removes its filter with one click or key.
import { timeOfDay } from './clock.js';

const LABELS = { year: 'Year', person: 'Person', payType: 'Pay type', amount: 'Amount', time: 'Time' };
const dollars = d3.format('$,');

function describe(name, filter) {
  if (name === 'amount') return `${dollars(filter[0])}–${dollars(filter[1])}`;
  if (name === 'time') return `${timeOfDay(+filter[0])}–${timeOfDay(+filter[1])}`;
  return String(filter);
}

export function createChips(charts) {
  const bar = document.getElementById('chips');
  let drawn = ''; // the chips shown: rebuilt only when they change, so focus stays put
  let refocus = null; // after a removal: the position of the chip to focus next

  function remove(chart, filter, position) {
    refocus = position;
    if (filter.filterType === 'RangedFilter') chart.filterAll();
    else chart.filter(filter); // an ordinal filter toggles off
    dc.redrawAll();
  }

  return function draw() {
    const chips = Object.entries(charts.filterable).flatMap(([name, chart]) => chart.filters()
      .map((filter) => ({ chart, filter, text: `${LABELS[name]} ${describe(name, filter)}` })));
    const key = chips.map((chip) => chip.text).join('\n');
    if (key === drawn) return;
    drawn = key;
    bar.replaceChildren(...chips.map(({ chart, filter, text }, position) => {
      const button = Object.assign(document.createElement('button'), {
        type: 'button', className: 'chip', textContent: `${text} ×`,
      });
      button.setAttribute('aria-label', `Remove filter: ${text}`);
      button.addEventListener('click', () => remove(chart, filter, position));
      button.addEventListener('keydown', (event) => {
        if (event.key === 'Delete' || event.key === 'Backspace') remove(chart, filter, position);
      });
      return button;
    }));
    bar.hidden = !chips.length;
    if (refocus !== null) {
      const buttons = bar.querySelectorAll('button');
      (buttons[Math.min(refocus, buttons.length - 1)] ?? document.getElementById('reset-all')).focus();
      refocus = null;
    }
  };
}
