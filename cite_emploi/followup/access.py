"""Who may see a beneficiary: the one rule, used by every page, export and API route.

- A professional sees the beneficiaries whose follow-up they are an active member of.
- Before consent is recorded, a follow-up can only have members of the creating organisation,
  so the record stays inside it; once consent is withdrawn, members of other organisations are
  ended (``services.withdraw_consent``).
- Coordinators are no exception: they see names only where they are members. Elected officials,
  funders and employers never see a beneficiary.
Anything outside this scope is a 404, never a 403 that would confirm it exists.
"""

from django.shortcuts import get_object_or_404

from .models import Beneficiary, FollowUp, FollowUpMember

PROFESSIONAL_ROLES = ("coordinator", "counsellor")


def active_membership(user):
    return FollowUpMember.objects.filter(user=user, ended_on__isnull=True)


# « follow-up id IN (the user's follow-ups) » rather than a correlated EXISTS: the same rows, but both
# engines then start from the user's memberships (covering index user, ended_on, follow_up) instead of
# testing every person of the territory — on SQLite the EXISTS form scanned all 200,000 people of the
# benchmark (bench/followup.py).


def visible_follow_ups(scope):
    if scope.territory is None or not scope.has_role(*PROFESSIONAL_ROLES):
        return FollowUp.objects.none()
    mine = active_membership(scope.user).values("follow_up_id")
    return FollowUp.objects.filter(pk__in=mine, beneficiary__territory=scope.territory)


def visible_beneficiaries(scope):
    if scope.territory is None or not scope.has_role(*PROFESSIONAL_ROLES):
        return Beneficiary.objects.none()
    mine = active_membership(scope.user).values("follow_up_id")
    return Beneficiary.objects.filter(
        follow_up__in=mine, territory=scope.territory, anonymised_at__isnull=True
    )


def get_beneficiary(scope, pk: int, *, follow_up_related=(), follow_up_deferred=()) -> Beneficiary:
    """The person ``pk`` if the user may see them; ``follow_up_related`` are more relations of their
    follow-up to read in the same query (what the person's page panels show, ``core.person_panels``)."""
    return get_object_or_404(
        visible_beneficiaries(scope)
        .select_related("follow_up", "commune", "qpv", *(f"follow_up__{path}" for path in follow_up_related))
        # Outlines: large, never shown on a person's pages.
        .defer("commune__geometry", "qpv__geometry", *(f"follow_up__{path}" for path in follow_up_deferred)),
        pk=pk,
    )


def has_active_consent(beneficiary: Beneficiary) -> bool:
    return beneficiary.consents.filter(withdrawn_on__isnull=True).exists()
