// csv.js: exported cells are data, never formulas (OWASP's CSV injection rule).
import assert from 'node:assert/strict';
import test from 'node:test';

import { recordsCsv } from '../../static/dashboard/js/csv.js';

const record = (fields) => ({
  id: 1, created: Date.UTC(2026, 0, 2, 3, 4, 5), name: 'Ben', spent: 1234, year: 2012,
  payType: 'cash', quantity: 2, total: 2468, tip: 100, ...fields,
});
const rows = (text) => text.trimEnd().split('\n');

test('a header and one line per record, money in dollars, times in UTC', () => {
  assert.deepEqual(rows(recordsCsv([record({})])), [
    'id,created,name,spent,year,pay_type,quantity,total,tip,records',
    '1,2026-01-02T03:04:05.000Z,Ben,12.34,2012,cash,2,24.68,1.00,1',
  ]);
});

test('records are ordered by id', () => {
  const text = recordsCsv([record({ id: 3 }), record({ id: 1 }), record({ id: 2 })]);
  assert.deepEqual(rows(text).slice(1).map((line) => line.split(',')[0]), ['1', '2', '3']);
});

for (const start of ['=', '+', '-', '@', '\t', '\r']) {
  test(`a name starting with ${JSON.stringify(start)} is neutralised`, () => {
    const [, line] = rows(recordsCsv([record({ name: `${start}1+1` })]));
    const name = line.split(',')[2];
    assert.ok(name.startsWith("'") || name.startsWith('"\''), name);
  });
}

test('a HYPERLINK formula is exported as text', () => {
  const [, line] = rows(recordsCsv([record({ name: '=HYPERLINK("http://x","y")' })]));
  assert.match(line, /,"'=HYPERLINK\(""http:\/\/x"",""y""\)",/);
});

test('a carriage return, comma or quote is quoted', () => {
  for (const name of ['a\rb', 'a,b', 'a"b', 'a\nb']) {
    const text = recordsCsv([record({ name })]);
    assert.ok(text.includes(`"${name.replaceAll('"', '""')}"`), JSON.stringify(name));
  }
});

test('a summary row exports its records and no id', () => {
  const [, line] = rows(recordsCsv([{ summary: true, created: 0, name: 'Ben', spent: 500, year: 2012, payType: 'tab', amount: 0, records: 4 }]));
  assert.equal(line, ',1970-01-01T00:00:00.000Z,Ben,5.00,2012,tab,,,,4');
});

test('numbers are never prefixed: a negative amount stays a number', () => {
  const [, line] = rows(recordsCsv([record({ tip: -100 })]));
  assert.equal(line.split(',')[8], '-1.00');
});
