// The selection's record count, spend and "N of M records selected", written together in
// the same pass as the charts (dc's NumberDisplay tweened its value a frame later, and its
// DataCount printed a deprecation warning).
import { count, money } from './charts.js';

export function drawNumbers(store, { loaded }) {
  const $ = (id) => document.getElementById(id);
  if (!loaded) {
    $('number-records').textContent = '—';
    $('number-spend').textContent = '—';
    $('data-count').textContent = 'Loading history…';
    return;
  }
  const selected = store.groups.count.value();
  const total = store.size();
  $('number-records').textContent = count(selected);
  $('number-spend').textContent = money(store.groups.totalSpend.value());
  const strong = (value) => Object.assign(document.createElement('strong'), { textContent: count(value) });
  $('data-count').replaceChildren(...(selected === total
    ? ['All ', strong(total), ' records selected']
    : [strong(selected), ' of ', strong(total), ' records selected']));
}
