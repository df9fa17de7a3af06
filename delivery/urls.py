from django.urls import path

from delivery import views

app_name = "delivery"

urlpatterns = [
    path("livraisons/<int:pk>/", views.delivery_detail, name="detail"),
    path("livraisons/<int:pk>/qualification/", views.qualification_edit, name="qualification"),
    path("livraisons/<int:pk>/transition/<slug:name>/", views.transition, name="transition"),
    path("livraisons/<int:pk>/exception-regle/", views.rule_waive, name="rule_waive"),
    path("livraisons/<int:pk>/planning/", views.planned_dates, name="planned_dates"),
    path("livraisons/<int:pk>/avenants/", views.change_request_create, name="change_request_create"),
    path("livraisons/<int:pk>/requalifier/", views.requalify, name="requalify"),
    path("livraisons/points/<int:item_pk>/cocher/", views.item_tick, name="item_tick"),
    path("livraisons/points/<int:item_pk>/exception/", views.item_waive, name="item_waive"),
    path("livraisons/avenants/<int:cr_pk>/decision/", views.change_request_decide, name="change_request_decide"),
    path("projets/<int:project_pk>/livraisons/nouvelle/", views.delivery_create, name="create"),
]
