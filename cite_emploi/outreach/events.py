"""Recruitment events (opérations de recrutement): every write, one function per use case.

- The coordination, or a professional of an organising organisation, creates and edits an event.
- Employers register on a public page (company, SIRET, contact, one to five offers typed as they
  wish): the registration waits for an organiser, who confirms it — the organisation is found by its
  SIRET in the territory or created as an « Employeur », and the offers are written with
  ``talent.offers.save_offer`` and presented at the event — or declines it. A signed-in employer
  registers their own organisation from the event page, pending too.
- A professional invites a person whose follow-up they belong to, with the preparation done.
- Interviews are recorded by the members of the person's follow-up or by the organisers; a hire
  is recorded only by a member of the follow-up, and it is, in the same transaction, an outcome
  (« sortie ») of the follow-up through ``followup.services.record_outcome``.

Each function runs in a transaction, checks who acts, audits, and writes to the person's timeline
where it concerns a person. Errors a user can cause are ``EventError`` with a French message.
E-mails leave after the commit, as background tasks; they never name a candidate.
"""

from datetime import date, datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from cite_emploi.accounts.models import Membership
from cite_emploi.core import audit
from cite_emploi.followup import services as followup
from cite_emploi.followup.access import PROFESSIONAL_ROLES
from cite_emploi.followup.models import FollowUp, Outcome, TimelineEvent
from cite_emploi.followup.queries import perimeter_qpvs, territory_communes
from cite_emploi.partners import services as partners
from cite_emploi.partners.models import Organisation, OrganisationKind
from cite_emploi.partners.siret import siret_error
from cite_emploi.talent.models import Contract, JobOffer
from cite_emploi.talent.offers import MAX_HOURS, OfferError, save_offer
from cite_emploi.territory.models import RomeAppellation

from .models import (
    EventCandidate,
    EventEmployer,
    EventOffer,
    Interview,
    RecruitmentEvent,
    RecruitmentKind,
)

MAX_PROPOSED_OFFERS = 5
MAX_POSTS = 500
EVENT_FIELDS = (
    "kind",
    "title",
    "description",
    "starts_at",
    "ends_at",
    "status",
    "qpv",
    "commune",
    "place_label",
    "registration_open",
    "registration_deadline",
)
# The contract of a hire says which outcome of the follow-up it is (followup.services.OUTCOME_CONTRACTS);
# an apprenticeship is a qualifying training there, with no contract of its own.
APPRENTICESHIP = "alternance"
HIRE_CONTRACTS = (
    *(option for options in followup.OUTCOME_CONTRACTS.values() for option in options),
    (APPRENTICESHIP, "Alternance (apprentissage, professionnalisation)"),
)
HIRE_CONTRACT_LABELS = dict(HIRE_CONTRACTS)


