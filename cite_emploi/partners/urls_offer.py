"""Routes of the import and export of the offer (data·inclusion, XLSX), under /partenaires/."""

from django.urls import path

from . import views_offer

urlpatterns = [
    path("offre/", views_offer.offer_io, name="offer_io"),
    path("offre/import/", views_offer.offer_import, name="offer_import"),
    path("offre/export/", views_offer.offer_export, name="offer_export"),
]
