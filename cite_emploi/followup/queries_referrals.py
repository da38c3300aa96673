"""Reads of referrals (orientations): the inbox, the referral page, lists, and the answer time.

Who reads a referral (docs/adr/0004-referral-inbox.md):

- the members of the person's follow-up, in every status (``access.visible_follow_ups``);
- the professionals of the receiving organisation, and this is the one exception to the membership
  rule: a referral addressed to an organisation is the consented sharing with it. They read it
  while it is sent, accepted or started, and only the minimum (name, age group, commune, message,
  the service and the sender), as long as the person has not been anonymised and, when the
  referral crosses organisations, consent has not been withdrawn. Drafts and closed referrals
  (refused, expired, completed, abandoned) are theirs no more: if they joined the follow-up on
  acceptance, they read them as members.

The answer time (sent → accepted or refused) is an aggregate, under statistical secrecy.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.shortcuts import get_object_or_404
from django.utils import timezone

from cite_emploi.core.secrecy import Figure, hide_small, protect, secrecy_threshold
from cite_emploi.partners.models import Organisation

from . import access, queries
from .models import Consent, FollowUp, Referral
from .referrals import expiry_days, reminder_days

Status = Referral.Status
RECEIVER_STATUSES = (Status.SENT, Status.ACCEPTED, Status.STARTED)
IN_PROGRESS = (Status.ACCEPTED, Status.STARTED)


def _with_relations(qs: QuerySet[Referral]) -> QuerySet[Referral]:
    return qs.select_related(
        "service",
        "sender",
        "sender_organisation",
        "receiving_organisation",
        "barrier",
        "follow_up__beneficiary__commune",
    )


def shared_with_receiver() -> Q:
    """Referrals their receiving organisation may read (see the module's docstring)."""
    consent = Consent.objects.filter(
        beneficiary_id=OuterRef("follow_up__beneficiary_id"), withdrawn_on__isnull=True
    )
    return Q(status__in=RECEIVER_STATUSES, follow_up__beneficiary__anonymised_at__isnull=True) & (
        Q(receiving_organisation_id=F("sender_organisation_id")) | Q(Exists(consent))
    )


def receiving_organisations(scope) -> list[Organisation]:
    """The organisations whose inbox the user reads: those they work in as a professional."""
    return queries.acting_organisations(scope)


def received(scope, organisation: Organisation | None = None) -> QuerySet[Referral]:
    ids = [o.pk for o in receiving_organisations(scope)]
    if organisation is not None:
        ids = [pk for pk in ids if pk == organisation.pk]
    if scope.territory is None or not ids:
        return Referral.objects.none()
    return _with_relations(
        Referral.objects.filter(
            shared_with_receiver(),
            receiving_organisation_id__in=ids,
            follow_up__beneficiary__territory=scope.territory,
        )
    )


@dataclass
class Inbox:
    pending: QuerySet[Referral]  # sent, waiting for an answer: oldest first
    in_progress: QuerySet[Referral]  # accepted or started: latest answer first


def inbox(scope, organisation: Organisation | None = None) -> Inbox:
    qs = received(scope, organisation)
    return Inbox(
        pending=qs.filter(status=Status.SENT).order_by("sent_at", "pk"),
        in_progress=qs.filter(status__in=IN_PROGRESS).order_by("-answered_at", "-pk"),
    )


def pending_count(scope) -> int:
    """The number of referrals waiting for an answer in the user's organisations (navigation badge)."""
    return received(scope).filter(status=Status.SENT).count()


def visible_referrals(scope) -> QuerySet[Referral]:
    if scope.territory is None or not scope.has_role(*access.PROFESSIONAL_ROLES):
        return Referral.objects.none()
    receiving = [o.pk for o in receiving_organisations(scope)]
    as_receiver = Q(receiving_organisation_id__in=receiving) & shared_with_receiver()
    as_member = Q(follow_up__in=access.visible_follow_ups(scope))
    return _with_relations(
        Referral.objects.filter(as_member | as_receiver, follow_up__beneficiary__territory=scope.territory)
    )


def get_referral(scope, pk: int) -> Referral:
    """A referral the user may read, or 404 (never a 403 that would confirm it exists)."""
    return get_object_or_404(visible_referrals(scope), pk=pk)


def for_follow_up(follow_up: FollowUp) -> QuerySet[Referral]:
    """Every referral of a follow-up, latest first (for its members: the caller checked membership).

    With what the person's page shows only: through ``_with_relations`` each row carried the
    person again with their commune's outline, a JSON document parsed once per referral.
    """
    return (
        follow_up.referrals.select_related("service", "sender", "receiving_organisation")
        .only(
            "follow_up_id",  # the related manager reads it on every row
            "status",
            "refusal_reason",
            "sent_at",
            "service__name",
            "receiving_organisation__name",
            "sender__first_name",
            "sender__last_name",
            "sender__email",
        )
        .order_by("-created_at", "-pk")
    )


def of_my_follow_ups(scope, status: str = "") -> QuerySet[Referral]:
    """Referrals of the people the user follows, whoever sent them; latest first."""
    qs = _with_relations(
        Referral.objects.filter(
            follow_up__in=access.visible_follow_ups(scope), follow_up__beneficiary__territory=scope.territory
        )
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-pk")


def history(referral: Referral):
    return referral.events.select_related("author").order_by("at", "pk")


# --- daily tasks --------------------------------------------------------------------------------


def due_for_reminder(now: datetime | None = None) -> QuerySet[Referral]:
    """Sent, unanswered for REFERRAL_REMINDER_DAYS, never reminded, and not yet due to expire."""
    now = now or timezone.now()
    return _with_relations(
        Referral.objects.filter(
            status=Status.SENT,
            reminded_at__isnull=True,
            sent_at__lte=now - timedelta(days=reminder_days()),
            sent_at__gt=now - timedelta(days=expiry_days()),
        )
    ).order_by("receiving_organisation_id", "sent_at", "pk")


def due_for_expiry(now: datetime | None = None) -> QuerySet[Referral]:
    now = now or timezone.now()
    return Referral.objects.filter(
        status=Status.SENT, sent_at__lte=now - timedelta(days=expiry_days())
    ).order_by("sent_at", "pk")


# --- answer time (an aggregate, under statistical secrecy) ---------------------------------------


def duration_label(value: timedelta | None) -> str:
    """« moins d'une heure », « 5 h », « 2,5 jours » (French decimal comma)."""
    if value is None:
        return "—"
    hours = value.total_seconds() / 3600
    if hours < 1:
        return "moins d'une heure"
    if hours < 48:
        return f"{round(hours)} h"
    days = f"{hours / 24:.1f}".replace(".", ",").removesuffix(",0")
    return f"{days} jours"


@dataclass(frozen=True)
class AnswerTime:
    """How long answers took: ``count`` referrals answered, their ``median`` delay.

    ``hidden`` is true below the secrecy threshold (and for a second row when hiding only one would
    let it be derived from the total): pages then show « secret » and no median.
    """

    count: int
    median: timedelta | None
    hidden: bool = False

    @property
    def count_label(self) -> str:
        return "secret" if self.hidden else str(self.count)

    @property
    def median_label(self) -> str:
        return "non diffusé" if self.hidden else duration_label(self.median)

    @property
    def median_days(self) -> float | None:
        if self.hidden or self.median is None:
            return None
        return round(self.median.total_seconds() / 86400, 2)


def _answered(territory, period: tuple[date, date] | None = None, organisation=None) -> QuerySet[Referral]:
    """Referrals of ``territory`` that got an answer, sent within ``period`` (first and last day, inclusive)."""
    qs = Referral.objects.filter(
        follow_up__beneficiary__territory=territory, sent_at__isnull=False, answered_at__isnull=False
    )
    if period is not None:
        start, end = period
        if start is not None:
            qs = qs.filter(sent_at__date__gte=start)
        if end is not None:
            qs = qs.filter(sent_at__date__lte=end)
    if organisation is not None:
        qs = qs.filter(receiving_organisation=organisation)
    return qs


def _medians(qs: QuerySet[Referral], group: str | None = None) -> dict:
    """{group value (None overall): (count, median delay)}, in one query whatever the number of rows.

    Each group's delays are numbered in order with a window function; only the middle one (odd
    count) or two (even count) come back: 2·rank ∈ [n, n + 2]. The same SQL runs on SQLite and
    PostgreSQL.
    """
    partition = [F(group)] if group else None
    ranked = qs.annotate(
        delay=F("answered_at") - F("sent_at"),
    ).annotate(
        rank=Window(RowNumber(), partition_by=partition, order_by=[F("delay").asc(), F("pk").asc()]),
        n=Window(Count("pk"), partition_by=partition),
    )
    middle = ranked.filter(rank__gte=F("n") / 2.0, rank__lte=F("n") / 2.0 + 1)
    found: dict = {}
    for *key, delay, n in middle.values_list(*([group] if group else []), "delay", "n"):
        found.setdefault(key[0] if key else None, (n, []))[1].append(delay)
    return {key: (n, sum(delays, timedelta()) / len(delays)) for key, (n, delays) in found.items()}


def median_answer_time(territory, period: tuple[date, date] | None = None, organisation=None) -> AnswerTime:
    """The median delay between sending a referral and its answer (acceptance or refusal).

    Over the referrals of ``territory`` sent within ``period`` (first and last day, inclusive; None:
    all) and, when given, addressed to ``organisation``. Referrals that expired without an answer do
    not count. ``hidden`` when fewer than SECRECY_THRESHOLD referrals were answered.
    """
    count, median = _medians(_answered(territory, period, organisation)).get(None, (0, None))
    return AnswerTime(count=count, median=median, hidden=count < secrecy_threshold())


@dataclass(frozen=True)
class OrganisationAnswerTime:
    organisation: Organisation
    answer_time: AnswerTime


def answer_times_by_organisation(
    territory, period: tuple[date, date] | None = None
) -> list[OrganisationAnswerTime]:
    """The median answer time of each receiving organisation, by name, under statistical secrecy.

    When exactly one organisation falls under the threshold, the next smallest is hidden too, so
    that no count can be derived from the total by difference (``core.secrecy.protect``).
    """
    medians = _medians(_answered(territory, period), "receiving_organisation_id")
    organisations = (
        Organisation.objects.in_territory(territory).filter(pk__in=list(medians)).order_by("name", "pk")
    )
    counts = {org.pk: Figure(medians[org.pk][0]) for org in organisations}
    # The organisations' counts add up to the territory's: one group for secondary suppression.
    hide_small([*counts.values()])
    protect([(Figure(sum(f.value for f in counts.values())), list(counts.values()))])
    rows = [
        OrganisationAnswerTime(org, AnswerTime(*medians[org.pk], hidden=counts[org.pk].hidden))
        for org in organisations
    ]
    return rows
