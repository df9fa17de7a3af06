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
