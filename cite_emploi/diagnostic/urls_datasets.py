"""Routes of imported statistics, under /diagnostic/donnees/ (namespace « diagnostic », set by urls.py).

Reading is for the coordination, elected members and funders; importing, the error report, the file
templates and deletion for the coordination. A dataset of another territory answers 404; deletion
writes on POST only (GET shows the confirmation).
"""

from django.urls import path, re_path

from . import views_datasets as views

urlpatterns = [
    path("donnees/", views.dataset_list, name="datasets"),
    path("donnees/importer/", views.dataset_import, name="dataset_import"),
    path("donnees/importer/erreurs.csv", views.dataset_import_errors, name="dataset_import_errors"),
    re_path(r"^donnees/modele\.(?P<fmt>csv|xlsx)$", views.dataset_template, name="dataset_template"),
    path("donnees/<int:pk>/", views.dataset_detail, name="dataset"),
    path("donnees/<int:pk>/supprimer/", views.dataset_delete, name="dataset_delete"),
]
