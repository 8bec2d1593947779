// Export records as CSV: money as decimal dollars, times as ISO 8601 UTC. A summary row (an
// older part of a long history) exports as one line with no id: the start of its time
// bucket, its spend and the number of records it stands for. Text cells a spreadsheet would
// run as a formula are exported as text (OWASP's CSV injection rule).

const COLUMNS = [
  ['id', (d) => d.id ?? ''],
  ['created', (d) => new Date(d.created).toISOString()],
  ['name', (d) => asText(d.name)],
  ['spent', (d) => (d.spent / 100).toFixed(2)],
  ['year', (d) => d.year],
  ['pay_type', (d) => asText(d.payType)],
  ['quantity', (d) => d.quantity ?? ''],
  ['total', (d) => (d.summary ? '' : (d.total / 100).toFixed(2))],
  ['tip', (d) => (d.summary ? '' : (d.tip / 100).toFixed(2))],
  ['records', (d) => d.records ?? 1],
];

// Only the text columns: the numbers are ours, and a negative one is not a formula.
const asText = (value) => (/^[=+\-@\t\r]/.test(value) ? `'${value}` : value);
const quote = (value) => (/[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);

export function recordsCsv(records) {
  const rows = [...records].sort((a, b) => (a.id ?? 0) - (b.id ?? 0) || a.created - b.created)
    .map((d) => COLUMNS.map(([, value]) => quote(String(value(d)))).join(','));
  return [COLUMNS.map(([name]) => name).join(','), ...rows].join('\n') + '\n';
}

export function download(text, filename) {
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
  link.download = filename;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 0);
}
