"""The official checklists of the delivery process (seed 000, DESIGN.md §Default checklists)."""

from django.db import migrations

A, P, B = "agency", "partner", "both"

CHECKLISTS = {
    "qualification": ("Qualification (avant-vente)", [
        ("Grille de qualification remplie (catégorie, modules, maintenance)", "Utiliser la grille de qualification client.", A),
        ("Compatibilité de l'hébergement vérifiée", "Pas de maintenance sans hébergement compatible (R3).", A),
        ("Accord de principe du client", "Accord écrit ou oral consigné en commentaire.", A),
    ]),
    "cadrage": ("Cadrage & lancement (J0)", [
        ("Périmètre validé et figé", "Tout changement ensuite = avenant ou devis (R5).", A),
        ("Modules validés", "", B),
        ("Planning validé", "", B),
        ("Contenus reçus (ou date de livraison confirmée)", "", A),
        ("Accès techniques en place (hébergement, CMS, outils)", "Hébergement, WordPress, outils.", P),
    ]),
    "production": ("Production", [
        ("Base technique commune en place", "", P),
        ("Catégorie respectée", "Pas de sur-mesure hors cadre.", P),
        ("Intégration UI (templates / variants)", "", P),
        ("Modules intégrés", "", P),
        ("SEO technique paramétré", "", P),
        ("Sécurité et performance traitées", "", P),
    ]),
    "pre_delivery": ("Pré-livraison (recette interne)", [
        ("Base technique commune respectée", "", P),
        ("Catégorie respectée", "", P),
        ("Modules fonctionnels", "", P),
        ("Sécurité validée", "", P),
        ("Performance conforme", "", P),
        ("WooCommerce fonctionnel", "Seulement si le module WooCommerce est dans le périmètre.", P, "woocommerce"),
        ("Maintenance prête à être activée", "", P),
        ("Liste des points connus rédigée", "Les anomalies ouvertes connues, si besoin.", P),
    ]),
    "delivery": ("Livraison client", [
        ("Site présenté au client", "", A),
        ("Retours client recueillis (dans le périmètre)", "Toute demande hors cadre = devis.", A),
        ("Corrections incluses réalisées", "", A),
    ]),
    "go_live": ("Mise en production", [
        ("Déployé en production", "", P),
        ("Site accessible", "", P),
        ("HTTPS OK", "", P),
        ("Fonctionnalités clés OK", "", P),
        ("Monitoring actif", "", P),
        ("Maintenance activée", "", P),
        ("Sauvegarde initiale effectuée", "", P),
    ]),
    "follow_up": ("Post-livraison (J+7)", [
        ("Stabilité vérifiée", "", P),
        ("Anomalies mineures corrigées", "", P),
        ("Validation technique finale", "", P),
    ]),
}


def install(apps, schema_editor):
    ChecklistTemplate = apps.get_model("checklists", "ChecklistTemplate")
    TemplateItem = apps.get_model("checklists", "TemplateItem")
    Module = apps.get_model("projects", "Module")
    for stage, (title, items) in CHECKLISTS.items():
        template, created = ChecklistTemplate.objects.get_or_create(stage=stage, defaults={"title": title})
        if not created:
            continue
        for position, (label, help_text, responsible, *module) in enumerate(items, start=1):
            TemplateItem.objects.create(
                template=template,
                position=position,
                label=label,
                help_text=help_text,
                responsible=responsible,
                required=True,
                only_module=Module.objects.filter(code=module[0]).first() if module else None,
            )


class Migration(migrations.Migration):
    dependencies = [
        ("checklists", "0003_initial"),
        ("projects", "0002_default_policies_and_modules"),
    ]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
