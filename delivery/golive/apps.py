from django.apps import AppConfig


class GoLiveConfig(AppConfig):
    name = "delivery.golive"
    label = "golive"
    verbose_name = "Mise en ligne, J+7 et déploiement progressif"
