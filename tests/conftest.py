from __future__ import annotations

import os

import pytest

# Playwright's sync API runs an event loop in the test thread; Django refuses ORM calls
# from such a thread unless told this is deliberate (browser tests only touch the DB in setup).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from tests.factories import (  # noqa: E402
    ClientFactory,
    DeliveryFactory,
    PartnerFactory,
    PartnerUserFactory,
    PMFactory,
    ProjectFactory,
)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _plain_static(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def pm(db):
    return PMFactory()


@pytest.fixture
def partner(db):
    return PartnerFactory()


@pytest.fixture
def partner_user(db, partner):
    return PartnerUserFactory(partner=partner)


@pytest.fixture
def other_partner_user(db):
    return PartnerUserFactory()


@pytest.fixture
def project(db, pm, partner):
    return ProjectFactory(pm=pm, partner=partner, client=ClientFactory())


@pytest.fixture
def delivery(db, project, pm):
    return DeliveryFactory(project=project, created_by=pm)


@pytest.fixture
def pm_client(client, pm):
    client.force_login(pm)
    return client


@pytest.fixture
def partner_client(client, partner_user):
    client.force_login(partner_user)
    return client


def browser_launch_args() -> dict:
    return {
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, **browser_launch_args()}


@pytest.fixture(autouse=True)
def _celery_inline():
    """Tasks run inline in tests unless a test asks for the real broker and worker.

    CI exports REDIS_URL so the integration tests reach the real Redis; every other test
    keeps the embedded behaviour so it does not depend on a worker being up.
    """
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous
