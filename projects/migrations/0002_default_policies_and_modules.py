"""The process's categories and the module catalogue, so a fresh install is usable."""

from decimal import Decimal

from django.db import migrations

POLICIES = [
    # category, description, max feedback cycles (R6; Cat.1 = 1), canary expected (R16)
    (1, "Site vitrine simple", 1, False),
    (2, "Site vitrine avancé", 2, False),
    (3, "Site e-commerce ou sur mesure léger", 2, True),
    (4, "Projet complexe / plateforme", 3, True),
]

MODULES = [
    ("woocommerce", "WooCommerce", "Boutique en ligne (catalogue, panier, paiement)."),
    ("multilingue", "Multilingue", "Contenus traduits et sélecteur de langue."),
    ("blog", "Blog / actualités", "Articles, catégories, flux RSS."),
    ("formulaires", "Formulaires avancés", "Formulaires multi-étapes, envoi vers CRM."),
    ("reservation", "Réservation en ligne", "Prise de rendez-vous ou de créneaux."),
    ("espace-membre", "Espace membre", "Comptes utilisateurs et contenus réservés."),
    ("newsletter", "Newsletter", "Inscription et synchronisation avec l'outil d'e-mailing."),
]


def install(apps, schema_editor):
    CategoryPolicy = apps.get_model("projects", "CategoryPolicy")
    Module = apps.get_model("projects", "Module")
    for category, description, cycles, canary in POLICIES:
        CategoryPolicy.objects.get_or_create(
            category=category,
            defaults={
                "description": description,
                "max_feedback_cycles": cycles,
                "pv_min_ok_rate": Decimal("95.00"),
                "pv_max_blocking": 0,
                "canary_expected": canary,
            },
        )
    for code, name, description in MODULES:
        Module.objects.get_or_create(code=code, defaults={"name": name, "description": description})


class Migration(migrations.Migration):
    dependencies = [("projects", "0001_initial")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
