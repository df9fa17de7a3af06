"""`python manage.py demo`: a populated Jalon to try, safe to run twice.

Creates the demo accounts (passwords in the README), clients with contacts, projects
and deliveries spread over every stage, walked forward through the real services
(ticks, transitions, waivers) so their history is the one the app would write. Some
are left blocked on purpose (grid incomplete, unticked items, no maintenance: R4).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from checklists.models import DeliveryItem
from delivery import services
from delivery.gates import STAGE_AFTER, blockers_for
from delivery.models import ChangeRequest, Delivery
from projects.models import Client, ClientContact, Module, Partner, Project, User
from projects.vocabulary import PIPELINE, Stage

DEMO_PASSWORD = "jalon-demo"

#: Feature demo data, each `ext(stdout=...)`, idempotent; called after the core data.
DEMO_EXTENSIONS: list[Callable[..., None]] = []

#: Stage -> `(delivery, user) -> None` that satisfy a feature's gate on the way out of
#: that stage (a GO PV, the client's validation, a finished rollout…), so the demo walks
#: deliveries through the real services past every gate.
DEMO_SATISFIERS: dict[str, list[Callable[[Delivery, User], None]]] = {}

# Recette (issue 3): a passing internal run, then the client UAT and its PV, first of its
# stage since a client validation signs that PV.
from delivery.recette import demo as recette_demo  # noqa: E402

DEMO_SATISFIERS.setdefault(Stage.PRE_DELIVERY, []).append(recette_demo.satisfy_internal_recette)
DEMO_SATISFIERS.setdefault(Stage.DELIVERY, []).insert(0, recette_demo.satisfy_client_recette)
DEMO_EXTENSIONS.append(recette_demo.demo_populate)

# Go-live (issue 5): J+7 due on the follow_up delivery, a canary rollout at 20 %.
from delivery.golive import demo as golive_demo  # noqa: E402

DEMO_EXTENSIONS.append(golive_demo.demo_populate)

# Client portal (issue 4): the client's written validation of the PV, after the recette's
# satisfier of the same stage made that PV; then a live portal link to try.
from delivery.portal import demo as portal_demo  # noqa: E402

DEMO_SATISFIERS.setdefault(Stage.DELIVERY, []).append(portal_demo.satisfy_client_validation)
DEMO_EXTENSIONS.append(portal_demo.demo_populate)

CLIENTS = [
    ("Boulangerie Martin", [("Sophie Martin", "sophie@boulangerie-martin.example", "Gérante")]),
    ("Cabinet Durand Avocats", [("Marc Durand", "m.durand@durand-avocats.example", "Associé"),
                                ("Léa Roux", "l.roux@durand-avocats.example", "Assistante")]),
    ("Les Jardins de Provence", [("Paul Girard", "paul@jardins-provence.example", "Directeur")]),
    ("Atelier Céramique Lune", [("Inès Lefèvre", "ines@ceramique-lune.example", "Fondatrice")]),
    ("Mairie de Saint-Aubin", [("Nadia Benali", "communication@saint-aubin.example", "Chargée de communication")]),
]

# (client, project, delivery title, target stage, category, modules, maintenance, hosting ok, PM, tick ratio)
DELIVERIES: list[dict[str, Any]] = [
    dict(client="Boulangerie Martin", project="Site vitrine", title="Création du site", stage=Stage.QUALIFICATION,
         category=None, modules=[], maintenance="", hosting=None, pm="cdp", days=3),
    dict(client="Mairie de Saint-Aubin", project="Portail citoyen", title="Création du portail", stage=Stage.REFUSED,
         category=4, modules=["espace-membre"], maintenance="", hosting=None, pm="cdp2", days=12),
    dict(client="Cabinet Durand Avocats", project="Site du cabinet", title="Refonte du site", stage=Stage.CADRAGE,
         category=2, modules=["blog", "formulaires"], maintenance="essential", hosting=True, pm="cdp", days=4),
    dict(client="Les Jardins de Provence", project="Boutique en ligne", title="Création de la boutique", stage=Stage.PRODUCTION,
         category=3, modules=["woocommerce", "newsletter"], maintenance="comfort", hosting=True, pm="cdp", days=16),
    dict(client="Atelier Céramique Lune", project="Site de l'atelier", title="Création du site", stage=Stage.PRE_DELIVERY,
         category=1, modules=["reservation"], maintenance="none", hosting=True, pm="cdp2", days=6),
    dict(client="Cabinet Durand Avocats", project="Intranet associés", title="Création de l'intranet", stage=Stage.DELIVERY,
         category=2, modules=["espace-membre"], maintenance="premium", hosting=True, pm="cdp2", days=2),
    dict(client="Boulangerie Martin", project="Commande en ligne", title="Click & collect", stage=Stage.GO_LIVE,
         category=2, modules=["woocommerce"], maintenance="essential", hosting=True, pm="cdp", days=1),
    dict(client="Les Jardins de Provence", project="Site vitrine", title="Création du site", stage=Stage.FOLLOW_UP,
         category=1, modules=["blog"], maintenance="essential", hosting=True, pm="cdp", days=3),
    dict(client="Mairie de Saint-Aubin", project="Site de l'office de tourisme", title="Création du site", stage=Stage.MAINTENANCE,
         category=2, modules=["multilingue", "blog"], maintenance="comfort", hosting=True, pm="cdp2", days=40),
]


class Command(BaseCommand):
    help = "Crée les données de démonstration (sans effet si elles existent déjà)."

    def handle(self, *args: Any, **options: Any) -> None:
        # The demo's own emails (validation receipts, J+7 notices…) are recorded in the
        # outbox like any other, but not printed: the console backend would bury the
        # summary below under a page of MIME.
        from django.test.utils import override_settings

        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            self._populate()

    def _populate(self) -> None:
        users = self._accounts()
        if Client.objects.filter(name=CLIENTS[0][0]).exists():
            self.stdout.write("Données de démonstration déjà présentes : rien à recréer.")
        else:
            self._core(users)
        for ext in DEMO_EXTENSIONS:
            ext(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(
            f"Démo prête. Comptes (mot de passe « {DEMO_PASSWORD} ») : cdp (cheffe de projet), "
            "cdp2 (chef de projet), dev (partenaire Studio Pixel), admin (administrateur)."
        ))

    # --- accounts ----------------------------------------------------------------------
    def _accounts(self) -> dict[str, User]:
        studio, _ = Partner.objects.get_or_create(
            name="Studio Pixel", defaults={"email": "contact@studio-pixel.example", "phone": "04 90 00 00 00"}
        )
        Partner.objects.get_or_create(name="Atelier Web Sud", defaults={"email": "bonjour@atelier-web-sud.example"})
        specs = {
            "cdp": dict(first_name="Claire", last_name="Moreau", email="claire.moreau@agence.example", role=User.Role.AGENCY),
            "cdp2": dict(first_name="Julien", last_name="Bernard", email="julien.bernard@agence.example", role=User.Role.AGENCY),
            "dev": dict(first_name="Thomas", last_name="Petit", email="thomas@studio-pixel.example", role=User.Role.PARTNER, partner=studio),
            "admin": dict(first_name="Admin", last_name="Jalon", email="admin@agence.example", role=User.Role.AGENCY, is_staff=True, is_superuser=True),
        }
        users = {}
        for username, fields in specs.items():
            user, created = User.objects.get_or_create(username=username, defaults=fields)
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
                self.stdout.write(f"Compte créé : {username}")
            users[username] = user
        return users

    # --- clients, projects, deliveries -----------------------------------------------------
    @transaction.atomic
    def _core(self, users: dict[str, User]) -> None:
        studio = Partner.objects.get(name="Studio Pixel")
        clients = {}
        for name, contacts in CLIENTS:
            client = Client.objects.create(name=name)
            for i, (contact, email, role) in enumerate(contacts):
                ClientContact.objects.create(client=client, name=contact, email=email, role=role, is_primary=i == 0)
            clients[name] = client
        modules = {m.code: m for m in Module.objects.all()}
        done: list[Delivery] = []
        for spec in DELIVERIES:
            slug = slugify(spec["project"])
            project = Project.objects.create(
                name=spec["project"], client=clients[spec["client"]], pm=users[spec["pm"]], partner=studio,
                hosting_provider="o2switch" if spec["hosting"] is not None else "",
                hosting_compatible=spec["hosting"], maintenance_plan=spec["maintenance"],
                preprod_url=f"https://preprod.{slug}.example/", production_url=f"https://www.{slug}.example/",
                backoffice_url=f"https://www.{slug}.example/wp-admin/",
            )
            delivery = services.delivery_create(
                project=project, title=spec["title"], created_by=users[spec["pm"]], category=spec["category"],
                modules=[modules[c] for c in spec["modules"] if c in modules],
                planned_dates=self._planning(spec["days"]),
            )
            self._walk(delivery, spec["stage"], users)
            done.append(delivery)
            self.stdout.write(f"  {project.client} · {project.name} — {Stage(Delivery.objects.get(pk=delivery.pk).stage).label}")
        self._finishing_touches(done, users)

    def _planning(self, days_in_stage: int) -> dict[str, Any]:
        start = timezone.localdate() - timedelta(days=days_in_stage + 20)
        offsets = [0, 7, 14, 35, 45, 55, 57, 64]
        return {stage.value: start + timedelta(days=o) for stage, o in zip(PIPELINE, offsets, strict=True)}

    def _walk(self, delivery: Delivery, target: str, users: dict[str, User]) -> None:
        pm, dev = delivery.project.pm, users["dev"]
        if target == Stage.REFUSED:
            services.delivery_transition(
                delivery_id=delivery.pk, name="refuse", user=pm,
                note="Budget incompatible avec le périmètre demandé (espace citoyen complet) ; proposition de relance au T2.",
            )
            return
        goal = PIPELINE.index(target)
        while True:
            delivery.refresh_from_db()
            if PIPELINE.index(delivery.stage) >= goal:
                break
            self._tick_all(delivery, pm, dev)
            for satisfy in DEMO_SATISFIERS.get(delivery.stage, []):
                satisfy(delivery, pm)
            name = STAGE_AFTER[delivery.stage]
            actor = pm if delivery.stage in (Stage.QUALIFICATION, Stage.CADRAGE, Stage.DELIVERY) else dev
            if delivery.stage == Stage.PRE_DELIVERY and not delivery.project.has_maintenance:
                # The demo shows R4 blocking here: stop before the client delivery.
                break
            if delivery.stage == Stage.FOLLOW_UP and any(b.code == "R12" for b in blockers_for(delivery, name)):
                # The demo cannot wait seven days: the PM documents the early close (R9), as in real life.
                services.rule_waive(
                    delivery_id=delivery.pk, code="R12", user=pm,
                    justification="Site stable depuis la mise en ligne (aucune alerte de monitoring) ; "
                    "validation technique finale faite avec le partenaire, passage anticipé en maintenance.",
                )
            result = services.delivery_transition(delivery_id=delivery.pk, name=name, user=actor)
            if not result.ok:
                reasons = "; ".join(b.message for b in result.blockers) or result.error
                self.stdout.write(self.style.WARNING(f"  « {delivery} » reste en {delivery.get_stage_display()} : {reasons}"))
                break
        # Leave the current stage half done, so the board shows work in progress and blockers.
        delivery.refresh_from_db()
        if delivery.stage not in (Stage.MAINTENANCE, Stage.QUALIFICATION):
            items = list(DeliveryItem.objects.filter(delivery=delivery, stage=delivery.stage).order_by("position"))
            for item in items[: len(items) // 2]:
                who = dev if "partner" in item.parties else pm
                services.item_set_done(item_id=item.pk, user=who, done=True, comment="")

    def _tick_all(self, delivery: Delivery, pm: User, dev: User) -> None:
        for item in DeliveryItem.objects.filter(delivery=delivery, stage=delivery.stage, done=False, waived=False):
            who = dev if item.parties == frozenset({"partner"}) else pm
            services.item_set_done(item_id=item.pk, user=who, done=True, comment="")

    def _finishing_touches(self, deliveries: list[Delivery], users: dict[str, User]) -> None:
        by_title = {(d.project.name, d.title): d for d in deliveries}
        # A documented exception on an item, and one on a rule, so R9 is visible.
        cadrage = by_title[("Site du cabinet", "Refonte du site")]
        item = DeliveryItem.objects.filter(delivery=cadrage, stage=Stage.CADRAGE, done=False, label__startswith="Contenus").first()
        if item is not None:
            services.item_waive(
                item_id=item.pk, user=cadrage.project.pm,
                justification="Le client fournit les contenus au fil de l'eau ; date ferme convenue au 15 du mois.",
            )
        boutique = by_title[("Boutique en ligne", "Création de la boutique")]
        services.change_request_create(
            delivery=boutique, user=boutique.project.pm, title="Ajout d'un module de réservation d'ateliers",
            kind=ChangeRequest.Kind.DEVIS, amount="1850.00",
            description="Demande du client en cours de production : hors périmètre du cadrage.",
        )
        maintenance = by_title[("Site de l'office de tourisme", "Création du site")]
        if not maintenance.requalifications.exists():
            services.delivery_requalify(
                origin=maintenance, title="Ajout d'un agenda des événements", user=maintenance.project.pm,
                note="Demande reçue après la mise en production : nouvelle fonctionnalité, donc nouvelle livraison (R7).",
            )
        blocked = 0
        for delivery in Delivery.objects.filter(pk__in=[d.pk for d in deliveries]).select_related("project"):
            transition = STAGE_AFTER.get(delivery.stage)
            blocked += bool(transition and blockers_for(delivery, transition))
        self.stdout.write(f"{len(deliveries) + 1} livraisons créées, dont {blocked} bloquées à l'étape en cours.")
