"""Gate of the portal: no go-live without the client's written validation (R10)."""

from __future__ import annotations

from django.urls import reverse

from delivery.gates import Blocker
from delivery.portal.models import ClientValidation, Decision


def client_validation_of_current_pv(delivery) -> list[Blocker]:
    """R10: a validation of the *current* PV version; a newer PV makes older ones stale."""
    from delivery.recette.selectors import current_pv

    url = reverse("portal:tab", args=[delivery.pk])
    pv = current_pv(delivery)
    validated = list(
        ClientValidation.objects.filter(delivery=delivery, decision=Decision.VALIDATED)
        .order_by("-pk")
        .values_list("pv_version_id", "pv_number", "signer_name")
    )
    if pv is not None and any(pv_id == pv.pk for pv_id, _n, _s in validated):
        return []
    if pv is not None and validated:
        _pv_id, number, signer = validated[0]
        return [
            Blocker(
                code="R10",
                message=(
                    f"Validation client périmée : {signer} a validé le PV v{number}, "
                    f"mais le PV actuel est la v{pv.number}. Demandez une nouvelle validation."
                ),
                url=url,
                data={"stale": True, "validated_pv": number, "current_pv": pv.number},
            )
        ]
    return [Blocker(code="R10", message="Validation écrite du client manquante (portail client)", url=url)]
