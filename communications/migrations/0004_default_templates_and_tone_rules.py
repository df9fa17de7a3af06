"""Default email templates (seed 004) and the tone guide's rules (R20).

Rows already present (edited in the admin) are left as they are.
"""

from django.db import migrations


def install(apps, schema_editor):
    from communications.defaults import TEMPLATES
    from communications.tone import DEFAULT_RULES

    EmailTemplate = apps.get_model("communications", "EmailTemplate")
    ToneRule = apps.get_model("communications", "ToneRule")
    for row in TEMPLATES:
        EmailTemplate.objects.get_or_create(key=row["key"], defaults={k: v for k, v in row.items() if k != "key"})
    for rule in DEFAULT_RULES:
        ToneRule.objects.get_or_create(
            label=rule.label,
            defaults={"variants": "\n".join(rule.variants), "suggestion": rule.suggestion, "explanation": rule.explanation},
        )


class Migration(migrations.Migration):
    dependencies = [("communications", "0003_tonerule_outboundmessage_archive_pdf_and_more")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
