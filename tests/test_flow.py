from __future__ import annotations

from dashboard.flow import Flow


def test_an_acknowledgement_releases_what_was_sent_up_to_it():
    flow = Flow(limit=100)
    flow.sent(30, position=5)  # a history to position 5
    flow.sent(10)  # an answer: acknowledged with the next acknowledgement
    flow.sent(40, position=7)  # a live frame

    assert flow.acknowledge(5) and flow.unacked_bytes == 40
    assert not flow.acknowledge(8) and flow.unacked_bytes == 40  # never sent
    assert flow.acknowledge(7) and flow.unacked_bytes == 0
