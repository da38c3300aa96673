"""Template helpers of referrals, cohorts and case reviews."""

from django import template

from .. import queries_referrals, queries_reviews
from ..models import Referral

register = template.Library()

BADGES = {
    Referral.Status.DRAFT: "",
    Referral.Status.SENT: "fr-badge--info",
    Referral.Status.ACCEPTED: "fr-badge--success",
    Referral.Status.REFUSED: "fr-badge--error",
    Referral.Status.EXPIRED: "fr-badge--warning",
    Referral.Status.STARTED: "fr-badge--new",
    Referral.Status.COMPLETED: "fr-badge--success",
    Referral.Status.ABANDONED: "fr-badge--warning",
}


@register.inclusion_tag("followup/referrals/_status_badge.html")
def referral_status(referral):
    return {"css": BADGES.get(referral.status, ""), "label": referral.get_status_display()}


@register.simple_tag
def follow_up_panel(follow_up):
    """What the person's page shows of referrals, cohorts and case reviews (its caller checked membership)."""
    return {
        "referrals": list(queries_referrals.for_follow_up(follow_up)),
        "cohorts": list(queries_reviews.cohorts_of(follow_up)),
        "review_items": list(queries_reviews.reviews_of(follow_up)),
    }
