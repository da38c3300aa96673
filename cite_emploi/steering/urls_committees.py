from django.urls import path

from . import views_committees as views

urlpatterns = [
    path("comites/", views.committee_list, name="committees"),
    path("comites/nouveau/", views.committee_create, name="committee_create"),
    path("comites/<int:pk>/", views.committee_detail, name="committee"),
    path("comites/<int:pk>/modifier/", views.committee_edit, name="committee_edit"),
    path("comites/<int:pk>/reunions/nouvelle/", views.meeting_create, name="meeting_create"),
    path("comites/<int:pk>/dossier.pdf", views.committee_pack, name="committee_pack"),
    path("reunions/<int:pk>/", views.meeting_detail, name="meeting"),
    path("reunions/<int:pk>/modifier/", views.meeting_edit, name="meeting_edit"),
    path("reunions/<int:pk>/decisions/nouvelle/", views.decision_create, name="decision_create"),
    path("reunions/<int:pk>/dossier/", views.meeting_pack_preview, name="meeting_pack_preview"),
    path("reunions/<int:pk>/dossier.pdf", views.meeting_pack, name="meeting_pack"),
    path("decisions/", views.decision_list, name="decisions"),
    path("decisions.csv", views.decisions_csv, name="decisions_csv"),
    path("decisions/<int:pk>/modifier/", views.decision_edit, name="decision_edit"),
]
