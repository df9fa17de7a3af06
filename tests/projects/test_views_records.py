"""Clients and projects pages: lists, search, forms, and who may reach them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from projects.models import Client, ClientContact, Project
from tests.factories import ClientContactFactory, ClientFactory, PMFactory, ProjectFactory

pytestmark = pytest.mark.django_db

AGENCY_ONLY = ["projects:client_list", "projects:client_create", "projects:project_create"]


@pytest.mark.parametrize("url_name", [*AGENCY_ONLY, "projects:project_list"])
def test_it_redirects_anonymous_to_login(client, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("url_name", AGENCY_ONLY)
def test_it_answers_404_to_partners_on_agency_pages(partner_client, url_name):
    assert partner_client.get(reverse(url_name)).status_code == 404


def test_it_lists_and_searches_clients(pm_client):
    ClientFactory(name="Boulangerie Martin")
    other = ClientFactory(name="Cabinet Durand")
    ClientContactFactory(client=other, name="Marc Lenoir")
    html = pm_client.get(reverse("projects:client_list")).content.decode()
    assert "Boulangerie Martin" in html and "Cabinet Durand" in html
    response = pm_client.get(reverse("projects:client_list"), {"q": "lenoir"})
    assert list(response.context["clients"]) == [other]
    assert "Aucun client ne correspond" in pm_client.get(reverse("projects:client_list"), {"q": "zzz"}).content.decode()


def test_it_creates_a_client_with_its_contacts(pm_client):
    data = {
        "name": "Fromagerie Alpine",
        "notes": "",
        "contacts-TOTAL_FORMS": "3",
        "contacts-INITIAL_FORMS": "0",
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "1000",
        "contacts-0-name": "Jeanne Roche",
        "contacts-0-email": "jeanne@fromagerie.example",
        "contacts-0-role": "Gérante",
        "contacts-0-is_primary": "on",
        "contacts-1-name": "Luc Roche",
        "contacts-1-email": "luc@fromagerie.example",
    }
    response = pm_client.post(reverse("projects:client_create"), data)
    client = Client.objects.get(name="Fromagerie Alpine")
    assert response["Location"] == reverse("projects:client_detail", args=[client.pk])
    assert set(client.contacts.values_list("email", flat=True)) == {"jeanne@fromagerie.example", "luc@fromagerie.example"}
    assert client.contacts.get(is_primary=True).name == "Jeanne Roche"
    detail = pm_client.get(response["Location"]).content.decode()
    assert "jeanne@fromagerie.example" in detail


def test_it_keeps_the_client_form_on_errors(pm_client):
    data = {
        "name": "Fromagerie Alpine",
        "contacts-TOTAL_FORMS": "2",
        "contacts-INITIAL_FORMS": "0",
        "contacts-0-name": "Jeanne",
        "contacts-0-email": "pas-un-email",
        "contacts-1-name": "Luc",
        "contacts-1-email": "luc@x.example",
        "contacts-1-role": "Compta",
    }
    response = pm_client.post(reverse("projects:client_create"), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Le formulaire contient des erreurs" in html
    assert 'value="Fromagerie Alpine"' in html and 'value="Compta"' in html  # nothing lost
    assert not Client.objects.exists() and not ClientContact.objects.exists()


def test_it_refuses_a_duplicate_contact_email(pm_client):
    data = {
        "name": "Fromagerie Alpine",
        "contacts-TOTAL_FORMS": "2",
        "contacts-INITIAL_FORMS": "0",
        "contacts-0-name": "Jeanne",
        "contacts-0-email": "same@x.example",
        "contacts-1-name": "Luc",
        "contacts-1-email": "same@x.example",
    }
    response = pm_client.post(reverse("projects:client_create"), data)
    assert response.status_code == 200
    assert "Corrigez les données en double dans email." in response.content.decode()
    assert not Client.objects.exists()


def test_it_refuses_two_primary_contacts(pm_client):
    data = {
        "name": "Fromagerie Alpine",
        "contacts-TOTAL_FORMS": "2",
        "contacts-INITIAL_FORMS": "0",
        "contacts-0-name": "Jeanne",
        "contacts-0-email": "a@x.example",
        "contacts-0-is_primary": "on",
        "contacts-1-name": "Luc",
        "contacts-1-email": "b@x.example",
        "contacts-1-is_primary": "on",
    }
    response = pm_client.post(reverse("projects:client_create"), data)
    assert response.status_code == 200
    assert "Un seul contact principal par client." in response.content.decode()
    assert not Client.objects.exists()


def test_it_creates_a_project(pm_client, pm, partner):
    client = ClientFactory()
    response = pm_client.post(
        reverse("projects:project_create"),
        {
            "name": "Site vitrine",
            "client": client.pk,
            "pm": pm.pk,
            "partner": partner.pk,
            "hosting_provider": "o2switch",
            "hosting_compatible": "true",
            "maintenance_plan": "essential",
            "preprod_url": "preprod.example.com",
        },
    )
    project = Project.objects.get(name="Site vitrine")
    assert response["Location"] == reverse("projects:project_detail", args=[project.pk])
    assert project.hosting_compatible is True and project.partner == partner
    assert project.preprod_url == "https://preprod.example.com"
    assert pm_client.post(
        reverse("projects:project_create"), {"name": "site vitrine", "client": client.pk, "pm": pm.pk}
    ).status_code == 200  # same name for the same client: a field error, not an IntegrityError


def test_it_edits_a_project_without_touching_the_qualification(pm_client, project):
    response = pm_client.get(reverse("projects:project_edit", args=[project.pk]))
    assert "maintenance_plan" not in response.context["form"].fields
    pm_client.post(
        reverse("projects:project_edit", args=[project.pk]),
        {"name": "Nouveau nom", "client": project.client_id, "pm": project.pm_id, "maintenance_plan": "none"},
    )
    project.refresh_from_db()
    assert project.name == "Nouveau nom" and project.maintenance_plan == "essential"


def test_it_shows_partners_only_their_projects(partner_client, project, other_partner_user):
    foreign = ProjectFactory(partner=other_partner_user.partner)
    response = partner_client.get(reverse("projects:project_list"))
    assert list(response.context["projects"]) == [project]
    assert partner_client.get(reverse("projects:project_detail", args=[project.pk])).status_code == 200
    assert partner_client.get(reverse("projects:project_detail", args=[foreign.pk])).status_code == 404
    assert partner_client.get(reverse("projects:project_edit", args=[project.pk])).status_code == 404


def test_it_searches_projects_by_project_or_client(pm_client):
    a = ProjectFactory(name="Boutique", client=ClientFactory(name="Alpha"), pm=PMFactory())
    b = ProjectFactory(name="Vitrine", client=ClientFactory(name="Beta"), pm=PMFactory())
    assert list(pm_client.get(reverse("projects:project_list"), {"q": "bout"}).context["projects"]) == [a]
    assert list(pm_client.get(reverse("projects:project_list"), {"q": "beta"}).context["projects"]) == [b]


def test_it_lists_projects_in_constant_queries(pm_client, django_assert_max_num_queries):
    for _ in range(15):
        ProjectFactory()
    with django_assert_max_num_queries(6):
        pm_client.get(reverse("projects:project_list"))
    with django_assert_max_num_queries(6):
        pm_client.get(reverse("projects:client_list"))


def test_it_shows_the_login_page_in_french_with_errors(client):
    assert "Connexion" in client.get(reverse("login")).content.decode()
    PMFactory(username="claire")
    response = client.post(reverse("login"), {"username": "claire", "password": "mauvais"})
    assert response.status_code == 200
    assert "Saisissez un nom d’utilisateur et un mot de passe valides" in response.content.decode()
    response = client.post(reverse("login"), {"username": "claire", "password": "motdepasse-test"})
    assert response["Location"] == reverse("home")


def test_it_logs_out_with_post(pm_client):
    response = pm_client.post(reverse("logout"))
    assert response["Location"] == reverse("login")
    assert pm_client.get(reverse("home")).status_code == 302
