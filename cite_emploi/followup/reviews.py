"""Cohorts and case reviews (instances de coordination): every write, one function per use case.

- A **cohort** is a named group with an entry and an exit date: the national programme works
  « en logique de cohorte ». The coordination creates and edits cohorts; members of a follow-up put
  the people they follow in (and take them out) while the cohort is open.
- A **case review** follows the PRIJ « cellule opérationnelle » of Mont-Mesly: a dated meeting of
  partner organisations, an agenda of people (``CaseReviewItem``), and for each a decision, who
  carries it out and by when. A professional puts on the agenda only someone whose follow-up they
  belong to, and only if every participating organisation may share the record (consent); each
  participant reads only the lines of the follow-ups they belong to (``queries_reviews.agenda``).

Each function runs in a transaction, checks who acts, audits, and writes to the person's timeline
where it concerns a person. Errors a user can cause are ``FollowUpError`` with a French message.
"""

from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from cite_emploi.accounts.models import Membership
from cite_emploi.core import audit

from . import services
from .access import PROFESSIONAL_ROLES
from .models import CaseReview, CaseReviewItem, Cohort, FollowUp, TimelineEvent
from .services import ConsentRequired, FollowUpError

# --- who may act --------------------------------------------------------------------------------


def _memberships(user, territory):
    if not getattr(user, "is_authenticated", False):
        return Membership.objects.none()
    return Membership.objects.active().filter(
        user=user, user__is_active=True, organisation__territory=territory
    )


def is_coordinator(user, territory) -> bool:
    return _memberships(user, territory).filter(role="coordinator").exists()


def _require_coordinator(user, territory) -> None:
    if not is_coordinator(user, territory):
        raise FollowUpError(
            "Seule la coordination de la Cité de l'emploi peut créer ou modifier une cohorte."
        )


def _require_member(follow_up: FollowUp, user):
    member = services.member_of(follow_up, user)
    if member is None:
        raise FollowUpError("Seuls les membres du suivi de cette personne peuvent faire cette action.")
    return member


def participant_organisation_ids(review: CaseReview, user) -> set[int]:
    """The participating organisations in which ``user`` works as a professional."""
    return set(
        _memberships(user, review.territory_id)
        .filter(role__in=PROFESSIONAL_ROLES, organisation__in=review.organisations.all())
        .values_list("organisation_id", flat=True)
    )


def can_edit_review(review: CaseReview, user) -> bool:
    return (
        review.created_by_id is not None and review.created_by_id == getattr(user, "pk", None)
    ) or is_coordinator(user, review.territory_id)


def _require_participant(review: CaseReview, user) -> None:
    if not participant_organisation_ids(review, user):
        raise FollowUpError(
            "Seuls les professionnels des organisations participantes peuvent modifier l'ordre du jour."
        )


# --- cohorts ------------------------------------------------------------------------------------


def _check_dates(entry_on: date, exit_on: date | None) -> None:
    if exit_on is not None and exit_on < entry_on:
        raise FollowUpError("La date de sortie de la cohorte ne peut pas précéder sa date d'entrée.")


def _save_cohort(cohort: Cohort) -> Cohort:
    try:
        with transaction.atomic():
            cohort.save()
    except IntegrityError as error:
        raise FollowUpError(f"Une cohorte s'appelle déjà « {cohort.name} » sur ce territoire.") from error
    return cohort


@transaction.atomic
def create_cohort(
    territory, *, by, name: str, entry_on: date, exit_on: date | None = None, request=None
) -> Cohort:
    _require_coordinator(by, territory)
    _check_dates(entry_on, exit_on)
    cohort = _save_cohort(Cohort(territory=territory, name=name.strip(), entry_on=entry_on, exit_on=exit_on))
    audit.record("create", actor=by, obj=cohort, territory_id=cohort.territory_id, request=request)
    return cohort


@transaction.atomic
def update_cohort(
    cohort: Cohort, *, by, name: str, entry_on: date, exit_on: date | None = None, request=None
) -> Cohort:
    _require_coordinator(by, cohort.territory)
    _check_dates(entry_on, exit_on)
    cohort.name, cohort.entry_on, cohort.exit_on = name.strip(), entry_on, exit_on
    _save_cohort(cohort)
    audit.record("update", actor=by, obj=cohort, territory_id=cohort.territory_id, request=request)
    return cohort


