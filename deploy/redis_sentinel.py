"""A Redis master, a replica and three sentinels on free local ports, for trying a failover
(tests/e2e/test_sentinel.py, bench/failover.py). Production runs them on separate machines;
the settings are the same: REDIS_SENTINELS and REDIS_MASTER_NAME (docs/operations.md).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import redis

from deploy.cluster import free_ports

MASTER_NAME = "rtviz"
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
# How soon sentinels call a silent master down; production keeps the default 30 s or some
# seconds at least, so a pause is not a failover. Short here, to measure what follows.
DOWN_AFTER_MS = 1000
WAIT_SECONDS = 60.0


@dataclass
class SentinelSet:
    scratch: Path
    master_port: int
    replica_port: int
    sentinel_ports: list[int]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def env(self, *, database: int = 0) -> dict[str, str]:
        """The settings for rtviz's processes (REDIS_URL gives only the database number)."""
        return {
            "REDIS_SENTINELS": ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports),
            "REDIS_MASTER_NAME": MASTER_NAME,
            "REDIS_URL": f"redis://sentinel/{database}",
        }

    def master_port_now(self) -> int | None:
        """The master's port as a sentinel tells it, or None if none answers."""
        for port in self.sentinel_ports:
            try:
                address = redis.Redis(port=port, socket_timeout=1).sentinel_get_master_addr_by_name(
                    MASTER_NAME
                )
            except redis.RedisError:
                continue
            if address:
                return int(address[1])
        return None


def redis_start(set_: SentinelSet, name: str, *args: str) -> None:
    set_.processes[name] = subprocess.Popen(
        [REDIS_SERVER, *args], stdout=subprocess.DEVNULL, cwd=set_.scratch
    )


def wait_for(condition: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except redis.RedisError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"Redis sentinel set: {what} did not happen within {WAIT_SECONDS:g} s")


def sentinel_set_start(scratch: Path) -> SentinelSet:
    """Master, replica and sentinels up, the replica in sync and known to every sentinel."""
    master, replica, *sentinels = free_ports(5)
    set_ = SentinelSet(scratch, master, replica, sentinels)
    plain = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    try:
        redis_start(set_, "master", "--port", str(master), *plain)
        redis_start(set_, "replica", "--port", str(replica), *plain,
                    "--replicaof", "127.0.0.1", str(master))  # fmt: skip
        wait_for(
            lambda: redis.Redis(port=replica).info("replication")["master_link_status"] == "up",
            "the replica's sync",
        )
        for port in sentinels:
            config = scratch / f"sentinel-{port}.conf"  # a sentinel rewrites its own file
            config.write_text(
                f"port {port}\nbind 127.0.0.1\ndir {scratch}\n"
                f"sentinel monitor {MASTER_NAME} 127.0.0.1 {master} 2\n"
                f"sentinel down-after-milliseconds {MASTER_NAME} {DOWN_AFTER_MS}\n"
                f"sentinel failover-timeout {MASTER_NAME} 5000\n"
            )
            redis_start(set_, f"sentinel-{port}", str(config), "--sentinel")
        for port in sentinels:  # each has found the replica and the two other sentinels
            wait_for(
                lambda port=port: (
                    len(redis.Redis(port=port).sentinel_slaves(MASTER_NAME)) == 1
                    and len(redis.Redis(port=port).sentinel_sentinels(MASTER_NAME)) == 2
                ),
                f"sentinel {port} discovering the others",
            )
    except BaseException:
        sentinel_set_stop(set_)
        raise
    return set_


def master_kill(set_: SentinelSet) -> None:
    """The master dies outright (SIGKILL), as a crashed machine would."""
    process = set_.processes.pop("master")
    process.kill()
    process.wait()


def promotion_wait(set_: SentinelSet) -> None:
    wait_for(lambda: set_.master_port_now() == set_.replica_port, "the replica's promotion")


def sentinel_set_stop(set_: SentinelSet) -> None:
    for process in set_.processes.values():
        process.terminate()
    for process in set_.processes.values():
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    set_.processes.clear()
