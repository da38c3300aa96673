"""Template helpers of referrals, cohorts and case reviews."""

from django import template

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