class EventError(Exception):
    """A rule of recruitment events was not met; ``message`` is French and shown as is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- who may act --------------------------------------------------------------------------------


def _memberships(user, territory_id: int):
    if not getattr(user, "is_authenticated", False):
        return Membership.objects.none()
    return Membership.objects.active().filter(
        user=user, user__is_active=True, organisation__territory_id=territory_id
    )


def is_coordinator(user, territory_id: int) -> bool:
    return _memberships(user, territory_id).filter(role="coordinator").exists()


def professional_organisation_ids(user, territory_id: int) -> list[int]:
    return list(
        _memberships(user, territory_id)
        .filter(role__in=PROFESSIONAL_ROLES)
        .order_by("organisation__name", "pk")
        .values_list("organisation_id", flat=True)
    )


def employer_organisation_ids(user, territory_id: int) -> list[int]:
    return list(
        _memberships(user, territory_id)
        .filter(role="employer")
        .order_by("organisation__name", "pk")
        .values_list("organisation_id", flat=True)
    )


def can_manage(event: RecruitmentEvent, user) -> bool:
    """The coordination of the territory, or a professional of an organising organisation."""
    if is_coordinator(user, event.territory_id):
        return True
    mine = professional_organisation_ids(user, event.territory_id)
    return bool(mine) and event.organisers.filter(pk__in=mine).exists()


def _require_manager(event: RecruitmentEvent, user) -> None:
    if not can_manage(event, user):
        raise EventError(
            "Seules la coordination et les organisations qui organisent l'opération peuvent faire cette action."
        )


def speaks_for(user, registration: EventEmployer) -> bool:
    """The user is an employer member of the registered organisation."""
    return registration.organisation_id is not None and registration.organisation_id in (
        employer_organisation_ids(user, registration.event.territory_id)
    )


# --- the event ----------------------------------------------------------------------------------


def _clean_event(territory, data: dict) -> dict:
    values = {key: data[key] for key in EVENT_FIELDS if key in data}
    values["title"] = (values.get("title") or "").strip()[:200]
    values["description"] = (values.get("description") or "").strip()
    values["place_label"] = (values.get("place_label") or "").strip()[:200]
    if not values["title"]:
        raise EventError("Donnez un intitulé à l'opération.")
    if values.get("kind") not in RecruitmentKind.values:
        raise EventError("Choisissez la nature de l'opération.")
    if values.get("status", RecruitmentEvent.Status.PLANNED) not in RecruitmentEvent.Status.values:
        raise EventError("Statut d'opération inconnu.")
    starts_at, ends_at = values.get("starts_at"), values.get("ends_at")
    if not isinstance(starts_at, datetime):
        raise EventError("Indiquez la date et l'heure de début.")
    if ends_at is not None and ends_at < starts_at:
        raise EventError("La fin de l'opération ne peut pas précéder son début.")
    deadline = values.get("registration_deadline")
    if deadline is not None and deadline > timezone.localtime(starts_at).date():
        raise EventError("La date limite d'inscription ne peut pas être après le jour de l'opération.")
    qpv, commune = values.get("qpv"), values.get("commune")
    if qpv is not None and not perimeter_qpvs(territory).filter(pk=qpv.pk).exists():
        raise EventError("Ce quartier n'appartient pas au périmètre de la Cité de l'emploi.")
    if commune is not None and not territory_communes(territory).filter(pk=commune.pk).exists():
        raise EventError("Cette commune n'appartient pas au territoire.")
    if qpv is None and commune is None and not values["place_label"]:
        raise EventError("Indiquez le lieu : un quartier, une commune ou une adresse.")
    return values


def _organiser_ids(territory, organisers, user) -> set[int]:
    organisers = list(organisers)
    if any(o.territory_id != territory.pk for o in organisers):
        raise EventError("Les organisateurs doivent être des organisations du territoire.")
    ids = {o.pk for o in organisers}
    if is_coordinator(user, territory.pk):
        if not ids:
            raise EventError("Choisissez au moins une organisation organisatrice.")
        return ids
    mine = professional_organisation_ids(user, territory.pk)
    if not ids.intersection(mine):
        # A counsellor who leaves their own organisation out would lose the event they just wrote.
        ids.add(mine[0])
    return ids


@transaction.atomic
def create_event(territory, *, by, data: dict, organisers, request=None) -> RecruitmentEvent:
    """A professional of the territory plans an event; their organisation organises it."""
    if not professional_organisation_ids(by, territory.pk):
        raise EventError(
            "Seuls la coordination et les professionnels du territoire organisent une opération de recrutement."
        )
    values = _clean_event(territory, data)
    ids = _organiser_ids(territory, organisers, by)
    event = RecruitmentEvent.objects.create(territory=territory, created_by=by, **values)
    event.organisers.set(ids)
    audit.record("create", actor=by, obj=event, territory_id=territory.pk, request=request)
    return event


@transaction.atomic
def update_event(event: RecruitmentEvent, *, by, data: dict, organisers, request=None) -> RecruitmentEvent:
    _require_manager(event, by)
    values = _clean_event(event.territory, data)
    ids = _organiser_ids(event.territory, organisers, by)
    for key, value in values.items():
        setattr(event, key, value)
    event.save()
    event.organisers.set(ids)
    audit.record("update", actor=by, obj=event, territory_id=event.territory_id, request=request)
    return event


# --- employers' registration --------------------------------------------------------------------


def registration_closed_reason(event: RecruitmentEvent, now: datetime | None = None) -> str | None:
    """Why employers may no longer register, in French; None while they may."""
    now = now or timezone.now()
    if event.status == RecruitmentEvent.Status.CANCELLED:
        return "Cette opération est annulée : les inscriptions sont closes."
    if event.starts_at <= now or event.status == RecruitmentEvent.Status.DONE:
        return "Cette opération a déjà eu lieu : les inscriptions sont closes."
    if not event.registration_open:
        return "Les organisateurs ont clos les inscriptions des employeurs à cette opération."
    deadline = event.registration_deadline
    if deadline is not None and deadline < timezone.localdate(now):
        return (
            f"La date limite d'inscription ({deadline:%d/%m/%Y}) est passée : les inscriptions sont closes."
        )
    return None


def _require_open(event: RecruitmentEvent) -> None:
    if reason := registration_closed_reason(event):
        raise EventError(reason)


def _proposal(row: dict) -> dict:
    """One offer typed on the registration form, checked and kept as the employer wrote it."""
    title = " ".join(str(row.get("title") or "").split())[:200]
    appellation = row.get("appellation")
    if not title:
        raise EventError("Donnez un intitulé à chaque offre.")
    if not isinstance(appellation, RomeAppellation):
        raise EventError(f"Offre « {title} » : choisissez le métier dans le répertoire ROME.")
    if row.get("contract") not in Contract.values:
        raise EventError(f"Offre « {title} » : choisissez le type de contrat.")
    hours = row.get("hours_per_week")
    if hours is not None and not 1 <= hours <= MAX_HOURS:
        raise EventError(
            f"Offre « {title} » : la durée hebdomadaire doit être comprise entre 1 et {MAX_HOURS} heures."
        )
    posts = row.get("posts") or 1
    if not 1 <= posts <= MAX_POSTS:
        raise EventError(f"Offre « {title} » : le nombre de postes doit être compris entre 1 et {MAX_POSTS}.")
    return {
        "title": title,
        "appellation": appellation.code,
        "appellation_label": appellation.label,
        "rome_code": appellation.occupation.code,
        "contract": row["contract"],
        "hours_per_week": hours,
        "posts": posts,
    }


def _proposals(rows) -> list[dict]:
    rows = list(rows)
    if not 1 <= len(rows) <= MAX_PROPOSED_OFFERS:
        raise EventError(f"Présentez entre 1 et {MAX_PROPOSED_OFFERS} offres d'emploi.")
    return [_proposal(row) for row in rows]


@transaction.atomic
def register_employer(
    event: RecruitmentEvent,
    *,
    company_name: str,
    siret: str,
    contact_name: str,
    contact_email: str,
    contact_phone: str = "",
    offers,
    request=None,
) -> EventEmployer:
    """The public form: a company registers with its offers; an organiser confirms it later."""
    _require_open(event)
    siret = siret.replace(" ", "")
    if error := siret_error(siret):
        raise EventError(error)
    company_name, contact_name = company_name.strip()[:200], contact_name.strip()[:200]
    if not company_name or not contact_name or not contact_email.strip():
        raise EventError("Indiquez la raison sociale, le nom et le courriel du contact.")
    proposals = _proposals(offers)
    already = event.employers.filter(siret=siret).exclude(status=EventEmployer.Status.DECLINED)
    if already.exists():
        raise EventError(
            "Une inscription de cette entreprise (même SIRET) est déjà enregistrée pour cette opération : "
            "les organisateurs reviendront vers vous."
        )
    registration = EventEmployer.objects.create(
        event=event,
        company_name=company_name,
        siret=siret,
        contact_name=contact_name,
        contact_email=contact_email.strip(),
        contact_phone=contact_phone.strip()[:20],
        proposed_offers=proposals,
    )
    audit.record(
        "create",
        obj=registration,
        territory_id=event.territory_id,
        request=request,
        what="inscription d'un employeur (formulaire public)",
    )
    _after_commit(notify_registration_received, registration.pk)
    return registration


@transaction.atomic
def register_organisation(
    event: RecruitmentEvent,
    organisation: Organisation,
    *,
    by,
    contact_phone: str = "",
    offers=(),
    request=None,
) -> EventEmployer:
    """A signed-in employer registers their organisation, with open offers of theirs to present."""
    if organisation.pk not in employer_organisation_ids(by, event.territory_id):
        raise EventError("Vous ne pouvez inscrire que votre propre organisation.")
    _require_open(event)
    existing = event.employers.filter(organisation=organisation).first()
    if existing is not None:
        if existing.status == EventEmployer.Status.DECLINED:
            raise EventError(
                "L'inscription de votre organisation à cette opération a été refusée : "
                "contactez les organisateurs."
            )
        raise EventError("Votre organisation est déjà inscrite à cette opération.")
    offers = list(offers)
    if len(offers) > MAX_PROPOSED_OFFERS:
        raise EventError(f"Présentez au plus {MAX_PROPOSED_OFFERS} offres d'emploi.")
    if any(o.organisation_id != organisation.pk or o.status != JobOffer.Status.OPEN for o in offers):
        raise EventError("Choisissez parmi les offres ouvertes de votre organisation.")
    registration = EventEmployer.objects.create(
        event=event,
        organisation=organisation,
        company_name=organisation.name,
        siret=organisation.siret,
        contact_name=by.get_full_name() or by.email,
        contact_email=by.email,
        contact_phone=contact_phone.strip()[:20],
        proposed_offers=[
            {
                "offer": o.pk,
                "title": o.title,
                "appellation": o.appellation.code,
                "appellation_label": o.appellation.label,
                "rome_code": o.rome_code,
                "contract": o.contract,
                "hours_per_week": o.hours_per_week,
                "posts": o.posts,
            }
            for o in offers
        ],
        registered_by=by,
    )
    audit.record(
        "create",
        actor=by,
        obj=registration,
        territory_id=event.territory_id,
        request=request,
        what="inscription d'un employeur",
    )
    _after_commit(notify_registration_received, registration.pk)
    return registration


def _employer_organisation(registration: EventEmployer, by) -> Organisation:
    """The organisation of the SIRET in the territory, or a new « Employeur » organisation."""
    territory_id = registration.event.territory_id
    if registration.siret:
        found = (
            Organisation.objects.filter(territory_id=territory_id, siret=registration.siret)
            .order_by("pk")
            .first()
        )
        if found is not None:
            if found.kind != OrganisationKind.EMPLOYER:
                raise EventError(
                    f"Le SIRET {registration.siret} est celui de « {found.name} », qui n'est pas recensée "
                    "comme employeur : corrigez sa nature dans la cartographie des partenaires, puis confirmez."
                )
            return found
    name = registration.company_name.strip()
    if Organisation.objects.filter(territory_id=territory_id, name=name).exists():
        # Another organisation already bears the name (no SIRET in common): the SIRET tells them apart.
        name = f"{name} ({registration.siret or registration.pk})"[:200]
    organisation = Organisation(
        territory_id=territory_id, name=name, kind=OrganisationKind.EMPLOYER, siret=registration.siret
    )
    return partners.save_organisation(organisation, by=by)


def _offer_from_proposal(proposal: dict, registration: EventEmployer, *, by, request=None) -> JobOffer | None:
    organisation = registration.organisation
    if proposal.get("offer"):
        # An offer the employer already had: it is presented if it is still theirs.
        return JobOffer.objects.filter(pk=proposal["offer"], organisation=organisation).first()
    appellation = RomeAppellation.objects.filter(code=proposal.get("appellation")).first()
    data = {
        "title": proposal.get("title", ""),
        "appellation": appellation,
        "contract": proposal.get("contract"),
        "hours_per_week": proposal.get("hours_per_week"),
        "posts": proposal.get("posts") or 1,
        "commune": organisation.commune or registration.event.commune,
        "status": JobOffer.Status.OPEN,
    }
    try:
        return save_offer(organisation=organisation, by=by, data=data, request=request)
    except OfferError as error:
        raise EventError(f"Offre « {data['title']} » : {error.message}") from error


@transaction.atomic
def confirm_employer(registration: EventEmployer, *, by, request=None) -> EventEmployer:
    """Confirm a pending registration: the organisation is found or created, its offers are presented."""
    event = registration.event
    _require_manager(event, by)
    if registration.status != EventEmployer.Status.PENDING:
        raise EventError("Cette inscription a déjà été traitée.")
    organisation = registration.organisation or _employer_organisation(registration, by)
    if event.employers.filter(organisation=organisation).exclude(pk=registration.pk).exists():
        raise EventError(
            f"« {organisation.name} » participe déjà à cette opération : refusez cette inscription en double."
        )
    registration.organisation = organisation
    registration.status = EventEmployer.Status.CONFIRMED
    registration.save(update_fields=["organisation", "status"])
    for proposal in registration.proposed_offers:
        offer = _offer_from_proposal(proposal, registration, by=by, request=request)
        if offer is not None:
            EventOffer.objects.get_or_create(event=event, offer=offer, defaults={"employer": registration})
    audit.record(
        "update",
        actor=by,
        obj=registration,
        territory_id=event.territory_id,
        request=request,
        what="inscription d'un employeur confirmée",
    )
    _after_commit(notify_registration_answered, registration.pk, "")
    return registration


@transaction.atomic
def decline_employer(registration: EventEmployer, *, by, reason: str = "", request=None) -> EventEmployer:
    event = registration.event
    _require_manager(event, by)
    if registration.status != EventEmployer.Status.PENDING:
        raise EventError("Cette inscription a déjà été traitée.")
    registration.status = EventEmployer.Status.DECLINED
    registration.save(update_fields=["status"])
    audit.record(
        "update",
        actor=by,
        obj=registration,
        territory_id=event.territory_id,
        request=request,
        what="inscription d'un employeur refusée",
    )
    _after_commit(notify_registration_answered, registration.pk, reason.strip()[:1000])
    return registration


@transaction.atomic
def add_offer(
    registration: EventEmployer, *, by, data: dict | None = None, offer: JobOffer | None = None, request=None
) -> EventOffer:
    """An employer taking part, or an organiser, presents an offer (an existing one, or a new one)."""
    event = registration.event
    if not (speaks_for(by, registration) or can_manage(event, by)):
        raise EventError("Seuls l'employeur participant et les organisateurs ajoutent ses offres.")
    if registration.status != EventEmployer.Status.CONFIRMED or registration.organisation_id is None:
        raise EventError(
            "La participation de cet employeur doit d'abord être confirmée par les organisateurs."
        )
    if event.status == RecruitmentEvent.Status.CANCELLED:
        raise EventError("Cette opération est annulée.")
    if offer is not None:
        if offer.organisation_id != registration.organisation_id:
            raise EventError("Cette offre n'est pas celle de cet employeur.")
        if EventOffer.objects.filter(event=event, offer=offer).exists():
            raise EventError("Cette offre est déjà présentée à l'opération.")
    else:
        values = dict(data or {})
        values.setdefault("commune", registration.organisation.commune or event.commune)
        try:
            offer = save_offer(organisation=registration.organisation, by=by, data=values, request=request)
        except OfferError as error:
            raise EventError(error.message) from error
    presented = EventOffer.objects.create(event=event, offer=offer, employer=registration)
    audit.record(
        "create",
        actor=by,
        obj=presented,
        territory_id=event.territory_id,
        request=request,
        what="offre présentée à une opération",
    )
    return presented


# --- candidates ---------------------------------------------------------------------------------


def _event_label(event: RecruitmentEvent) -> str:
    return f"l'opération de recrutement « {event.title} » du {timezone.localtime(event.starts_at):%d/%m/%Y}"


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


@transaction.atomic
def invite_candidate(
    event: RecruitmentEvent,
    follow_up: FollowUp,
    *,
    by,
    prepared: bool = False,
    preparation: str = "",
    request=None,
) -> EventCandidate:
    """A member of the person's follow-up invites them, with the preparation done or planned."""
    member = followup.member_of(follow_up, by)
    if member is None:
        raise EventError("Vous ne pouvez inviter qu'une personne dont vous suivez le parcours.")
    beneficiary = follow_up.beneficiary
    if beneficiary.territory_id != event.territory_id or beneficiary.anonymised_at is not None:
        raise EventError("Cette personne n'appartient pas au territoire de l'opération.")
    if follow_up.status != FollowUp.Status.OPEN:
        raise EventError("Le suivi de cette personne est clos : rouvrez-le d'abord.")
    if event.status == RecruitmentEvent.Status.CANCELLED:
        raise EventError("Cette opération est annulée.")
    if event.candidates.filter(follow_up=follow_up).exists():
        raise EventError("Cette personne est déjà invitée à cette opération.")
    preparation = preparation.strip()[:2000]
    candidate = EventCandidate.objects.create(
        event=event,
        follow_up=follow_up,
        invited_by=by,
        organisation=member.organisation,
        prepared=prepared,
        preparation=preparation,
    )
    text = f"Invitation à {_event_label(event)}."
    if preparation:
        text += f" Préparation : {preparation}" + ("" if preparation.endswith(".") else ".")
    followup.add_timeline_event(
        follow_up, TimelineEvent.Kind.RECRUITMENT, author=by, organisation=member.organisation, text=text
    )
    followup.audit_beneficiary(
        "update",
        beneficiary,
        by=by,
        what="opération de recrutement (invitation)",
        request=request,
        event=event.pk,
        candidate=candidate.pk,
    )
    return candidate


