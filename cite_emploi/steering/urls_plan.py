"""Routes of the action plan and its money, under /pilotage/ (namespace « steering », set by urls.py).

Every page is for the coordination, the elected members and the State's delegate; writing is for the
coordination. Objects of another territory answer 404; state changes (new version, adoption, closing,
milestone done, deletions) are POST only.
"""

from django.urls import path

from . import views_plan as views

urlpatterns = [
    path("plans/", views.plan_list, name="plans"),
    path("plans/nouveau/", views.plan_create, name="plan_create"),
    path("plans/<int:pk>/", views.plan_detail, name="plan"),
    path("plans/<int:pk>/modifier/", views.plan_edit, name="plan_edit"),
    path("plans/<int:pk>/nouvelle-version/", views.plan_new_version, name="plan_new_version"),
    path("plans/<int:pk>/adopter/", views.plan_adopt, name="plan_adopt"),
    path("plans/<int:pk>/clore/", views.plan_close, name="plan_close"),
    path("plans/<int:pk>/actions/nouvelle/", views.action_create, name="action_create"),
    path("plans/<int:pk>/budget/", views.budget_page, name="budget"),
    path("plans/<int:pk>/budget.csv", views.budget_csv, name="budget_csv"),
    path("actions/<int:pk>/", views.action_detail, name="action"),
    path("actions/<int:pk>/modifier/", views.action_edit, name="action_edit"),
    path("actions/<int:pk>/etapes/nouvelle/", views.milestone_create, name="milestone_create"),
    path("etapes/<int:pk>/realisee/", views.milestone_done, name="milestone_done"),
    path("actions/<int:pk>/budget/", views.budget_line_create, name="budget_line_create"),
    path("lignes-budgetaires/<int:pk>/supprimer/", views.budget_line_delete, name="budget_line_delete"),
    path("actions/<int:pk>/depenses/nouvelle/", views.expense_create, name="expense_create"),
    path("depenses/<int:pk>/supprimer/", views.expense_delete, name="expense_delete"),
    path("depenses/<int:pk>/justificatif", views.expense_document, name="expense_document"),
    path("financements/", views.funding_list, name="fundings"),
    path("financements/nouveau/", views.funding_create, name="funding_create"),
    path("financements/<int:pk>/", views.funding_detail, name="funding"),
    path("financements/<int:pk>/modifier/", views.funding_edit, name="funding_edit"),
]
