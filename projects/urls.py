from django.urls import path

from projects import views

app_name = "projects"

urlpatterns = [
    path("clients/", views.client_list, name="client_list"),
    path("clients/nouveau/", views.client_create, name="client_create"),
    path("clients/<int:pk>/", views.client_detail, name="client_detail"),
    path("projets/", views.project_list, name="project_list"),
    path("projets/nouveau/", views.project_create, name="project_create"),
    path("projets/<int:pk>/", views.project_detail, name="project_detail"),
    path("projets/<int:pk>/modifier/", views.project_edit, name="project_edit"),
]
