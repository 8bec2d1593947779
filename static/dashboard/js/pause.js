// Pause: changes that arrive while paused wait here, untouched, until Resume applies them.

export function createPause() {
  let paused = false;
  let since = null; // when the view was frozen
  let held = [];

  return {
    get paused() { return paused; },
    get since() { return since; },
    // Records and deletes waiting: what the status line says.
    get waiting() { return held.reduce((total, [records, deletes]) => total + records.length + deletes.length, 0); },
    toggle() {
      paused = !paused;
      since = paused ? Date.now() : null;
      return paused;
    },
    hold(records, deletes) { held.push([records, deletes]); },
    release() {
      const waiting = held;
      held = [];
      return waiting;
    },
  };
}
