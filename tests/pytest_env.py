"""A pytest plugin loaded with `-p` (see pyproject.toml) so it runs before Django starts:
tests use the development profile of the one settings module."""

import os

# No HTTPS redirect, no secure-cookie-only sessions, plain static storage; the production
# profile is exercised by a test that runs `check --deploy` in a subprocess.
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
