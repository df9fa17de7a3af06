"""The default email templates (seed 004), installed by a data migration and then
edited in the admin. Client templates follow the tone guide (a test checks it)."""

from __future__ import annotations

HELLO = "Bonjour{% if contact %} {{ contact.name }}{% endif %},"
HELLO_HTML = "<p>Bonjour{% if contact %} {{ contact.name }}{% endif %},</p>"
SIGN = "Bien à vous,\n{{ pm.name }}"
SIGN_HTML = "<p>Bien à vous,<br>{{ pm.name }}</p>"
P = '<p style="margin:0 0 1em">'

TEMPLATES: list[dict] = [
    {
        "key": "validation_request",
        "name": "Demande de validation pour mise en production",
        "client_facing": True,
        "variables": "project, delivery, contact, portal_url, preprod_url, statement, expires_at, pm",
        "subject": "{{ project.name }} : votre validation pour la mise en production",
        "body_text": f"""{HELLO}

Le site {{{{ project.name }}}} est prêt en préproduction : {{{{ preprod_url }}}}

Pour pouvoir mettre en ligne le site, merci de me donner votre validation sur votre page personnelle :
{{{{ portal_url }}}}

Vous y trouverez le PV de recette et la phrase suivante, à confirmer en saisissant votre nom :

« {{{{ statement }}}} »

Si vous avez encore des retours, vous pouvez aussi me les transmettre depuis cette page.

Une fois cette validation reçue, nous programmerons la mise en production dès que possible.

Ce lien vous est personnel et reste valable jusqu'au {{{{ expires_at|date:"d/m/Y" }}}}.

{SIGN}""",
        "body_html": f"""{HELLO_HTML}
{P}Le site {{{{ project.name }}}} est prêt en préproduction : <a href="{{{{ preprod_url }}}}">{{{{ preprod_url }}}}</a></p>
{P}Pour pouvoir mettre en ligne le site, merci de me donner votre validation sur votre page personnelle :<br><a href="{{{{ portal_url }}}}">{{{{ portal_url }}}}</a></p>
{P}Vous y trouverez le PV de recette et la phrase suivante, à confirmer en saisissant votre nom :</p>
<blockquote style="margin:0 0 1em;padding:.5em 1em;border-left:3px solid #1d6b44">« {{{{ statement }}}} »</blockquote>
{P}Si vous avez encore des retours, vous pouvez aussi me les transmettre depuis cette page.</p>
{P}Une fois cette validation reçue, nous programmerons la mise en production dès que possible.</p>
{P}Ce lien vous est personnel et reste valable jusqu'au {{{{ expires_at|date:"d/m/Y" }}}}.</p>
{SIGN_HTML}""",
    },
    {
        "key": "validation_received_client",
        "name": "Validation reçue (au client)",
        "client_facing": True,
        "variables": "project, delivery, contact, validation, pm",
        "subject": "{{ project.name }} : {% if validation.is_validated %}votre validation est bien reçue{% else %}vos retours sont bien reçus{% endif %}",
        "body_text": f"""{HELLO}

{{% if validation.is_validated %}}Merci pour votre validation du PV de recette v{{{{ validation.pv_number }}}}, enregistrée le {{{{ validation.signed_at|date:"d/m/Y à H:i" }}}} au nom de {{{{ validation.signer_name }}}}.

Nous programmons la mise en production à la date la plus proche et la plus adéquate, et je reviens vers vous dès que le site est en ligne.{{% else %}}Merci pour vos retours sur le PV de recette v{{{{ validation.pv_number }}}}, reçus le {{{{ validation.signed_at|date:"d/m/Y à H:i" }}}}.

Je comprends tout à fait vos attentes et je reviens vers vous rapidement avec la suite.{{% endif %}}

{SIGN}""",
        "body_html": f"""{HELLO_HTML}
{{% if validation.is_validated %}}{P}Merci pour votre validation du PV de recette v{{{{ validation.pv_number }}}}, enregistrée le {{{{ validation.signed_at|date:"d/m/Y à H:i" }}}} au nom de {{{{ validation.signer_name }}}}.</p>
{P}Nous programmons la mise en production à la date la plus proche et la plus adéquate, et je reviens vers vous dès que le site est en ligne.</p>{{% else %}}{P}Merci pour vos retours sur le PV de recette v{{{{ validation.pv_number }}}}, reçus le {{{{ validation.signed_at|date:"d/m/Y à H:i" }}}}.</p>
{P}Je comprends tout à fait vos attentes et je reviens vers vous rapidement avec la suite.</p>{{% endif %}}
{SIGN_HTML}""",
    },
    {
        "key": "validation_received_pm",
        "name": "Réponse du client reçue (au chef de projet)",
        "client_facing": False,
        "variables": "project, delivery, validation, delivery_url, cap_reached, blockers",
        "subject": "[{{ project.name }}] {% if validation.is_validated %}Validation client reçue{% else %}Retours client reçus{% endif %} — {{ delivery.title }}",
        "body_text": """{% if validation.signer_name %}{{ validation.signer_name }}{% else %}Le client{% endif %} a répondu sur le portail client le {{ validation.signed_at|date:"d/m/Y à H:i" }} : {{ validation.decision_label|lower }} du PV de recette v{{ validation.pv_number }}.
{% if validation.comment %}
Retours du client :
{{ validation.comment }}
{% endif %}{% if cap_reached %}
Le plafond de cycles de retours est atteint (R6) : aucun nouveau cycle n'a été ouvert. Décidez d'un avenant ou devis, ou documentez une exception.
{% for b in blockers %}- {{ b }}
{% endfor %}{% endif %}
Livraison : {{ delivery_url }}""",
        "body_html": "",
    },
    {
        "key": "go_live_announcement",
        "name": "Annonce de mise en production",
        "client_facing": True,
        "variables": "project, delivery, contact, site_url, backoffice_url, has_maintenance, pm",
        "subject": "{{ project.name }} : le nouveau site est en ligne",
        "body_text": f"""{HELLO}

Félicitations ! Le nouveau site est en ligne :
{{{{ site_url }}}}

L'accès au back-office est ici :
{{{{ backoffice_url }}}}
Vous conservez les mêmes identifiants que sur la préproduction.

Les redirections et les derniers réglages sont en place. Dans les prochains jours, le robot de Google va passer indexer les nouvelles pages.
{{% if has_maintenance %}}
La maintenance technique s'active à partir d'aujourd'hui.
{{% endif %}}
Si vous avez la moindre question, je reste disponible.

{SIGN}""",
        "body_html": f"""{HELLO_HTML}
{P}<strong>Félicitations !</strong> Le nouveau site est en ligne :<br><a href="{{{{ site_url }}}}">{{{{ site_url }}}}</a></p>
{P}L'accès au back-office est ici :<br><a href="{{{{ backoffice_url }}}}">{{{{ backoffice_url }}}}</a><br>Vous conservez les mêmes identifiants que sur la préproduction.</p>
{P}Les redirections et les derniers réglages sont en place. Dans les prochains jours, le robot de Google va passer indexer les nouvelles pages.</p>
{{% if has_maintenance %}}{P}La maintenance technique s'active à partir d'aujourd'hui.</p>{{% endif %}}
{P}Si vous avez la moindre question, je reste disponible.</p>
{SIGN_HTML}""",
    },
    {
        "key": "follow_up_reminder",
        "name": "Suivi J+7 à faire (rappel)",
        "client_facing": False,
        "variables": "project, delivery, due_at, delivery_url",
        "subject": "[{{ project.name }}] Suivi J+7 à faire — {{ delivery.title }}",
        "body_text": """Le suivi post-livraison (J+7) de « {{ delivery.title }} » est à faire depuis le {{ due_at|date:"d/m/Y à H:i" }} : stabilité vérifiée, anomalies mineures corrigées, validation technique finale (R12).

Livraison : {{ delivery_url }}""",
        "body_html": "",
    },
    {
        "key": "follow_up_escalation",
        "name": "Suivi J+7 en retard (escalade)",
        "client_facing": False,
        "variables": "project, delivery, due_at, delivery_url",
        "subject": "[{{ project.name }}] Suivi J+7 en retard — {{ delivery.title }}",
        "body_text": """Le suivi post-livraison (J+7) de « {{ delivery.title }} », attendu le {{ due_at|date:"d/m/Y à H:i" }}, n'est toujours pas fait. Le partenaire technique a reçu un rappel.

Livraison : {{ delivery_url }}""",
        "body_html": "",
    },
    {
        "key": "rollout_step_manual",
        "name": "Déploiement progressif : palier à appliquer (partenaire)",
        "client_facing": False,
        "variables": "project, delivery, percent, confirm_url",
        "subject": "[{{ project.name }}] Déploiement progressif : ouvrir {{ percent }} % du trafic",
        "body_text": """Merci d'ouvrir {{ percent }} % du trafic sur la nouvelle version de « {{ delivery.title }} », puis de le confirmer ici :
{{ confirm_url }}

La fenêtre d'observation du palier commence à votre confirmation.""",
        "body_html": "",
    },
    {
        "key": "rollout_halted",
        "name": "Déploiement progressif interrompu",
        "client_facing": False,
        "variables": "project, delivery, percent, reason, delivery_url",
        "subject": "[{{ project.name }}] Déploiement progressif interrompu à {{ percent }} %",
        "body_text": """Le déploiement progressif de « {{ delivery.title }} » est interrompu au palier de {{ percent }} %.

Motif : {{ reason }}

Décidez de la suite (reprise ou retour arrière) : {{ delivery_url }}""",
        "body_html": "",
    },
    {
        "key": "rollout_completed",
        "name": "Déploiement progressif terminé",
        "client_facing": False,
        "variables": "project, delivery, delivery_url",
        "subject": "[{{ project.name }}] Déploiement progressif terminé : 100 % du trafic",
        "body_text": """Le déploiement progressif de « {{ delivery.title }} » a atteint 100 % du trafic.

Livraison : {{ delivery_url }}""",
        "body_html": "",
    },
]
