"""Static files: nginx from disk vs whitenoise inside a daphne process, side by side.

    python -m bench.static_files [--requests 2000] [--threads 4]

One daphne behind nginx (deploy/cluster.py's configuration); the same file fetched through
nginx's /static/ location and from daphne directly (whitenoise), gzip accepted, over keep-alive
connections. Reports requests/s and the server's CPU per request (nginx's worker or daphne).
"""

from __future__ import annotations

import argparse
import http.client
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.plan import DATABASES
from bench.processes import cpu_seconds
from deploy.cluster import cluster_env, cluster_start, cluster_stop, free_ports, prepare


def fetch(port: int, path: str, count: int) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    received = 0
    for _ in range(count):
        connection.request("GET", path, headers={"Accept-Encoding": "gzip"})
        response = connection.getresponse()
        received += len(response.read())
        assert response.status == 200, response.status
    connection.close()
    return received


def measure(port: int, path: str, pid: int, *, requests: int, threads: int) -> dict[str, float]:
    cpu = cpu_seconds(pid)
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        sizes = list(pool.map(lambda _: fetch(port, path, requests // threads), range(threads)))
    seconds = time.perf_counter() - started
    return {
        "per_second": requests / seconds,
        "cpu_ms_per_request": (cpu_seconds(pid) - cpu) * 1000 / requests,
        "bytes": sum(sizes) / requests,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=4)
    options = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="rtviz-static-"))
    env = cluster_env(scratch=scratch, database_url=DATABASES["SQLite"], redis_env={})
    env["REDIS_URL"] = "redis://127.0.0.1:6379/13"
    prepare(env, team_password=None)
    (port,) = free_ports(1)
    cluster = cluster_start(scratch=scratch, env=env, port=free_ports(1)[0], web_ports=[port])
    try:
        master = cluster.others[0].pid
        worker = int(subprocess.check_output(["pgrep", "-P", str(master)]).split()[0])
        (daphne,) = cluster.webs.values()
        hashed = next((scratch / "static/dashboard/js").glob("main.*.js")).name
        path = f"/static/dashboard/js/{hashed}"
        for name, target, pid in (
            ("nginx (alias, gzip_static)", cluster.port, worker),
            ("whitenoise in daphne", port, daphne.pid),
        ):
            fetch(target, path, 50)  # warm
            result = measure(target, path, pid, requests=options.requests, threads=options.threads)
            print(
                f"| {name} | {result['per_second']:.0f} | {result['cpu_ms_per_request']:.3f} ms "
                f"| {result['bytes']:.0f} B |",
                flush=True,
            )
    finally:
        cluster_stop(cluster)


if __name__ == "__main__":
    main()
