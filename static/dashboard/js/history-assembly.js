// A full history arrives in chunks and replaces what the page held; a replay's chunks are
// changes like any others. A history cut off by a new socket starts over.

const FIRST_ADD = 20000;

export function createHistoryAssembly(store, { applyChanges, added }) {
  let ids = null; // ids in the full history being received; null between histories
  let chunks = []; // its records not yet added to the store
  let summary = []; // its summary rows, swapped in for the old ones at its end

  // A full history's records are the truth: never checked against the summary rows held.
  function addChunks() {
    if (store.upsert(chunks.flat())) added();
    chunks = [];
  }

  return {
    reset() {
      ids = null;
      chunks = [];
      summary = [];
    },
    chunk({ mode, records, deletes, summary: rows }) {
      if (mode !== 'full') {
        applyChanges(records, deletes);
        return;
      }
      ids ??= new Set();
      summary.push(...rows);
      records.forEach((d) => ids.add(d.id));
      chunks.push(records);
      // Each crossfilter add merges every dimension's index, so adding chunk by chunk costs
      // the square of the history; adding whenever the backlog matches what is held already
      // keeps it n log n.
      const backlog = chunks.reduce((total, chunk) => total + chunk.length, 0);
      if (backlog >= Math.max(FIRST_ADD, store.cf.size())) addChunks();
    },
    end(frame) {
      addChunks();
      if (frame.mode === 'full') {
        // A full history is the whole truth: anything else held is gone from the server.
        store.replaceSummary(summary, frame.summary);
        store.keepOnly(ids ?? new Set());
      }
      ids = null;
      summary = [];
    },
  };
}
