from django.urls import path

from delivery import views

app_name = "delivery"

urlpatterns = [
    path("livraisons/<int:pk>/", views.delivery_detail, name="detail"),
    path("livraisons/<int:pk>/qualification/", views.qualification_edit, name="qualification"),
]
