"""CSV import: preview first, every bad row reported, nothing imported while any is wrong."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from delivery.recette.csv_import import csv_preview
from tests.factories import ModuleFactory, RecetteCaseFactory

pytestmark = pytest.mark.django_db

GOOD_FR = (
    "Référence;Titre;Étapes;Résultat attendu;Module;Priorité\n"
    "CR-001;Connexion;Saisir identifiant et mot de passe;Le tableau de bord s'affiche;;haute\n"
    'CR-002;Commande;"1. Ajouter au panier\n2. Payer";Confirmation reçue;woocommerce;\n'
    "\n"
    "CR-003;Formulaire de contact;Envoyer le formulaire;Message « merci »;Blog;basse\n"
)


@pytest.fixture
def modules(db):
    return ModuleFactory(code="woocommerce", name="WooCommerce"), ModuleFactory(code="blog", name="Blog")


def test_it_reads_excel_fr_utf8_with_bom_and_semicolons(delivery, modules):
    preview = csv_preview(delivery=delivery, data=("\ufeff" + GOOD_FR).encode("utf-8"))
    assert preview.errors == []
    assert [(r.line, r.reference, r.priority) for r in preview.rows] == [
        (2, "CR-001", "high"), (3, "CR-002", "normal"), (6, "CR-003", "low"),
    ]
    assert preview.rows[1].steps == "1. Ajouter au panier\n2. Payer"
    assert preview.rows[1].module == modules[0] and preview.rows[2].module == modules[1]


def test_it_reads_comma_separated_utf8_without_bom(delivery):
    data = "reference,title,expected\nA-1,Accueil,\"Le bandeau, puis le menu\"\n".encode()
    preview = csv_preview(delivery=delivery, data=data)
    assert preview.ok and preview.rows[0].expected == "Le bandeau, puis le menu"


def test_it_reports_every_bad_row_with_its_line_number(delivery, modules):
    RecetteCaseFactory(delivery=delivery, reference="CR-009")
    data = (
        "reference;titre;module;priorite\n"
        "CR-001;Connexion;;haute\n"      # 2 ok
        ";Sans référence;;\n"            # 3
        "CR-001;Doublon;;\n"             # 4
        "CR-004;;;\n"                    # 5
        "CR-005;Module;inexistant;\n"    # 6
        "CR-006;Priorité;;urgente\n"     # 7
        "CR-009;Déjà au cahier;;\n"      # 8
        "CR-010;Trop;de;colonnes;ici\n"  # 9
    ).encode()
    preview = csv_preview(delivery=delivery, data=data)
    assert not preview.ok
    assert [(e.line, e.message) for e in preview.errors] == [
        (3, "Référence manquante."),
        (4, "La référence « CR-001 » est déjà utilisée ligne 2."),
        (5, "Titre manquant."),
        (6, "Module « inexistant » inconnu."),
        (7, "Priorité « urgente » inconnue (haute, normale ou basse)."),
        (8, "La référence « CR-009 » existe déjà dans le cahier."),
        (9, "5 colonnes au lieu de 4 (séparateur dans une valeur sans guillemets ?)."),
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "Le fichier est vide."),
        ("reference;titre\n".encode(), "Le fichier ne contient aucun cas (seulement l'en-tête)."),
        ("réf;intitulé du cas\nA;B\n".encode(), "Colonne(s) obligatoire(s) absente(s)"),
        ("reference;titre\nCR-1;Accès café\n".encode("cp1252"), "n'est pas encodé en UTF-8"),
    ],
)
def test_it_rejects_bad_files_with_a_french_reason(delivery, data, message):
    preview = csv_preview(delivery=delivery, data=data)
    assert not preview.ok and message in preview.errors[0].message


def test_it_imports_nothing_when_one_row_is_bad_through_the_ui(delivery, pm_client):
    url = reverse("recette:case_import", args=[delivery.pk])
    bad = SimpleUploadedFile("cahier.csv", "reference;titre\nCR-1;Accueil\nCR-2;\n".encode())
    response = pm_client.post(url, {"file": bad})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Rien n'a été importé" in html and "Ligne 3" in html and "Titre manquant." in html
    assert 'name="confirm"' not in html
    assert delivery.recette_cases.count() == 0


def test_it_previews_then_imports_on_confirmation(delivery, pm_client, modules):
    url = reverse("recette:case_import", args=[delivery.pk])
    response = pm_client.post(url, {"file": SimpleUploadedFile("cahier.csv", ("\ufeff" + GOOD_FR).encode())})
    html = response.content.decode()
    assert "3 cas prêts à être importés" in html
    assert delivery.recette_cases.count() == 0  # a preview imports nothing
    content = response.context["content"]
    response = pm_client.post(url, {"content": content, "confirm": "1"})
    assert response.status_code == 302
    assert list(delivery.recette_cases.values_list("reference", flat=True)) == ["CR-001", "CR-002", "CR-003"]
    assert delivery.history.filter(kind="recette", summary__contains="3 cas de recette importés").exists()
    # Confirming the same file twice reports the duplicates instead of importing twice.
    response = pm_client.post(url, {"content": content, "confirm": "1"})
    assert response.status_code == 200 and "existe déjà dans le cahier" in response.content.decode()
    assert delivery.recette_cases.count() == 3


def test_it_copies_the_cahier_of_another_delivery(delivery, pm_client, project):
    from tests.factories import DeliveryFactory, ProjectFactory

    source = DeliveryFactory(project=project)
    RecetteCaseFactory(delivery=source, reference="A-1")
    RecetteCaseFactory(delivery=source, reference="A-2")
    RecetteCaseFactory(delivery=delivery, reference="A-2")
    url = reverse("recette:case_copy", args=[delivery.pk])
    response = pm_client.post(url, {"source": source.pk}, follow=True)
    assert "1 cas copiés" in response.content.decode() and "Déjà présents, non copiés : A-2" in response.content.decode()
    assert sorted(delivery.recette_cases.values_list("reference", flat=True)) == ["A-1", "A-2"]

    foreign = DeliveryFactory(project=ProjectFactory())
    RecetteCaseFactory(delivery=foreign, reference="Z-1")
    other = DeliveryFactory(project=project)
    response = pm_client.get(reverse("recette:case_copy", args=[other.pk]))
    choices = [value for value, _ in response.context["form"].fields["source"].choices]
    assert foreign.pk in choices  # agency sees everything
    # A source that is not offered is refused by the form, nothing copied.
    assert pm_client.post(reverse("recette:case_copy", args=[other.pk]), {"source": 999999}).status_code == 200
    assert other.recette_cases.count() == 0
