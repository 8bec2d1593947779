"""Flow control for one socket: every byte sent — history, live, answers — is counted until
the client acknowledges it, and a client may acknowledge only what was sent to it.

The server cannot see its send buffer through ASGI (daphne queues whatever the application
sends), so this window is what bounds the memory a slow or stalled client holds: past
DASHBOARD_MAX_UNACKED_BYTES the socket is dropped (too_slow) and the page replays from its
position when it reconnects. A client acknowledges a position with its pings; a position
this socket never sent is refused, or a forged acknowledgement would defeat the bound."""

from __future__ import annotations

from collections import deque

from rtviz import metrics


class Flow:
    def __init__(self, *, limit: int) -> None:
        self.limit = limit
        self.sent_position = 0  # the highest position sent on this socket (history_end, changes)
        # Bytes sent and not yet acknowledged: (the position that acknowledges them, size).
        self.unacked: deque[tuple[int, int]] = deque()
        self.unacked_bytes = 0

    def sent(self, size: int, *, position: int | None = None) -> None:
        """Count `size` bytes just sent, acknowledged by `position` (by default the
        highest sent so far: a history's frames by its end, an answer by the next ack)."""
        if position is not None:
            self.sent_position = max(self.sent_position, position)
        acked_by = self.sent_position if position is None else position
        if self.unacked and self.unacked[-1][0] == acked_by:  # one entry per position
            self.unacked[-1] = (acked_by, self.unacked[-1][1] + size)
        else:
            self.unacked.append((acked_by, size))
        self.unacked_bytes += size
        metrics.unacked_changed(size)

    @property
    def over_limit(self) -> bool:
        return self.unacked_bytes > self.limit

    def acknowledge(self, position: int | None) -> bool:
        """Forget what `position` acknowledges; False (and nothing forgotten) when it is past
        anything this socket sent."""
        if position is None:
            return True
        if position > self.sent_position:
            return False
        freed = 0
        while self.unacked and self.unacked[0][0] <= position:
            freed += self.unacked.popleft()[1]
        self.unacked_bytes -= freed
        metrics.unacked_changed(-freed)
        metrics.unacked_publish()
        return True
