"""Make or update a dashboard team member; the password comes from RTVIZ_TEAM_PASSWORD."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from dashboard.services import team_user_ensure


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        # From the environment, not the command line, where every user of the machine sees it.
        password = os.environ.get("RTVIZ_TEAM_PASSWORD", "")
        if not password:
            raise CommandError("Set RTVIZ_TEAM_PASSWORD to the user's password.")
        team_user_ensure(username=username, password=password)
        self.stdout.write(f"{username} is on the dashboard's team.")
