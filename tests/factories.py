"""factory_boy factories shared by every test folder."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from projects.models import Client, ClientContact, Module, Partner, Project, User


class PartnerFactory(DjangoModelFactory):
    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"Studio Partenaire {n}")
    email = factory.Sequence(lambda n: f"contact{n}@partenaire.example")


class PMFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"cdp{n}")
    first_name = "Claire"
    last_name = factory.Sequence(lambda n: f"Martin{n}")
    email = factory.Sequence(lambda n: f"cdp{n}@agence.example")
    role = User.Role.AGENCY
    is_staff = True
    password = factory.django.Password("motdepasse-test")


class PartnerUserFactory(PMFactory):
    username = factory.Sequence(lambda n: f"dev{n}")
    first_name = "Thomas"
    email = factory.Sequence(lambda n: f"dev{n}@partenaire.example")
    role = User.Role.PARTNER
    is_staff = False
    partner = factory.SubFactory(PartnerFactory)


class AdminFactory(PMFactory):
    username = factory.Sequence(lambda n: f"admin{n}")
    is_superuser = True


class ClientFactory(DjangoModelFactory):
    class Meta:
        model = Client

    name = factory.Sequence(lambda n: f"Client {n}")


class ClientContactFactory(DjangoModelFactory):
    class Meta:
        model = ClientContact

    client = factory.SubFactory(ClientFactory)
    name = factory.Sequence(lambda n: f"Contact {n}")
    email = factory.Sequence(lambda n: f"contact{n}@client.example")
    role = "Gérant"
    is_primary = True


class ModuleFactory(DjangoModelFactory):
    class Meta:
        model = Module
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"module-{n}")
    name = factory.Sequence(lambda n: f"Module {n}")


class ProjectFactory(DjangoModelFactory):
    class Meta:
        model = Project

    name = factory.Sequence(lambda n: f"Site {n}")
    client = factory.SubFactory(ClientFactory)
    pm = factory.SubFactory(PMFactory)
    partner = factory.SubFactory(PartnerFactory)
    hosting_provider = "o2switch"
    hosting_compatible = True
    maintenance_plan = Project.Maintenance.ESSENTIAL
    preprod_url = factory.LazyAttribute(lambda o: f"https://preprod.{o.name.lower().replace(' ', '-')}.example/")
    production_url = factory.LazyAttribute(lambda o: f"https://www.{o.name.lower().replace(' ', '-')}.example/")
    backoffice_url = factory.LazyAttribute(lambda o: f"https://www.{o.name.lower().replace(' ', '-')}.example/wp-admin/")


class DeliveryFactory(factory.Factory):
    """Creates through the service, so a delivery always starts like in the app (R1)."""

    class Meta:
        model = dict  # built by _create below

    project = factory.SubFactory(ProjectFactory)
    title = "Création du site"
    category = 1
    created_by = factory.LazyAttribute(lambda o: o.project.pm)

    @classmethod
    def _create(cls, model_class, **kwargs):
        from delivery.services import delivery_create

        modules = kwargs.pop("modules", ())
        return delivery_create(modules=modules, **kwargs)


#: Stage -> functions `(delivery, user) -> None` that satisfy the gates a feature adds
#: to the way out of that stage (a GO PV, a client validation, a finished rollout…).
#: Each feature registers its own here, next to its factories.
SATISFIERS: dict[str, list] = {}


def advance_to(delivery, stage: str, user=None):
    """Walk a delivery forward to `stage`, satisfying every gate on the way (test helper).

    Ticks the checklists and runs the SATISFIERS of each stage, then calls the real
    service; fails loudly if anything still blocks.
    """
    from checklists.models import DeliveryItem
    from delivery.gates import STAGE_AFTER
    from delivery.services import delivery_transition
    from projects.vocabulary import PIPELINE

    user = user or delivery.project.pm
    target = PIPELINE.index(stage)
    delivery.refresh_from_db()
    while PIPELINE.index(delivery.stage) < target:
        for item in DeliveryItem.objects.filter(delivery=delivery, stage=delivery.stage, done=False):
            item.done = True
            item.save(update_fields=["done"])
        for satisfy in SATISFIERS.get(delivery.stage, []):
            satisfy(delivery, user)
        result = delivery_transition(delivery_id=delivery.pk, name=STAGE_AFTER[delivery.stage], user=user)
        assert result.ok, f"blocked at {delivery.stage}: {[b.message for b in result.blockers]} {result.error}"
        delivery.refresh_from_db()
    return delivery


# --- recette (issue 3) ----------------------------------------------------------------------

class RecetteCaseFactory(DjangoModelFactory):
    class Meta:
        model = "recette.RecetteCase"

    delivery = None  # required: pass the delivery
    reference = factory.Sequence(lambda n: f"CR-{n:03d}")
    title = factory.Sequence(lambda n: f"Parcours {n}")
    steps = "1. Ouvrir la page\n2. Remplir le formulaire"
    expected = "Le message de confirmation s'affiche."


class AnomalyFactory(DjangoModelFactory):
    class Meta:
        model = "recette.Anomaly"

    delivery = None  # required
    number = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Anomalie {n}")
    severity = "minor"
    created_by = factory.LazyAttribute(lambda o: o.delivery.project.pm)


def recette_run_all_passed(delivery, kind: str, *, user=None, n_cases: int = 3):
    """A run of `kind` in which every case of the cahier passed (creates cases if none)."""
    from delivery.recette import services
    from delivery.recette.models import RecetteCase

    pm = delivery.project.pm
    if not RecetteCase.objects.filter(delivery=delivery).exists():
        RecetteCaseFactory.create_batch(n_cases, delivery=delivery)
    run = services.run_create(delivery=delivery, user=user or pm, kind=kind, environment="recette")
    for case in RecetteCase.objects.filter(delivery=delivery):
        services.result_set(run=run, case=case, user=user or pm, status="passed")
    return run


def _satisfy_internal_recette(delivery, user):
    recette_run_all_passed(delivery, "internal")


def _satisfy_client_recette_and_pv(delivery, user):
    from delivery.recette.services import pv_generate

    recette_run_all_passed(delivery, "client")
    pv_generate(delivery=delivery, user=delivery.project.pm)


def _register_recette_satisfiers():
    from projects.vocabulary import Stage

    SATISFIERS.setdefault(Stage.PRE_DELIVERY, []).append(_satisfy_internal_recette)
    # First in its stage: a client validation (portal) signs the PV made here.
    SATISFIERS.setdefault(Stage.DELIVERY, []).insert(0, _satisfy_client_recette_and_pv)


_register_recette_satisfiers()


# --- go-live: J+7 and canary rollout (issue 5) -------------------------------------------------

def _satisfy_rollout_done(delivery, user):
    """go_live → follow_up needs the rollout at 100 % when there is one (R16)."""
    from delivery.golive.models import Rollout

    Rollout.objects.filter(delivery=delivery).exclude(status=Rollout.Status.COMPLETED).update(status=Rollout.Status.COMPLETED)


def _satisfy_follow_up_day(delivery, user):
    """follow_up → maintenance needs J+7 reached (R12): move the due date into the past."""
    from datetime import timedelta

    from django.utils import timezone

    from delivery.golive.models import FollowUp

    FollowUp.objects.filter(delivery=delivery, due_at__gt=timezone.now()).update(due_at=timezone.now() - timedelta(minutes=1))


def _register_golive_satisfiers():
    from projects.vocabulary import Stage

    SATISFIERS.setdefault(Stage.GO_LIVE, []).append(_satisfy_rollout_done)
    SATISFIERS.setdefault(Stage.FOLLOW_UP, []).append(_satisfy_follow_up_day)


_register_golive_satisfiers()


def put_in_stage(delivery, stage: str):
    """Test shortcut: jump a delivery to `stage` without walking the earlier gates
    (queryset update: the FSM field is protected on instances only), with its checklist."""
    from checklists.services import checklist_materialise
    from delivery.models import Delivery

    Delivery.objects.filter(pk=delivery.pk).update(stage=stage)
    delivery.refresh_from_db()
    checklist_materialise(delivery=delivery, stage=stage, category=delivery.category, module_ids=[])
    return delivery


# --- client portal and validation (issue 4) -----------------------------------------------------

def portal_link_for(delivery, contact=None, *, days: int = 14):
    """An active portal link and its raw token, as if the validation request had just
    left the outbox (test helper: the app only ever draws tokens at sending time)."""
    from datetime import timedelta

    from django.utils import timezone

    from delivery.portal.models import PortalLink
    from delivery.portal.services import new_token, token_hash

    if contact is None:
        contact = delivery.project.client.contacts.first() or ClientContactFactory(client=delivery.project.client)
    raw = new_token()
    now = timezone.now()
    PortalLink.objects.filter(delivery=delivery, contact=contact, revoked_at__isnull=True, used_at__isnull=True).update(
        revoked_at=now
    )
    link = PortalLink.objects.create(
        delivery=delivery, contact=contact, sent_to=contact.email, created_by=delivery.project.pm,
        token_hash=token_hash(raw), issued_at=now, expires_at=now + timedelta(days=days),
    )
    return link, raw


def client_validation_record(delivery, *, decision: str = "validated", signer_name: str = "Camille Client"):
    """A validation of the current PV recorded without rendering PDFs (fast, for gates).
    The full path with certificate and signed PV is `portal.services.validation_submit`."""
    from django.utils import timezone

    from delivery.portal import services
    from delivery.portal.models import ClientValidation

    link, _raw = portal_link_for(delivery)
    pv = services.current_pv(delivery)
    statement = services.statement_for(delivery.project.preprod_url)
    previous = ClientValidation.objects.filter(delivery=delivery).order_by("-pk").values_list("record_hash", flat=True).first()
    record = ClientValidation(
        delivery=delivery, contact=link.contact, link=link, sent_to=link.sent_to, signer_name=signer_name,
        decision=decision, statement=statement,
        statement_sha256=__import__("hashlib").sha256(statement.encode()).hexdigest(),
        pv_version=pv, pv_number=pv.number, pv_sha256=pv.sha256, signed_at=timezone.now(),
        ip_address="127.0.0.1", user_agent="factory", previous_hash=previous or "",
    )
    record.record_hash = services.record_hash(record)
    record.save()
    type(link).objects.filter(pk=link.pk).update(used_at=record.signed_at)
    return record


def _satisfy_client_validation(delivery, user):
    client_validation_record(delivery)


def _register_portal_satisfiers():
    from projects.vocabulary import Stage

    # After the recette's satisfier of the same stage, which makes the PV being validated.
    SATISFIERS.setdefault(Stage.DELIVERY, []).append(_satisfy_client_validation)


_register_portal_satisfiers()
