from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from config.health import health

from delivery.views import home as delivery_home

admin.site.site_header = "Jalon — administration"
admin.site.site_title = "Jalon"

urlpatterns = [
    path("connexion/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("sante/", health, name="health"),
    path("", delivery_home, name="home"),
    path("", include("delivery.urls")),
    path("", include("delivery.recette.urls")),
    path("", include("delivery.portal.urls")),
    path("", include("communications.urls")),
    path("", include("delivery.golive.urls")),
    path("", include("projects.urls")),
]
# MEDIA_ROOT holds evidence (PV versions, certificates, archived emails): it is never
# served as plain files, even in DEBUG; each download goes through a view that checks access.
