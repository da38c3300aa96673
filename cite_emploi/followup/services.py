"""Every write of the shared follow-up: one function per use case, in a transaction, audited.

Public helpers other parts call (their signatures are kept stable):

- ``add_timeline_event(follow_up, kind, *, author, organisation, text, visibility=MEMBERS, at=None)``
  adds a line to the person's timeline and bumps ``follow_up.last_activity_at``. It does not audit:
  the calling service records its own audit entry (see ``audit_beneficiary``).
- ``audit_beneficiary(action, beneficiary, *, by, what, request=None, **detail)`` records a read or a
  write of a beneficiary's data (``detail`` holds ids and field names, never personal data).
- ``member_of(follow_up, user)``, ``referent_of(follow_up)``, ``active_members(follow_up)``: the
  active memberships; ``can_share_with(beneficiary, organisation)``: may a professional of
  ``organisation`` join (consent rule); ``invite_member(...)``: add a member, with every check.

Errors a user can cause are ``FollowUpError`` (or a subclass) with a French ``message``.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from uuid import uuid4

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from cite_emploi.accounts.models import Membership
from cite_emploi.core import audit
from cite_emploi.core.models import AuditEntry
from cite_emploi.partners import enums
from cite_emploi.territory.geocoder import GeocoderError, get_geocoder
from cite_emploi.territory.models import QPV, Commune
from cite_emploi.territory.queries import locate_point, perimeter_pairs

from . import duplicates, signals
from .models import (
    Barrier,
    BarrierStatusChange,
    Beneficiary,
    CaseReviewItem,
    Consent,
    FollowUp,
    FollowUpMember,
    JoinRequest,
    LocatedBy,
    Outcome,
    ProfessionalProject,
    Referral,
    ReferralEvent,
    SituationFact,
    TimelineEvent,
    search_key,
)

logger = logging.getLogger(__name__)

MEMBER_ROLES = ("coordinator", "counsellor")
CONSENT_WITHDRAWN = "retrait du consentement"
ANONYMISED = "anonymisation"
GEOCODER_MIN_SCORE = 0.5


class FollowUpError(Exception):
    """A rule of the shared follow-up was not met; ``message`` is French and shown as is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ConsentRequired(FollowUpError):
    """Sharing with another organisation needs the person's consent."""


class InvalidTransition(FollowUpError):
    pass


class StaleVersion(FollowUpError):
    """The record changed since the form was loaded (optimistic locking)."""


class DuplicateSuspected(FollowUpError):
    def __init__(self, matches: list[duplicates.Match]):
        super().__init__("Une personne correspondante est déjà suivie sur le territoire.")
        self.matches = matches


# --- settings and dates -------------------------------------------------------------------------


def inactivity_months() -> int:
    return int(getattr(settings, "FOLLOWUP_INACTIVITY_MONTHS", 24))


