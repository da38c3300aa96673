"""Routes of the catalogue, the coverage table and the partner map (included under /partenaires/)."""

from django.urls import path

from . import views_catalogue as views

urlpatterns = [
    path("catalogue/", views.catalogue, name="catalogue"),
    path("catalogue/carte.json", views.catalogue_map_json, name="catalogue_map_json"),
    path("carte/", views.partner_map, name="partner_map"),
    path("carte/organisations.json", views.partner_map_json, name="partner_map_json"),
    path("reseau/", views.network, name="network"),
    path("couverture/", views.coverage, name="coverage"),
    path("couverture/<str:qpv>/<str:categorie>/", views.coverage_cell, name="coverage_cell"),
    path("annuaire.<str:fmt>", views.directory_export, name="directory_export"),
]
