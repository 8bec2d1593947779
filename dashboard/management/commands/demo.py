"""Bring the live demo up: database, a demo team user, the generator and the server."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from typing import Any
from urllib.parse import urlsplit

import redis
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from budgets.examples import budget_examples_create
from dashboard.access import TEAM_GROUP

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "rtviz-demo"  # noqa: S105 - a known demo login, refused unless DEBUG is on
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--rate", default="1", help="generated records per second")

    def handle(self, *args: Any, port: int, rate: str, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "The demo creates a user with a known password: run it with DEBUG=1."
            )
        self.redis_ensure()
        call_command("migrate", verbosity=0)
        self.demo_user_ensure()
        examples = budget_examples_create()
        self.stdout.write(f"{len(examples)} example budgets made (admin: Budgets).")
        generator = subprocess.Popen(
            [sys.executable, "manage.py", "generate_spend", "--rate", rate], cwd=settings.BASE_DIR
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"\nrtviz is live at http://127.0.0.1:{port}/ "
                f"- log in as {DEMO_USERNAME} / {DEMO_PASSWORD} (admin: /admin/). Ctrl-C stops.\n"
            )
        )
        try:
            call_command("runserver", f"127.0.0.1:{port}", use_reloader=False)
        finally:
            generator.terminate()
            generator.wait(timeout=10)

    def redis_ensure(self) -> None:
        url = settings.REDIS_URL
        if self.redis_ping(url):
            return
        parts = urlsplit(url)
        server = shutil.which("redis-server")
        if parts.hostname not in LOCAL_HOSTS or server is None:
            raise CommandError(
                f"Redis is not reachable at {url}. Start it (Debian: apt-get install redis-server) "
                "or point REDIS_URL at a running one."
            )
        self.stdout.write(f"Redis is not running at {url}; starting {server} ...")
        subprocess.run(
            [server, "--daemonize", "yes", "--port", str(parts.port or 6379), "--save", ""],
            check=True,
        )
        if not self.redis_ping(url, retries=50):
            raise CommandError(f"Started redis-server, but {url} still does not answer.")

    @staticmethod
    def redis_ping(url: str, retries: int = 1) -> bool:
        client = redis.Redis.from_url(url, socket_connect_timeout=1)
        for _ in range(retries):
            try:
                return bool(client.ping())
            except redis.RedisError:
                time.sleep(0.1)
        return False

    def demo_user_ensure(self) -> None:
        user, _ = get_user_model().objects.get_or_create(
            username=DEMO_USERNAME, defaults={"is_staff": True}
        )
        user.email = "demo@example.com"  # alert emails: printed on the console under DEBUG
        user.set_password(DEMO_PASSWORD)
        user.save()
        user.groups.add(Group.objects.get(name=TEAM_GROUP))
        # Staff, so the demo can show the admin: it may view and edit spend records there.
        user.user_permissions.add(
            *Permission.objects.filter(
                content_type__app_label="feeds", codename__endswith="spendrecord"
            ),
            # ... and budgets, and the alert history.
            *Permission.objects.filter(content_type__app_label="budgets"),
        )
