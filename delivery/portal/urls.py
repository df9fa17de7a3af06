from django.urls import path

from delivery.portal import views

app_name = "portal"

urlpatterns = [
    # Client side: the token is the credential (no account).
    path("portail/<str:token>/", views.portal_page, name="page"),
    path("portail/<str:token>/pv.pdf", views.portal_pv, name="pv"),
    path("portail/<str:token>/<str:what>.pdf", views.portal_document, name="document"),
    # PM side.
    path("livraisons/<int:pk>/validation-client/", views.validation_tab, name="tab"),
    path(
        "livraisons/<int:pk>/validation-client/demande/<int:contact_id>/", views.request_compose, name="request_compose"
    ),
    path("livraisons/<int:pk>/validation-client/annonce/", views.announcement_compose, name="announcement_compose"),
    path("livraisons/<int:pk>/validation-client/liens/<int:link_id>/revoquer/", views.link_revoke, name="link_revoke"),
    path("livraisons/<int:pk>/documents/<int:document_id>/", views.document_download, name="document_download"),
]
