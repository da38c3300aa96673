"""Routes of beneficiaries, their follow-up, barriers, timeline and outcomes (under /suivi/).

Every route with ``<int:pk>`` names a beneficiary and answers 404 to anyone who is not an active
member of that person's follow-up (tests/followup/test_personal_data.py checks each one). The
import routes name an import job (``<int:job_pk>``), seen only by the professional who made it.
"""

from django.urls import path

from . import views, views_import

B = "beneficiaires/<int:pk>/"

urlpatterns = [
    path("", views.beneficiary_list, name="beneficiaries"),
    path("beneficiaires/nouveau/", views.beneficiary_create, name="beneficiary_create"),
    path(B, views.beneficiary_detail, name="beneficiary"),
    path(B + "modifier/", views.beneficiary_edit, name="beneficiary_edit"),
    path(B + "situation/", views.fact_create, name="fact_create"),
    path(B + "situation/<int:fact_pk>/fin/", views.fact_end, name="fact_end"),
    path(B + "consentement/", views.consent_create, name="consent_create"),
    path(B + "consentement/retrait/", views.consent_withdraw, name="consent_withdraw"),
    path(B + "consentement/<int:consent_pk>/formulaire/", views.consent_document, name="consent_document"),
    path(B + "membres/inviter/", views.member_invite, name="member_invite"),
    path(B + "membres/referent/", views.referent_transfer, name="referent_transfer"),
    path(B + "membres/<int:member_pk>/fin/", views.member_end, name="member_end"),
    path(B + "cloture/", views.follow_up_close, name="follow_up_close"),
    path(B + "reouverture/", views.follow_up_reopen, name="follow_up_reopen"),
    path(B + "freins/nouveau/", views.barrier_create, name="barrier_create"),
    path(B + "freins/<int:barrier_pk>/", views.barrier_status, name="barrier_status"),
    path(B + "projet/", views.project_edit, name="project_edit"),
    path(B + "parcours/", views.timeline, name="timeline"),
    path(B + "parcours/nouveau/", views.entry_create, name="entry_create"),
    path(B + "sorties/nouvelle/", views.outcome_create, name="outcome_create"),
    path(B + "export.json", views.export_json, name="export_json"),
    path(B + "export.pdf", views.export_pdf, name="export_pdf"),
    path(B + "effacement/", views.erase, name="erase"),
    path("demandes/", views.join_requests, name="join_requests"),
    path("demandes/nouvelle/", views.join_request_create, name="join_request_create"),
    path("demandes/<int:pk>/reponse/", views.join_request_answer, name="join_request_answer"),
    path("metiers/", views.rome_search, name="rome_search"),
    path("journal/", views.audit_log, name="audit_log"),
    path("import/", views_import.import_start, name="import_start"),
    path("import/<int:job_pk>/", views_import.import_job, name="import_job"),
    path("import/<int:job_pk>/colonnes/", views_import.import_mapping, name="import_mapping"),
    path("import/<int:job_pk>/confirmer/", views_import.import_confirm, name="import_confirm"),
    path("import/<int:job_pk>/abandonner/", views_import.import_cancel, name="import_cancel"),
]