@transaction.atomic
def update_candidate(
    candidate: EventCandidate,
    *,
    by,
    status: str,
    prepared: bool | None = None,
    preparation: str | None = None,
    request=None,
) -> EventCandidate:
    """Presence (organisers and members), preparation (members of the follow-up only)."""
    event = candidate.event
    member = followup.member_of(candidate.follow_up, by)
    if member is None and not can_manage(event, by):
        raise EventError("Seuls les membres du suivi de la personne et les organisateurs suivent sa venue.")
    if status not in EventCandidate.Status.values:
        raise EventError("Statut de candidat inconnu.")
    changes_preparation = (prepared is not None and prepared != candidate.prepared) or (
        preparation is not None and preparation.strip() != candidate.preparation
    )
    if changes_preparation and member is None:
        raise EventError("Seuls les membres du suivi de la personne renseignent sa préparation.")
    fields = []
    if status != candidate.status:
        candidate.status = status
        fields.append("status")
    if changes_preparation:
        if prepared is not None:
            candidate.prepared = prepared
        if preparation is not None:
            candidate.preparation = preparation.strip()[:2000]
        fields += ["prepared", "preparation"]
    if not fields:
        return candidate
    candidate.save(update_fields=fields)
    parts = []
    if "status" in fields:
        parts.append(f"statut « {candidate.get_status_display()} »")
    if changes_preparation:
        parts.append("préparation " + ("réalisée" if candidate.prepared else "à faire"))
    followup.add_timeline_event(
        candidate.follow_up,
        TimelineEvent.Kind.RECRUITMENT,
        author=by,
        organisation=member.organisation if member else None,
        text=f"{_capitalised(_event_label(event))} : {', '.join(parts)}.",
    )
    followup.audit_beneficiary(
        "update",
        candidate.follow_up.beneficiary,
        by=by,
        what="opération de recrutement (candidat)",
        request=request,
        event=event.pk,
        candidate=candidate.pk,
    )
    return candidate


