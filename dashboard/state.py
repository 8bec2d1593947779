"""What this process holds for its dashboard sockets, in one explicit object.

Everything a socket makes the server keep — its place in the open-socket counts, its relay
membership, its background tasks, its unacknowledged bytes — is registered here while the socket
lives and released in the `finally` around its life (dashboard.adapter), so the counts below
are exact whatever way the socket ended. Tests read them through the test-only view
(dashboard.views.test_state, with DASHBOARD_TEST_HOOKS=1); metrics read the same object.

Fields (all per process; `snapshot()` gives them as JSON):
- open_sockets / sockets_by_user: sockets accepted and registered, not yet released;
- relay_members / relay_queued: sockets joined to the process's live relay, and the live
  messages waiting in their queues; relay_running: whether the relay's group subscription is up;
- socket_tasks: background tasks started for sockets (access watches) not yet finished;
- access_watches: the sessions of the open sockets that the periodic access re-check watches;
- access_tickers: the re-check's tasks running, one per event loop while it watches a session;
- access_hops / access_checks: re-check hops to the database thread (one per tick for all the
  watched sessions), and the sessions they checked;
- unacked_bytes: bytes sent to open sockets that their clients have not acknowledged;
- daphne_sockets: open sockets whose live frames go straight to daphne (dashboard.daphne_send);
- connects: connect attempts by outcome (accepted, login_required, forbidden,
  too_many_sockets, too_many_connects, channel_layer_down);
- closes: sockets the server closed, by reason (too_slow, rate_limited, bad_ack, ...).
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Coroutine

    from dashboard.access import SessionWatch
    from dashboard.budget_frames import RingFrames
    from dashboard.limits import FrameBudget
    from dashboard.relay import LiveRelay
    from feeds.selectors import SyncPoint


@dataclass(eq=False)
class ProcessState:
    sockets: set[Any] = field(default_factory=set)  # the open consumers
    sockets_by_user: Counter[int] = field(default_factory=Counter)
    # One relay per event loop: a process has one; a test run one per test (its own loop).
    relays: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LiveRelay] = field(
        default_factory=weakref.WeakKeyDictionary
    )
    # The budgets frame read for each recent ring, one per event loop like the relays
    # (dashboard.budget_frames).
    budget_frames: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, RingFrames] = field(
        default_factory=weakref.WeakKeyDictionary
    )
    # The periodic access re-checks, one per session per event loop (dashboard.access).
    access_watches: weakref.WeakKeyDictionary[
        asyncio.AbstractEventLoop, dict[str | None, SessionWatch]
    ] = field(default_factory=weakref.WeakKeyDictionary)
    access_tickers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Task[None]] = (
        field(default_factory=weakref.WeakKeyDictionary)
    )
    access_hops: int = 0
    access_checks: int = 0
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    connects: Counter[str] = field(default_factory=Counter)
    closes: Counter[str] = field(default_factory=Counter)
    # Connect budgets per user id: a token bucket each (dashboard.limits.socket_admit).
    connect_budgets: dict[int, FrameBudget] = field(default_factory=dict)
    # The sync point pongs report, read at most once a second for all sockets (dashboard.sync).
    recent_point: tuple[float, SyncPoint] | None = None
    # One thread reads the summaries, one at a time, not the one every other socket's queries
    # share: a time range's summary can take seconds (dashboard.summaries).
    summaries_thread: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=1, thread_name_prefix="summaries")
    )

    def task_start(self, coroutine: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """A socket's background task, counted until it ends (its owner cancels it on exit)."""
        task = asyncio.create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    def snapshot(self) -> dict[str, Any]:
        relays = list(self.relays.values())
        return {
            "open_sockets": len(self.sockets),
            "sockets_by_user": {str(user): n for user, n in self.sockets_by_user.items() if n},
            "relay_members": sum(len(relay.members) for relay in relays),
            "relay_queued": sum(
                member.relay_queued() for relay in relays for member in relay.members
            ),
            "relay_running": any(relay.is_running() for relay in relays),
            "socket_tasks": sum(not task.done() for task in self.tasks),
            "access_watches": sum(len(watches) for watches in self.access_watches.values()),
            "access_tickers": sum(not task.done() for task in self.access_tickers.values()),
            "access_hops": self.access_hops,
            "access_checks": self.access_checks,
            "unacked_bytes": sum(socket.flow.unacked_bytes for socket in self.sockets),
            "daphne_sockets": sum(socket.daphne is not None for socket in self.sockets),
            "connects": dict(self.connects),
            "closes": dict(self.closes),
            "at": time.time(),
        }

    def reset(self) -> None:
        """Forget what earlier tests left (each test has its own event loop and database)."""
        self.sockets.clear()
        self.sockets_by_user.clear()
        self.connect_budgets.clear()
        self.connects.clear()
        self.closes.clear()
        self.recent_point = None


STATE = ProcessState()
