// The dashboard socket: connection, heartbeat, and reconnect with backoff; the frames are
// decoded by wire.js (docs/protocol.md).
import { constants, decodeBatch, decodeHistory, encodeFrame, sameConstants } from './wire.js';

const HEARTBEAT_MS = 10000; // a ping this often ...
const PONG_TIMEOUT_MS = 10000; // ... and a socket without a pong by then is dead
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 5000;
export const CLOSE_LOGIN_REQUIRED = constants.close.login_required;
export const CLOSE_FORBIDDEN = constants.close.forbidden;

// Opens the socket and keeps it open, in sync with the server's change sequence: on
// reconnect it asks to replay the changes after the last position it saw, and a gap in
// positions (a lost live message) or a pong ahead of it asks for the missing changes.
// `on` receives: status(state), history({mode, records, deletes, summary}), historyEnd(frame),
// changes(records, deletes), error(frame), refused(code). `params()` adds to the socket's
// URL (the time range's start). `reload()` starts over with a full history.
export function connect(path, on, params = () => ({})) {
  let socket = null;
  let attempt = 0;
  let heartbeat = null;
  let pongDeadline = null;
  let epoch = null;
  let position = null; // in sync up to here; null until the first history ends
  let resyncing = false;

  function url() {
    const address = new URL(path, location.href.replace(/^http/, 'ws'));
    Object.entries(params()).forEach(([name, value]) => address.searchParams.set(name, value));
    if (position !== null) {
      address.searchParams.set('epoch', epoch);
      address.searchParams.set('position', position);
    }
    return address;
  }

  function open() {
    on.status(attempt === 0 ? 'connecting' : 'reconnecting');
    resyncing = true;
    socket = new WebSocket(url());
    socket.onopen = startHeartbeat;
    socket.onmessage = (event) => receive(JSON.parse(event.data));
    socket.onclose = (event) => {
      stopHeartbeat();
      if (event.code === CLOSE_LOGIN_REQUIRED || event.code === CLOSE_FORBIDDEN) {
        on.status('offline');
        on.refused(event.code);
      } else {
        retry();
      }
    };
  }

  function retry() {
    attempt += 1;
    on.status(navigator.onLine === false ? 'offline' : 'reconnecting');
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** (attempt - 1));
    setTimeout(open, ceiling * (0.5 + Math.random() / 2)); // jitter spreads a server restart's reconnects
  }

  // A socket the browser still thinks is open may be dead: give up on it without waiting
  // for a closing handshake that will never come.
  function drop() {
    close();
    retry();
  }

  function send(frame) {
    socket.send(encodeFrame(frame));
  }

  function resync() {
    if (resyncing) return;
    resyncing = true;
    send({ type: 'resync', epoch, position });
  }

  function startHeartbeat() {
    heartbeat = setInterval(() => {
      send(position === null ? { type: 'ping' } : { type: 'ping', position }); // also an ack
      pongDeadline ??= setTimeout(drop, PONG_TIMEOUT_MS);
    }, HEARTBEAT_MS);
  }

  function stopHeartbeat() {
    clearInterval(heartbeat);
    clearTimeout(pongDeadline);
    pongDeadline = null;
  }

  function receive(frame) {
    switch (frame.type) {
      case 'hello':
        if (!sameConstants(frame)) location.reload(); // a new server: take its page too
        break;
      case 'history': on.history(decodeHistory(frame)); break;
      case 'history_end':
        attempt = 0;
        resyncing = false;
        epoch = frame.epoch;
        position = frame.position;
        on.historyEnd(frame);
        on.status('live');
        break;
      case 'changes':
        if (position === null || frame.to <= position) break; // already held
        // Apply it either way (changes are idempotent upserts and deletes); on a gap keep
        // the position where it was until the replay of the missing changes arrives.
        on.changes(frame.records ? decodeBatch(frame.records) : [], frame.deletes || []);
        if (frame.from === position + 1 && !resyncing) position = frame.to;
        else resync();
        break;
      case 'pong':
        clearTimeout(pongDeadline);
        pongDeadline = null;
        if (position !== null && frame.position > position) resync(); // e.g. after a Redis outage
        break;
      case 'error': on.error(frame); break;
      case 'budgets': on.budgets?.(frame); break; // budgets: the panel's frame (budgets.js)
      default: console.warn('rtviz: ignoring unknown frame type', frame.type);
    }
  }

  function close() {
    stopHeartbeat();
    socket.onclose = null;
    socket.close();
  }

  function reload() {
    close();
    position = null;
    epoch = null;
    attempt = 0;
    open();
  }

  open();
  return { close, reload };
}
