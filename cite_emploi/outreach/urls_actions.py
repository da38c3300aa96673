from django.urls import path

from . import views

urlpatterns = [
    path("", views.actions, name="actions"),
    path("calendrier/", views.calendar_view, name="calendar"),
    path("carte/", views.map_view, name="map"),
    path("resultats/", views.results, name="results"),
    path("resultats.csv", views.results_export, name="results_export"),
    path("actions/nouvelle/", views.action_create, name="action_create"),
    path("actions/<int:pk>/", views.action, name="action"),
    path("actions/<int:pk>/modifier/", views.action_edit, name="action_edit"),
    path("actions/<int:pk>/bilan/", views.action_report, name="action_report"),
    path("actions/<int:pk>/supprimer/", views.action_delete, name="action_delete"),
    path("actions/<int:pk>/origines/ajouter/", views.action_origin_add, name="action_origin_add"),
    path(
        "actions/<int:pk>/origines/<int:origin_pk>/retirer/",
        views.action_origin_remove,
        name="action_origin_remove",
    ),
    path(
        "actions/origine-du-suivi/<int:beneficiary_pk>/",
        views.action_origin_for_person,
        name="action_origin_for_person",
    ),
    path("permanences/nouvelle/", views.series_create, name="series_create"),
    path("permanences/<int:pk>/", views.series, name="series"),
    path("permanences/<int:pk>/modifier/", views.series_edit, name="series_edit"),
]
