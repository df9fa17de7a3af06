"""R20: the tone guide flags the expressions to avoid and proposes the seed-004 wording."""

from __future__ import annotations

import pytest

from communications import tone
from communications.models import EmailTemplate, ToneRule

pytestmark = pytest.mark.django_db

CASES = [
    ("Désolé du délai de réponse.", "désolé", "Merci de"),
    ("Nous sommes DESOLES.", "désolé", "Merci de"),
    ("Le bug est corrigé.", "bug", "Le fonctionnement est rétabli"),
    ("Le problème est corrigé.", "problème", "Le fonctionnement est rétabli"),
    ("Les PROBLEMES sont réglés.", "problème", "Le fonctionnement est rétabli"),
    ("Pas de soucis, je regarde.", "pas de souci", "Je comprends tout à fait"),
    ("Pas de problème !", "pas de souci", "Je comprends tout à fait"),
    ("Ne vous inquiétez pas, tout va bien.", "ne vous inquiétez pas", "je vois exactement quoi faire"),
    ("Ne vous inquietez  pas.", "ne vous inquiétez pas", "je vois exactement quoi faire"),
    ("Je n’ai pas encore fini la page.", "pas encore fini", "J'ai quasiment terminé"),
    ("Je suis désolé pour mon retard.", "retard", "Merci d'avoir patienté"),
    ("Nous avons pris du Retard.", "retard", "Merci d'avoir patienté"),
]


@pytest.mark.parametrize(("text", "label", "suggestion"), CASES)
def test_r20_each_rule_flags_and_proposes(text, label, suggestion):
    found = tone.check(text)
    assert label in [w.label for w in found], found
    warning = next(w for w in found if w.label == label)
    assert suggestion in warning.suggestion
    assert text[warning.start:warning.end] == warning.found  # quoted as written


@pytest.mark.parametrize("text", ["Le budget est validé.", "Un retardataire s'est inscrit.", "Une problématique métier.", "Le debugger"])
def test_r20_matches_whole_words_only(text):
    assert tone.check(text) == []


def test_r20_reports_the_longer_form_once():
    found = tone.check("Pas de problème.")
    assert [w.label for w in found] == ["pas de souci"]


def test_r20_every_seed_rule_is_installed():
    labels = set(ToneRule.objects.values_list("label", flat=True))
    assert {r.label for r in tone.DEFAULT_RULES} <= labels
    assert {"désolé", "bug", "problème", "pas de souci", "ne vous inquiétez pas", "pas encore fini", "retard"} <= labels


def test_r20_rules_edited_in_the_admin_apply():
    ToneRule.objects.create(label="malheureusement", variants="malheureusement", suggestion="Bonne nouvelle :")
    assert [w.suggestion for w in tone.check("Malheureusement, non.")] == ["Bonne nouvelle :"]
    ToneRule.objects.filter(label="bug").update(is_active=False)
    assert tone.check("Le bug.") == []


def test_r20_the_default_client_templates_pass():
    client_templates = list(EmailTemplate.objects.filter(client_facing=True))
    assert {t.key for t in client_templates} >= {"validation_request", "validation_received_client", "go_live_announcement"}
    for tpl in client_templates:
        assert tone.check_email(subject=tpl.subject, body=tpl.body_text + tpl.body_html) == [], tpl.key


def test_it_refuses_a_template_that_does_not_compile_in_the_admin():
    from communications.admin import EmailTemplateForm

    tpl = EmailTemplate.objects.get(key="go_live_announcement")
    data = {f: getattr(tpl, f) for f in ("key", "name", "client_facing", "subject", "body_text", "body_html", "variables")}
    assert EmailTemplateForm(data, instance=tpl).is_valid()
    data["body_text"] += "{% if has_maintenance %}"
    form = EmailTemplateForm(data, instance=tpl)
    assert not form.is_valid() and "body_text" in form.errors
