"""Demo data for the recette: a cahier, runs, anomalies and PV versions on the demo
deliveries from pre-delivery on. Written through the real services; safe to run twice."""

from __future__ import annotations

from typing import Any

from delivery.models import Delivery
from delivery.recette import services
from delivery.recette.models import RecetteCase, RunKind
from projects.models import Module, User
from projects.vocabulary import PIPELINE, Stage

CASES = [
    ("CR-001", "Page d'accueil", "Ouvrir l'URL de préproduction sur ordinateur et mobile.", "La page s'affiche en moins de 3 s, sans erreur.", "", "high"),
    ("CR-002", "Menu principal", "Parcourir chaque entrée du menu.", "Chaque page s'ouvre ; l'entrée active est signalée.", "", "normal"),
    ("CR-003", "Formulaire de contact", "Envoyer le formulaire avec des données valides puis invalides.", "Message de confirmation ; erreurs claires sur les champs invalides.", "formulaires", "high"),
    ("CR-004", "Mentions légales et RGPD", "Ouvrir les mentions légales, refuser puis accepter les cookies.", "Le choix est respecté ; aucun traceur avant accord.", "", "high"),
    ("CR-005", "Recherche", "Rechercher un mot présent puis absent du site.", "Résultats pertinents ; message « aucun résultat » sinon.", "", "normal"),
    ("CR-006", "Article de blog", "Ouvrir un article, partager, revenir à la liste.", "Image, auteur et date affichés ; partage fonctionnel.", "blog", "low"),
    ("CR-007", "Ajout au panier", "Ajouter deux produits, modifier les quantités.", "Le total est recalculé immédiatement.", "woocommerce", "high"),
    ("CR-008", "Paiement", "Payer en mode test avec une carte valide puis refusée.", "Commande créée et e-mail reçu ; refus expliqué.", "woocommerce", "high"),
    ("CR-009", "Espace membre", "Créer un compte, se déconnecter, se reconnecter.", "Accès aux contenus réservés après connexion.", "espace-membre", "high"),
    ("CR-010", "Réservation", "Réserver un créneau puis l'annuler.", "Créneau bloqué puis libéré ; e-mails envoyés.", "reservation", "high"),
    ("CR-011", "Affichage mobile", "Parcourir le site sur un téléphone (390 px).", "Aucun débordement horizontal ; menu utilisable au pouce.", "", "normal"),
    ("CR-012", "Back-office", "Modifier un texte de la page d'accueil dans le CMS.", "La modification apparaît sur le site après enregistrement.", "", "normal"),
]


def _cahier(delivery: Delivery, pm: User) -> list[RecetteCase]:
    existing = list(RecetteCase.objects.filter(delivery=delivery).order_by("reference"))
    if existing:
        return existing
    modules = {m.code: m for m in Module.objects.all()}
    scope = set(delivery.modules.values_list("code", flat=True))
    for ref, title, steps, expected, module, priority in CASES:
        if module and module not in scope:
            continue  # a case only for the modules of the delivery
        services.case_create(
            delivery=delivery, user=pm, reference=ref, title=title, steps=steps, expected=expected,
            module=modules.get(module), priority=priority,
        )
    return list(RecetteCase.objects.filter(delivery=delivery).order_by("reference"))


def _tester(delivery: Delivery, pm: User) -> User:
    partner_user = User.objects.filter(partner_id=delivery.project.partner_id, is_active=True).first()
    return partner_user or pm


def satisfy_internal_recette(delivery: Delivery, pm: User) -> None:
    """Pre-delivery: the partner runs the cahier on RECETTE; one minor anomaly, fixed and verified."""
    pm = delivery.project.pm
    cases = _cahier(delivery, pm)
    tester = _tester(delivery, pm)
    run = services.run_create(delivery=delivery, user=tester, kind=RunKind.INTERNAL, environment="recette")
    for case in cases:
        services.result_set(run=run, case=case, user=tester, status="passed")
    anomaly = services.anomaly_create(
        delivery=delivery, user=tester, title="Lien « mentions légales » du pied de page en 404", severity="minor",
        case=cases[0], run=run, description="Corrigé dans la foulée : mauvais slug.",
    )
    services.anomaly_set_status(anomaly=anomaly, user=tester, status="fixed")
    services.anomaly_set_status(anomaly=anomaly, user=pm, status="verified")


def satisfy_client_recette(delivery: Delivery, pm: User) -> None:
    """Delivery: the client UAT on PRÉ-PROD, a minor reserve shown to the client, then the PV."""
    pm = delivery.project.pm
    cases = _cahier(delivery, pm)
    run = services.run_create(delivery=delivery, user=pm, kind=RunKind.CLIENT, environment="preprod")
    for case in cases:
        services.result_set(run=run, case=case, user=pm, status="passed")
    services.anomaly_create(
        delivery=delivery, user=pm, title="Photo de l'équipe légèrement floue sur mobile", severity="minor",
        case=cases[-1], run=run, client_visible=True,
        description="Le client fournira une photo en meilleure définition ; non bloquant.",
    )
    services.pv_generate(delivery=delivery, user=pm)


def demo_populate(*, stdout: Any) -> None:
    """Give every demo delivery from pre-delivery on a recette if it has none, and a
    work-in-progress one to the deliveries waiting in pre-delivery or delivery."""
    start = PIPELINE.index(Stage.PRE_DELIVERY)
    touched = 0
    for delivery in Delivery.objects.select_related("project").order_by("pk"):
        if delivery.stage not in PIPELINE or PIPELINE.index(delivery.stage) < start:
            continue
        pm = delivery.project.pm
        if delivery.stage == Stage.PRE_DELIVERY and not delivery.anomalies.filter(status="open").exists():
            cases = _cahier(delivery, pm)
            if not delivery.recette_runs.exists():
                satisfy_internal_recette(delivery, pm)
            tester = _tester(delivery, pm)
            services.anomaly_create(
                delivery=delivery, user=tester, title="Temps de chargement de la galerie > 4 s en 4G", severity="major",
                case=cases[-1], description="Images non redimensionnées ; à optimiser avant la livraison.",
            )
            touched += 1
        elif delivery.stage == Stage.DELIVERY and not delivery.recette_runs.filter(kind=RunKind.CLIENT).exists():
            cases = _cahier(delivery, pm)
            run = services.run_create(delivery=delivery, user=pm, kind=RunKind.CLIENT, environment="preprod")
            for i, case in enumerate(cases):
                if i < len(cases) - 2:
                    services.result_set(run=run, case=case, user=pm, status="passed")
            services.result_set(run=run, case=cases[-2], user=pm, status="failed", comment="Message d'erreur en anglais")
            services.anomaly_create(
                delivery=delivery, user=pm, title="Message d'erreur du formulaire en anglais", severity="major",
                case=cases[-2], run=run, client_visible=True,
            )
            touched += 1
        elif delivery.stage != Stage.DELIVERY and not delivery.recette_cases.exists():
            _cahier(delivery, pm)
            touched += 1
    stdout.write(f"Recette : {touched} livraison(s) complétée(s) (cahiers, campagnes, anomalies, PV).")
