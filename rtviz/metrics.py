"""Every Prometheus metric rtviz exports, defined here once (docs/operations.md describes each).

With several server processes, set PROMETHEUS_MULTIPROC_DIR to an empty directory shared by
all of them (and the generator) before they start: prometheus-client then keeps each process's
values in files there, and /metrics (rtviz.health) adds them up, whichever process answers.
Gauges say how they add up across processes (`multiprocess_mode`).

The socket-level functions at the bottom are what the dashboard consumer and relay call. None
of them runs once per socket per live frame: with PROMETHEUS_MULTIPROC_DIR every update is a
lock and a write into a memory-mapped file, so the relay adds up a message's frames and bytes
over all its sockets and counts them once, and the unacknowledged bytes are kept in a plain
integer and published to their gauge once per relayed message, acknowledgement or close.
"""

from __future__ import annotations

import os

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

SOCKETS_OPEN = Gauge(
    "rtviz_sockets_open", "Dashboard sockets open now.", multiprocess_mode="livesum"
)
SOCKET_CONNECTS = Counter(
    "rtviz_socket_connects", "Dashboard socket connects, by outcome.", ["outcome"]
)
HISTORY_SEND_SECONDS = Histogram(
    "rtviz_history_send_seconds",
    "Time from a socket's accept to its history_end frame.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
)
LIVE_FRAMES_SENT = Counter("rtviz_live_frames_sent", "Live change frames sent to sockets.")
LIVE_BYTES_SENT = Counter("rtviz_live_bytes_sent", "Bytes of live change frames sent.")
UNACKED_BYTES = Gauge(
    "rtviz_unacked_bytes",
    "Live bytes sent but not yet acknowledged by the pages, all sockets.",
    multiprocess_mode="livesum",
)
TOO_SLOW_DROPS = Counter(
    "rtviz_too_slow_drops", "Sockets dropped for leaving too many bytes unacknowledged."
)
RELAY_QUEUE_DEPTH = Gauge(
    "rtviz_relay_queue_depth",
    "Live messages waiting in the sockets' relay queues, all sockets of a process.",
    multiprocess_mode="livesum",
)
RELAY_FAILURES = Counter(
    "rtviz_relay_failures", "Times a process's live relay lost the channel layer."
)
BROADCASTS = Counter(
    "rtviz_broadcasts", "Group messages sent for committed changes, by outcome.", ["outcome"]
)
DATABASE_POSITION = Gauge(
    "rtviz_database_position",
    "The change sequence's committed end, read when /metrics is scraped.",
    multiprocess_mode="max",
)
RELAY_POSITION = Gauge(
    "rtviz_relay_position",
    "The last change position a process's relay has passed on (one series per process).",
    multiprocess_mode="liveall",
)
REQUEST_SECONDS = Histogram(
    "rtviz_http_request_seconds",
    "HTTP request latency, from the Django middleware, by view and status class.",
    ["view", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)

# Gauges of one process: set from the process's own counts, never read back from the gauge.
_relay_position = 0
_unacked_bytes = 0  # all sockets of this process: published by unacked_publish()


def metrics_text() -> tuple[bytes, str]:
    """The exposition text for /metrics: every process's values when multiprocess is on."""
    from prometheus_client import CONTENT_TYPE_LATEST

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def process_dead(pid: int) -> None:
    """Forget a stopped process's live gauges (the supervisor calls this after a restart)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(pid)


# For the consumer and the relay (dashboard/consumers.py, dashboard/relay.py).


def socket_connected(*, outcome: str) -> None:
    """Once per connect: "accepted", "login_required", "forbidden", "too_many", "error"."""
    SOCKET_CONNECTS.labels(outcome=outcome).inc()
    if outcome == "accepted":
        SOCKETS_OPEN.inc()


def socket_closed(*, unacked_bytes: int) -> None:
    """Once per accepted socket, in its `finally`: it no longer counts, nor do its bytes."""
    SOCKETS_OPEN.dec()
    unacked_changed(-unacked_bytes)
    unacked_publish()


def history_sent(*, seconds: float) -> None:
    HISTORY_SEND_SECONDS.observe(seconds)
    unacked_publish()


def live_frames_sent(*, frames: int, size: int) -> None:
    """Live frames sent, and their bytes: once per relayed message (or queued one), not per
    socket-frame."""
    if frames:
        LIVE_FRAMES_SENT.inc(frames)
        LIVE_BYTES_SENT.inc(size)


def unacked_changed(delta: int) -> None:
    """Bytes sent on a socket (history, live, answers: dashboard.flow) less those its client
    acknowledged: an add, per frame; unacked_publish() sets the gauge."""
    global _unacked_bytes
    _unacked_bytes += delta


def unacked_publish() -> None:
    UNACKED_BYTES.set(_unacked_bytes)


def socket_too_slow() -> None:
    TOO_SLOW_DROPS.inc()


def relay_passed(*, position: int, queued: int, frames: int = 0, size: int = 0) -> None:
    """After the relay hands a message to every socket: its last position, how many messages
    wait in the sockets' queues, and the live frames and bytes sent in the pass."""
    global _relay_position
    _relay_position = max(_relay_position, position)
    RELAY_POSITION.set(_relay_position)
    RELAY_QUEUE_DEPTH.set(queued)
    live_frames_sent(frames=frames, size=size)
    unacked_publish()


def relay_failed() -> None:
    RELAY_FAILURES.inc()


def broadcast_done(*, sent: bool) -> None:
    BROADCASTS.labels(outcome="sent" if sent else "failed").inc()
