"""Aller-vers: every write about outreach actions, their series and the follow-ups they started.

- An **action** (permanence, porte-à-porte, stand…) has a place — a QPV, a commune or a point on the
  map —, a date and a duration, the organisations and professionals present. Once held, its report
  records the people reached, counted without names by age group and sex (``ReachedCount``), the
  contacts left and a « bilan ».
- A **series** is a recurring permanence: its occurrences are ordinary actions, generated every
  ``every_weeks`` weeks between its first and last date. Changing the series regenerates only the
  occurrences still to come and still planned; what happened is never rewritten.
- An **origin** (``ActionOrigin``) says that a person's follow-up started from an action: a member
  of that follow-up records it, so « repérés → accompagnés » is counted from records.

Coordinators edit every action of their territory; counsellors edit those of their organisations
and those they created. Errors a user can cause are ``OutreachError`` with a French message.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from cite_emploi.accounts.models import Membership
from cite_emploi.followup import queries as followup_queries
from cite_emploi.followup import services as followup_services
from cite_emploi.followup.access import PROFESSIONAL_ROLES
from cite_emploi.followup.models import AgeGroup, FollowUp, Sex, TimelineEvent
from cite_emploi.partners.models import Organisation
from cite_emploi.territory.locator import in_france

from .models import ActionOrigin, OutreachAction, OutreachKind, OutreachSeries, ReachedCount

# A series longer than this is almost surely a typing error (three years of weekly permanences).
MAX_OCCURRENCES = 160
MAX_DURATION_MINUTES = 12 * 60
# The age groups and sexes of the report grid; "" is « non précisé ».
AGE_GROUPS = (*AgeGroup.values, "")
SEXES = (*Sex.values, "")


class OutreachError(Exception):
    """A rule of the aller-vers was not met; ``message`` is French and shown as is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- who may act --------------------------------------------------------------------------------


def _memberships(user, territory_id: int):
    if not getattr(user, "is_authenticated", False):
        return Membership.objects.none()
    return Membership.objects.active().filter(
        user=user, user__is_active=True, organisation__territory_id=territory_id, role__in=PROFESSIONAL_ROLES
    )


def can_create(user, territory) -> bool:
    return getattr(user, "is_superuser", False) or _memberships(user, territory.pk).exists()


def can_edit(obj: OutreachAction | OutreachSeries, user) -> bool:
    """Coordinators of the territory, the creator, and counsellors of an organisation present."""
    if getattr(user, "is_superuser", False):
        return True
    memberships = list(_memberships(user, obj.territory_id).values_list("role", "organisation_id"))
    if not memberships:
        return False
    if any(role == "coordinator" for role, _ in memberships):
        return True
    if obj.created_by_id is not None and obj.created_by_id == user.pk:
        return True
    mine = {organisation for _, organisation in memberships}
    return obj.organisations.filter(pk__in=mine).exists()


def _require_creator(user, territory) -> None:
    if not can_create(user, territory):
        raise OutreachError(
            "Seuls la coordination et les professionnels des structures du territoire enregistrent des actions."
        )


def _require_editor(obj, user) -> None:
    if not can_edit(obj, user):
        raise OutreachError(
            "Seuls la coordination, la personne qui l'a créée et les professionnels des structures "
            "présentes peuvent modifier cette action."
        )


# --- place, organisations, staff ------------------------------------------------------------------


@dataclass
class PlaceInput:
    qpv: object = None
    commune: object = None
    place_label: str = ""
    latitude: float | None = None
    longitude: float | None = None


