#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rtviz.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        # Load the settings before Django does: it would print a traceback (and, looking
        # for the command without them, a KeyError) for what is a missing variable.
        settings.INSTALLED_APPS  # noqa: B018 - the access loads rtviz.settings
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as error:  # a setting from the environment: say which, no traceback
        sys.exit(f"rtviz: {error}")


if __name__ == "__main__":
    main()
