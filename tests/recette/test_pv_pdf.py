"""The PV PDF: content read back with pypdf, numbered immutable versions, stable SHA-256."""

from __future__ import annotations

import hashlib
import io
from datetime import datetime, timezone

import pytest
from django.urls import reverse
from pypdf import PdfReader

from communications.pdf import sha256_hex
from delivery.recette import services
from delivery.recette.models import PVVersion
from delivery.recette.pdf import pv_render
from delivery.recette.selectors import current_pv
from projects.evidence import AppendOnlyError
from projects.vocabulary import Stage
from tests.factories import AnomalyFactory, RecetteCaseFactory, advance_to

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def uat(delivery, pm):
    """Client stage, 40 cases: 38 OK, 1 KO, 1 not run; one open major anomaly; one R4-type exception."""
    advance_to(delivery, Stage.DELIVERY)
    delivery.recette_cases.all().delete()
    cases = [RecetteCaseFactory(delivery=delivery, reference=f"UAT-{i:03d}", title=f"Parcours client {i}") for i in range(1, 41)]
    run = services.run_create(delivery=delivery, user=pm, kind="client", environment="preprod")
    for case in cases[:38]:
        services.result_set(run=run, case=case, user=pm, status="passed")
    services.result_set(run=run, case=cases[38], user=pm, status="failed", comment="Le bouton ne répond pas")
    AnomalyFactory(delivery=delivery, severity="major", title="Bouton d'envoi inactif", case=cases[38], run=run)
    return delivery


def test_it_writes_a_no_go_decision_with_its_reasons_in_the_pdf(uat, pm):
    AnomalyFactory(delivery=uat, severity="blocking", title="Paiement refusé")
    version = services.pv_generate(delivery=uat, user=pm)
    assert version.decision == "no_go"
    with version.file.open("rb") as f:
        text = pdf_text(f.read())
    assert "NO-GO" in text and "1 anomalie bloquante non résolue (aucune tolérée)." in text
    assert "Paiement refusé" in text and "Sans objet : la décision est NO-GO." in text


def test_it_renders_a_go_with_reserves_pv_with_every_case_and_figure(uat, pm):
    # 38/40 = 95.0 % exactly, one open major anomaly: GO avec réserves.
    version = services.pv_generate(delivery=uat, user=pm)
    assert version.decision == "go_reserves"
    with version.file.open("rb") as f:
        data = f.read()
    text = pdf_text(data)
    assert "GO avec réserves" in text
    assert "95 %" in text.replace("\u00a0", " ")
    for figure in ("40", "39", "38"):
        assert figure in text
    for i in range(1, 41):
        assert f"UAT-{i:03d}" in text, i
    assert "Bouton d'envoi inactif" in text and "Réserve" in text
    assert uat.project.client.name in text and uat.project.name in text and "PRÉ-PROD" in text
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) >= 2
    assert f"Page 1 / {len(reader.pages)}" in reader.pages[0].extract_text()
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=1)  # A4


def test_it_shows_documented_exceptions_in_the_pdf(delivery, pm):
    from delivery.services import rule_waive

    delivery.project.maintenance_plan = "none"
    delivery.project.save()
    rule_waive(delivery_id=delivery.pk, code="R4", user=pm, justification="Maintenance assurée par le client lui-même")
    delivery.project.maintenance_plan = "essential"
    delivery.project.save()
    advance_to(delivery, Stage.DELIVERY)
    text = pdf_text(pv_render(services.pv_generate(delivery=delivery, user=pm)))
    assert "Règle R4" in text and "Maintenance assurée par le client" in text


def test_it_says_no_go_and_why_for_an_empty_cahier(delivery, pm):
    advance_to(delivery, Stage.PRE_DELIVERY)
    assert not delivery.recette_cases.exists()
    version = services.pv_generate(delivery=delivery, user=pm)
    text = pdf_text(pv_render(version))
    assert version.decision == "no_go" and "NO-GO" in text
    assert "Le cahier de recette ne contient aucun cas de test." in text


def test_it_numbers_versions_keeps_them_immutable_and_their_sha256_stable(uat, pm):
    v1 = services.pv_generate(delivery=uat, user=pm)
    AnomalyFactory(delivery=uat, severity="blocking", title="Paiement refusé")
    v2 = services.pv_generate(delivery=uat, user=pm)
    assert (v1.number, v2.number) == (1, 2)
    assert (v1.decision, v2.decision) == ("go_reserves", "no_go")
    assert current_pv(uat) == v2
    for version in (v1, v2):
        version.refresh_from_db()
        with version.file.open("rb") as f:
            assert hashlib.sha256(f.read()).hexdigest() == version.sha256
    assert v1.sha256 != v2.sha256 and v1.file.name != v2.file.name
    with pytest.raises(AppendOnlyError):
        v1.decision = "go"
        v1.save()
    with pytest.raises(AppendOnlyError):
        v1.delete()
    with pytest.raises(AppendOnlyError):
        PVVersion.objects.filter(pk=v1.pk).update(decision="go")
    v1.refresh_from_db()
    assert v1.decision == "go_reserves"
    assert "Paiement refusé" not in pdf_text(pv_render(v1))  # a later anomaly never reaches an earlier version
    assert uat.history.filter(kind="pv").count() == 2


def test_it_downloads_a_version_by_number_with_the_stored_bytes(uat, pm, pm_client):
    version = services.pv_generate(delivery=uat, user=pm)
    response = pm_client.get(reverse("recette:pv_download", args=[uat.pk, version.number]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert sha256_hex(b"".join(response.streaming_content)) == version.sha256
    assert pm_client.get(reverse("recette:pv_download", args=[uat.pk, 99])).status_code == 404


def test_it_fills_the_signature_block_with_the_client_validation(uat, pm):
    version = services.pv_generate(delivery=uat, user=pm)
    blank = pdf_text(pv_render(version))
    assert "Nom, date et validation" in blank
    signed = pdf_text(
        pv_render(
            version,
            validation={
                "signer_name": "Sophie Durand",
                "signed_at": datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc),
                "statement_sha256": "ab" * 32,
                "decision": "GO avec réserves",
            },
        )
    )
    assert "Validé par Sophie Durand" in signed and "20/11/2026" in signed and ("ab" * 16) in signed.replace("\n", "")
    assert "Nom, date et validation" not in signed


def test_it_lets_only_the_agency_generate_a_pv(uat, partner_client):
    response = partner_client.post(reverse("recette:pv_generate", args=[uat.pk]))
    assert response.status_code == 403
    assert not uat.pv_versions.exists()


def test_r13_the_pv_leaves_out_closed_internal_anomalies_but_never_an_open_one(uat, pm):
    AnomalyFactory(delivery=uat, severity="minor", title="Coquille interne corrigée", status="verified")
    AnomalyFactory(delivery=uat, severity="minor", title="Coquille signalée au client", status="verified", client_visible=True)
    text = pdf_text(pv_render(services.pv_generate(delivery=uat, user=pm)))
    assert "Coquille interne corrigée" not in text
    assert "Coquille signalée au client" in text
    assert "Bouton d'envoi inactif" in text  # internal but still open: a reserve the client must see
