"""The tone guide (R20, seed 004): flag the expressions to avoid in a client email and
propose the wording to prefer.

Matching ignores case and accents (« Désolée », « desole » and « DÉSOLÉ » are the same)
and works on whole words, so « retard » does not flag « retardataire ». Positions are
reported in the original text so the editor can quote what it found.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

APOSTROPHES = {"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"}


@dataclass(frozen=True)
class ToneWarning:
    label: str  # the expression of the guide, e.g. « désolé »
    found: str  # what the text actually says, as written
    suggestion: str
    explanation: str
    start: int
    end: int


@dataclass(frozen=True)
class Rule:
    label: str
    variants: tuple[str, ...]
    suggestion: str
    explanation: str = ""


def _fold_char(char: str) -> str:
    char = APOSTROPHES.get(char, char)
    decomposed = unicodedata.normalize("NFKD", char)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def fold(text: str) -> tuple[str, list[int]]:
    """Lower-case, accent-free text, and for each of its characters the index it came from."""
    out: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        folded = _fold_char(char)
        out.append(folded)
        origin.extend([index] * len(folded))
    return "".join(out), origin


def _pattern(variant: str) -> re.Pattern[str]:
    words = fold(variant.strip())[0].split()
    body = r"\s+".join(re.escape(word) for word in words)
    return re.compile(rf"(?<!\w){body}(?!\w)")


def check(text: str, rules: Iterable[Rule] | None = None) -> list[ToneWarning]:
    """Every expression to avoid found in `text`, in reading order."""
    if rules is None:
        rules = active_rules()
    folded, origin = fold(text or "")
    found: list[ToneWarning] = []
    taken: set[tuple[int, int]] = set()
    # Longest forms first, so « pas de problème » is reported as itself, not as « problème ».
    ordered = sorted(
        ((rule, variant) for rule in rules for variant in rule.variants), key=lambda rv: -len(rv[1].strip())
    )
    for rule, variant in ordered:
        if not variant.strip():
            continue
        for match in _pattern(variant).finditer(folded):
            start, end = origin[match.start()], origin[match.end() - 1] + 1
            if any(s <= start and end <= e for s, e in taken):
                continue  # inside a longer form already flagged
            taken.add((start, end))
            found.append(ToneWarning(rule.label, text[start:end], rule.suggestion, rule.explanation, start, end))
    found.sort(key=lambda w: w.start)
    return found


def check_email(*, subject: str, body: str, rules: Iterable[Rule] | None = None) -> list[ToneWarning]:
    rules = list(active_rules() if rules is None else rules)
    return check(subject, rules) + check(body, rules)


def active_rules() -> list[Rule]:
    """The rules as edited in the admin (ToneRule)."""
    from communications.models import ToneRule

    return [
        Rule(r.label, tuple(r.variant_list), r.suggestion, r.explanation) for r in ToneRule.objects.filter(is_active=True)
    ]


#: The seed-004 table, installed as ToneRule rows by a data migration (then editable).
DEFAULT_RULES: tuple[Rule, ...] = (
    Rule(
        "désolé",
        ("désolé", "désolée", "désolés", "désolées", "je m'excuse", "nous nous excusons"),
        "Merci de… (« Merci de votre patience », « Merci pour votre retour »)",
        "Remercier plutôt que s'excuser : on met en avant ce qui est fait.",
    ),
    Rule(
        "bug",
        ("bug", "bugs", "bogue", "bogues", "beug"),
        "Le fonctionnement est rétabli",
        "Dire d'abord que cela fonctionne ; l'explication technique seulement si le client la demande.",
    ),
    Rule(
        "problème",
        ("problème", "problèmes"),
        "Le fonctionnement est rétabli",
        "Présenter la résolution plutôt que le problème.",
    ),
    Rule(
        "pas de souci",
        ("pas de souci", "pas de soucis", "aucun souci", "pas de problème"),
        "Je comprends tout à fait / je vois exactement quoi faire",
        "Une tournure positive rassure davantage qu'une négation.",
    ),
    Rule(
        "ne vous inquiétez pas",
        ("ne vous inquiétez pas", "ne vous en faites pas", "pas d'inquiétude"),
        "Je comprends tout à fait / je vois exactement quoi faire",
        "Évoquer l'inquiétude la fait naître : montrer plutôt que la situation est maîtrisée.",
    ),
    Rule(
        "pas encore fini",
        ("pas encore fini", "pas encore terminé", "pas encore terminée", "pas fini", "pas terminé"),
        "J'ai quasiment terminé…",
        "Mettre en avant ce qui est fait plutôt que ce qui reste.",
    ),
    Rule(
        "retard",
        ("retard", "retards", "en retard"),
        "Merci d'avoir patienté",
        "Remercier le client de sa patience plutôt que souligner le retard.",
    ),
)
