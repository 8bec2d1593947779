// The wire protocol's page side: the constants the page shares with the server, and the
// decoding of what dashboard/wire.py encodes (docs/protocol.md).

// The server's own constants (dashboard.wire.page_constants): rendered into the page, so the
// first draw has them, and sent again in every `hello`. Never copied here.
export const constants = Object.freeze(JSON.parse(document.getElementById('dashboard').dataset.wire));

// A hello whose constants differ from the page's: the server changed under the page (a deploy),
// so the page's code may be as old as its constants.
export function sameConstants(hello) {
  return JSON.stringify(hello.constants) === JSON.stringify(constants);
}

// A columnar batch -> record objects. Money stays in integer cents, times in epoch ms; ids
// and creation times arrive as differences from the previous record's, the update time as
// its difference from the creation time.
export function decodeBatch(batch) {
  const c = batch.columns;
  const names = batch.dictionaries.name || [];
  const payTypes = batch.dictionaries.pay_type || [];
  const records = new Array(batch.count);
  let id = 0;
  let created = 0;
  for (let i = 0; i < batch.count; i++) {
    id += c.id[i];
    created += c.created[i];
    records[i] = {
      id, name: names[c.name[i]], spent: c.spent[i], year: c.year[i],
      payType: payTypes[c.pay_type[i]], quantity: c.quantity[i], total: c.total[i],
      tip: c.tip[i], created, updated: created + c.updated[i],
    };
  }
  return records;
}

// A summary batch -> rows standing for `records` records each: one per time bucket, name,
// year, pay type and amount bin, with their spend.
export function decodeSummary(batch) {
  const c = batch.columns;
  const names = batch.dictionaries.name || [];
  const payTypes = batch.dictionaries.pay_type || [];
  const rows = new Array(batch.count);
  let created = 0;
  for (let i = 0; i < batch.count; i++) {
    created += c.created[i];
    rows[i] = {
      summary: true, name: names[c.name[i]], year: c.year[i], payType: payTypes[c.pay_type[i]],
      amount: c.amount[i], created, spent: c.spent[i], records: c.records[i],
    };
  }
  return rows;
}

// A history frame's contents, decoded.
export function decodeHistory(frame) {
  return {
    mode: frame.mode,
    records: frame.records ? decodeBatch(frame.records) : [],
    deletes: frame.deletes || [],
    summary: frame.summary ? decodeSummary(frame.summary) : [],
  };
}

// A client frame, with the protocol version.
export function encodeFrame(frame) {
  return JSON.stringify({ v: constants.protocol, ...frame });
}
