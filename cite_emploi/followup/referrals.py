"""Referrals (orientations) to a service of the catalogue: every write, one function per transition.

The status machine (``TRANSITIONS``)::

    draft ──send──▶ sent ──accept──▶ accepted ──start──▶ started ──complete──▶ completed
                     │                  │                   │
                     ├──refuse──▶ refused                   │
                     ├──expire──▶ expired (daily task)      │
                                        └──────abandon──────┴──▶ abandoned

Who does what:

- a member of the follow-up creates the referral, sends it, or discards a draft; sending to a
  service of another organisation needs the person's active consent;
- the professionals (coordination or counsellors) of the receiving organisation accept, refuse
  (with a reason from ``Referral.RefusalReason``), start, complete or abandon it; on acceptance
  the professional who accepts may join the follow-up (``services.invite_member``);
- the platform reminds the receiving organisation after ``REFERRAL_REMINDER_DAYS`` (7) without an
  answer and expires the referral after ``REFERRAL_EXPIRY_DAYS`` (30).

Every change is a ``ReferralEvent`` (date, author, note), a line of the person's timeline and an
audit entry; each function runs in one transaction with the referral row locked, so two people
answering at once cannot both win. E-mails go out from background tasks after the commit and never
name the person (only the service, the organisations and a link).
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from cite_emploi.accounts.models import Membership

from . import services
from .access import PROFESSIONAL_ROLES
from .models import Barrier, FollowUp, Referral, ReferralEvent, TimelineEvent
from .services import ConsentRequired, FollowUpError, InvalidTransition

Status = Referral.Status
ACTIVE_STATUSES = (Status.DRAFT, Status.SENT, Status.ACCEPTED, Status.STARTED)
JOINED_REASON = "orientation acceptée"


class ReferralNotAllowed(FollowUpError):
    """The user is not on the side of the referral that may take this step."""


@dataclass(frozen=True)
class Transition:
    sources: tuple[str, ...]
    target: str
    refused: str  # the French message when the referral is in another status
    by_receiver: bool  # True: the receiving organisation acts; False: a member of the follow-up


TRANSITIONS = {
    "send": Transition(
        (Status.DRAFT,), Status.SENT, "Seule une orientation en brouillon peut être envoyée.", False
    ),
    "accept": Transition(
        (Status.SENT,),
        Status.ACCEPTED,
        "Seule une orientation en attente de réponse peut être acceptée.",
        True,
    ),
    "refuse": Transition(
        (Status.SENT,), Status.REFUSED, "Seule une orientation en attente de réponse peut être refusée.", True
    ),
    "expire": Transition(
        (Status.SENT,), Status.EXPIRED, "Seule une orientation en attente de réponse peut expirer.", True
    ),
    "start": Transition(
        (Status.ACCEPTED,),
        Status.STARTED,
        "Seule une orientation acceptée peut être marquée comme commencée.",
        True,
    ),
    "complete": Transition(
        (Status.STARTED,),
        Status.COMPLETED,
        "Seule une orientation commencée peut être marquée comme terminée.",
        True,
    ),
    "abandon": Transition(
        (Status.ACCEPTED, Status.STARTED),
        Status.ABANDONED,
        "Seule une orientation acceptée ou commencée peut être abandonnée.",
        True,
    ),
}


def reminder_days() -> int:
    return int(getattr(settings, "REFERRAL_REMINDER_DAYS", 7))


def expiry_days() -> int:
    return int(getattr(settings, "REFERRAL_EXPIRY_DAYS", 30))


# --- who may act --------------------------------------------------------------------------------


def receives(user, organisation) -> bool:
    """Is ``user`` an active professional (coordination or counsellor) of ``organisation``?"""
    if not getattr(user, "is_authenticated", False) or organisation is None:
        return False
    return (
        Membership.objects.active()
        .filter(user=user, user__is_active=True, organisation=organisation, role__in=PROFESSIONAL_ROLES)
        .exists()
    )


def allowed_actions(referral: Referral, user) -> set[str]:
    """The transitions ``user`` may take now (pages show these buttons only)."""
    actions = set()
    sender_side = services.member_of(referral.follow_up, user) is not None
    receiver_side = receives(user, referral.receiving_organisation)
    for name, transition in TRANSITIONS.items():
        if name == "expire" or referral.status not in transition.sources:
            continue
        if receiver_side if transition.by_receiver else sender_side:
            actions.add(name)
    if sender_side and referral.status == Status.DRAFT:
        actions.add("delete")
    return actions


def _require_sender_side(follow_up: FollowUp, user):
    member = services.member_of(follow_up, user)
    if member is None:
        raise ReferralNotAllowed("Seuls les membres du suivi de cette personne peuvent l'orienter.")
    return member


def _require_receiver_side(referral: Referral, user) -> None:
    if not receives(user, referral.receiving_organisation):
        raise ReferralNotAllowed(
            f"Seuls les professionnels de « {referral.receiving_organisation.name} » peuvent répondre "
            "à cette orientation et la faire avancer."
        )


def _require_consent(follow_up: FollowUp, sender_organisation, receiving_organisation) -> None:
    if receiving_organisation.pk == sender_organisation.pk:
        return
    if not services.has_active_consent(follow_up.beneficiary):
        raise ConsentRequired(
            f"Orienter vers « {receiving_organisation.name} » partage des informations sur la personne avec "
            "une autre organisation : recueillez d'abord son consentement."
        )


def _require_open(follow_up: FollowUp) -> None:
    if follow_up.status != FollowUp.Status.OPEN:
        raise FollowUpError("Le suivi de cette personne est clos : rouvrez-le d'abord pour l'orienter.")


def _lock(referral: Referral, name: str) -> Referral:
    """Re-read the referral under a row lock and check the transition is possible from its status."""
    locked = (
        Referral.objects.select_for_update(of=("self",))
        .select_related(
            "follow_up__beneficiary", "service", "sender", "sender_organisation", "receiving_organisation"
        )
        .get(pk=referral.pk)
    )
    if locked.status not in TRANSITIONS[name].sources:
        raise InvalidTransition(TRANSITIONS[name].refused)
    return locked


# --- history, timeline, audit -------------------------------------------------------------------


def describe(referral: Referral) -> str:
    return f"« {referral.service.name} » ({referral.receiving_organisation.name})"


def _record(
    referral: Referral,
    *,
    by,
    organisation,
    text: str,
    note: str = "",
    at: datetime | None = None,
    request=None,
    action: str = "update",
) -> ReferralEvent:
    """The three traces of a change: the referral's history, the person's timeline, the audit log."""
    author = by if getattr(by, "is_authenticated", False) else None
    event = ReferralEvent.objects.create(
        referral=referral, status=referral.status, author=author, note=note[:500], at=at or timezone.now()
    )
    services.add_timeline_event(
        referral.follow_up,
        TimelineEvent.Kind.REFERRAL,
        author=author,
        organisation=organisation,
        text=text + (f" — {note}" if note else ""),
        at=event.at,
    )
    services.audit_beneficiary(
        action,
        referral.follow_up.beneficiary,
        by=author,
        what="orientation",
        request=request,
        referral=referral.pk,
        status=referral.status,
    )
    return event


def _after_commit(task_name: str, *args) -> None:
    """Enqueue a notification task once the transaction has committed (never for a rolled-back change)."""

    def enqueue():
        from . import tasks_referrals

        getattr(tasks_referrals, task_name).enqueue(*args)

    transaction.on_commit(enqueue)


# --- the sender's side --------------------------------------------------------------------------


@transaction.atomic
def create_referral(
    follow_up: FollowUp,
    service,
    *,
    by,
    message: str = "",
    barrier: Barrier | None = None,
    send: bool = False,
    request=None,
) -> Referral:
    """A member of the follow-up orients the person to ``service``: a draft, sent at once when ``send``."""
    member = _require_sender_side(follow_up, by)
    _require_open(follow_up)
    beneficiary = follow_up.beneficiary
    if beneficiary.anonymised_at is not None:
        raise FollowUpError("Cette personne a été anonymisée : elle ne peut plus être orientée.")
    receiving = service.organisation
    if receiving.territory_id != beneficiary.territory_id:
        raise FollowUpError("Ce service n'appartient pas au territoire de la personne.")
    if barrier is not None and barrier.follow_up_id != follow_up.pk:
        raise FollowUpError("Ce frein n'appartient pas au suivi de cette personne.")
    if follow_up.referrals.filter(service=service, status__in=ACTIVE_STATUSES).exists():
        raise FollowUpError(
            "Une orientation vers ce service est déjà en cours pour cette personne : ouvrez-la plutôt "
            "que d'en créer une seconde."
        )
    if send:
        _require_consent(follow_up, member.organisation, receiving)
    referral = Referral.objects.create(
        follow_up=follow_up,
        service=service,
        barrier=barrier,
        sender=by,
        sender_organisation=member.organisation,
        receiving_organisation=receiving,
        message=message.strip(),
    )
    if send:
        ReferralEvent.objects.create(referral=referral, status=Status.DRAFT, author=by)
        services.audit_beneficiary(
            "create", beneficiary, by=by, what="orientation", request=request, referral=referral.pk
        )
        return send_referral(referral, by=by, request=request)
    _record(
        referral,
        by=by,
        organisation=member.organisation,
        text=f"Orientation vers {describe(referral)} préparée (brouillon)",
        request=request,
        action="create",
    )
    return referral


@transaction.atomic
def send_referral(referral: Referral, *, by, request=None) -> Referral:
    """Send a draft to the receiving organisation, whose professionals are told by e-mail."""
    referral = _lock(referral, "send")
    member = _require_sender_side(referral.follow_up, by)
    _require_open(referral.follow_up)
    _require_consent(referral.follow_up, referral.sender_organisation, referral.receiving_organisation)
    referral.status, referral.sent_at = Status.SENT, timezone.now()
    # The member who sends it becomes the sender: answers go to them.
    referral.sender, referral.sender_organisation = by, member.organisation
    referral.save(update_fields=["status", "sent_at", "sender", "sender_organisation"])
    _record(
        referral,
        by=by,
        organisation=member.organisation,
        text=f"Orientation envoyée vers {describe(referral)}",
        at=referral.sent_at,
        request=request,
    )
    _after_commit("notify_referral_sent", referral.pk)
    return referral


@transaction.atomic
def delete_draft(referral: Referral, *, by, request=None) -> None:
    """A draft that will not be sent is discarded (a sent referral stays in the history)."""
    referral = (
        Referral.objects.select_for_update(of=("self",))
        .select_related("follow_up__beneficiary")
        .get(pk=referral.pk)
    )
    if referral.status != Status.DRAFT:
        raise InvalidTransition("Seule une orientation en brouillon peut être supprimée.")
    _require_sender_side(referral.follow_up, by)
    services.audit_beneficiary(
        "delete",
        referral.follow_up.beneficiary,
        by=by,
        what="orientation",
        request=request,
        referral=referral.pk,
    )
    referral.delete()


# --- the receiving organisation's side ------------------------------------------------------------


@transaction.atomic
def accept_referral(referral: Referral, *, by, join: bool = False, note: str = "", request=None) -> Referral:
    """The receiving organisation accepts; with ``join`` the professional who accepts joins the follow-up."""
    referral = _lock(referral, "accept")
    _require_receiver_side(referral, by)
    referral.status, referral.answered_at = Status.ACCEPTED, timezone.now()
    referral.save(update_fields=["status", "answered_at"])
    _record(
        referral,
        by=by,
        organisation=referral.receiving_organisation,
        text=f"Orientation vers {describe(referral)} acceptée",
        note=note.strip(),
        at=referral.answered_at,
        request=request,
    )
    if join and services.member_of(referral.follow_up, by) is None:
        services.invite_member(
            referral.follow_up,
            user=by,
            organisation=referral.receiving_organisation,
            by=by,
            reason=JOINED_REASON,
            notify=False,
            request=request,
        )
    _after_commit("notify_referral_answered", referral.pk)
    return referral


@transaction.atomic
def refuse_referral(referral: Referral, *, by, reason: str, note: str = "", request=None) -> Referral:
    """The receiving organisation declines, with a reason from the list (and a word when « autre »)."""
    referral = _lock(referral, "refuse")
    _require_receiver_side(referral, by)
    if reason not in Referral.RefusalReason.values:
        raise FollowUpError("Choisissez le motif du refus dans la liste.")
    note = note.strip()
    if reason == Referral.RefusalReason.OTHER and not note:
        raise FollowUpError("Précisez le motif du refus.")
    referral.status, referral.refusal_reason, referral.answered_at = Status.REFUSED, reason, timezone.now()
    referral.save(update_fields=["status", "refusal_reason", "answered_at"])
    _record(
        referral,
        by=by,
        organisation=referral.receiving_organisation,
        text=f"Orientation vers {describe(referral)} refusée : {Referral.RefusalReason(reason).label}",
        note=note,
        at=referral.answered_at,
        request=request,
    )
    _after_commit("notify_referral_answered", referral.pk)
    return referral


def _receiver_step(referral: Referral, name: str, *, by, note: str, text: str, request=None) -> Referral:
    referral = _lock(referral, name)
    _require_receiver_side(referral, by)
    referral.status = TRANSITIONS[name].target
    referral.save(update_fields=["status"])
    _record(
        referral,
        by=by,
        organisation=referral.receiving_organisation,
        text=text.format(service=describe(referral)),
        note=note.strip(),
        request=request,
    )
    return referral


@transaction.atomic
def start_referral(referral: Referral, *, by, note: str = "", request=None) -> Referral:
    """The person has begun the service (first session, entry in training…)."""
    return _receiver_step(
        referral, "start", by=by, note=note, text="Début de l'accompagnement {service}", request=request
    )


@transaction.atomic
def complete_referral(referral: Referral, *, by, note: str = "", request=None) -> Referral:
    """The person went through the service to its end."""
    return _receiver_step(
        referral, "complete", by=by, note=note, text="Accompagnement {service} terminé", request=request
    )


@transaction.atomic
def abandon_referral(referral: Referral, *, by, note: str = "", request=None) -> Referral:
    """The person stopped before the end (or never came)."""
    return _receiver_step(
        referral, "abandon", by=by, note=note, text="Accompagnement {service} abandonné", request=request
    )


# --- the platform's side: reminder and expiry -----------------------------------------------------


@transaction.atomic
def expire_referral(referral: Referral, *, now: datetime | None = None) -> Referral:
    """No answer within REFERRAL_EXPIRY_DAYS: the referral expires and its sender is told."""
    referral = _lock(referral, "expire")
    referral.status = Status.EXPIRED
    referral.save(update_fields=["status"])
    _record(
        referral,
        by=None,
        organisation=None,
        text=f"Orientation vers {describe(referral)} expirée, sans réponse après {expiry_days()} jours",
        at=now,
    )
    _after_commit("notify_referral_expired", referral.pk)
    return referral


def expire_overdue(now: datetime | None = None) -> int:
    """Daily: expire every referral sent more than REFERRAL_EXPIRY_DAYS ago and still unanswered."""
    from .queries_referrals import due_for_expiry

    expired = 0
    for pk in due_for_expiry(now).values_list("pk", flat=True):
        try:
            expire_referral(Referral(pk=pk), now=now)
        except InvalidTransition:  # answered in the meantime
            continue
        expired += 1
    return expired


def send_reminders(now: datetime | None = None) -> int:
    """Daily: remind the receiving organisations of referrals unanswered for REFERRAL_REMINDER_DAYS, once.

    One e-mail per organisation, listing its referrals waiting (service, sender, date sent; never the
    person). Returns the number of e-mails sent.
    """
    from .queries_referrals import due_for_reminder

    now = now or timezone.now()
    by_organisation: dict[int, list[Referral]] = {}
    for referral in due_for_reminder(now):
        by_organisation.setdefault(referral.receiving_organisation_id, []).append(referral)
    sent = 0
    for waiting in by_organisation.values():
        organisation = waiting[0].receiving_organisation
        sent += _mail(
            "followup/emails/referrals/reminder.txt",
            f"Orientations en attente de votre réponse — {organisation.name}",
            receiving_addresses(organisation),
            {
                "organisation": organisation,
                "referrals": waiting,
                "expiry_days": expiry_days(),
                "inbox_url": settings.SITE_URL + reverse("followup:inbox"),
            },
        )
        with transaction.atomic():
            Referral.objects.filter(pk__in=[r.pk for r in waiting], reminded_at__isnull=True).update(
                reminded_at=now
            )
            for referral in waiting:
                services.audit_beneficiary(
                    "update",
                    referral.follow_up.beneficiary,
                    by=None,
                    what="orientation relancée",
                    referral=referral.pk,
                )
    return sent


# --- e-mails (sent from the background tasks) ---------------------------------------------------


def receiving_addresses(organisation) -> list[str]:
    """The e-mail addresses of the organisation's active professionals."""
    return sorted(
        set(
            Membership.objects.active()
            .filter(organisation=organisation, role__in=PROFESSIONAL_ROLES, user__is_active=True)
            .exclude(user__email="")
            .values_list("user__email", flat=True)
        )
    )