def is_closed(cohort: Cohort, today: date | None = None) -> bool:
    return cohort.exit_on is not None and cohort.exit_on < (today or timezone.localdate())


def _cohort_dates(cohort: Cohort) -> str:
    text = f"entrée le {cohort.entry_on:%d/%m/%Y}"
    return text + (f", sortie le {cohort.exit_on:%d/%m/%Y}" if cohort.exit_on else "")


@transaction.atomic
def add_to_cohort(cohort: Cohort, follow_up: FollowUp, *, by, request=None) -> None:
    """A member of the follow-up puts the person in an open cohort of their territory."""
    member = _require_member(follow_up, by)
    beneficiary = follow_up.beneficiary
    if beneficiary.territory_id != cohort.territory_id:
        raise FollowUpError("Cette cohorte n'appartient pas au territoire de la personne.")
    if is_closed(cohort):
        raise FollowUpError("Cette cohorte est close : on ne peut plus y faire entrer personne.")
    if cohort.follow_ups.filter(pk=follow_up.pk).exists():
        raise FollowUpError("Cette personne fait déjà partie de la cohorte.")
    cohort.follow_ups.add(follow_up)
    services.add_timeline_event(
        follow_up,
        TimelineEvent.Kind.NOTE,
        author=by,
        organisation=member.organisation,
        text=f"Entre dans la cohorte « {cohort.name} » ({_cohort_dates(cohort)}).",
    )
    services.audit_beneficiary(
        "update", beneficiary, by=by, what="cohorte", request=request, cohort=cohort.pk
    )


@transaction.atomic
def remove_from_cohort(cohort: Cohort, follow_up: FollowUp, *, by, request=None) -> None:
    member = _require_member(follow_up, by)
    if not cohort.follow_ups.filter(pk=follow_up.pk).exists():
        raise FollowUpError("Cette personne ne fait pas partie de la cohorte.")
    cohort.follow_ups.remove(follow_up)
    services.add_timeline_event(
        follow_up,
        TimelineEvent.Kind.NOTE,
        author=by,
        organisation=member.organisation,
        text=f"Retirée de la cohorte « {cohort.name} ».",
    )
    services.audit_beneficiary(
        "update", follow_up.beneficiary, by=by, what="cohorte (retrait)", request=request, cohort=cohort.pk
    )


# --- case reviews -------------------------------------------------------------------------------


def _acting_organisation_ids(user, territory) -> list[int]:
    return list(
        _memberships(user, territory)
        .filter(role__in=PROFESSIONAL_ROLES)
        .order_by("organisation__name", "pk")
        .values_list("organisation_id", flat=True)
    )


def _check_organisations(territory, organisations) -> list:
    organisations = list(organisations)
    if not organisations:
        raise FollowUpError("Choisissez au moins une organisation participante.")
    if any(o.territory_id != territory.pk for o in organisations):
        raise FollowUpError("Les organisations participantes doivent appartenir au territoire.")
    return organisations


@transaction.atomic
def create_review(territory, *, by, title: str, held_on: date, organisations, request=None) -> CaseReview:
    """A professional of the territory convenes a case review; their organisation takes part."""
    mine = _acting_organisation_ids(by, territory)
    if not mine:
        raise FollowUpError(
            "Seuls les professionnels du territoire peuvent réunir une instance de coordination."
        )
    organisations = _check_organisations(territory, organisations)
    review = CaseReview.objects.create(
        territory=territory, title=title.strip(), held_on=held_on, created_by=by
    )
    ids = {o.pk for o in organisations}
    if not ids.intersection(mine):
        ids.add(mine[0])
    review.organisations.set(ids)
    audit.record("create", actor=by, obj=review, territory_id=territory.pk, request=request)
    return review