# --- interviews and hires -----------------------------------------------------------------------


def outcome_of_contract(contract: str) -> tuple[str, str] | None:
    """(outcome kind, outcome contract) of a hire's contract, or None when the contract is unknown."""
    if contract == APPRENTICESHIP:
        return Outcome.Kind.TRAINING, ""
    for kind, options in followup.OUTCOME_CONTRACTS.items():
        if contract in dict(options):
            return kind, contract
    return None


@transaction.atomic
def record_interview(
    candidate: EventCandidate,
    *,
    by,
    employer: EventEmployer,
    result: str,
    offer: JobOffer | None = None,
    contract: str = "",
    hired_on: date | None = None,
    request=None,
) -> Interview:
    """Record (or update) the interview of a candidate with an employer; a hire becomes an outcome."""
    event = candidate.event
    member = followup.member_of(candidate.follow_up, by)
    if member is None and not can_manage(event, by):
        raise EventError(
            "Seuls les membres du suivi de la personne et les organisateurs notent ses entretiens."
        )
    if employer.event_id != event.pk or employer.status != EventEmployer.Status.CONFIRMED:
        raise EventError("Choisissez un employeur dont la participation à l'opération est confirmée.")
    if (
        offer is not None
        and not EventOffer.objects.filter(event=event, offer=offer, employer=employer).exists()
    ):
        raise EventError("Cette offre n'est pas présentée par cet employeur à l'opération.")
    if result not in Interview.Result.values:
        raise EventError("Résultat d'entretien inconnu.")
    interview = Interview.objects.filter(candidate=candidate, employer=employer).first()
    if interview is not None and interview.result == Interview.Result.HIRED:
        raise EventError(
            "Ce recrutement est enregistré comme sortie du suivi de la personne : "
            "corrigez-le, s'il le faut, depuis son parcours."
        )
    outcome_kind = None
    if result == Interview.Result.HIRED:
        if member is None:
            raise EventError(
                "Un recrutement est enregistré par un membre du suivi de la personne : "
                "recrutement à confirmer par le référent."
            )
        found = outcome_of_contract(contract)
        if found is None:
            raise EventError(f"Précisez le contrat : {', '.join(HIRE_CONTRACT_LABELS.values())}.")
        if hired_on is None:
            raise EventError("Indiquez la date d'embauche.")
        outcome_kind, outcome_contract = found
    else:
        contract, hired_on = "", None
    if interview is None:
        interview = Interview(candidate=candidate, employer=employer)
    interview.offer, interview.result = offer, result
    interview.contract, interview.hired_on = contract, hired_on
    interview.recorded_by, interview.recorded_at = by, timezone.now()
    interview.save()
    if outcome_kind is not None:
        try:
            interview.outcome = followup.record_outcome(
                candidate.follow_up,
                kind=outcome_kind,
                occurred_on=hired_on,
                by=by,
                contract=outcome_contract,
                details=f"Recruté à l'opération « {event.title} » par {employer.company_name}",
                request=request,
            )
        except followup.FollowUpError as error:
            raise EventError(error.message) from error
        interview.save(update_fields=["outcome"])
    if candidate.status in (EventCandidate.Status.INVITED, EventCandidate.Status.CONFIRMED):
        # Someone who had an interview came: the presence count must not miss them.
        candidate.status = EventCandidate.Status.PRESENT
        candidate.save(update_fields=["status"])
    text = f"Entretien avec {employer.company_name} à {_event_label(event)}"
    if offer is not None:
        text += f" (offre « {offer.title} »)"
    text += f" : {interview.get_result_display().lower()}."
    followup.add_timeline_event(
        candidate.follow_up,
        TimelineEvent.Kind.RECRUITMENT,
        author=by,
        organisation=member.organisation if member else None,
        text=text,
    )
    followup.audit_beneficiary(
        "update",
        candidate.follow_up.beneficiary,
        by=by,
        what="opération de recrutement (entretien)",
        request=request,
        event=event.pk,
        interview=interview.pk,
    )
    return interview


