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


#: Data migrations whose rows the app needs (the official checklists, category policies,
#: modules, email templates, tone rules). Keep in step with new data migrations.
DEFAULT_DATA_MIGRATIONS = (
    "projects.migrations.0002_default_policies_and_modules",
    "checklists.migrations.0004_default_checklists",
    "communications.migrations.0004_default_templates_and_tone_rules",
)


@pytest.fixture(autouse=True)
def _default_data_after_flush(request):
    """Transactional tests (threads, live_server, browser) flush the database after they
    run, which also drops the rows installed by data migrations. Put them back before a
    test that uses the database, with the migrations' own idempotent install functions."""
    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db", "live_server"} & set(
        request.fixturenames
    )
    if not uses_db:
        yield
        return
    request.getfixturevalue("transactional_db" if _is_transactional(request) else "db")
    from django.apps import apps as django_apps

    from checklists.models import ChecklistTemplate

    if not ChecklistTemplate.objects.exists():
        import importlib

        for module_name in DEFAULT_DATA_MIGRATIONS:
            importlib.import_module(module_name).install(django_apps, None)
    yield


def _is_transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    if marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
        return True
    return bool({"transactional_db", "live_server"} & set(request.fixturenames))
