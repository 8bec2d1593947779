"""Make an API token for an integration and print its key (shown this once; only its hash is
kept). Staff can do the same in the admin, and revoke it there."""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from feeds.models import ApiToken
from feeds.tokens import token_create

SCOPES = ApiToken.Scope.values


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("name", help="the integration; its records' source is api:NAME")
        parser.add_argument(
            "--scopes", default="records:write", help=f"comma-separated: {', '.join(SCOPES)}"
        )
        parser.add_argument("--expires-days", type=int, help="days until it stops working")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["name"].strip()
        scopes = [scope.strip() for scope in options["scopes"].split(",") if scope.strip()]
        if not 1 <= len(name) <= 64:
            raise CommandError("name: 1 to 64 characters")
        if not scopes or any(scope not in SCOPES for scope in scopes):
            raise CommandError(f"--scopes: comma-separated, from {', '.join(SCOPES)}")
        if ApiToken.objects.filter(name=name).exists():
            raise CommandError(f"a token named {name!r} exists; revoke it in the admin first")
        days = options["expires_days"]
        if days is not None and days < 1:
            raise CommandError("--expires-days: at least 1")
        expires = timezone.now() + timedelta(days=days) if days else None
        self.stdout.write(token_create(name=name, scopes=scopes, expires=expires)[1])