def _resolve_place(territory, place: PlaceInput) -> PlaceInput:
    """Check the place belongs to the territory; a point without a quartier gets the one it falls in."""
    if (place.latitude is None) != (place.longitude is None):
        raise OutreachError("Indiquez la latitude et la longitude, ou aucune des deux.")
    has_point = place.latitude is not None
    if has_point and not in_france(place.longitude, place.latitude):
        raise OutreachError("Ce point n'est pas en France : vérifiez la latitude et la longitude.")
    if (
        place.qpv is not None
        and not followup_queries.perimeter_qpvs(territory).filter(pk=place.qpv.pk).exists()
    ):
        raise OutreachError("Ce quartier ne fait pas partie du périmètre de la Cité de l'emploi.")
    if (
        place.commune is not None
        and not followup_queries.territory_communes(territory).filter(pk=place.commune.pk).exists()
    ):
        raise OutreachError("Cette commune ne fait pas partie du territoire.")
    if place.qpv is None and place.commune is None and not has_point:
        raise OutreachError(
            "Indiquez où l'action a lieu : un quartier, une commune ou un point sur la carte."
        )
    resolved = PlaceInput(**vars(place))
    resolved.place_label = (place.place_label or "").strip()[:200]
    if has_point and place.qpv is None:
        location = followup_services.locate_at(territory, place.longitude, place.latitude)
        resolved.qpv = location.qpv if location.in_perimeter else None
        resolved.commune = place.commune or location.commune
    elif place.qpv is not None and place.commune is None:
        resolved.commune = followup_services.locate_by_hand(territory, place.qpv, None).commune
    return resolved


def _apply_place(obj, place: PlaceInput) -> None:
    obj.qpv, obj.commune, obj.place_label = place.qpv, place.commune, place.place_label
    obj.latitude, obj.longitude = place.latitude, place.longitude


def _check_organisations(territory, organisations) -> list[Organisation]:
    organisations = list(organisations or [])
    if not organisations:
        raise OutreachError("Indiquez au moins une structure présente.")
    if any(o.territory_id != territory.pk for o in organisations):
        raise OutreachError("Une des structures indiquées n'appartient pas au territoire.")
    return organisations


def _check_staff(territory, staff) -> list:
    staff = list(staff or [])
    if not staff:
        return staff
    allowed = set(
        Membership.objects.active()
        .filter(
            user__in=staff,
            user__is_active=True,
            organisation__territory=territory,
            role__in=PROFESSIONAL_ROLES,
        )
        .values_list("user_id", flat=True)
    )
    if any(user.pk not in allowed for user in staff):
        raise OutreachError(
            "Un des professionnels indiqués ne travaille pas dans une structure du territoire."
        )
    return staff


def _check_basics(kind: str, title: str, duration_minutes: int) -> str:
    if kind not in OutreachKind.values:
        raise OutreachError("Nature d'action inconnue.")
    title = (title or "").strip()
    if not title:
        raise OutreachError("Donnez un intitulé à l'action.")
    if not 1 <= duration_minutes <= MAX_DURATION_MINUTES:
        raise OutreachError("La durée doit être comprise entre 1 minute et 12 heures.")
    return title[:200]


# --- actions ------------------------------------------------------------------------------------


@dataclass
class ActionInput:
    kind: str
    title: str
    starts_at: datetime
    duration_minutes: int
    place: PlaceInput
    description: str = ""


def _fill_action(action: OutreachAction, territory, data: ActionInput) -> None:
    action.title = _check_basics(data.kind, data.title, data.duration_minutes)
    action.kind = data.kind
    action.description = (data.description or "").strip()
    action.starts_at = data.starts_at
    action.duration_minutes = data.duration_minutes
    _apply_place(action, _resolve_place(territory, data.place))


@transaction.atomic
def create_action(territory, *, by, data: ActionInput, organisations, staff=()) -> OutreachAction:
    """A one-off action, planned (or held: its report is recorded next)."""
    _require_creator(by, territory)
    organisations = _check_organisations(territory, organisations)
    staff = _check_staff(territory, staff)
    action = OutreachAction(territory=territory, created_by=by)
    _fill_action(action, territory, data)
    action.save()
    action.organisations.set(organisations)
    action.staff.set(staff)
    return action


