// What the page says about its data: the status pill (connection, or pause and what waits),
// the loading note until the first history, and a banner when the data has gone stale.
import { count } from './charts.js';
import { timeOfDay } from './clock.js';

const STATUS_TEXT = {
  connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…', offline: 'Offline',
};
const STALE_AFTER_MS = 4000; // a reconnect usually takes less; past this, say so

export function createStatusView({ retry }) {
  const $ = (id) => document.getElementById(id);
  const root = $('dashboard');
  const banner = $('stale');
  let state = 'connecting';
  let freshAt = null; // when the page last heard the server's data
  let staleTimer = null;
  let pause = null; // { waiting, since } while paused

  banner.querySelector('button').addEventListener('click', retry);

  function showStale() {
    banner.querySelector('.as-of').textContent = timeOfDay(freshAt);
    banner.hidden = false;
  }

  function show() {
    const paused = pause && state === 'live'; // a connection problem says more than a pause
    const waiting = paused && `${count(pause.waiting)} new record${pause.waiting === 1 ? '' : 's'}`;
    $('status').dataset.state = paused ? 'paused' : state;
    $('status').textContent = paused
      ? `Paused — ${waiting} · as of ${timeOfDay(pause.since)}`
      : STATUS_TEXT[state];
  }

  return {
    connection(newState) {
      state = newState;
      root.dataset.state = state;
      if (state === 'live') {
        clearTimeout(staleTimer);
        staleTimer = null;
        banner.hidden = true;
      } else if (freshAt !== null && staleTimer === null) {
        staleTimer = setTimeout(showStale, STALE_AFTER_MS);
      }
      show();
    },
    loaded() {
      root.dataset.loaded = 'true';
      $('loading').hidden = true;
    },
    fresh() { freshAt = Date.now(); },
    paused(waiting) {
      pause = waiting;
      show();
    },
  };
}
