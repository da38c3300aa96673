from django.urls import path

from . import views_dashboards as views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("communes/<str:code>/", views.commune_dashboard, name="commune_dashboard"),
    path("actions/<int:pk>/tableau-de-bord/", views.action_dashboard, name="action_dashboard"),
    path("actions/<int:pk>/objectifs/nouveau/", views.target_create, name="target_create"),
    path("objectifs/<int:pk>/modifier/", views.target_edit, name="target_edit"),
    path("objectifs/<int:pk>/supprimer/", views.target_delete, name="target_delete"),
    path("objectifs/<int:pk>/releve/", views.target_reading, name="target_reading"),
    path("rapport-trimestriel/", views.quarterly_page, name="quarterly"),
    path("rapport-trimestriel.xlsx", views.quarterly_xlsx, name="quarterly_xlsx"),
    path("rapport-trimestriel.pdf", views.quarterly_pdf, name="quarterly_pdf"),
]