# --- e-mails (background tasks, after the commit) -----------------------------------------------


def _after_commit(task_function, *args) -> None:
    transaction.on_commit(lambda: task_function.enqueue(*args))


def _mail(template: str, subject: str, to: list[str], context: dict) -> int:
    recipients = [address for address in to if address]
    if not recipients:
        return 0
    body = render_to_string(template, {**context, "base_url": settings.SITE_URL})
    return send_mail(subject, body, None, recipients)


def _registration(registration_id: int) -> EventEmployer | None:
    return (
        EventEmployer.objects.filter(pk=registration_id)
        .select_related("event__commune", "event__qpv", "organisation")
        .defer("event__commune__geometry", "event__qpv__geometry")
        .first()
    )


@task()
def notify_registration_received(registration_id: int) -> int:
    """Acknowledge a registration to the employer's contact, and tell the event's author it waits."""
    registration = _registration(registration_id)
    if registration is None:
        return 0
    event = registration.event
    sent = _mail(
        "outreach/emails/registration_received.txt",
        f"Inscription reçue : {event.title}",
        [registration.contact_email],
        {"registration": registration, "event": event},
    )
    author = event.created_by
    if author is not None and author.is_active:
        sent += _mail(
            "outreach/emails/registration_to_confirm.txt",
            f"Un employeur demande à participer à « {event.title} »",
            [author.email],
            {
                "registration": registration,
                "event": event,
                "url": settings.SITE_URL + reverse("outreach:event", args=[event.pk]),
            },
        )
    return sent


@task()
def notify_registration_answered(registration_id: int, reason: str = "") -> int:
    registration = _registration(registration_id)
    if registration is None or registration.status == EventEmployer.Status.PENDING:
        return 0
    confirmed = registration.status == EventEmployer.Status.CONFIRMED
    event = registration.event
    return _mail(
        "outreach/emails/registration_answered.txt",
        ("Participation confirmée : " if confirmed else "Inscription non retenue : ") + event.title,
        [registration.contact_email],
        {
            "registration": registration,
            "event": event,
            "confirmed": confirmed,
            "reason": reason,
            "offers": list(registration.event_offers.select_related("offer").order_by("offer__title", "pk")),
        },
    )


def on_beneficiary_anonymised(sender, *, beneficiary, follow_up=None, by=None, **kwargs) -> None:
    """Preparation notes are free text about the person: erased with the rest (followup.signals)."""
    if follow_up is not None:
        EventCandidate.objects.filter(follow_up=follow_up).exclude(preparation="").update(preparation="")