@transaction.atomic
def update_review(
    review: CaseReview, *, by, title: str, held_on: date, organisations, request=None
) -> CaseReview:
    if not can_edit_review(review, by):
        raise FollowUpError(
            "Seules la personne qui a créé l'instance et la coordination peuvent la modifier."
        )
    organisations = _check_organisations(review.territory, organisations)
    review.title, review.held_on = title.strip(), held_on
    review.save(update_fields=["title", "held_on"])
    review.organisations.set(organisations)
    audit.record("update", actor=by, obj=review, territory_id=review.territory_id, request=request)
    return review


def _review_label(review: CaseReview) -> str:
    return f"l'instance « {review.title} » du {review.held_on:%d/%m/%Y}"


@transaction.atomic
def add_item(review: CaseReview, follow_up: FollowUp, *, by, request=None) -> CaseReviewItem:
    """Put a person on the agenda: the user belongs to their follow-up and to a participating organisation."""
    _require_participant(review, by)
    member = _require_member(follow_up, by)
    beneficiary = follow_up.beneficiary
    if beneficiary.territory_id != review.territory_id:
        raise FollowUpError("Cette personne n'appartient pas au territoire de l'instance.")
    outside = [o.name for o in review.organisations.all() if not services.can_share_with(beneficiary, o)]
    if outside:
        raise ConsentRequired(
            "Examiner la situation de cette personne avec "
            + ", ".join(f"« {name} »" for name in sorted(outside))
            + " demande son consentement : recueillez-le d'abord."
        )
    if review.items.filter(follow_up=follow_up).exists():
        raise FollowUpError("Cette personne est déjà à l'ordre du jour.")
    item = CaseReviewItem.objects.create(review=review, follow_up=follow_up)
    services.add_timeline_event(
        follow_up,
        TimelineEvent.Kind.CASE_REVIEW,
        author=by,
        organisation=member.organisation,
        text=f"Situation inscrite à l'ordre du jour de {_review_label(review)}.",
    )
    services.audit_beneficiary(
        "update",
        beneficiary,
        by=by,
        what="instance de coordination",
        request=request,
        review=review.pk,
        item=item.pk,
    )
    return item


@transaction.atomic
def record_decision(
    item: CaseReviewItem, *, by, decision: str, owner=None, due_on: date | None = None, request=None
) -> CaseReviewItem:
    """The decision taken for the person, who carries it out (a member of the follow-up) and by when."""
    review = item.review
    _require_participant(review, by)
    member = _require_member(item.follow_up, by)
    if owner is not None and services.member_of(item.follow_up, owner) is None:
        raise FollowUpError("La personne chargée de la décision doit être membre du suivi.")
    decision = decision.strip()
    if not decision and (owner is not None or due_on is not None):
        raise FollowUpError("Écrivez la décision avant de désigner qui la met en œuvre.")
    item.decision, item.owner, item.due_on = decision, owner, due_on
    item.save(update_fields=["decision", "owner", "due_on"])
    if decision:
        text = f"Décision de {_review_label(review)} : {decision}"
        if owner is not None:
            text += f" — mise en œuvre par {owner.get_full_name() or owner.email}"
        if due_on is not None:
            text += f", échéance le {due_on:%d/%m/%Y}"
        services.add_timeline_event(
            item.follow_up,
            TimelineEvent.Kind.CASE_REVIEW,
            author=by,
            organisation=member.organisation,
            text=text + ".",
        )
    services.audit_beneficiary(
        "update",
        item.follow_up.beneficiary,
        by=by,
        what="décision d'instance",
        request=request,
        review=review.pk,
        item=item.pk,
    )
    return item


@transaction.atomic
def remove_item(item: CaseReviewItem, *, by, request=None) -> None:
    review = item.review
    _require_participant(review, by)
    member = _require_member(item.follow_up, by)
    services.add_timeline_event(
        item.follow_up,
        TimelineEvent.Kind.CASE_REVIEW,
        author=by,
        organisation=member.organisation,
        text=f"Situation retirée de l'ordre du jour de {_review_label(review)}.",
    )
    services.audit_beneficiary(
        "update",
        item.follow_up.beneficiary,
        by=by,
        what="instance de coordination (retrait)",
        request=request,
        review=review.pk,
    )
    item.delete()