def retention_months() -> int:
    return int(getattr(settings, "FOLLOWUP_RETENTION_MONTHS", 24))


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` (negative: back); the 31st becomes the last day of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _today(on: date | None = None) -> date:
    return on or timezone.localdate()


def _when(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%d/%m/%Y à %H:%M}"


def _name(user) -> str:
    return (user.get_full_name() or user.email) if user else "un autre utilisateur"


# --- audit --------------------------------------------------------------------------------------


def audit_beneficiary(action: str, beneficiary: Beneficiary, *, by, what: str, request=None, **detail):
    """One audit entry about ``beneficiary`` (object ``followup.beneficiary`` / its id)."""
    return audit.record(
        action,
        actor=by,
        obj=beneficiary,
        territory_id=beneficiary.territory_id,
        request=request,
        what=what,
        **detail,
    )


def audit_list_read(beneficiaries, *, by, request=None, what: str = "liste") -> None:
    """One « read » entry per beneficiary shown in a list, in a single INSERT (pages stay O(1) in queries)."""
    ip = audit.client_ip(request) if request is not None else None
    actor = by if getattr(by, "is_authenticated", False) else None
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                action=AuditEntry.Action.READ,
                actor=actor,
                object_type=Beneficiary._meta.label_lower,
                object_id=str(b.pk),
                territory_id=b.territory_id,
                detail={"what": what},
                ip_address=ip,
            )
            for b in beneficiaries
        ]
    )


# --- memberships --------------------------------------------------------------------------------


def active_members(follow_up: FollowUp):
    return follow_up.members.filter(ended_on__isnull=True).select_related("user", "organisation")


def member_of(follow_up: FollowUp, user) -> FollowUpMember | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return active_members(follow_up).filter(user=user).first()


def member_among(members, user) -> FollowUpMember | None:
    """``member_of`` over the members of a follow-up already read (the person's page lists them)."""
    return next((m for m in members if m.user_id == user.pk and m.ended_on is None), None)


def referent_of(follow_up: FollowUp) -> FollowUpMember | None:
    return active_members(follow_up).filter(is_referent=True).first()


def has_active_consent(beneficiary: Beneficiary) -> bool:
    return beneficiary.consents.filter(withdrawn_on__isnull=True).exists()


def can_share_with(beneficiary: Beneficiary, organisation) -> bool:
    """Before consent, the record stays inside the organisation that holds it."""
    return organisation.pk == beneficiary.created_by_organisation_id or has_active_consent(beneficiary)


def invitable_memberships(territory):
    """Active professionals (coordination or counsellors) of the territory's organisations."""
    return (
        Membership.objects.active()
        .filter(organisation__territory=territory, role__in=MEMBER_ROLES, user__is_active=True)
        .select_related("user", "organisation")
        .order_by("organisation__name", "user__last_name", "user__first_name", "pk")
    )


def _require_member(follow_up: FollowUp, user) -> FollowUpMember:
    member = member_of(follow_up, user)
    if member is None:
        raise FollowUpError("Seuls les membres de ce suivi peuvent faire cette action.")
    return member


def _require_referent(follow_up: FollowUp, user) -> FollowUpMember:
    member = _require_member(follow_up, user)
    if not member.is_referent:
        raise FollowUpError("Seul le ou la référente de parcours peut faire cette action.")
    return member


def _require_open(follow_up: FollowUp) -> None:
    if follow_up.status != FollowUp.Status.OPEN:
        raise FollowUpError("Ce suivi est clos : rouvrez-le d'abord.")


def _on_commit_enqueue(task_name: str, *args) -> None:
    def enqueue():
        from . import tasks

        getattr(tasks, task_name).enqueue(*args)

    transaction.on_commit(enqueue)


# --- timeline -----------------------------------------------------------------------------------


def add_timeline_event(
    follow_up: FollowUp,
    kind: str,
    *,
    author,
    organisation,
    text: str,
    visibility: str = TimelineEvent.Visibility.MEMBERS,
    at: datetime | None = None,
) -> TimelineEvent:
    """Add a line to the person's timeline and bump ``follow_up.last_activity_at`` to now.

    ``kind`` is a ``TimelineEvent.Kind``; ``visibility`` ``ORGANISATION`` shows the line only to the
    members of ``organisation``. ``author`` may be None for events of the platform itself.
    Called by every part (referrals, case reviews, outreach…); the caller audits its own write.
    """
    if kind not in TimelineEvent.Kind.values:
        raise ValueError(f"Unknown timeline kind {kind!r}")
    if visibility == TimelineEvent.Visibility.ORGANISATION and organisation is None:
        raise ValueError("An organisation-only event needs its organisation")
    event = TimelineEvent.objects.create(
        follow_up=follow_up,
        kind=kind,
        author=author if getattr(author, "is_authenticated", False) else None,
        organisation=organisation,
        visibility=visibility,
        text=text,
        at=at or timezone.now(),
    )
    now = timezone.now()
    FollowUp.objects.filter(pk=follow_up.pk).update(last_activity_at=now)
    follow_up.last_activity_at = now
    return event


ENTRY_KINDS = (TimelineEvent.Kind.NOTE, TimelineEvent.Kind.APPOINTMENT, TimelineEvent.Kind.CONTACT)


@transaction.atomic
def add_entry(
    follow_up: FollowUp,
    *,
    kind: str,
    text: str,
    by,
    visibility: str = TimelineEvent.Visibility.MEMBERS,
    at: datetime | None = None,
    request=None,
) -> TimelineEvent:
    """A note, an appointment or a contact written by a member."""
    member = _require_member(follow_up, by)
    if kind not in ENTRY_KINDS:
        raise FollowUpError("Seuls une note, un rendez-vous ou un contact peuvent être ajoutés ici.")
    if kind == TimelineEvent.Kind.NOTE and not text.strip():
        raise FollowUpError("Une note ne peut pas être vide.")
    event = add_timeline_event(
        follow_up,
        kind,
        author=by,
        organisation=member.organisation,
        text=text.strip(),
        visibility=visibility,
        at=at,
    )
    audit_beneficiary(
        "create",
        follow_up.beneficiary,
        by=by,
        what=kind,
        request=request,
        event=event.pk,
        visibility=visibility,
    )
    return event


# --- location -----------------------------------------------------------------------------------


@dataclass
class Location:
    commune: Commune | None = None
    qpv: QPV | None = None
    longitude: float | None = None
    latitude: float | None = None
    in_perimeter: bool = False
    located_by: str = LocatedBy.NONE
    warning: str = ""

    def apply(self, beneficiary: Beneficiary) -> None:
        beneficiary.commune = self.commune
        beneficiary.qpv = self.qpv
        beneficiary.longitude = self.longitude
        beneficiary.latitude = self.latitude
        beneficiary.in_perimeter = self.in_perimeter
        beneficiary.located_by = self.located_by


class LocationMode:
    ADDRESS = "adresse"
    POINT = "point"
    MANUAL = "quartier"


def _qpv(code: str | None) -> QPV | None:
    return QPV.objects.filter(code=code, geography_year=2024).first() if code else None


def locate_at(territory, longitude: float, latitude: float, *, commune_code: str | None = None) -> Location:
    """A point (clicked on the map or given by the geocoder) → QPV, commune, perimeter."""
    answer = locate_point(longitude, latitude, territory)
    code = commune_code or answer.commune_code
    in_perimeter = bool(answer.dans_perimetre)
    if answer.qpv_code and commune_code:
        # The geocoder's INSEE code is more reliable than the coarse commune outlines (ADR 0002).
        in_perimeter = (answer.qpv_code, commune_code) in perimeter_pairs(territory.current_perimeter)
    return Location(
        commune=Commune.objects.filter(code=code).first() if code else None,
        qpv=_qpv(answer.qpv_code),
        longitude=longitude,
        latitude=latitude,
        in_perimeter=in_perimeter,
        located_by=LocatedBy.MAP,
    )


def locate_by_hand(territory, qpv: QPV | None, commune: Commune | None) -> Location:
    """The QPV chosen in a list (no geocoder, or the user knows better); none means outside any QPV."""
    if qpv is None:
        return Location(commune=commune, located_by=LocatedBy.MANUAL)
    pairs = perimeter_pairs(territory.current_perimeter)
    communes = sorted(c for q, c in pairs if q == qpv.code)
    if commune is None and len(communes) == 1:
        commune = Commune.objects.filter(code=communes[0]).first()
    in_perimeter = commune.code in communes if commune else bool(communes)
    return Location(commune=commune, qpv=qpv, in_perimeter=in_perimeter, located_by=LocatedBy.MANUAL)


def locate_address(
    territory, address: str, *, postcode: str = "", commune: Commune | None = None
) -> Location:
    """Geocode an address; any failure leaves the QPV unknown with a French warning, never an error."""
    unlocated = Location(commune=commune, located_by=LocatedBy.NONE)
    query = " ".join(p for p in (address, postcode, commune.name if commune else "") if p).strip()
    if not address.strip():
        return unlocated
    try:
        geocoder = get_geocoder()
        if geocoder is None:
            unlocated.warning = (
                "Aucun service d'adresses n'est configuré : l'adresse est enregistrée, "
                "mais choisissez le quartier à la main pour situer la personne."
            )
            return unlocated
        with geocoder:
            found = geocoder.search(query, limit=1, citycode=commune.code if commune else None)
    except GeocoderError as error:
        unlocated.warning = f"{error.message} L'adresse est enregistrée sans quartier."
        return unlocated
    if not found or found[0].score < GEOCODER_MIN_SCORE:
        unlocated.warning = (
            "Adresse introuvable avec certitude : vérifiez-la, indiquez le point sur la carte "
            "ou choisissez le quartier à la main."
        )
        return unlocated
    best = found[0]
    location = locate_at(territory, best.lon, best.lat, commune_code=best.citycode)
    location.located_by = LocatedBy.GEOCODER
    if location.commune is None:
        location.commune = commune
    return location


def resolve_location(
    territory,
    *,
    mode: str,
    address: str = "",
    postcode: str = "",
    commune: Commune | None = None,
    longitude: float | None = None,
    latitude: float | None = None,
    qpv: QPV | None = None,
) -> Location:
    """The three ways to situate a person: geocoded address, a point, or a QPV chosen by hand."""
    if mode == LocationMode.POINT and longitude is not None and latitude is not None:
        location = locate_at(territory, longitude, latitude)
        location.commune = location.commune or commune
        return location
    if mode == LocationMode.MANUAL:
        return locate_by_hand(territory, qpv, commune)
    return locate_address(territory, address, postcode=postcode, commune=commune)


# --- beneficiaries ------------------------------------------------------------------------------

IDENTITY_FIELDS = (
    "first_name",
    "last_name",
    "birth_date",
    "sex",
    "phone",
    "email",
    "address",
    "postcode",
    "france_travail_id",
    "diploma_level",
)
LOCATION_FIELDS = ("commune", "qpv", "longitude", "latitude", "in_perimeter", "located_by")


def _clean_identity(data: dict) -> dict:
    values = {k: data[k] for k in IDENTITY_FIELDS if k in data}
    for key in ("first_name", "last_name", "address", "phone", "email", "postcode"):
        if key in values:
            values[key] = " ".join(str(values[key] or "").split())
    if "france_travail_id" in values:
        values["france_travail_id"] = duplicates.normalise_ft_id(values["france_travail_id"])
    if values.get("birth_date") and values["birth_date"] > timezone.localdate():
        raise FollowUpError("La date de naissance ne peut pas être dans le futur.")
    return values


@transaction.atomic
def create_beneficiary(
    *,
    territory,
    organisation,
    by,
    data: dict,
    location: Location | None = None,
    allow_duplicate: bool = False,
    request=None,
) -> Beneficiary:
    """Record a person, open their follow-up and make ``by`` (of ``organisation``) its referent.

    Raises ``DuplicateSuspected`` when the person seems already followed in the territory, unless
    ``allow_duplicate`` (the user said it is someone else; the override is audited).
    """
    if organisation.territory_id != territory.pk:
        raise FollowUpError("Cette organisation n'appartient pas au territoire.")
    if (
        not Membership.objects.active()
        .filter(user=by, organisation=organisation, role__in=MEMBER_ROLES)
        .exists()
    ):
        raise FollowUpError("Vous n'êtes pas professionnel de cette organisation.")
    values = _clean_identity(data)
    matches = duplicates.find_matches(
        territory,
        first_name=values.get("first_name", ""),
        last_name=values.get("last_name", ""),
        birth_date=values.get("birth_date"),
        france_travail_id=values.get("france_travail_id", ""),
    )
    if matches and not allow_duplicate:
        raise DuplicateSuspected(matches)
    beneficiary = Beneficiary(
        territory=territory, created_by_organisation=organisation, updated_by=by, **values
    )
    (location or Location()).apply(beneficiary)
    beneficiary.save()
    follow_up = FollowUp.objects.create(beneficiary=beneficiary)
    FollowUpMember.objects.create(
        follow_up=follow_up,
        organisation=organisation,
        user=by,
        is_referent=True,
        reason="création de la fiche",
    )
    add_timeline_event(
        follow_up,
        TimelineEvent.Kind.MEMBER,
        author=by,
        organisation=organisation,
        text=f"Entrée dans le suivi ; référent·e de parcours : {_name(by)} ({organisation.name}).",
    )
    detail = {"duplicate_override": [m.beneficiary.pk for m in matches]} if matches else {}
    audit_beneficiary("create", beneficiary, by=by, what="fiche", request=request, **detail)
    return beneficiary


@transaction.atomic
def update_beneficiary(
    beneficiary: Beneficiary,
    *,
    by,
    data: dict,
    expected_version: int,
    location: Location | None = None,
    request=None,
) -> Beneficiary:
    """Save an edit made on version ``expected_version``; an edit of an older version is refused."""
    _require_member(beneficiary.follow_up, by)
    values = _clean_identity(data)
    if location is not None:
        values.update({field: getattr(location, field) for field in LOCATION_FIELDS})
    before = Beneficiary.objects.filter(pk=beneficiary.pk).values(*values).first() or {}
    changed = sorted(k for k, v in values.items() if before.get(k) != (v.pk if hasattr(v, "pk") else v))
    names = (values.get("first_name", beneficiary.first_name), values.get("last_name", beneficiary.last_name))
    now = timezone.now()
    updated = Beneficiary.objects.filter(pk=beneficiary.pk, version=expected_version).update(
        **values,
        search_name=search_key(*names),
        version=F("version") + 1,
        updated_by=by,
        updated_at=now,
    )
    if not updated:
        current = Beneficiary.objects.select_related("updated_by").get(pk=beneficiary.pk)
        raise StaleVersion(
            f"Cette fiche a été modifiée par {_name(current.updated_by)} le {_when(current.updated_at)} : "
            "vos changements n'ont pas été enregistrés, rechargez la page."
        )
    beneficiary.refresh_from_db()
    audit_beneficiary("update", beneficiary, by=by, what="fiche", request=request, fields=changed)
    return beneficiary


@transaction.atomic
def add_situation_fact(
    beneficiary: Beneficiary,
    *,
    by,
    kind: str,
    value: str = "",
    started_on: date | None = None,
    ended_on: date | None = None,
    request=None,
) -> SituationFact:
    _require_member(beneficiary.follow_up, by)
    if kind not in SituationFact.Kind.values:
        raise FollowUpError("Nature de situation inconnue.")
    if started_on and ended_on and ended_on < started_on:
        raise FollowUpError("La date de fin précède la date de début.")
    fact = SituationFact.objects.create(
        beneficiary=beneficiary,
        kind=kind,
        value=value.strip(),
        started_on=started_on,
        ended_on=ended_on,
        recorded_by=by,
    )
    audit_beneficiary("create", beneficiary, by=by, what="situation", request=request, fact=fact.pk)
    return fact


@transaction.atomic
def end_situation_fact(fact: SituationFact, *, by, on: date | None = None, request=None) -> SituationFact:
    _require_member(fact.beneficiary.follow_up, by)
    on = _today(on)
    if fact.ended_on is not None:
        raise FollowUpError("Cette situation est déjà terminée.")
    if fact.started_on and on < fact.started_on:
        raise FollowUpError("La date de fin précède la date de début.")
    fact.ended_on = on
    fact.save(update_fields=["ended_on"])
    audit_beneficiary("update", fact.beneficiary, by=by, what="situation", request=request, fact=fact.pk)
    return fact


# --- consent ------------------------------------------------------------------------------------

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
DOCUMENT_SIGNATURES = {
    ".pdf": (b"%PDF-",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
}


def check_consent_document(document) -> str:
    """A scanned consent form: PDF, JPEG or PNG (checked on the content, not only the name), ≤ 5 Mo.

    Returns the normalised extension.
    """
    extension = Path(document.name or "").suffix.lower()
    if extension not in DOCUMENT_SIGNATURES:
        raise FollowUpError("Le formulaire doit être un fichier PDF, JPEG ou PNG.")
    if document.size > MAX_DOCUMENT_BYTES:
        raise FollowUpError("Le fichier dépasse 5 Mo : numérisez-le en qualité plus faible.")
    document.seek(0)
    head = document.read(8)
    document.seek(0)
    if not any(head.startswith(signature) for signature in DOCUMENT_SIGNATURES[extension]):
        raise FollowUpError("Le contenu du fichier ne correspond pas à un PDF, un JPEG ou un PNG.")
    return ".jpg" if extension == ".jpeg" else extension


@transaction.atomic
def record_consent(
    beneficiary: Beneficiary,
    *,
    by,
    given_on: date,
    scope: str = Consent.Scope.FOLLOW_UP,
    document=None,
    request=None,
) -> Consent:
    """Record the person's consent to share their follow-up with other organisations."""
    member = _require_member(beneficiary.follow_up, by)
    if given_on > timezone.localdate():
        raise FollowUpError("La date de recueil ne peut pas être dans le futur.")
    if scope not in Consent.Scope.values:
        raise FollowUpError("Portée du consentement inconnue.")
    consent = Consent(
        beneficiary=beneficiary,
        given_on=given_on,
        scope=scope,
        collected_by=by,
        organisation=member.organisation,
    )
    if document:
        extension = check_consent_document(document)
        # The stored name says nothing about the person.
        document.name = f"{uuid4().hex}{extension}"
        consent.document = document
    consent.save()
    add_timeline_event(
        beneficiary.follow_up,
        TimelineEvent.Kind.CONSENT,
        author=by,
        organisation=member.organisation,
        text=f"Consentement recueilli le {given_on:%d/%m/%Y} ({consent.get_scope_display().lower()}).",
    )
    audit_beneficiary(
        "create", beneficiary, by=by, what="consentement", request=request, consent=consent.pk, scope=scope
    )
    return consent


@transaction.atomic
def withdraw_consent(
    beneficiary: Beneficiary, *, by, on: date | None = None, request=None
) -> list[FollowUpMember]:
    """The person withdraws consent: sharing ends.

    The record goes back inside the organisation of the member who records the withdrawal: members
    of every other organisation are ended (« retrait du consentement »); if the referent was one of
    them, the member recording the withdrawal becomes referent. Returns the ended memberships.
    """
    follow_up = beneficiary.follow_up
    member = _require_member(follow_up, by)
    on = _today(on)
    active = list(beneficiary.consents.filter(withdrawn_on__isnull=True))
    if not active:
        raise FollowUpError("Aucun consentement en cours pour cette personne.")
    for consent in active:
        consent.withdrawn_on, consent.withdrawn_by = on, by
        consent.save(update_fields=["withdrawn_on", "withdrawn_by"])
    home = member.organisation
    ended = list(active_members(follow_up).exclude(organisation=home))
    referent_left = any(m.is_referent for m in ended)
    for other in ended:
        _end(other, CONSENT_WITHDRAWN, on)
    if referent_left:
        member.is_referent = True
        member.save(update_fields=["is_referent"])
    if beneficiary.created_by_organisation_id != home.pk:
        beneficiary.created_by_organisation = home
        beneficiary.save(update_fields=["created_by_organisation"])
    add_timeline_event(
        follow_up,
        TimelineEvent.Kind.CONSENT,
        author=by,
        organisation=home,
        text=(
            f"Consentement retiré le {on:%d/%m/%Y} : le suivi reste au sein de {home.name}"
            + (f" ; {len(ended)} membre(s) d'autres organisations retiré(s)." if ended else ".")
        ),
    )
    audit_beneficiary(
        "update",
        beneficiary,
        by=by,
        what="retrait du consentement",
        request=request,
        ended=[m.pk for m in ended],
    )
    return ended


# --- follow-up members --------------------------------------------------------------------------


def _end(member: FollowUpMember, reason: str, on: date) -> None:
    member.ended_on = on
    member.end_reason = reason[:200]
    member.is_referent = False
    member.save(update_fields=["ended_on", "end_reason", "is_referent"])


@transaction.atomic
def invite_member(
    follow_up: FollowUp,
    *,
    user,
    organisation,
    by,
    reason: str = "",
    is_referent: bool = False,
    notify: bool = True,
    request=None,
) -> FollowUpMember:
    """Add ``user`` (a professional of ``organisation``) to the follow-up; they get an e-mail.

    Refused without consent when ``organisation`` is not the one holding the record.
    """
    beneficiary = follow_up.beneficiary
    _require_open(follow_up)
    if not (
        Membership.objects.active()
        .filter(
            user=user,
            user__is_active=True,
            organisation=organisation,
            organisation__territory_id=beneficiary.territory_id,
            role__in=MEMBER_ROLES,
        )
        .exists()
    ):
        raise FollowUpError(
            "Cette personne n'est pas un professionnel actif de cette organisation du territoire."
        )
    if member_of(follow_up, user) is not None:
        raise FollowUpError(f"{_name(user)} est déjà membre de ce suivi.")
    if not can_share_with(beneficiary, organisation):
        raise ConsentRequired(
            f"Sans consentement enregistré, ce suivi reste au sein de « {beneficiary.created_by_organisation.name} » : "
            f"recueillez d'abord le consentement de la personne pour inviter un professionnel de « {organisation.name} »."
        )
    if is_referent:
        follow_up.members.filter(is_referent=True, ended_on__isnull=True).update(is_referent=False)
    member = FollowUpMember.objects.create(
        follow_up=follow_up,
        organisation=organisation,
        user=user,
        is_referent=is_referent,
        reason=reason[:200],
    )
    add_timeline_event(
        follow_up,
        TimelineEvent.Kind.MEMBER,
        author=by,
        organisation=organisation,
        text=f"{_name(user)} ({organisation.name}) rejoint le suivi"
        + (" comme référent·e de parcours" if is_referent else "")
        + (f", invité·e par {_name(by)}." if by and by != user else "."),
    )
    audit_beneficiary("update", beneficiary, by=by, what="membre ajouté", request=request, member=member.pk)
    if notify and user != by:
        _on_commit_enqueue("notify_member_invited", member.pk, getattr(by, "pk", None))
    return member


@transaction.atomic
def transfer_referent(follow_up: FollowUp, *, to: FollowUpMember, by, request=None) -> FollowUpMember:
    """The referent hands the role to another active member."""
    _require_referent(follow_up, by)
    if to.follow_up_id != follow_up.pk or to.ended_on is not None:
        raise FollowUpError("Le nouveau ou la nouvelle référente doit être membre actif du suivi.")
    if to.is_referent:
        raise FollowUpError("Ce membre est déjà référent·e.")
    follow_up.members.filter(is_referent=True, ended_on__isnull=True).update(is_referent=False)
    to.is_referent = True
    to.save(update_fields=["is_referent"])
    add_timeline_event(
        follow_up,
        TimelineEvent.Kind.MEMBER,
        author=by,
        organisation=to.organisation,
        text=f"{_name(to.user)} ({to.organisation.name}) devient référent·e de parcours.",
    )
    audit_beneficiary("update", follow_up.beneficiary, by=by, what="référent", request=request, member=to.pk)
    return to


@transaction.atomic
def end_membership(
    member: FollowUpMember,
    *,
    by,
    reason: str = "",
    successor: FollowUpMember | None = None,
    request=None,
) -> FollowUpMember:
    """A member leaves (or the referent ends someone's membership).

    The referent names a successor among the other active members; on an open follow-up the last
    active member cannot leave: they close it, or first invite who takes over.
    """
    follow_up = member.follow_up
    acting = _require_member(follow_up, by)
    if member.ended_on is not None or member.follow_up_id != follow_up.pk:
        raise FollowUpError("Ce membre a déjà quitté le suivi.")
    if acting.pk != member.pk and not acting.is_referent:
        raise FollowUpError("Seul le ou la référente peut retirer un autre membre.")
    others = list(active_members(follow_up).exclude(pk=member.pk))
    if not others and follow_up.status == FollowUp.Status.OPEN:
        raise FollowUpError(
            "Dernier membre du suivi : clôturez le suivi, ou invitez d'abord le ou la professionnelle qui prend le relais "
            "et désignez-la référente."
        )
    if member.is_referent and others and (successor is None or successor.pk not in {o.pk for o in others}):
        raise FollowUpError("Désignez parmi les autres membres le ou la nouvelle référente de parcours.")
    was_referent = member.is_referent
    _end(member, reason or ("départ" if acting.pk == member.pk else "retiré par le référent"), _today())
    if was_referent and others:
        successor.is_referent = True
        successor.save(update_fields=["is_referent"])
    text = f"{_name(member.user)} ({member.organisation.name}) quitte le suivi"
    if reason:
        text += f" : {reason}"
    if was_referent and successor:
        text += f". Nouveau·elle référent·e : {_name(successor.user)}"
    add_timeline_event(
        follow_up, TimelineEvent.Kind.MEMBER, author=by, organisation=member.organisation, text=text + "."
    )
    audit_beneficiary(
        "update", follow_up.beneficiary, by=by, what="membre retiré", request=request, member=member.pk
    )
    return member


@transaction.atomic
def close_follow_up(
    follow_up: FollowUp, *, by, reason: str, on: date | None = None, request=None
) -> FollowUp:
    """Close the follow-up. Members keep access (to record outcomes, answer the 6- and 12-month questions)."""
    member = _require_member(follow_up, by)
    _require_open(follow_up)
    on = _today(on)
    if on < follow_up.opened_on:
        raise FollowUpError("La date de sortie précède l'entrée dans le suivi.")
    follow_up.status, follow_up.closed_on, follow_up.closing_reason = FollowUp.Status.CLOSED, on, reason[:200]
    follow_up.save(update_fields=["status", "closed_on", "closing_reason"])
    add_timeline_event(
        follow_up,
        TimelineEvent.Kind.MEMBER,
        author=by,
        organisation=member.organisation,
        text=f"Suivi clos le {on:%d/%m/%Y}" + (f" : {reason}." if reason else "."),
    )
    audit_beneficiary("update", follow_up.beneficiary, by=by, what="clôture", request=request)
    signals.follow_up_closed.send(sender=FollowUp, follow_up=follow_up, by=by)
    return follow_up


@transaction.atomic
def reopen_follow_up(follow_up: FollowUp, *, by, request=None) -> FollowUp:
    member = _require_member(follow_up, by)
    if follow_up.status == FollowUp.Status.OPEN:
        raise FollowUpError("Ce suivi est déjà en cours.")
    follow_up.status, follow_up.closed_on, follow_up.closing_reason = FollowUp.Status.OPEN, None, ""
    follow_up.save(update_fields=["status", "closed_on", "closing_reason"])
    if referent_of(follow_up) is None:
        member.is_referent = True
        member.save(update_fields=["is_referent"])
    add_timeline_event(
        follow_up,
        TimelineEvent.Kind.MEMBER,
        author=by,
        organisation=member.organisation,
        text="Suivi rouvert.",
    )
    audit_beneficiary("update", follow_up.beneficiary, by=by, what="réouverture", request=request)
    return follow_up


def end_inactive_memberships(today: date | None = None) -> int:
    """Daily: end the memberships of professionals with no activity in a follow-up for N months.

    A member's activity is the latest timeline event they wrote in the follow-up, or the start of
    their membership. When the referent is ended, the most recently active remaining member takes the
    role; when nobody remains, the follow-up is closed. Returns the number of memberships ended.
    """
    today = _today(today)
    months = inactivity_months()
    cutoff_day = add_months(today, -months)
    cutoff = timezone.make_aware(datetime.combine(cutoff_day, datetime.min.time()))
    last_event = (
        TimelineEvent.objects.filter(follow_up=OuterRef("follow_up"), author=OuterRef("user"))
        .order_by("-at")
        .values("at")[:1]
    )
    stale = list(
        FollowUpMember.objects.filter(ended_on__isnull=True, started_on__lt=cutoff_day)
        .annotate(last_at=Subquery(last_event))
        .filter(Q(last_at__isnull=True) | Q(last_at__lt=cutoff))
        .values_list("follow_up_id", flat=True)
        .distinct()
    )
    ended = 0
    reason = f"sans activité depuis {months} mois"
    for follow_up_id in stale:
        with transaction.atomic():
            follow_up = (
                FollowUp.objects.select_for_update().select_related("beneficiary").get(pk=follow_up_id)
            )
            members = list(
                FollowUpMember.objects.filter(follow_up=follow_up, ended_on__isnull=True)
                .annotate(last_at=Subquery(last_event))
                .select_related("user", "organisation")
            )

            def activity(m):
                started = timezone.make_aware(datetime.combine(m.started_on, datetime.min.time()))
                return max(started, m.last_at) if m.last_at else started

            leaving = [m for m in members if m.started_on < cutoff_day and activity(m) < cutoff]
            staying = sorted((m for m in members if m not in leaving), key=activity, reverse=True)
            referent_left = any(m.is_referent for m in leaving)
            for m in leaving:
                _end(m, reason, today)
            if referent_left and staying:
                staying[0].is_referent = True
                staying[0].save(update_fields=["is_referent"])
            text = f"{len(leaving)} membre(s) retiré(s) du suivi, {reason}"
            if not staying and follow_up.status == FollowUp.Status.OPEN:
                follow_up.status, follow_up.closed_on = FollowUp.Status.CLOSED, today
                follow_up.closing_reason = reason.capitalize()
                follow_up.save(update_fields=["status", "closed_on", "closing_reason"])
                text += " ; suivi clos"
            TimelineEvent.objects.create(
                follow_up=follow_up, kind=TimelineEvent.Kind.MEMBER, text=text + ".", author=None
            )
            audit_beneficiary(
                "update", follow_up.beneficiary, by=None, what="inactivité", ended=[m.pk for m in leaving]
            )
            ended += len(leaving)
    return ended


# --- join requests (duplicates found on creation) ------------------------------------------------


@transaction.atomic
def request_to_join(
    beneficiary: Beneficiary, *, by, organisation, message: str = "", request=None
) -> JoinRequest:
    """Ask the referent of an existing follow-up to be admitted; the requester sees nothing until then."""
    follow_up = beneficiary.follow_up
    if organisation.territory_id != beneficiary.territory_id:
        raise FollowUpError("Cette organisation n'appartient pas au territoire.")
    if referent_of(follow_up) is None:
        raise FollowUpError(
            "Le suivi de cette personne n'a plus de référent·e : contactez la coordination de la Cité de l'emploi."
        )
    if member_of(follow_up, by) is not None:
        raise FollowUpError("Vous êtes déjà membre de ce suivi.")
    if JoinRequest.objects.filter(
        follow_up=follow_up, requester=by, status=JoinRequest.Status.PENDING
    ).exists():
        raise FollowUpError(
            "Vous avez déjà demandé à rejoindre ce suivi ; la réponse vous parviendra par courriel."
        )
    join_request = JoinRequest.objects.create(
        follow_up=follow_up, requester=by, organisation=organisation, message=message.strip()[:2000]
    )
    audit_beneficiary(
        "create",
        beneficiary,
        by=by,
        what="demande à rejoindre",
        request=request,
        join_request=join_request.pk,
    )
    _on_commit_enqueue("notify_join_request", join_request.pk)
    return join_request


@transaction.atomic
def answer_join_request(join_request: JoinRequest, *, by, accept: bool, request=None) -> JoinRequest:
    """The referent admits the requester (with the consent rule) or declines; the requester is told."""
    follow_up = join_request.follow_up
    _require_referent(follow_up, by)
    if join_request.status != JoinRequest.Status.PENDING:
        raise FollowUpError("Cette demande a déjà reçu une réponse.")
    if accept:
        if follow_up.status != FollowUp.Status.OPEN:
            reopen_follow_up(follow_up, by=by, request=request)
        invite_member(
            follow_up,
            user=join_request.requester,
            organisation=join_request.organisation,
            by=by,
            reason="demande acceptée",
            notify=False,
            request=request,
        )
    join_request.status = JoinRequest.Status.ACCEPTED if accept else JoinRequest.Status.REFUSED
    join_request.answered_at, join_request.answered_by = timezone.now(), by
    join_request.save(update_fields=["status", "answered_at", "answered_by"])
    audit_beneficiary(
        "update",
        follow_up.beneficiary,
        by=by,
        what="demande à rejoindre",
        request=request,
        join_request=join_request.pk,
        accepted=accept,
    )
    _on_commit_enqueue("notify_join_answer", join_request.pk)
    return join_request


# --- barriers and professional project ----------------------------------------------------------

BARRIER_TRANSITIONS = {
    Barrier.Status.IDENTIFIED: (Barrier.Status.IN_PROGRESS,),
    Barrier.Status.IN_PROGRESS: (Barrier.Status.LIFTED, Barrier.Status.NOT_LIFTED),
    Barrier.Status.NOT_LIFTED: (Barrier.Status.IN_PROGRESS,),  # a new attempt
    Barrier.Status.LIFTED: (Barrier.Status.IDENTIFIED,),  # the barrier came back
}


def allowed_barrier_statuses(barrier: Barrier) -> tuple[str, ...]:
    return BARRIER_TRANSITIONS.get(barrier.status, ())


@transaction.atomic
def add_barrier(
    follow_up: FollowUp,
    *,
    thematique: str,
    by,
    notes: str = "",
    identified_on: date | None = None,
    request=None,
) -> Barrier:
    """A need coded with a data·inclusion thématique (its category is derived from the value)."""
    member = _require_member(follow_up, by)
    if thematique not in dict(enums.THEMATIQUES):
        raise FollowUpError("Thématique inconnue du référentiel data·inclusion.")
    if follow_up.barriers.filter(thematique=thematique).exists():
        raise FollowUpError("Ce frein est déjà noté : changez plutôt son statut.")
    identified_on = _today(identified_on)
    if identified_on > timezone.localdate():
        raise FollowUpError("La date d'identification ne peut pas être dans le futur.")
    barrier = Barrier.objects.create(
        follow_up=follow_up,
        thematique=thematique,
        category=enums.category_of(thematique),
        identified_on=identified_on,
        status_changed_on=identified_on,
        notes=notes.strip(),
        recorded_by=by,
    )
    BarrierStatusChange.objects.create(barrier=barrier, status=barrier.status, changed_on=identified_on)
    add_timeline_event(
        follow_up,
        TimelineEvent.Kind.BARRIER,
        author=by,
        organisation=member.organisation,
        text=f"Frein identifié : {enums.label(thematique)}.",
    )
    audit_beneficiary(
        "create", follow_up.beneficiary, by=by, what="frein", request=request, barrier=barrier.pk
    )
    return barrier


@transaction.atomic
def change_barrier_status(
    barrier: Barrier, status: str, *, by, on: date | None = None, notes: str | None = None, request=None
) -> Barrier:
    """identified → in progress → lifted / not lifted (and back, for a new attempt); other moves are refused."""
    follow_up = barrier.follow_up
    member = _require_member(follow_up, by)
    if status not in allowed_barrier_statuses(barrier):
        raise InvalidTransition(
            f"Un frein « {barrier.get_status_display().lower()} » ne peut pas passer "
            f"à « {Barrier.Status(status).label.lower() if status in Barrier.Status.values else status} »."
        )
    on = _today(on)
    if on < barrier.status_changed_on:
        raise FollowUpError("La date précède le dernier changement de statut.")
    barrier.status, barrier.status_changed_on = status, on
    fields = ["status", "status_changed_on"]
    if notes is not None:
        barrier.notes = notes.strip()
        fields.append("notes")
    barrier.save(update_fields=fields)
    BarrierStatusChange.objects.create(barrier=barrier, status=status, changed_on=on)
    add_timeline_event(
        follow_up,
        TimelineEvent.Kind.BARRIER,
        author=by,
        organisation=member.organisation,
        text=f"Frein « {enums.label(barrier.thematique)} » : {barrier.get_status_display().lower()}.",
    )
    audit_beneficiary(
        "update",
        follow_up.beneficiary,
        by=by,
        what="frein",
        request=request,
        barrier=barrier.pk,
        status=status,
    )
    return barrier


@transaction.atomic
def delete_barrier(barrier: Barrier, *, by, request=None) -> None:
    """Only a barrier still « identified » can be removed (recorded by mistake)."""
    _require_member(barrier.follow_up, by)
    if barrier.status != Barrier.Status.IDENTIFIED:
        raise FollowUpError("Seul un frein encore au statut « identifié » peut être supprimé.")
    audit_beneficiary(
        "delete", barrier.follow_up.beneficiary, by=by, what="frein", request=request, barrier=barrier.pk
    )
    barrier.delete()


@transaction.atomic
def save_project(
    follow_up: FollowUp,
    *,
    by,
    target_jobs=(),
    contracts=(),
    mobility_km: int | None = None,
    has_driving_licence: bool = False,
    has_vehicle: bool = False,
    notes: str = "",
    request=None,
) -> ProfessionalProject:
    member = _require_member(follow_up, by)
    unknown = set(contracts) - set(ProfessionalProject.Contract.values)
    if unknown:
        raise FollowUpError("Type de contrat inconnu.")
    if mobility_km is not None and not 0 <= mobility_km <= 500:
        raise FollowUpError("La mobilité s'exprime entre 0 et 500 km.")
    project, _ = ProfessionalProject.objects.get_or_create(follow_up=follow_up)
    project.contracts = [c for c in ProfessionalProject.Contract.values if c in set(contracts)]
    project.mobility_km = mobility_km
    project.has_driving_licence = has_driving_licence
    project.has_vehicle = has_vehicle
    project.notes = notes.strip()
    project.save()
    project.target_jobs.set(target_jobs)
    add_timeline_event(
        follow_up,
        TimelineEvent.Kind.NOTE,
        author=by,
        organisation=member.organisation,
        text="Projet professionnel mis à jour : "
        + (", ".join(j.label for j in project.target_jobs.all()) or "aucun métier visé")
        + ".",
    )
    audit_beneficiary("update", follow_up.beneficiary, by=by, what="projet professionnel", request=request)
    return project


# --- outcomes -----------------------------------------------------------------------------------

OUTCOME_CONTRACTS = {
    Outcome.Kind.LASTING_JOB: (("cdi", "CDI"), ("cdd-6-mois-et-plus", "CDD de 6 mois ou plus")),
    Outcome.Kind.TRANSITION_JOB: (
        ("cdd-moins-6-mois", "CDD de moins de 6 mois"),
        ("interim", "Intérim"),
        ("contrat-aide", "Contrat aidé"),
        ("iae", "Insertion par l'activité économique (IAE)"),
    ),
}
CONTRACT_LABELS = {value: label for options in OUTCOME_CONTRACTS.values() for value, label in options}


@transaction.atomic
def record_outcome(
    follow_up: FollowUp,
    *,
    kind: str,
    occurred_on: date,
    by,
    contract: str = "",
    details: str = "",
    request=None,
) -> Outcome:
    """A sortie: lasting job (CDI, CDD ≥ 6 months), transition job, qualifying training, business, other."""
    member = _require_member(follow_up, by)
    if kind not in Outcome.Kind.values:
        raise FollowUpError("Nature de sortie inconnue.")
    contracts = dict(OUTCOME_CONTRACTS.get(kind, ()))
    if contracts and contract not in contracts:
        raise FollowUpError(f"Précisez le contrat : {', '.join(contracts.values())}.")
    if not contracts:
        contract = ""
    if occurred_on > add_months(timezone.localdate(), 3):
        raise FollowUpError("La date de sortie est trop loin dans le futur.")
    outcome = Outcome.objects.create(
        follow_up=follow_up,
        kind=kind,
        contract=contract,
        occurred_on=occurred_on,
        details=details.strip()[:255],
        recorded_by=by,
    )
    label = Outcome.Kind(kind).label + (f" — {contracts[contract]}" if contract else "")
    add_timeline_event(
        follow_up,
        TimelineEvent.Kind.OUTCOME,
        author=by,
        organisation=member.organisation,
        text=f"Sortie le {occurred_on:%d/%m/%Y} : {label}.",
    )
    audit_beneficiary(
        "create", follow_up.beneficiary, by=by, what="sortie", request=request, outcome=outcome.pk
    )
    return outcome


SITUATION_MILESTONES = ((12, "situation_asked_12_at"), (6, "situation_asked_6_at"))


def ask_situation_updates(today: date | None = None) -> int:
    """Daily: ask the referent for the person's situation 6 and 12 months after entry, once each.

    A follow-up past both milestones when first seen gets one e-mail (the 12-month one) and both are
    marked asked. Follow-ups without an active referent wait until they have one. Returns e-mails sent.
    """
    today = _today(today)
    now = timezone.now()
    due = Q()
    for months, field in SITUATION_MILESTONES:
        due |= Q(**{f"{field}__isnull": True, "opened_on__lte": add_months(today, -months)})
    referents = FollowUpMember.objects.filter(
        is_referent=True, ended_on__isnull=True, follow_up__beneficiary__anonymised_at__isnull=True
    ).filter(Q(follow_up__in=FollowUp.objects.filter(due)))
    sent = 0
    for referent in referents.select_related("user", "follow_up", "follow_up__beneficiary").order_by("pk"):
        follow_up = referent.follow_up
        reached = [
            (months, field)
            for months, field in SITUATION_MILESTONES
            if getattr(follow_up, field) is None and follow_up.opened_on <= add_months(today, -months)
        ]
        if not reached:
            continue
        months = reached[0][0]
        if referent.user.email and referent.user.is_active:
            body = render_to_string(
                "followup/emails/situation_question.txt",
                {
                    "months": months,
                    "follow_up": follow_up,
                    "referent": referent.user,
                    "url": settings.SITE_URL
                    + reverse("followup:outcome_create", args=[follow_up.beneficiary_id]),
                    "detail_url": settings.SITE_URL
                    + reverse("followup:beneficiary", args=[follow_up.beneficiary_id]),
                },
            )
            send_mail(
                f"Quelle est la situation de la personne (fiche n° {follow_up.beneficiary_id}) {months} mois après son entrée ?",
                body,
                None,
                [referent.user.email],
            )
            sent += 1
        FollowUp.objects.filter(pk=follow_up.pk).update(**{field: now for _, field in reached})
        audit_beneficiary(
            "update",
            follow_up.beneficiary,
            by=None,
            what=f"situation à {months} mois demandée",
            referent=referent.pk,
        )
    return sent


# --- personal data: erasure, anonymisation, retention --------------------------------------------


def _delete_documents(consents) -> None:
    names = [c.document.name for c in consents if c.document]
    if not names:
        return
    storage = Consent._meta.get_field("document").storage

    def remove():
        for name in names:
            try:
                storage.delete(name)
            except OSError:  # already gone: nothing to erase
                logger.warning("Consent document missing on erasure")

    transaction.on_commit(remove)


def _anonymise(beneficiary: Beneficiary, *, by, reason: str, request=None) -> None:
    follow_up = getattr(beneficiary, "follow_up", None)
    today = timezone.localdate()
    beneficiary.first_name, beneficiary.last_name = "Personne", f"anonymisée n° {beneficiary.pk}"
    # Mid-year keeps the age group right within a few months for the indicators.
    beneficiary.birth_date = date(beneficiary.birth_date.year, 7, 1)
    for field in ("phone", "email", "address", "postcode", "france_travail_id"):
        setattr(beneficiary, field, "")
    beneficiary.longitude = beneficiary.latitude = None
    beneficiary.anonymised_at = timezone.now()
    beneficiary.version += 1
    beneficiary.updated_by = by if getattr(by, "is_authenticated", False) else None
    beneficiary.save()
    beneficiary.facts.update(value="")
    consents = list(beneficiary.consents.all())
    _delete_documents(consents)
    beneficiary.consents.update(document="")
    if follow_up is not None:
        follow_up.events.update(text="")
        follow_up.barriers.update(notes="")
        ProfessionalProject.objects.filter(follow_up=follow_up).update(notes="")
        follow_up.outcomes.update(details="")
        Referral.objects.filter(follow_up=follow_up).update(message="")
        ReferralEvent.objects.filter(referral__follow_up=follow_up).update(note="")
        CaseReviewItem.objects.filter(follow_up=follow_up).update(decision="")
        follow_up.join_requests.update(message="")
        follow_up.join_requests.filter(status=JoinRequest.Status.PENDING).update(
            status=JoinRequest.Status.CANCELLED, answered_at=timezone.now()
        )
        for member in follow_up.members.filter(ended_on__isnull=True):
            _end(member, ANONYMISED, today)
        if follow_up.status == FollowUp.Status.OPEN:
            follow_up.status, follow_up.closed_on, follow_up.closing_reason = (
                FollowUp.Status.CLOSED,
                today,
                ANONYMISED,
            )
            follow_up.save(update_fields=["status", "closed_on", "closing_reason"])
    signals.beneficiary_anonymised.send(
        sender=Beneficiary, beneficiary=beneficiary, follow_up=follow_up, by=by
    )
    audit_beneficiary("update", beneficiary, by=by, what="anonymisation", request=request, reason=reason)


@transaction.atomic
def anonymise_beneficiary(
    beneficiary: Beneficiary, *, by, reason: str = "demande de la personne", request=None
):
    """Keep the statistics (sex, age group, commune, QPV, barriers, referrals, outcomes), drop the person.

    Names, contact details, address, exact birth date, France Travail identifier, every free text and
    the scanned consent forms are erased; memberships end, so nobody sees the record any more.
    """
    _require_referent(beneficiary.follow_up, by)
    _anonymise(beneficiary, by=by, reason=reason, request=request)
    return beneficiary


@transaction.atomic
def delete_beneficiary(beneficiary: Beneficiary, *, by, request=None) -> None:
    """Erase the person and everything attached (the audit log keeps only the record's number)."""
    _require_referent(beneficiary.follow_up, by)
    _delete_documents(list(beneficiary.consents.all()))
    audit_beneficiary("delete", beneficiary, by=by, what="effacement", request=request)
    beneficiary.delete()


@dataclass
class PurgeLine:
    beneficiary_id: int
    closed_on: date


def purge_candidates(today: date | None = None):
    limit = add_months(_today(today), -retention_months())
    return (
        Beneficiary.objects.filter(
            anonymised_at__isnull=True,
            follow_up__status=FollowUp.Status.CLOSED,
            follow_up__closed_on__lt=limit,
        )
        .select_related("follow_up")
        .order_by("follow_up__closed_on", "pk")
    )


def purge(today: date | None = None, *, dry_run: bool = False) -> list[PurgeLine]:
    """Anonymise the people whose follow-up was closed more than FOLLOWUP_RETENTION_MONTHS ago."""
    lines = []
    for beneficiary in purge_candidates(today):
        lines.append(PurgeLine(beneficiary.pk, beneficiary.follow_up.closed_on))
        if not dry_run:
            with transaction.atomic():
                _anonymise(beneficiary, by=None, reason=f"durée de conservation ({retention_months()} mois)")
    return lines


# --- e-mails (sent by the tasks) -----------------------------------------------------------------


def _mail(template: str, subject: str, to: list[str], context: dict) -> int:
    recipients = [address for address in to if address]
    if not recipients:
        return 0
    body = render_to_string(template, {**context, "base_url": settings.SITE_URL})
    return send_mail(subject, body, None, recipients)


def send_invitation_email(member: FollowUpMember, inviter=None) -> int:
    follow_up = member.follow_up
    return _mail(
        "followup/emails/invitation.txt",
        "Vous êtes invité·e à rejoindre un suivi partagé",
        [member.user.email],
        {
            "member": member,
            "inviter": inviter,
            "url": settings.SITE_URL + reverse("followup:beneficiary", args=[follow_up.beneficiary_id]),
        },
    )


def send_join_request_email(join_request: JoinRequest) -> int:
    referent = referent_of(join_request.follow_up)
    if referent is None:
        return 0
    return _mail(
        "followup/emails/join_request.txt",
        "Demande pour rejoindre un suivi dont vous êtes référent·e",
        [referent.user.email],
        {"join_request": join_request, "url": settings.SITE_URL + reverse("followup:join_requests")},
    )


def send_join_answer_email(join_request: JoinRequest) -> int:
    accepted = join_request.status == JoinRequest.Status.ACCEPTED
    return _mail(
        "followup/emails/join_answer.txt",
        "Votre demande pour rejoindre un suivi a été " + ("acceptée" if accepted else "déclinée"),
        [join_request.requester.email],
        {
            "join_request": join_request,
            "accepted": accepted,
            "url": settings.SITE_URL
            + (
                reverse("followup:beneficiary", args=[join_request.follow_up.beneficiary_id])
                if accepted
                else reverse("followup:join_requests")
            ),
        },
    )
