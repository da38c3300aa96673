"""Routes of referrals (orientations), the inbox, cohorts and case reviews (under /suivi/).

A referral, cohort or case review the user may not read answers 404; the actions are POST only.
"""

from django.urls import path

from . import views_referrals as views

R = "orientations/<int:pk>/"
C = "cohortes/<int:pk>/"
I = "instances/<int:pk>/"  # noqa: E741

urlpatterns = [
    path("orientations/", views.referral_list, name="referral_list"),
    path("orientations/recues/", views.inbox, name="inbox"),
    path("orientations/nouvelle/", views.referral_create, name="referral_create"),
    path("orientations/delais/", views.referral_stats, name="referral_stats"),
    path(R, views.referral_detail, name="referral_detail"),
    path(R + "envoyer/", views.referral_send, name="referral_send"),
    path(R + "supprimer/", views.referral_delete, name="referral_delete"),
    path(R + "accepter/", views.referral_accept, name="referral_accept"),
    path(R + "refuser/", views.referral_refuse, name="referral_refuse"),
    path(R + "commencer/", views.referral_start, name="referral_start"),
    path(R + "terminer/", views.referral_complete, name="referral_complete"),
    path(R + "abandonner/", views.referral_abandon, name="referral_abandon"),
    path("cohortes/", views.cohort_list, name="cohort_list"),
    path("cohortes/nouvelle/", views.cohort_create, name="cohort_create"),
    path(C, views.cohort_detail, name="cohort_detail"),
    path(C + "modifier/", views.cohort_edit, name="cohort_edit"),
    path(C + "ajouter/", views.cohort_add, name="cohort_add"),
    path(C + "retirer/<int:beneficiary_pk>/", views.cohort_remove, name="cohort_remove"),
    path("instances/", views.review_list, name="review_list"),
    path("instances/nouvelle/", views.review_create, name="review_create"),
    path(I, views.review_detail, name="review_detail"),
    path(I + "modifier/", views.review_edit, name="review_edit"),
    path(I + "compte-rendu.pdf", views.review_minutes, name="review_minutes"),
    path(I + "situations/ajouter/", views.review_item_add, name="review_item_add"),
    path(I + "situations/<int:item_pk>/", views.review_item, name="review_item"),
    path(I + "situations/<int:item_pk>/retirer/", views.review_item_remove, name="review_item_remove"),
]
