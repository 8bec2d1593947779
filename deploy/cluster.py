"""The production shape on one machine: N daphne processes behind nginx, the generator,
PostgreSQL and Redis, with DEBUG off (`make cluster`; tests/e2e/test_cluster.py drives it too).

Everything it writes (nginx's configuration, pid, logs and temporary files, the collected static
files, the metrics directory) lives in one scratch directory; the system's nginx is untouched.
Ctrl-C stops every process it started, and only those.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.error import URLError
from urllib.parse import urlsplit, urlunsplit

from harness.daphne import daphne_command

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
TEAM_USERNAME = "team"
START_TIMEOUT = 60.0


@dataclass
class Cluster:
    scratch: Path
    env: dict[str, str]
    port: int  # nginx's
    web_ports: list[int]
    webs: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)
    others: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def cluster_env(*, scratch: Path, database_url: str, redis_env: dict[str, str]) -> dict[str, str]:
    """The production settings, for processes on this machine only."""
    (scratch / "metrics").mkdir(exist_ok=True)  # every process writes its metrics here
    return {
        **os.environ,
        "DEBUG": "",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": database_url,
        **redis_env,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "TRUSTED_PROXIES": "127.0.0.1",  # nginx, the one way in
        "STATIC_ROOT": str(scratch / "static"),
        "PROMETHEUS_MULTIPROC_DIR": str(scratch / "metrics"),
        "METRICS_TOKEN": secrets.token_urlsafe(24),
        "PYTHONUNBUFFERED": "1",
    }


def manage(env: dict[str, str], *args: str, **extra: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**env, **extra}, check=True)


def database_ensure(database_url: str) -> None:
    """Create the PostgreSQL database if it is missing (SQLite makes its own file)."""
    parts = urlsplit(database_url)
    if not parts.scheme.startswith("postgres"):
        return
    import psycopg
    from psycopg import sql

    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if exists.fetchone() is None:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def prepare(env: dict[str, str], *, team_password: str | None) -> None:
    """Migrations, collected static files and (optionally) the team user, before any server."""
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "collectstatic", "--noinput", "-v", "0")
    if team_password:
        manage(env, "team_user", TEAM_USERNAME, RTVIZ_TEAM_PASSWORD=team_password)


def http_ok(url: str, *, headers: dict[str, str] | None = None) -> bool:
    try:
        request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - ours
        with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310
            return response.status == 200
    except (URLError, OSError):
        return False


def wait_until_ok(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")
        if http_ok(url):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {START_TIMEOUT:g} s")


def web_start(cluster: Cluster, port: int) -> subprocess.Popen[bytes]:
    """One daphne process on an internal port; Django trusts nginx's X-Forwarded-For
    (TRUSTED_PROXIES), not daphne's --proxy-headers, which would take the client's own hop."""
    process = subprocess.Popen(
        daphne_command(port=port),
        cwd=ROOT, env=cluster.env,
    )  # fmt: skip
    cluster.webs[port] = process
    wait_until_ok(f"http://127.0.0.1:{port}/healthz", process)
    return process


def web_kill(cluster: Cluster, port: int) -> None:
    """Kill one web process outright (SIGKILL: no goodbye to its sockets), as a crash would."""
    from prometheus_client import multiprocess

    process = cluster.webs.pop(port)
    process.kill()
    process.wait()
    # Its open-socket and queue gauges leave the sums; its counters stay counted.
    multiprocess.mark_process_dead(process.pid, cluster.env["PROMETHEUS_MULTIPROC_DIR"])


def nginx_config_write(cluster: Cluster) -> Path:
    servers = "\n    ".join(
        f"server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;" for port in cluster.web_ports
    )
    site = (DEPLOY / "nginx" / "rtviz.conf").read_text()
    for placeholder, value in {
        "@UPSTREAM_SERVERS@": servers,
        "@LISTEN@": f"127.0.0.1:{cluster.port}",
        "@SERVER_NAME@": "127.0.0.1 localhost",
        "@STATIC_ROOT@": cluster.env["STATIC_ROOT"],
    }.items():
        site = site.replace(placeholder, value)
    (cluster.scratch / "rtviz.conf").write_text(site)
    main = (
        (DEPLOY / "nginx" / "standalone.conf")
        .read_text()
        .replace("@SCRATCH@", str(cluster.scratch))
    )
    if os.geteuid() == 0:
        # As root, nginx's workers would run as nobody, who cannot read a private scratch
        # directory; this nginx serves only this machine, for trying the stack out.
        main = "user root;\n" + main
    path = cluster.scratch / "nginx.conf"
    path.write_text(main)
    return path


def nginx_start(cluster: Cluster) -> subprocess.Popen[bytes]:
    config = nginx_config_write(cluster)
    scratch = str(cluster.scratch)
    # -e: its startup errors go to the scratch directory too, not /var/log/nginx.
    subprocess.run(
        [NGINX, "-t", "-q", "-p", scratch, "-e", f"{scratch}/error.log", "-c", str(config)],
        check=True,
    )
    process = subprocess.Popen(
        [NGINX, "-p", scratch, "-e", f"{scratch}/error.log", "-c", str(config)]
    )
    cluster.others.append(process)
    wait_until_ok(f"{cluster.url}/healthz", process)
    return process


def generator_start(
    cluster: Cluster, *, rate: str, batch: str | None = None
) -> subprocess.Popen[bytes]:
    args = [sys.executable, "manage.py", "generate_spend", "--rate", rate]
    if batch:
        args += ["--batch", batch]
    process = subprocess.Popen(args, cwd=ROOT, env=cluster.env)
    cluster.others.append(process)
    return process


def cluster_start(
    *, scratch: Path, env: dict[str, str], port: int, web_ports: list[int]
) -> Cluster:
    """The web processes and nginx (the database is ready: `prepare` has run)."""
    cluster = Cluster(scratch=scratch, env=env, port=port, web_ports=web_ports)
    try:
        for web_port in web_ports:
            web_start(cluster, web_port)
        nginx_start(cluster)
    except BaseException:
        cluster_stop(cluster)
        raise
    return cluster


def cluster_stop(cluster: Cluster) -> None:
    """Stop what was started, the generator and nginx first, then the web processes."""
    processes = [*reversed(cluster.others), *cluster.webs.values()]
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    cluster.webs.clear()
    cluster.others.clear()


def free_ports(count: int) -> list[int]:
    import socket

    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8080, help="nginx's port (127.0.0.1)")
    parser.add_argument("--web", type=int, default=3, help="daphne processes")
    parser.add_argument("--rate", default="10", help="generated records per second")
    parser.add_argument("--database-url", default=os.environ.get(
        "CLUSTER_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/rtviz_cluster"))  # fmt: skip
    parser.add_argument(
        "--redis-url", default=os.environ.get("CLUSTER_REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    args = parser.parse_args(argv)
    if not (shutil.which("nginx") or Path(NGINX).exists()):
        print("nginx is not installed: `make cluster` installs it (apt-get install nginx).")
        return 1
    scratch = Path(tempfile.mkdtemp(prefix="rtviz-cluster-"))
    env = cluster_env(
        scratch=scratch, database_url=args.database_url, redis_env={"REDIS_URL": args.redis_url}
    )
    password = secrets.token_urlsafe(12)
    try:
        database_ensure(args.database_url)
        prepare(env, team_password=password)
        cluster = cluster_start(
            scratch=scratch, env=env, port=args.port, web_ports=free_ports(args.web)
        )
    except (subprocess.CalledProcessError, RuntimeError, OSError) as error:
        print(f"The cluster did not start: {error}", file=sys.stderr)
        shutil.rmtree(scratch, ignore_errors=True)
        return 1
    generator_start(cluster, rate=args.rate)
    token = env["METRICS_TOKEN"]
    print(
        f"\nrtviz cluster is live at {cluster.url}/ - log in as {TEAM_USERNAME} / {password}\n"
        f"  {len(cluster.webs)} daphne processes on ports {', '.join(map(str, cluster.webs))}, "
        f"nginx logs in {scratch}\n"
        f"  metrics: curl -H 'Authorization: Bearer {token}' {cluster.url}/metrics\n"
        "  Ctrl-C stops everything it started.\n",
        flush=True,
    )
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop as on Ctrl-C
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        print("Stopping ...", flush=True)
        cluster_stop(cluster)
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
