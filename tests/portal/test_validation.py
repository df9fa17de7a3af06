"""The client's decision as evidence: every field, every hash, the chain, append-only,
one record per link, declines opening a feedback round within the cap (R6)."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC

import pytest
from django.contrib.admin.sites import site
from django.db import IntegrityError, connection, transaction
from django.test import RequestFactory
from django.urls import reverse
from pypdf import PdfReader

from communications.models import Document, OutboundMessage
from delivery.models import HistoryEntry, HistoryKind
from delivery.portal import services
from delivery.portal.models import ClientValidation, Decision, PortalLink
from projects.evidence import AppendOnlyError
from projects.vocabulary import Stage
from tests.factories import portal_link_for

pytestmark = pytest.mark.django_db


def _pdf_text(file_field) -> str:
    with file_field.open("rb") as fh:
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(fh.read())).pages)


def _validate(client, token, **extra):
    data = {"decision": "validated", "signer_name": "Camille Dupont", "consent": "on", **extra}
    return client.post(
        reverse("portal:page", args=[token]), data, HTTP_USER_AGENT="Mozilla/5.0 (Test) Navigateur", REMOTE_ADDR="203.0.113.7"
    )


def test_r10_validation_records_every_evidence_field(client, live_link, delivery_with_pv):
    link, token = live_link
    pv = services.current_pv(delivery_with_pv)
    assert _validate(client, token).status_code == 302

    v = ClientValidation.objects.get()
    assert v.delivery_id == delivery_with_pv.pk
    assert v.contact_id == link.contact_id
    assert v.link_id == link.pk
    assert v.sent_to == link.sent_to == "camille@client.example"
    assert v.signer_name == "Camille Dupont"
    assert v.decision == Decision.VALIDATED
    assert v.statement == services.statement_for(delivery_with_pv.project.preprod_url)
    assert delivery_with_pv.project.preprod_url in v.statement
    assert v.statement.startswith("Je certifie que l’ensemble du site en préproduction (ici : ")
    assert v.statement_sha256 == hashlib.sha256(v.statement.encode()).hexdigest()
    assert (v.pv_version_id, v.pv_number, v.pv_sha256) == (pv.pk, pv.number, pv.sha256)
    assert v.signed_at.utcoffset().total_seconds() == 0 or v.signed_at.astimezone(UTC)
    assert v.ip_address == "203.0.113.7"
    assert v.user_agent == "Mozilla/5.0 (Test) Navigateur"
    assert v.previous_hash == ""
    assert v.record_hash == services.record_hash(v)
    assert v.signed_pv.sha256 == v.signed_pv_sha256
    assert v.certificate.kind == Document.Kind.CERTIFICATE
    link.refresh_from_db()
    assert link.used_at == v.signed_at
    # Every hash recomputes from the stored data and files.
    report = services.recompute_chain(delivery_with_pv)
    assert report.ok and report.count == 1, report.problems
    with pv.file.open("rb") as fh:
        assert hashlib.sha256(fh.read()).hexdigest() == v.pv_sha256
    with v.signed_pv.file.open("rb") as fh:
        assert hashlib.sha256(fh.read()).hexdigest() == v.signed_pv_sha256
    assert HistoryEntry.objects.filter(delivery=delivery_with_pv, kind=HistoryKind.VALIDATION).exists()


def test_it_renders_the_certificate_and_the_signed_pv(client, live_link, delivery_with_pv):
    _link, token = live_link
    _validate(client, token)
    v = ClientValidation.objects.get()
    certificate = _pdf_text(v.certificate.file)
    for expected in ("Certificat de validation", "Camille Dupont", v.statement_sha256, v.pv_sha256, v.record_hash, "203.0.113.7"):
        assert expected.replace(" ", "") in certificate.replace(" ", "").replace("\n", ""), expected
    signed = _pdf_text(v.signed_pv.file)
    assert "Validé par Camille Dupont" in signed
    # The PV version itself is untouched: same bytes, same hash.
    pv = v.pv_version
    with pv.file.open("rb") as fh:
        assert hashlib.sha256(fh.read()).hexdigest() == pv.sha256
    # Client and PM may both download them.
    for what in ("certificat", "pv-signe"):
        response = client.get(reverse("portal:document", args=[token, what]))
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    client.force_login(v.delivery.project.pm)
    response = client.get(reverse("portal:document_download", args=[v.delivery_id, v.certificate_id]))
    assert response.status_code == 200


def test_it_creates_one_record_on_a_double_submit(client, live_link):
    link, token = live_link
    assert _validate(client, token).status_code == 302
    second = _validate(client, token)
    assert second.status_code in (302, 404)
    again = services.validation_submit(link_id=link.pk, decision="validated", signer_name="Autre Nom", consent=True)
    assert again.ok and not again.created
    assert ClientValidation.objects.count() == 1
    assert ClientValidation.objects.get().signer_name == "Camille Dupont"


def test_it_keeps_one_record_per_link_in_the_database(client, live_link):
    link, token = live_link
    _validate(client, token)
    first = ClientValidation.objects.get()
    duplicate = ClientValidation(
        **{f.attname: getattr(first, f.attname) for f in ClientValidation._meta.concrete_fields if f.attname != "id"}
    )
    duplicate.record_hash = "0" * 64
    duplicate.certificate_id = duplicate.signed_pv_id = None
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_it_chains_records_and_detects_tampering(client, delivery_with_pv, contact):
    from tests.factories import ClientContactFactory

    other = ClientContactFactory(client=delivery_with_pv.project.client)
    _l1, t1 = portal_link_for(delivery_with_pv, contact)
    _l2, t2 = portal_link_for(delivery_with_pv, other)
    _validate(client, t1)
    _validate(client, t2, signer_name="Dominique Autre")
    first, second = ClientValidation.objects.order_by("pk")
    assert second.previous_hash == first.record_hash
    assert services.recompute_chain(delivery_with_pv).ok
    with connection.cursor() as cursor:  # what only a database administrator could do
        cursor.execute(f"UPDATE {ClientValidation._meta.db_table} SET signer_name = %s WHERE id = %s", ["Quelqu'un d'autre", first.pk])
    report = services.recompute_chain(delivery_with_pv)
    assert not report.ok
    assert any(f"n°{first.pk}" in p for p in report.problems)


def test_it_is_append_only(client, live_link):
    _link, token = live_link
    _validate(client, token)
    v = ClientValidation.objects.get()
    v.signer_name = "Autre"
    with pytest.raises(AppendOnlyError):
        v.save()
    with pytest.raises(AppendOnlyError):
        v.delete()
    with pytest.raises(AppendOnlyError):
        ClientValidation.objects.filter(pk=v.pk).update(signer_name="Autre")
    with pytest.raises(AppendOnlyError):
        ClientValidation.objects.all().delete()
    model_admin = site._registry[ClientValidation]
    request = RequestFactory().get("/")
    request.user = v.delivery.project.pm
    request.user.is_superuser = True
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, v)
    assert not model_admin.has_delete_permission(request, v)


def test_it_requires_name_and_consent_to_validate(client, live_link):
    _link, token = live_link
    response = _validate(client, token, consent="")
    assert response.status_code == 400
    assert "Cochez la case" in response.content.decode()
    response = _validate(client, token, signer_name=" ")
    assert "nom complet" in response.content.decode()
    assert ClientValidation.objects.count() == 0


def test_it_opens_a_feedback_round_on_decline(client, live_link, delivery_with_pv, django_capture_on_commit_callbacks, mailoutbox):
    _link, token = live_link
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portal:page", args=[token]), {"decision": "declined", "comment": "Le menu doit changer."})
    assert response.status_code == 302
    v = ClientValidation.objects.get()
    assert v.decision == Decision.DECLINED and v.comment == "Le menu doit changer."
    delivery_with_pv.refresh_from_db()
    assert delivery_with_pv.stage == Stage.PRODUCTION
    transition = HistoryEntry.objects.filter(delivery=delivery_with_pv, kind=HistoryKind.TRANSITION).first()
    assert transition.data["on_behalf_of"] == "client" and transition.note == "Le menu doit changer."
    assert {m.to[0] for m in mailoutbox} == {"camille@client.example", delivery_with_pv.project.pm.email}


def test_r6_decline_past_the_cap_is_kept_and_the_pm_told(
    client, delivery_with_pv, contact, django_capture_on_commit_callbacks, mailoutbox
):
    """Cat.1 allows one feedback cycle: the second decline cannot open another one."""
    from delivery.recette.services import pv_generate
    from tests.factories import advance_to, recette_run_all_passed

    _l, t1 = portal_link_for(delivery_with_pv, contact)
    client.post(reverse("portal:page", args=[t1]), {"decision": "declined", "comment": "Premier tour de retours."})
    delivery_with_pv.refresh_from_db()
    assert delivery_with_pv.stage == Stage.PRODUCTION
    advance_to(delivery_with_pv, Stage.PRE_DELIVERY)
    from delivery.services import delivery_transition
    from checklists.models import DeliveryItem

    DeliveryItem.objects.filter(delivery=delivery_with_pv, stage=Stage.PRE_DELIVERY).update(done=True)
    recette_run_all_passed(delivery_with_pv, "internal")
    assert delivery_transition(delivery_id=delivery_with_pv.pk, name="deliver_to_client", user=delivery_with_pv.project.pm).ok
    recette_run_all_passed(delivery_with_pv, "client")
    pv_generate(delivery=delivery_with_pv, user=delivery_with_pv.project.pm)
    _l2, t2 = portal_link_for(delivery_with_pv, contact)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portal:page", args=[t2]), {"decision": "declined", "comment": "Second tour de retours."})
    assert response.status_code == 302
    delivery_with_pv.refresh_from_db()
    assert delivery_with_pv.stage == Stage.DELIVERY  # no new round past the cap
    assert ClientValidation.objects.filter(decision=Decision.DECLINED).count() == 2
    assert HistoryEntry.objects.filter(delivery=delivery_with_pv, summary__contains="plafond").exists()
    pm_mail = [m for m in mailoutbox if m.to == [delivery_with_pv.project.pm.email]]
    assert len(pm_mail) == 1 and "plafond" in pm_mail[0].body


def test_it_refuses_when_the_delivery_no_longer_awaits(client, live_link, delivery_with_pv):
    from delivery.models import Delivery

    _link, token = live_link
    Delivery.objects.filter(pk=delivery_with_pv.pk).update(stage=Stage.PRODUCTION)
    response = _validate(client, token)
    assert response.status_code == 200 or response.status_code == 400
    assert ClientValidation.objects.count() == 0
    assert not PortalLink.objects.get(pk=_link.pk).used_at


def test_it_sends_the_received_emails(client, live_link, delivery_with_pv, django_capture_on_commit_callbacks, mailoutbox):
    _link, token = live_link
    with django_capture_on_commit_callbacks(execute=True):
        _validate(client, token)
    to_client = [m for m in mailoutbox if m.to == ["camille@client.example"]]
    to_pm = [m for m in mailoutbox if m.to == [delivery_with_pv.project.pm.email]]
    assert len(to_client) == 1 and "validation est bien reçue" in to_client[0].subject
    assert len(to_pm) == 1 and "Validation client reçue" in to_pm[0].subject
    # Both are validation emails: archived as PDFs with the delivery's documents.
    archived = Document.objects.filter(delivery=delivery_with_pv, kind=Document.Kind.EMAIL)
    assert archived.count() == 2
    assert OutboundMessage.objects.filter(archive__isnull=False).count() == 2


def test_it_refuses_an_answer_about_a_pv_the_client_has_not_seen(client, live_link, delivery_with_pv):
    from delivery.recette.services import pv_generate
    from tests.factories import recette_run_all_passed

    _link, token = live_link
    page = client.get(reverse("portal:page", args=[token])).content.decode()
    assert 'name="pv_number" value="1"' in page
    recette_run_all_passed(delivery_with_pv, "client")
    pv_generate(delivery=delivery_with_pv, user=delivery_with_pv.project.pm)  # v2 while the page shows v1
    response = _validate(client, token, pv_number="1")
    assert response.status_code == 400 and "version 2" in response.content.decode()
    assert ClientValidation.objects.count() == 0
    assert _validate(client, token, pv_number="2").status_code == 302
    assert ClientValidation.objects.get().pv_number == 2
