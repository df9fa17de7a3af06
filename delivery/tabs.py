"""The tabs of a delivery page. Each feature adds its tab here (one line): label and the
URL name of a view taking the delivery's pk."""

from __future__ import annotations

TABS: list[tuple[str, str]] = [
    ("Pilotage", "delivery:detail"),
    ("Recette", "recette:tab"),
    ("Validation client", "portal:tab"),
    ("Mise en ligne", "golive:tab"),
]
