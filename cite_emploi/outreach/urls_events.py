"""Routes of recruitment events (opérations de recrutement), under /aller-vers/operations/.

An event, registration or candidate the user may not read answers 404; confirming, declining and
joining are POST only. The registration page, its thanks page and the ROME suggestions are public.
"""

from django.urls import path

from . import views_events as views

E = "<int:pk>/"
C = E + "candidats/<int:candidate_pk>/"

urlpatterns = [
    path("", views.event_list, name="events"),
    path("nouvelle/", views.event_create, name="event_create"),
    path("resultats/", views.event_results, name="event_results"),
    path("resultats.csv", views.event_results_export, name="event_results_export"),
    path("metiers/", views.event_rome_search, name="event_rome_search"),
    path("inscription-envoyee/", views.event_register_done, name="event_register_done"),
    path(E, views.event_detail, name="event"),
    path(E + "modifier/", views.event_edit, name="event_edit"),
    path(E + "inscription/", views.event_register, name="event_register"),
    path(E + "participer/", views.event_join, name="event_join"),
    path(
        E + "employeurs/<int:employer_pk>/confirmer/",
        views.event_employer_confirm,
        name="event_employer_confirm",
    ),
    path(
        E + "employeurs/<int:employer_pk>/refuser/",
        views.event_employer_decline,
        name="event_employer_decline",
    ),
    path(E + "offres/nouvelle/", views.event_offer_add, name="event_offer_add"),
    path(E + "candidats/inviter/", views.event_invite, name="event_invite"),
    path(C, views.event_candidate, name="event_candidate"),
    path(C + "entretien/", views.event_interview, name="event_interview"),
]
