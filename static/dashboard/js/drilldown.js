// A table row opens its record: every field, when it was made and last updated, who changed
// it in the admin, and an "Edit in admin" link for those who may (the server decides).
import { TIME_ZONE } from './clock.js';

const when = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const FIELDS = [
  ['Name', (d) => d.name], ['Spent', (d) => `$${d.spent}`], ['Year', (d) => d.year],
  ['Pay type', (d) => d.pay_type], ['Quantity', (d) => d.quantity], ['Total', (d) => `$${d.total}`],
  ['Tip', (d) => `$${d.tip}`], ['Created', (d) => when.format(new Date(d.created))],
  ['Updated', (d) => when.format(new Date(d.updated))],
];

export function installDrilldown({ table, dialog, urlFor }) {
  let opened = null; // the row to give focus back to

  function show(detail) {
    dialog.querySelector('h2').textContent = `Record ${detail.id}`;
    dialog.querySelector('.zone').textContent = `Times in ${TIME_ZONE}`;
    dialog.querySelector('dl').replaceChildren(...FIELDS.flatMap(([label, value]) => [
      Object.assign(document.createElement('dt'), { textContent: label }),
      Object.assign(document.createElement('dd'), { textContent: value(detail) }),
    ]));
    const history = detail.history.map((entry) => Object.assign(document.createElement('li'), {
      textContent: `${when.format(new Date(entry.time))}: ${entry.user} ${entry.action} it${entry.message ? ` (${entry.message})` : ''}`,
    }));
    dialog.querySelector('ol').replaceChildren(...(history.length ? history
      : [Object.assign(document.createElement('li'), { textContent: 'No changes from the admin.' })]));
    const edit = dialog.querySelector('a.edit');
    edit.hidden = !detail.admin_url;
    if (detail.admin_url) edit.href = detail.admin_url;
    dialog.showModal();
  }

  async function open(row) {
    const record = d3.select(row).datum();
    if (!record?.id) return;
    opened = row;
    const response = await fetch(urlFor(record.id), { headers: { Accept: 'application/json' } });
    if (response.ok) show(await response.json());
  }

  table.addEventListener('click', (event) => {
    const row = event.target.closest('tr.dc-table-row');
    if (row) open(row);
  });
  table.addEventListener('keydown', (event) => {
    const row = event.target.closest('tr.dc-table-row');
    if (row && (event.key === 'Enter' || event.key === ' ')) {
      event.preventDefault();
      open(row);
    }
  });
  dialog.querySelector('button.close').addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => opened?.focus());
}
