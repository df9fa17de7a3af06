"""Helpers for the browser tests."""

from __future__ import annotations

from django.test import Client as DjangoClient


def sign_in(context, live_server, user) -> None:
    """Log `user` in for a Playwright browser context: a real Django session cookie,
    without going through the login form each time."""
    django_client = DjangoClient()
    django_client.force_login(user)
    context.add_cookies([{"name": "sessionid", "value": django_client.cookies["sessionid"].value, "url": live_server.url}])
