from django.urls import path

from delivery.recette import views

app_name = "recette"

P = "livraisons/<int:pk>/recette/"

urlpatterns = [
    path(P, views.tab, name="tab"),
    path(P + "cas/nouveau/", views.case_create, name="case_create"),
    path(P + "cas/<int:case_id>/", views.case_edit, name="case_edit"),
    path(P + "cas/<int:case_id>/supprimer/", views.case_delete, name="case_delete"),
    path(P + "cas/import/", views.case_import, name="case_import"),
    path(P + "cas/copier/", views.case_copy, name="case_copy"),
    path(P + "campagnes/nouvelle/", views.run_create, name="run_create"),
    path(P + "campagnes/<int:run_id>/", views.run_detail, name="run"),
    path(P + "campagnes/<int:run_id>/cas/<int:case_id>/", views.result_set, name="result_set"),
    path(P + "anomalies/nouvelle/", views.anomaly_create, name="anomaly_create"),
    path(P + "anomalies/<int:anomaly_id>/", views.anomaly_edit, name="anomaly_edit"),
    path(P + "anomalies/<int:anomaly_id>/statut/", views.anomaly_status, name="anomaly_status"),
    path(P + "pv/", views.pv_preview, name="pv"),
    path(P + "pv/generer/", views.pv_generate, name="pv_generate"),
    path(P + "pv/v<int:number>.pdf", views.pv_download, name="pv_download"),
    path(P + "cycles/exception/", views.cycle_waive, name="cycle_waive"),
]
