"""Who and what: users, clients, partners, projects, modules and category policies."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from projects.vocabulary import Category, Party


class User(AbstractUser):
    """A person with an account: agency staff (PM) or a technical partner's user.

    Clients have no account: they sign on the portal from an email link.
    """

    class Role(models.TextChoices):
        AGENCY = "agency", "Agence (chef de projet)"
        PARTNER = "partner", "Partenaire technique"

    role = models.CharField("rôle", max_length=16, choices=Role.choices, default=Role.AGENCY)
    partner = models.ForeignKey(
        "projects.Partner",
        verbose_name="société partenaire",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )

    class Meta:
        verbose_name = "utilisateur"
        constraints = [
            models.CheckConstraint(
                name="partner_user_has_company",
                condition=Q(role="agency") | Q(partner__isnull=False),
                violation_error_message="Un utilisateur partenaire doit être rattaché à une société partenaire.",
            )
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_agency(self) -> bool:
        return self.is_active and (self.role == self.Role.AGENCY or self.is_superuser)

    @property
    def is_partner(self) -> bool:
        return self.is_active and self.role == self.Role.PARTNER and self.partner_id is not None

    @property
    def party(self) -> str:
        return Party.PARTNER if self.role == self.Role.PARTNER else Party.AGENCY


class Partner(models.Model):
    """The technical partner company that builds the sites."""

    name = models.CharField("nom", max_length=200, unique=True)
    email = models.EmailField("e-mail de contact", blank=True)
    phone = models.CharField("téléphone", max_length=40, blank=True)

    class Meta:
        verbose_name = "partenaire technique"
        verbose_name_plural = "partenaires techniques"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Client(models.Model):
    name = models.CharField("nom", max_length=200, unique=True)
    notes = models.TextField("notes internes", blank=True, help_text="Jamais visibles par le client.")
    created_at = models.DateTimeField("créé le", auto_now_add=True)

    class Meta:
        verbose_name = "client"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ClientContact(models.Model):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="contacts", verbose_name="client")
    name = models.CharField("nom", max_length=200)
    email = models.EmailField("e-mail")
    role = models.CharField("fonction", max_length=120, blank=True)
    is_primary = models.BooleanField("contact principal", default=False)

    class Meta:
        verbose_name = "contact client"
        verbose_name_plural = "contacts client"
        ordering = ["-is_primary", "name"]
        constraints = [
            models.UniqueConstraint(fields=["client", "email"], name="unique_contact_email_per_client"),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class Module(models.Model):
    """A catalogue entry: WooCommerce, multilingue, blog…"""

    code = models.SlugField("code", max_length=40, unique=True)
    name = models.CharField("nom", max_length=120)
    description = models.TextField("description", blank=True)
    is_active = models.BooleanField("actif", default=True)

    class Meta:
        verbose_name = "module"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CategoryPolicy(models.Model):
    """What a category changes in the rules (R6, R15, R16). Editable in the admin."""

    category = models.PositiveSmallIntegerField("catégorie", choices=Category.choices, unique=True)
    description = models.CharField("description", max_length=200, blank=True)
    max_feedback_cycles = models.PositiveSmallIntegerField(
        "cycles de retours client maximum", default=1, help_text="Cat.1 : un seul cycle (R6)."
    )
    pv_min_ok_rate = models.DecimalField(
        "taux de cas OK minimum (%)",
        max_digits=5,
        decimal_places=2,
        default=Decimal("95.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    pv_max_blocking = models.PositiveSmallIntegerField("anomalies bloquantes tolérées", default=0)
    canary_expected = models.BooleanField("déploiement progressif (canary) attendu", default=False)

    class Meta:
        verbose_name = "politique de catégorie"
        verbose_name_plural = "politiques de catégorie"
        ordering = ["category"]

    def __str__(self) -> str:
        return f"{self.get_category_display()} — {self.description}" if self.description else self.get_category_display()

    @classmethod
    def for_category(cls, category: int) -> CategoryPolicy:
        """The stored policy, or the process defaults when an admin deleted it."""
        policy = cls.objects.filter(category=category).first()
        return policy or cls(category=category)


class Project(models.Model):
    """The client's site. Deliveries are runs of a project through the pipeline."""

    class Maintenance(models.TextChoices):
        UNDECIDED = "", "À définir"
        NONE = "none", "Aucune"
        ESSENTIAL = "essential", "Maintenance essentielle"
        COMFORT = "comfort", "Maintenance confort"
        PREMIUM = "premium", "Maintenance premium"

    name = models.CharField("nom du projet", max_length=200)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="projects", verbose_name="client")
    pm = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        related_name="managed_projects",
        verbose_name="chef de projet",
        limit_choices_to={"role": User.Role.AGENCY, "is_active": True},
    )
    partner = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        related_name="projects",
        verbose_name="partenaire technique",
        null=True,
        blank=True,
    )
    hosting_provider = models.CharField("hébergeur", max_length=120, blank=True)
    hosting_compatible = models.BooleanField(
        "hébergement compatible",
        null=True,
        blank=True,
        help_text="Vide tant que la compatibilité n'a pas été vérifiée (R3).",
    )
    maintenance_plan = models.CharField(
        "contrat de maintenance", max_length=20, choices=Maintenance.choices, blank=True, default=""
    )
    preprod_url = models.URLField("URL de préproduction", blank=True)
    production_url = models.URLField("URL de production", blank=True)
    backoffice_url = models.URLField("URL du back-office", blank=True)
    internal_notes = models.TextField("notes internes", blank=True, help_text="Jamais visibles par le client (R13).")
    created_at = models.DateTimeField("créé le", auto_now_add=True)

    class Meta:
        verbose_name = "projet"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["client", "name"], name="unique_project_name_per_client"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.client})"

    @property
    def has_maintenance(self) -> bool:
        return self.maintenance_plan not in (self.Maintenance.UNDECIDED, self.Maintenance.NONE)