@transaction.atomic
def update_action(
    action: OutreachAction, *, by, data: ActionInput, organisations, staff=()
) -> OutreachAction:
    _require_editor(action, by)
    organisations = _check_organisations(action.territory, organisations)
    staff = _check_staff(action.territory, staff)
    if action.status == OutreachAction.Status.DONE and data.starts_at > timezone.now():
        raise OutreachError("Cette action a eu lieu : sa date ne peut pas être dans le futur.")
    _fill_action(action, action.territory, data)
    action.save()
    action.organisations.set(organisations)
    action.staff.set(staff)
    return action


@transaction.atomic
def delete_action(action: OutreachAction, *, by) -> None:
    """Remove an action entered by mistake: only while nothing was recorded about it."""
    _require_editor(action, by)
    if action.status != OutreachAction.Status.PLANNED or action.reached.exists():
        raise OutreachError("Cette action a un bilan : elle ne peut plus être supprimée, seulement annulée.")
    if action.origins.exists():
        raise OutreachError("Des suivis sont rattachés à cette action : elle ne peut pas être supprimée.")
    action.delete()


@dataclass
class ReportInput:
    status: str
    reached: dict  # {(age group, sex): count}, "" for « non précisé »
    contacts_left: int = 0
    notes: str = ""


@transaction.atomic
def record_report(
    action: OutreachAction, *, by, report: ReportInput, organisations=None, staff=None
) -> OutreachAction:
    """What happened: held or cancelled, the people reached by age group and sex, contacts, bilan."""
    _require_editor(action, by)
    if report.status not in (OutreachAction.Status.DONE, OutreachAction.Status.CANCELLED):
        raise OutreachError("Indiquez si l'action a été réalisée ou annulée.")
    counts = {}
    for (age, sex), count in report.reached.items():
        if age not in AGE_GROUPS or sex not in SEXES:
            raise OutreachError("Tranche d'âge ou sexe inconnu.")
        if count is None or count < 0:
            raise OutreachError("Les nombres de personnes rencontrées sont positifs ou nuls.")
        if count:
            counts[(age, sex)] = counts.get((age, sex), 0) + count
    contacts = report.contacts_left or 0
    if contacts < 0:
        raise OutreachError("Le nombre de contacts laissés est positif ou nul.")
    if report.status == OutreachAction.Status.DONE and action.starts_at > timezone.now():
        raise OutreachError("Cette action n'a pas encore commencé : elle ne peut pas être déclarée réalisée.")
    if report.status == OutreachAction.Status.CANCELLED and (counts or contacts):
        raise OutreachError("Une action annulée n'a rencontré personne : laissez les nombres à zéro.")
    if contacts > sum(counts.values()):
        raise OutreachError(
            "Le nombre de personnes ayant laissé leurs coordonnées ne peut pas dépasser "
            "celui des personnes rencontrées."
        )
    if report.status == OutreachAction.Status.CANCELLED and action.origins.exists():
        raise OutreachError(
            "Des suivis sont rattachés à cette action : retirez ces rattachements avant de l'annuler."
        )
    if organisations is not None:
        action.organisations.set(_check_organisations(action.territory, organisations))
    if staff is not None:
        action.staff.set(_check_staff(action.territory, staff))
    action.status = report.status
    action.contacts_left = contacts
    action.notes = (report.notes or "").strip()
    action.save(update_fields=["status", "contacts_left", "notes", "updated_at"])
    action.reached.all().delete()
    ReachedCount.objects.bulk_create(
        ReachedCount(action=action, age_group=age, sex=sex, count=count)
        for (age, sex), count in sorted(counts.items())
    )
    return action


# --- series -------------------------------------------------------------------------------------


@dataclass
class SeriesInput:
    kind: str
    title: str
    weekday: int
    start_time: object  # datetime.time
    duration_minutes: int
    every_weeks: int
    starts_on: date
    ends_on: date
    place: PlaceInput


def series_dates(weekday: int, every_weeks: int, starts_on: date, ends_on: date) -> list[date]:
    """The days of a series: the first ``weekday`` on or after ``starts_on``, then every ``every_weeks`` weeks."""
    first = starts_on + timedelta(days=(weekday - starts_on.weekday()) % 7)
    step = timedelta(weeks=every_weeks)
    days, day = [], first
    while day <= ends_on:
        days.append(day)
        day += step
    return days


