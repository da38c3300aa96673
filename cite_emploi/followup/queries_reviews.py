"""Reads of cohorts and case reviews. Names come only from ``access``: a person appears by name only
to the members of their follow-up; everyone else sees a count or « situation n° N — non visible ».
"""

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404

from cite_emploi.core.secrecy import secrecy_threshold

from . import access
from .models import Beneficiary, CaseReview, CaseReviewItem, Cohort, FollowUp, FollowUpMember


def _professional(scope) -> bool:
    return scope.territory is not None and (
        scope.is_platform_admin or scope.has_role(*access.PROFESSIONAL_ROLES)
    )


# --- cohorts ------------------------------------------------------------------------------------


def cohorts(scope) -> QuerySet[Cohort]:
    """The cohorts of the territory (names and dates are not personal data), with their size."""
    if not _professional(scope):
        return Cohort.objects.none()
    mine = access.visible_follow_ups(scope).values("pk")
    return (
        Cohort.objects.filter(territory=scope.territory)
        .annotate(
            size=Count("follow_ups", distinct=True),
            mine=Count("follow_ups", filter=Q(follow_ups__in=mine), distinct=True),
        )
        .order_by("-entry_on", "name")
    )


def get_cohort(scope, pk: int) -> Cohort:
    return get_object_or_404(cohorts(scope), pk=pk)


def size_label(count: int) -> str:
    """A head count under statistical secrecy: « < 5 » below the threshold (zero is shown)."""
    threshold = secrecy_threshold()
    return f"< {threshold}" if 0 < count < threshold else str(count)


def cohort_beneficiaries(cohort: Cohort, scope) -> QuerySet[Beneficiary]:
    """The people of the cohort the user follows (the others are only counted)."""
    return (
        access.visible_beneficiaries(scope)
        .filter(follow_up__cohorts=cohort)
        .select_related("commune", "qpv", "follow_up")
        .order_by("last_name", "first_name", "pk")
    )


def addable_beneficiaries(scope, *, cohort: Cohort | None = None, review: CaseReview | None = None):
    """The people the user follows (open follow-ups) not yet in the cohort or on the agenda."""
    qs = access.visible_beneficiaries(scope).filter(follow_up__status=FollowUp.Status.OPEN)
    if cohort is not None:
        qs = qs.exclude(follow_up__cohorts=cohort)
    if review is not None:
        qs = qs.exclude(follow_up__review_items__review=review)
    return qs.order_by("last_name", "first_name", "pk")


def cohorts_of(follow_up: FollowUp) -> QuerySet[Cohort]:
    """The cohorts a person belongs to (for their page; the caller checked membership)."""
    return follow_up.cohorts.order_by("-entry_on", "name")


# --- case reviews -------------------------------------------------------------------------------


def reviews(scope) -> QuerySet[CaseReview]:
    """Case reviews the user may open: their organisation takes part, they convened it, or they coordinate."""
    if not _professional(scope):
        return CaseReview.objects.none()
    qs = CaseReview.objects.filter(territory=scope.territory)
    if not (scope.is_platform_admin or scope.has_role("coordinator")):
        organisations = [m.organisation_id for m in scope.memberships if m.role in access.PROFESSIONAL_ROLES]
        qs = qs.filter(Q(organisations__in=organisations) | Q(created_by=scope.user)).distinct()
    return qs.annotate(item_count=Count("items", distinct=True)).order_by("-held_on", "-pk")


def get_review(scope, pk: int) -> CaseReview:
    return get_object_or_404(reviews(scope).select_related("created_by"), pk=pk)


def participants(review: CaseReview):
    return review.organisations.order_by("name")


@dataclass
class AgendaLine:
    number: int  # position on the agenda, from 1
    item: CaseReviewItem
    visible: bool  # the user belongs to this person's follow-up

    @property
    def label(self) -> str:
        if self.visible:
            return str(self.item.follow_up.beneficiary)
        return f"situation n° {self.number} — non visible"


def agenda(review: CaseReview, scope) -> list[AgendaLine]:
    """The agenda in the order the situations were added; names and decisions only where the user is a member."""
    mine = FollowUpMember.objects.filter(
        follow_up=OuterRef("follow_up"), user=scope.user, ended_on__isnull=True
    )
    items = (
        review.items.annotate(visible=Exists(mine))
        .select_related("follow_up__beneficiary__commune", "owner")
        .order_by("pk")
    )
    lines = []
    for number, item in enumerate(items, 1):
        visible = bool(item.visible) and item.follow_up.beneficiary.anonymised_at is None
        lines.append(AgendaLine(number, item, visible))
    return lines


def get_item(review: CaseReview, scope, pk: int) -> CaseReviewItem:
    """An agenda line the user may act on (member of that follow-up), or 404."""
    return get_object_or_404(
        review.items.filter(follow_up__in=access.visible_follow_ups(scope)).select_related(
            "follow_up__beneficiary", "owner", "review"
        ),
        pk=pk,
    )


def item_owners(item: CaseReviewItem) -> QuerySet[FollowUpMember]:
    """Who may carry out a decision: the active members of the person's follow-up."""
    return (
        item.follow_up.members.filter(ended_on__isnull=True)
        .select_related("user", "organisation")
        .order_by("user__last_name", "user__first_name", "pk")
    )


def reviews_of(follow_up: FollowUp) -> QuerySet[CaseReviewItem]:
    """The case reviews a person was examined in, latest first (the caller checked membership)."""
    return follow_up.review_items.select_related("review", "owner").order_by("-review__held_on", "-pk")
