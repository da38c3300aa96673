"""Routes of the CV library (under /cvtheque/). Profiles and offers are named by their reference
(CV-…, OF-…), never by a database id or anything of the person; actions that write are POST only.
"""

from django.urls import path

from . import views

app_name = "talent"

P = "profils/<str:reference>/"
O = "offres/<str:reference>/"  # noqa: E741
C = "mises-en-relation/<int:pk>/"

urlpatterns = [
    path("", views.home, name="home"),
    path("recherche/", views.search_view, name="search"),
    path("metiers/", views.offer_rome_search, name="offer_rome_search"),
    path("profils/nouveau/", views.profile_create, name="profile_create"),
    path(P, views.profile, name="profile"),
    path(P + "modifier/", views.profile_edit, name="profile_edit"),
    path(P + "publier/", views.profile_publish, name="profile_publish"),
    path(P + "suspendre/", views.profile_suspend, name="profile_suspend"),
    path(P + "retrait-de-l-accord/", views.profile_consent_withdraw, name="profile_consent_withdraw"),
    path(P + "nouvel-accord/", views.profile_consent_renew, name="profile_consent_renew"),
    path(P + "cv.pdf", views.profile_cv, name="profile_cv"),
    path(P + "mise-en-relation/", views.contact_create, name="contact_create"),
    path("offres/", views.offer_list, name="offers"),
    path("offres/nouvelle/", views.offer_create, name="offer_create"),
    path(O, views.offer_detail, name="offer"),
    path(O + "modifier/", views.offer_edit, name="offer_edit"),
    path(O + "cloture/", views.offer_close, name="offer_close"),
    path("mises-en-relation/", views.contact_list, name="contact_requests"),
    path(C + "reponse/", views.contact_answer, name="contact_answer"),
    path(C + "retrait/", views.contact_withdraw, name="contact_withdraw"),
]