def _moment(day: date, at) -> datetime:
    return timezone.make_aware(datetime.combine(day, at), timezone.get_current_timezone())


def _fill_series(series: OutreachSeries, territory, data: SeriesInput) -> list[date]:
    series.title = _check_basics(data.kind, data.title, data.duration_minutes)
    if data.weekday not in range(7):
        raise OutreachError("Jour de la semaine inconnu.")
    if data.every_weeks < 1 or data.every_weeks > 52:
        raise OutreachError("Le rythme va d'une fois par semaine à une fois par an (52 semaines).")
    if data.ends_on < data.starts_on:
        raise OutreachError("La dernière date ne peut pas précéder la première.")
    days = series_dates(data.weekday, data.every_weeks, data.starts_on, data.ends_on)
    if not days:
        raise OutreachError(
            "Aucune séance ne tombe entre la première et la dernière date : vérifiez le jour."
        )
    if len(days) > MAX_OCCURRENCES:
        raise OutreachError(
            f"Cette série compterait {len(days)} séances (au plus {MAX_OCCURRENCES}) : raccourcissez la période."
        )
    series.kind = data.kind
    series.weekday, series.start_time = data.weekday, data.start_time
    series.duration_minutes, series.every_weeks = data.duration_minutes, data.every_weeks
    series.starts_on, series.ends_on = data.starts_on, data.ends_on
    _apply_place(series, _resolve_place(territory, data.place))
    return days


def _occurrence(series: OutreachSeries, day: date) -> OutreachAction:
    return OutreachAction(
        territory_id=series.territory_id,
        series=series,
        kind=series.kind,
        title=series.title,
        starts_at=_moment(day, series.start_time),
        duration_minutes=series.duration_minutes,
        qpv=series.qpv,
        commune=series.commune,
        place_label=series.place_label,
        latitude=series.latitude,
        longitude=series.longitude,
        created_by=series.created_by,
        is_demo=series.is_demo,
    )


def _create_occurrences(series: OutreachSeries, days: list[date], organisations) -> list[OutreachAction]:
    # Both engines return the new ids from a bulk insert (SQLite ≥ 3.35, PostgreSQL).
    actions = OutreachAction.objects.bulk_create([_occurrence(series, day) for day in days])
    through = OutreachAction.organisations.through
    through.objects.bulk_create(
        through(outreachaction_id=action.pk, organisation_id=organisation.pk)
        for action in actions
        for organisation in organisations
    )
    return actions


@transaction.atomic
def create_series(territory, *, by, data: SeriesInput, organisations) -> OutreachSeries:
    """A recurring permanence and all its occurrences, planned."""
    _require_creator(by, territory)
    organisations = _check_organisations(territory, organisations)
    series = OutreachSeries(territory=territory, created_by=by)
    days = _fill_series(series, territory, data)
    series.save()
    series.organisations.set(organisations)
    _create_occurrences(series, days, organisations)
    return series


@transaction.atomic
def update_series(series: OutreachSeries, *, by, data: SeriesInput, organisations) -> OutreachSeries:
    """Change the series; only the occurrences to come that are still planned and carry no record are replaced.

    Held, cancelled and past occurrences stay as they were, as do future ones that already have
    people reached or a follow-up linked; no new occurrence is put on a day that keeps one.
    """
    _require_editor(series, by)
    organisations = _check_organisations(series.territory, organisations)
    days = _fill_series(series, series.territory, data)
    series.save()
    series.organisations.set(organisations)
    now = timezone.now()
    replaceable = (
        series.occurrences.filter(starts_at__gt=now, status=OutreachAction.Status.PLANNED)
        .filter(origins__isnull=True, reached__isnull=True)
        .values_list("pk", flat=True)
    )
    OutreachAction.objects.filter(pk__in=list(replaceable)).delete()
    kept = {timezone.localdate(at) for at in series.occurrences.values_list("starts_at", flat=True)}
    to_come = [day for day in days if day not in kept and _moment(day, series.start_time) > now]
    _create_occurrences(series, to_come, organisations)
    return series


