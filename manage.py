#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if "DEBUG" not in os.environ and "SECRET_KEY" not in os.environ:
        # A bare checkout (no environment at all) is a developer's: manage.py runs on the
        # development profile, like `make`. Servers (gunicorn, Celery, Docker) set
        # SECRET_KEY, so there DEBUG stays off unless set, and a missing key still refuses
        # to start (config/settings.py).
        os.environ["DEBUG"] = "1"
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
