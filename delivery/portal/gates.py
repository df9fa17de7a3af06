"""Gate of the portal: no go-live without the client's written validation (R10)."""

from __future__ import annotations

from django.db.models import Prefetch
from django.urls import reverse

from delivery.gates import Blocker
from delivery.portal.models import ClientValidation, Decision


def client_validation_of_current_pv(delivery) -> list[Blocker]:
    """R10: a validation of the *current* PV version; a newer PV makes older ones stale."""
    from delivery.recette.selectors import current_pv

    url = reverse("portal:tab", args=[delivery.pk])
    pv = current_pv(delivery)
    validated = [
        (v.pv_version_id, v.pv_number, v.signer_name)
        for v in sorted(_validations(delivery), key=lambda v: v.pk, reverse=True)
        if v.decision == Decision.VALIDATED
    ]
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


def _validations(delivery) -> list[ClientValidation]:
    """Prefetched by pages that evaluate many gates at once (see `gate_prefetch`)."""
    cache = getattr(delivery, "_prefetched_objects_cache", {})
    if "client_validations" in cache:
        return list(cache["client_validations"])
    return list(
        ClientValidation.objects.filter(delivery=delivery, decision=Decision.VALIDATED).only(
            "id", "delivery_id", "decision", "pv_version_id", "pv_number", "signer_name"
        )
    )


def gate_prefetch() -> list[Prefetch]:
    """What this gate reads, for the board (`delivery.selectors.BOARD_PREFETCH`)."""
    return [
        Prefetch(
            "client_validations",
            queryset=ClientValidation.objects.filter(decision=Decision.VALIDATED).only(
                "id", "delivery_id", "decision", "pv_version_id", "pv_number", "signer_name"
            ),
        )
    ]
