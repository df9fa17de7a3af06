"""Every page and action, every role: checked on the server, and another company's or an
anonymous visitor's request never reveals an object (DESIGN.md §Security)."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from checklists.models import DeliveryItem
from delivery.services import change_request_create
from projects.vocabulary import PIPELINE
from tests.factories import ClientContactFactory

pytestmark = pytest.mark.django_db

#: Namespaces of the staff app (the admin and the token-based client portal have their own model).
APP_NAMESPACES = {"delivery", "recette", "portal", "golive", "projects", "communications"}
PUBLIC = {"portal:page", "portal:pv", "portal:document"}  # the client portal: token, no login


def app_urls() -> list[tuple[str, list[str]]]:
    found = []

    def walk(patterns, namespace=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, p.namespace or namespace)
            elif isinstance(p, URLPattern) and namespace in APP_NAMESPACES and p.name:
                name = f"{namespace}:{p.name}"
                if name not in PUBLIC:
                    found.append((name, list(p.pattern.converters)))

    walk(get_resolver().url_patterns)
    return sorted(set((n, tuple(k)) for n, k in found))


def url_for(name: str, kwargs_names, *, delivery, item, change_request, project) -> str:
    values = {}
    for key in kwargs_names:
        if key == "pk":
            values[key] = project.pk if name.startswith("projects:") else delivery.pk
            if name.startswith("projects:client"):
                values[key] = project.client_id
        elif key == "item_pk":
            values[key] = item.pk
        elif key in ("cr_pk", "cr_id"):
            values[key] = change_request.pk
        elif key == "project_pk":
            values[key] = project.pk
        elif key in ("name", "action", "what"):
            values[key] = "x"
        else:
            values[key] = 1
    return reverse(name, kwargs=values)


@pytest.fixture
def foreign(delivery, pm):
    """A delivery of another company's partner, with objects behind every kind of id."""
    ClientContactFactory(client=delivery.project.client)
    item = DeliveryItem.objects.filter(delivery=delivery).first()
    cr = change_request_create(delivery=delivery, user=pm, title="Page équipe", kind="devis")
    return {"delivery": delivery, "item": item, "change_request": cr, "project": delivery.project}


def test_it_lists_every_app_url():
    names = {n for n, _ in app_urls()}
    assert {"delivery:detail", "recette:tab", "portal:tab", "golive:tab", "projects:project_list"} <= names
    assert len(names) > 40


def test_it_sends_anonymous_visitors_to_the_login_page(client, foreign):
    for name, kwargs in app_urls():
        url = url_for(name, kwargs, **foreign)
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 302, (name, method.__name__, response.status_code)
            assert response["Location"].startswith(reverse("login")), name


def test_it_answers_404_to_a_partner_of_another_company_on_every_object_url(client, foreign, other_partner_user):
    client.force_login(other_partner_user)
    for name, kwargs in app_urls():
        if not kwargs:
            continue  # no object behind it: see the agency-only test below
        url = url_for(name, kwargs, **foreign)
        # A POST-only action answers 405 to a GET before any lookup: the same for an id
        # that does not exist, so it reveals nothing.
        assert client.get(url).status_code in (404, 405), name
        response = client.post(url)
        assert response.status_code == 404, (name, response.status_code)


@pytest.mark.parametrize(
    "name", ["projects:client_list", "projects:client_create", "projects:project_create", "communications:tone_check"]
)
def test_it_keeps_agency_pages_from_partner_users(client, partner_user, name):
    client.force_login(partner_user)
    assert client.get(reverse(name)).status_code in (404, 405)
    assert client.post(reverse(name), {"body": "désolé"}).status_code == 404


def test_it_never_writes_anything_for_a_foreign_partner(client, foreign, other_partner_user):
    from delivery.models import HistoryEntry

    before = HistoryEntry.objects.count()
    client.force_login(other_partner_user)
    for name, kwargs in app_urls():
        client.post(url_for(name, kwargs, **foreign), {"note": "x", "done": "1", "justification": "x" * 20})
    assert HistoryEntry.objects.count() == before
    foreign["delivery"].refresh_from_db()
    assert foreign["delivery"].stage == PIPELINE[0]


def test_it_serves_every_delivery_tab_with_the_pipeline_stepper(pm_client, delivery):
    from delivery.tabs import TABS
    from projects.vocabulary import Stage

    for _label, url_name in TABS:
        response = pm_client.get(reverse(url_name, args=[delivery.pk]))
        assert response.status_code == 200, url_name
        html = response.content.decode()
        stepper = html[html.index('class="stepper"') :]
        stepper = stepper[: stepper.index("</ol>")]
        for stage in PIPELINE:
            assert Stage(stage).label.replace("&", "&amp;") in stepper, (url_name, stage)
