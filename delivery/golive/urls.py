from django.urls import path

from delivery.golive import views

app_name = "golive"

urlpatterns = [
    path("livraisons/<int:pk>/mise-en-ligne/", views.golive_tab, name="tab"),
    path("livraisons/<int:pk>/mise-en-ligne/verifier/", views.probe_rerun, name="probe"),
    path("livraisons/<int:pk>/mise-en-ligne/deploiement/", views.rollout_create, name="rollout_create"),
    path("livraisons/<int:pk>/mise-en-ligne/deploiement/<str:action>/", views.rollout_action, name="rollout_action"),
    path("livraisons/<int:pk>/mise-en-ligne/reglages/", views.rollout_settings_edit, name="settings"),
]