# --- origins: the follow-ups that started from an action ------------------------------------------

ORIGIN_WINDOW_DAYS = 120


def origin_window(follow_up: FollowUp) -> tuple[date, date]:
    """The days an action may have taken place to have started this follow-up: up to 120 days before its entry."""
    return follow_up.opened_on - timedelta(days=ORIGIN_WINDOW_DAYS), follow_up.opened_on


def _require_follow_up_member(follow_up: FollowUp, user):
    member = followup_services.member_of(follow_up, user)
    if member is None:
        raise OutreachError(
            "Seuls les membres du suivi de cette personne peuvent indiquer d'où est parti son suivi."
        )
    return member


@transaction.atomic
def link_origin(action: OutreachAction, follow_up: FollowUp, *, by, request=None) -> ActionOrigin:
    """Record that the person's follow-up started from ``action`` (one origin per follow-up)."""
    member = _require_follow_up_member(follow_up, by)
    beneficiary = follow_up.beneficiary
    if beneficiary.territory_id != action.territory_id:
        raise OutreachError("Cette action n'a pas eu lieu sur le territoire de la personne.")
    if action.status == OutreachAction.Status.CANCELLED:
        raise OutreachError("Cette action a été annulée : aucun suivi ne peut en être parti.")
    if action.starts_at > timezone.now():
        raise OutreachError("Cette action n'a pas encore eu lieu.")
    held_on = timezone.localdate(action.starts_at)
    first, last = origin_window(follow_up)
    if held_on > last:
        raise OutreachError(
            f"La personne est entrée dans le suivi le {follow_up.opened_on:%d/%m/%Y}, avant cette action : "
            "son suivi n'en est pas parti."
        )
    if held_on < first:
        raise OutreachError(
            f"Cette action a eu lieu plus de {ORIGIN_WINDOW_DAYS} jours avant l'entrée de la personne "
            "dans le suivi."
        )
    existing = ActionOrigin.objects.filter(follow_up=follow_up).select_related("action").first()
    if existing is not None:
        raise OutreachError(_already_linked(existing))
    try:
        with transaction.atomic():
            origin = ActionOrigin.objects.create(action=action, follow_up=follow_up, recorded_by=by)
    except IntegrityError as error:  # another member linked it meanwhile
        existing = ActionOrigin.objects.select_related("action").get(follow_up=follow_up)
        raise OutreachError(_already_linked(existing)) from error
    followup_services.add_timeline_event(
        follow_up,
        TimelineEvent.Kind.OUTREACH,
        author=by,
        organisation=member.organisation,
        text=f"Entrée dans le suivi depuis l'action « {action.title} » du {held_on:%d/%m/%Y}.",
    )
    followup_services.audit_beneficiary(
        "create", beneficiary, by=by, what="origine aller-vers", request=request, outreach_action=action.pk
    )
    return origin


def _already_linked(origin: ActionOrigin) -> str:
    held_on = timezone.localdate(origin.action.starts_at)
    return (
        f"Le suivi de cette personne est déjà rattaché à l'action « {origin.action.title} » du "
        f"{held_on:%d/%m/%Y}. Retirez d'abord ce rattachement."
    )


@transaction.atomic
def unlink_origin(origin: ActionOrigin, *, by, request=None) -> None:
    follow_up = origin.follow_up
    member = _require_follow_up_member(follow_up, by)
    action = origin.action
    origin.delete()
    followup_services.add_timeline_event(
        follow_up,
        TimelineEvent.Kind.OUTREACH,
        author=by,
        organisation=member.organisation,
        text=(
            f"Rattachement à l'action « {action.title} » du "
            f"{timezone.localdate(action.starts_at):%d/%m/%Y} retiré."
        ),
    )
    followup_services.audit_beneficiary(
        "delete",
        follow_up.beneficiary,
        by=by,
        what="origine aller-vers",
        request=request,
        outreach_action=action.pk,
    )
