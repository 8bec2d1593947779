"""rtviz.asgi: what a server process sets up once, before it serves."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT, process_env


def test_the_objects_of_start_up_are_out_of_the_garbage_collector_s_way():
    # A full collection walks every tracked object with the GIL held: the event loop of every
    # socket and the request being served stop meanwhile. Django's start-up objects live as
    # long as the process; walking them again at each full collection cost an API batch of
    # 1,000 records ~130 ms (docs/benchmarks.md, the ingest section).
    code = "import gc, rtviz.asgi; print(gc.get_freeze_count())"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=process_env(),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )

    assert int(done.stdout.strip().splitlines()[-1]) > 10_000
