from django.urls import path

from . import views

app_name = "territory"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("perimetre.geojson", views.perimeter_geojson, name="perimeter_geojson"),
    path("verifier-une-adresse/", views.check_address, name="check_address"),
]
