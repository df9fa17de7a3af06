from django.urls import path

from communications import views

app_name = "communications"

urlpatterns = [
    path("communications/guide-de-ton/", views.tone_check, name="tone_check"),
]
