from django.apps import AppConfig


class RecetteConfig(AppConfig):
    name = "delivery.recette"
    label = "recette"
    verbose_name = "Recette et PV"
