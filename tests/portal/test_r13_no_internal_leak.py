"""R13: nothing internal reaches the client — not the portal pages, not the PDFs the
client can download, not the emails sent to the client (nor their archives)."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from checklists.models import DeliveryItem
from communications.models import Document, OutboundMessage
from delivery.models import ChangeRequest, HistoryEntry, RuleWaiver
from delivery.portal import services
from delivery.portal.models import ClientValidation
from delivery.recette.models import RunResult
from delivery.services import history_record
from tests.factories import portal_link_for

pytestmark = pytest.mark.django_db

MARKER = "ZQXINTERNEZQX"


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _plant_markers(delivery) -> None:
    from delivery.recette.services import anomaly_create, pv_generate

    project = delivery.project
    project.internal_notes = f"Note interne {MARKER} projet"
    project.save(update_fields=["internal_notes"])
    project.client.notes = f"Note interne {MARKER} client"
    project.client.save(update_fields=["notes"])
    partner = project.partner
    partner.name = f"Studio {MARKER}"
    partner.email = f"{MARKER.lower()}@partenaire.example"
    partner.save(update_fields=["name", "email"])
    for user in partner.users.all():
        user.last_name = MARKER
        user.save(update_fields=["last_name"])
    DeliveryItem.objects.filter(delivery=delivery).update(
        comment=f"commentaire {MARKER}", label=f"Point {MARKER}", help_text=MARKER
    )
    item = DeliveryItem.objects.filter(delivery=delivery, stage=delivery.stage).first()
    DeliveryItem.objects.filter(pk=item.pk).update(waived=True, waiver_justification=f"Exception {MARKER}")
    RuleWaiver.objects.create(delivery=delivery, code="R4", stage=delivery.stage, justification=f"Dérogation {MARKER}", created_by=project.pm)
    ChangeRequest.objects.create(delivery=delivery, title=f"Avenant {MARKER}", description=MARKER, created_by=project.pm)
    history_record(delivery=delivery, kind="note", summary=f"Note {MARKER}", note=MARKER, actor=project.pm)
    anomaly_create(delivery=delivery, user=project.pm, title=f"Anomalie interne {MARKER}", severity="minor", description=MARKER)
    anomaly_create(delivery=delivery, user=project.pm, title="Libellé du bouton à revoir", severity="minor", client_visible=True)
    RunResult.objects.filter(run__delivery=delivery).update(comment=f"testeur {MARKER}")
    pv_generate(delivery=delivery, user=project.pm)  # the PV the client sees has all of the above in its data


def test_r13_marker_in_every_internal_field_never_reaches_the_client(
    client, delivery_with_pv, contact, mailoutbox, django_capture_on_commit_callbacks
):
    _plant_markers(delivery_with_pv)
    pv = services.current_pv(delivery_with_pv)
    with pv.file.open("rb") as fh:  # the stored (internal) PV does carry them: the test can fail
        assert MARKER in _pdf_text(fh.read()).replace("\n", "")

    subject, body = services.email_draft(delivery=delivery_with_pv, key=services.VALIDATION_REQUEST_KEY, contact=contact)
    with django_capture_on_commit_callbacks(execute=True):
        services.validation_request_send(
            delivery_id=delivery_with_pv.pk, contact_id=contact.pk, user=delivery_with_pv.project.pm, subject=subject, body_text=body
        )
    import re

    token = re.search(r"/portail/([A-Za-z0-9_\-]+)/", mailoutbox[0].body).group(1)
    seen: list[tuple[str, str]] = []

    page = client.get(reverse("portal:page", args=[token]))
    assert page.status_code == 200
    assert "Libellé du bouton à revoir" in page.content.decode()  # client-visible anomaly is shown
    seen.append(("page", page.content.decode()))
    for download in ("", "?telecharger=1"):
        response = client.get(reverse("portal:pv", args=[token]) + download)
        assert response.status_code == 200
        seen.append(("pv", _pdf_text(response.content)))
    with django_capture_on_commit_callbacks(execute=True):
        posted = client.post(
            reverse("portal:page", args=[token]), {"decision": "validated", "signer_name": "Camille Dupont", "consent": "on"}
        )
    assert posted.status_code == 302
    seen.append(("page after", client.get(reverse("portal:page", args=[token])).content.decode()))
    for what in ("certificat", "pv-signe"):
        response = client.get(reverse("portal:document", args=[token, what]))
        seen.append((what, _pdf_text(b"".join(response.streaming_content))))
    bad = client.get(reverse("portal:page", args=["n" * 43]))
    seen.append(("unavailable", bad.content.decode()))

    client_mails = [m for m in mailoutbox if contact.email in m.to]
    assert len(client_mails) == 2
    for mail in client_mails:
        seen.append(("mail", mail.subject + mail.body + "".join(a[0] for a in mail.alternatives)))
    client_messages = OutboundMessage.objects.filter(client_facing=True)
    assert client_messages.count() == 2
    for document in Document.objects.filter(message__in=client_messages):
        with document.file.open("rb") as fh:
            seen.append(("archive", _pdf_text(fh.read())))
    assert ClientValidation.objects.count() == 1

    for where, text in seen:
        flat = text.replace("\n", "").replace(" ", "")
        assert MARKER not in flat, f"internal data in the client's {where}"
        assert MARKER.lower() not in flat.lower(), where
    assert HistoryEntry.objects.filter(note=MARKER).exists()