def referral_url(referral: Referral) -> str:
    return settings.SITE_URL + reverse("followup:referral_detail", args=[referral.pk])


def _mail(template: str, subject: str, to: list[str], context: dict) -> int:
    recipients = [address for address in to if address]
    if not recipients:
        return 0
    body = render_to_string(template, {**context, "base_url": settings.SITE_URL})
    return send_mail(subject, body, None, recipients)


def mail_sent(referral: Referral) -> int:
    return _mail(
        "followup/emails/referrals/sent.txt",
        f"Nouvelle orientation vers « {referral.service.name} »",
        receiving_addresses(referral.receiving_organisation),
        {
            "referral": referral,
            "url": referral_url(referral),
            "reminder_days": reminder_days(),
            "expiry_days": expiry_days(),
        },
    )


def mail_answered(referral: Referral) -> int:
    accepted = referral.status != Status.REFUSED
    sender = referral.sender
    return _mail(
        "followup/emails/referrals/answered.txt",
        f"Orientation vers « {referral.service.name} » " + ("acceptée" if accepted else "refusée"),
        [sender.email] if sender.is_active else [],
        {"referral": referral, "accepted": accepted, "url": referral_url(referral)},
    )


def mail_expired(referral: Referral) -> int:
    sender = referral.sender
    return _mail(
        "followup/emails/referrals/expired.txt",
        f"Orientation vers « {referral.service.name} » expirée sans réponse",
        [sender.email] if sender.is_active else [],
        {
            "referral": referral,
            "expiry_days": expiry_days(),
            "url": referral_url(referral),
            "catalogue_url": settings.SITE_URL + reverse("partners:catalogue"),
        },
    )
