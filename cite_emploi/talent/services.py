"""Every write of the CV library (valorisation des CV): profiles, consent, publication, contact requests.

Who does what:

- a member of the person's follow-up writes the profile with the person, records their agreement to
  appear in the CV library (date, by whom), publishes, suspends, records the withdrawal of that
  agreement, and answers employers' contact requests with the person's agreement;
- an employer (role ``employer``) sends a contact request from a published profile, optionally about
  one of its offers, and may withdraw it while it waits.

A profile never holds the surname, the address, the QPV or an identifier: the first name is reduced
to its initial here, the point is the commune's centre, and free text is checked
(``check_anonymous``) so that nothing identifying goes out by accident. An answer to an employer is
checked against the person's own contact details: a meeting is arranged through the referent.

Each function runs in one transaction, checks who acts, audits, and writes a line in the person's
timeline where it concerns them. Errors a user can cause are ``TalentError`` with a French message.
E-mails go out from background tasks after the commit (``tasks``).
"""

import re
from datetime import date

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from cite_emploi.accounts.models import Membership
from cite_emploi.core import audit
from cite_emploi.followup import services as followup
from cite_emploi.followup.models import Beneficiary, FollowUp, TimelineEvent, fold_name
from cite_emploi.territory.centres import commune_centre

from .models import ContactRequest, Contract, JobOffer, ProfileJob, TalentProfile, WorkingTime
from .text import clean_terms, profile_search_text

MAX_JOBS = 5
MESSAGE_MAX = 2000
MAX_MOBILITY_KM = 200
PROFILE_LABELS = {
    "headline": "Titre du profil",
    "skills": "Compétences",
    "experience_summary": "Expérience",
    "languages": "Langues",
}
WITHDRAWN_ANSWER = (
    "La personne a retiré son accord pour figurer dans la CVthèque : la mise en relation n'est plus possible."
)
EMAIL_PATTERN = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A French phone number, written with or without separators: 01 23 45 67 89, 06.12.34.56.78, +33 6 12…
PHONE_PATTERN = re.compile(r"(?:\+33\s?|\b0)[1-9](?:[\s.\-]?\d{2}){4}\b")


class TalentError(Exception):
    """A rule of the CV library was not met; ``message`` is French and shown as is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- who may act --------------------------------------------------------------------------------


def _require_member(follow_up: FollowUp, user):
    member = followup.member_of(follow_up, user)
    if member is None:
        raise TalentError("Seuls les membres du suivi de cette personne peuvent faire cette action.")
    return member


def employer_organisation_ids(user, territory) -> set[int]:
    """The organisations of ``territory`` in which ``user`` acts as an employer."""
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(
        Membership.objects.active()
        .filter(user=user, user__is_active=True, role="employer", organisation__territory=territory)
        .values_list("organisation_id", flat=True)
    )


def _audit(action: str, obj, *, by, request=None, what: str, **detail):
    return audit.record(
        action, actor=by, obj=obj, territory_id=_territory_id(obj), request=request, what=what, **detail
    )


def _territory_id(obj) -> int | None:
    if isinstance(obj, ContactRequest):
        return obj.profile.territory_id
    return getattr(obj, "territory_id", None)


def _timeline(profile: TalentProfile, member, kind: str, text: str) -> None:
    followup.add_timeline_event(
        profile.follow_up,
        kind,
        author=member.user if member else None,
        organisation=member.organisation if member else None,
        text=text,
    )


def _after_commit(task_name: str, *args) -> None:
    def enqueue():
        from . import tasks

        getattr(tasks, task_name).enqueue(*args)

    transaction.on_commit(enqueue)


# --- nothing identifying in free text -----------------------------------------------------------


def _contains_words(haystack: list[str], needle: list[str]) -> bool:
    size = len(needle)
    return size > 0 and any(haystack[i : i + size] == needle for i in range(len(haystack) - size + 1))


def _name_found(words: list[str], name: str) -> bool:
    folded = fold_name(name).split()
    if not folded or len("".join(folded)) < 2:
        return False
    compact = "".join(folded)
    return _contains_words(words, folded) or compact in words


def _street(address: str) -> list[str]:
    """The words of the street (« 12 bis rue des Lilas » → rue des lilas), without the number."""
    words = fold_name(address).split()
    while words and (words[0].isdigit() or words[0] in ("bis", "ter", "quater")):
        words = words[1:]
    return words if len(words) >= 2 else []


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def personal_detail_in(text: str, beneficiary: Beneficiary) -> str | None:
    """What of the person's own identity ``text`` contains (« le nom de famille »…), or None."""
    if not text:
        return None
    words = fold_name(text).split()
    if beneficiary.email and beneficiary.email.casefold() in text.casefold():
        return "l'adresse électronique de la personne"
    phone = _digits(beneficiary.phone)[-9:]
    if len(phone) == 9 and phone in _digits(text):
        return "le numéro de téléphone de la personne"
    identifier = fold_name(beneficiary.france_travail_id).replace(" ", "")
    if len(identifier) >= 5 and identifier in "".join(words):
        return "l'identifiant France Travail de la personne"
    street = _street(beneficiary.address)
    if street and _contains_words(words, street):
        return "l'adresse de la personne"
    if _name_found(words, beneficiary.last_name):
        return f"le nom de famille de la personne (« {beneficiary.last_name} »)"
    if _name_found(words, beneficiary.first_name):
        return f"le prénom de la personne (« {beneficiary.first_name} »), qui n'apparaît que par son initiale"
    return None


def check_anonymous(beneficiary: Beneficiary, fields: dict[str, str]) -> None:
    """Refuse profile text that would identify the person or give a way to reach them directly.

    ``fields``: French field label → text. Any e-mail address or phone number is refused too: an
    employer reaches the person only through the referent.
    """
    for label, text in fields.items():
        found = personal_detail_in(text, beneficiary)
        if found is None and EMAIL_PATTERN.search(text or ""):
            found = "une adresse électronique"
        if found is None and PHONE_PATTERN.search(text or ""):
            found = "un numéro de téléphone"
        if found:
            raise TalentError(
                f"Le champ « {label} » contient {found} : un profil de la CVthèque ne doit permettre "
                "ni de reconnaître la personne ni de la joindre sans vous. Reformulez-le."
            )


# --- profiles -----------------------------------------------------------------------------------


def initial_of(first_name: str) -> str:
    letters = [c for c in (first_name or "").strip() if c.isalpha()]
    return letters[0].upper() if letters else "?"


def _clean_profile(beneficiary: Beneficiary, data: dict) -> dict:
    headline = " ".join((data.get("headline") or "").split())[:200]
    if not headline:
        raise TalentError("Donnez un titre au profil, par exemple « Préparatrice de commandes, CACES 1 ».")
    appellations = list({a.pk: a for a in data.get("appellations") or []}.values())
    if not appellations:
        raise TalentError("Choisissez au moins un métier visé dans le référentiel ROME.")
    if len(appellations) > MAX_JOBS:
        raise TalentError(f"Choisissez au plus {MAX_JOBS} métiers visés.")
    commune = data.get("commune")
    if commune is None:
        raise TalentError("Indiquez la commune de la personne (le profil est placé en son centre).")
    if not beneficiary.territory.communes.filter(pk=commune.pk).exists():
        raise TalentError("La commune doit appartenir au territoire de la Cité de l'emploi.")
    contracts = [c for c in data.get("contracts") or [] if c]
    unknown = [c for c in contracts if c not in Contract.values]
    if unknown:
        raise TalentError(f"Type de contrat inconnu ; attendu : {', '.join(Contract.labels)}.")
    working_time = data.get("working_time") or WorkingTime.ANY
    if working_time not in WorkingTime.values:
        raise TalentError("Temps de travail inconnu.")
    mobility = data.get("mobility_km")
    mobility = 10 if mobility is None else int(mobility)
    if not 0 <= mobility <= MAX_MOBILITY_KM:
        raise TalentError(f"La mobilité doit être comprise entre 0 et {MAX_MOBILITY_KM} km.")
    cleaned = {
        "headline": headline,
        "skills": clean_terms(data.get("skills")),
        "experience_summary": (data.get("experience_summary") or "").strip()[:3000],
        "languages": clean_terms(data.get("languages"), max_items=10, max_length=40),
        "driving_licence": bool(data.get("driving_licence")),
        "vehicle": bool(data.get("vehicle")),
        "mobility_km": mobility,
        "available_from": data.get("available_from"),
        "working_time": working_time,
        "contracts": list(dict.fromkeys(contracts)),
        "commune": commune,
    }
    check_anonymous(
        beneficiary,
        {
            PROFILE_LABELS["headline"]: cleaned["headline"],
            PROFILE_LABELS["skills"]: "\n".join(cleaned["skills"]),
            PROFILE_LABELS["experience_summary"]: cleaned["experience_summary"],
            PROFILE_LABELS["languages"]: "\n".join(cleaned["languages"]),
        },
    )
    return cleaned | {"appellations": appellations}


def _apply(profile: TalentProfile, cleaned: dict) -> TalentProfile:
    appellations = cleaned.pop("appellations")
    for key, value in cleaned.items():
        setattr(profile, key, value)
    centre = commune_centre(profile.commune)
    profile.latitude, profile.longitude = centre if centre else (None, None)
    profile.search_text = profile_search_text(
        profile.headline, profile.skills, profile.experience_summary, [a.label for a in appellations]
    )
    profile.save()
    wanted = {a.pk: a for a in appellations}
    profile.jobs.exclude(appellation_id__in=wanted).delete()
    have = set(profile.jobs.values_list("appellation_id", flat=True))
    ProfileJob.objects.bulk_create(
        [
            ProfileJob(
                profile=profile,
                appellation=a,
                rome_code=a.occupation.code,
                domain=a.occupation.code[:3],
            )
            for pk, a in wanted.items()
            if pk not in have
        ]
    )
    return profile


def _check_consent_date(given_on: date | None) -> date:
    if given_on is None:
        raise TalentError(
            "Indiquez la date à laquelle la personne a donné son accord pour figurer dans la CVthèque : "
            "sans cet accord, aucun profil ne peut être créé."
        )
    if given_on > timezone.localdate():
        raise TalentError("La date de l'accord de la personne ne peut pas être dans le futur.")
    return given_on


@transaction.atomic
def create_profile(
    follow_up: FollowUp, *, by, data: dict, consent_given_on: date | None, request=None
) -> TalentProfile:
    """A member of the follow-up writes the person's profile (a draft) and records their agreement.

    ``data``: headline, appellations (``RomeAppellation`` list), skills, experience_summary, languages,
    driving_licence, vehicle, mobility_km, available_from, working_time, contracts, commune.
    """
    follow_up = (
        FollowUp.objects.select_for_update(of=("self",))
        .select_related("beneficiary__territory")
        .get(pk=follow_up.pk)
    )
    member = _require_member(follow_up, by)
    beneficiary = follow_up.beneficiary
    if follow_up.status != FollowUp.Status.OPEN:
        raise TalentError("Ce suivi est clos : rouvrez-le avant de créer un profil.")
    if TalentProfile.objects.filter(follow_up=follow_up).exists():
        raise TalentError("Cette personne a déjà un profil dans la CVthèque : modifiez-le.")
    given_on = _check_consent_date(consent_given_on)
    cleaned = _clean_profile(beneficiary, data)
    profile = TalentProfile(
        territory=beneficiary.territory,
        follow_up=follow_up,
        initial=initial_of(beneficiary.first_name),
        consent_given_on=given_on,
        consent_recorded_by=by,
        created_by=by,
        status=TalentProfile.Status.DRAFT,
    )
    _apply(profile, cleaned)
    _timeline(
        profile,
        member,
        TimelineEvent.Kind.CONSENT,
        f"Accord pour figurer dans la CVthèque recueilli le {given_on:%d/%m/%Y} ; "
        f"profil {profile.reference} créé (brouillon).",
    )
    _audit("create", profile, by=by, request=request, what="profil de talent", follow_up=follow_up.pk)
    return profile


@transaction.atomic
def update_profile(profile: TalentProfile, *, by, data: dict, request=None) -> TalentProfile:
    profile = _locked(profile)
    _require_member(profile.follow_up, by)
    cleaned = _clean_profile(profile.follow_up.beneficiary, data)
    _apply(profile, cleaned)
    _audit("update", profile, by=by, request=request, what="profil de talent")
    return profile


def _locked(profile: TalentProfile) -> TalentProfile:
    return (
        TalentProfile.objects.select_for_update(of=("self",))
        .select_related("follow_up__beneficiary__territory")
        .get(pk=profile.pk)
    )


@transaction.atomic
def publish_profile(profile: TalentProfile, *, by, request=None) -> TalentProfile:
    """Employers may now find the profile; only with the person's agreement, for an open follow-up."""
    profile = _locked(profile)
    member = _require_member(profile.follow_up, by)
    if profile.consent_withdrawn_on is not None:
        raise TalentError(
            "La personne a retiré son accord : recueillez un nouvel accord avant de publier le profil."
        )
    if profile.follow_up.status != FollowUp.Status.OPEN:
        raise TalentError("Ce suivi est clos : le profil ne peut pas être publié.")
    if profile.status == TalentProfile.Status.PUBLISHED:
        raise TalentError("Ce profil est déjà publié.")
    if not profile.jobs.exists():
        raise TalentError("Choisissez au moins un métier visé avant de publier le profil.")
    profile.status, profile.published_at = TalentProfile.Status.PUBLISHED, timezone.now()
    profile.save(update_fields=["status", "published_at", "updated_at"])
    _timeline(
        profile, member, TimelineEvent.Kind.NOTE, f"Profil {profile.reference} publié dans la CVthèque."
    )
    _audit("update", profile, by=by, request=request, what="profil de talent publié")
    return profile


@transaction.atomic
def suspend_profile(profile: TalentProfile, *, by, request=None) -> TalentProfile:
    """Employers no longer find the profile; requests already sent can still be answered."""
    profile = _locked(profile)
    member = _require_member(profile.follow_up, by)
    if profile.status != TalentProfile.Status.PUBLISHED:
        raise TalentError("Seul un profil publié peut être suspendu.")
    profile.status = TalentProfile.Status.SUSPENDED
    profile.save(update_fields=["status", "updated_at"])
    _timeline(
        profile,
        member,
        TimelineEvent.Kind.NOTE,
        f"Profil {profile.reference} suspendu : les employeurs ne le voient plus.",
    )
    _audit("update", profile, by=by, request=request, what="profil de talent suspendu")
    return profile


@transaction.atomic
def withdraw_consent(profile: TalentProfile, *, by, on: date | None = None, request=None) -> TalentProfile:
    """The person withdraws their agreement: the profile is suspended at once, waiting requests declined."""
    profile = _locked(profile)
    member = _require_member(profile.follow_up, by)
    if profile.consent_withdrawn_on is not None:
        raise TalentError("L'accord de la personne est déjà retiré.")
    on = on or timezone.localdate()
    if on > timezone.localdate() or on < profile.consent_given_on:
        raise TalentError("La date du retrait doit être comprise entre la date de l'accord et aujourd'hui.")
    profile.consent_withdrawn_on, profile.status = on, TalentProfile.Status.SUSPENDED
    profile.save(update_fields=["consent_withdrawn_on", "status", "updated_at"])
    pending = list(profile.contact_requests.select_for_update().filter(status=ContactRequest.Status.PENDING))
    now = timezone.now()
    for contact in pending:
        contact.status, contact.answer = ContactRequest.Status.DECLINED, WITHDRAWN_ANSWER
        contact.answered_by, contact.answered_at = by, now
        contact.save(update_fields=["status", "answer", "answered_by", "answered_at"])
        _audit("update", contact, by=by, request=request, what="mise en relation close (retrait de l'accord)")
        _after_commit("notify_contact_answered", contact.pk)
    _timeline(
        profile,
        member,
        TimelineEvent.Kind.CONSENT,
        f"Accord pour la CVthèque retiré le {on:%d/%m/%Y} : profil {profile.reference} suspendu"
        + (f", {len(pending)} demande(s) de mise en relation close(s)." if pending else "."),
    )
    _audit("update", profile, by=by, request=request, what="retrait de l'accord (CVthèque)")
    return profile


@transaction.atomic
def renew_consent(profile: TalentProfile, *, by, given_on: date | None, request=None) -> TalentProfile:
    """The person agrees again after a withdrawal; the profile stays suspended until it is published."""
    profile = _locked(profile)
    member = _require_member(profile.follow_up, by)
    if profile.consent_withdrawn_on is None:
        raise TalentError("L'accord de la personne est en cours : rien à renouveler.")
    given_on = _check_consent_date(given_on)
    if given_on < profile.consent_withdrawn_on:
        raise TalentError("Le nouvel accord ne peut pas précéder le retrait du précédent.")
    profile.consent_given_on, profile.consent_recorded_by = given_on, by
    profile.consent_withdrawn_on = None
    profile.save(
        update_fields=["consent_given_on", "consent_recorded_by", "consent_withdrawn_on", "updated_at"]
    )
    _timeline(
        profile,
        member,
        TimelineEvent.Kind.CONSENT,
        f"Nouvel accord pour la CVthèque recueilli le {given_on:%d/%m/%Y} (profil {profile.reference}).",
    )
    _audit("update", profile, by=by, request=request, what="nouvel accord (CVthèque)")
    return profile


def audit_employer_read(profiles, *, by, request=None, what: str = "profil consulté") -> None:
    """One « read » entry per profile an employer saw, in one INSERT (pages stay O(1) in queries)."""
    from cite_emploi.core.models import AuditEntry

    profiles = list(profiles)
    if len(profiles) == 1:
        profile = profiles[0]
        audit.record(
            "read", actor=by, obj=profile, territory_id=profile.territory_id, request=request, what=what
        )
        return
    ip = audit.client_ip(request) if request is not None else None
    actor = by if getattr(by, "is_authenticated", False) else None
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                action=AuditEntry.Action.READ,
                actor=actor,
                object_type=TalentProfile._meta.label_lower,
                object_id=str(p.pk),
                territory_id=p.territory_id,
                detail={"what": what},
                ip_address=ip,
            )
            for p in profiles
        ]
    )


# --- contact requests ---------------------------------------------------------------------------


@transaction.atomic
def request_contact(
    profile: TalentProfile, *, by, organisation, message: str, offer: JobOffer | None = None, request=None
) -> ContactRequest:
    """An employer asks to meet the person behind a published profile; the referent is told."""
    profile = _locked(profile)
    if organisation.pk not in employer_organisation_ids(by, profile.territory_id):
        raise TalentError("Seul un employeur de cette organisation peut demander une mise en relation.")
    if not profile.is_visible_to_employers:
        raise TalentError("Ce profil n'est plus disponible : la mise en relation n'est pas possible.")
    if offer is not None and (
        offer.organisation_id != organisation.pk or offer.status != JobOffer.Status.OPEN
    ):
        raise TalentError("Choisissez une offre ouverte de votre organisation, ou aucune.")
    message = (message or "").strip()
    if not message:
        raise TalentError("Écrivez un message : le poste, ce que vous proposez, vos disponibilités.")
    if len(message) > MESSAGE_MAX:
        raise TalentError(f"Le message ne doit pas dépasser {MESSAGE_MAX} caractères.")
    if profile.contact_requests.filter(
        organisation=organisation, status=ContactRequest.Status.PENDING
    ).exists():
        raise TalentError(
            "Votre organisation a déjà une demande en attente pour ce profil : attendez la réponse du référent."
        )
    contact = ContactRequest.objects.create(
        profile=profile, offer=offer, organisation=organisation, requested_by=by, message=message
    )
    _timeline(
        profile,
        None,
        TimelineEvent.Kind.CONTACT,
        f"Demande de mise en relation de « {organisation.name} » sur le profil {profile.reference}"
        + (f", pour l'offre « {offer.title} »" if offer else "")
        + " : à traiter avec la personne.",
    )
    _audit("create", contact, by=by, request=request, what="demande de mise en relation", profile=profile.pk)
    _after_commit("notify_contact_requested", contact.pk)
    return contact


def _locked_contact(contact: ContactRequest) -> ContactRequest:
    return (
        ContactRequest.objects.select_for_update(of=("self",))
        .select_related("profile__follow_up__beneficiary", "organisation", "offer")
        .get(pk=contact.pk)
    )


@transaction.atomic
def answer_contact(
    contact: ContactRequest,
    *,
    by,
    accept: bool,
    answer: str,
    person_agreed_on: date | None = None,
    request=None,
) -> ContactRequest:
    """A member of the follow-up answers, after asking the person; the employer is told by e-mail.

    Accepting needs the date the person agreed; the answer proposes how to meet through the referent
    and may not carry the person's own name or contact details.
    """
    contact = _locked_contact(contact)
    profile = contact.profile
    member = _require_member(profile.follow_up, by)
    if contact.status != ContactRequest.Status.PENDING:
        raise TalentError("Cette demande a déjà reçu une réponse ou a été retirée.")
    answer = (answer or "").strip()
    if len(answer) > MESSAGE_MAX:
        raise TalentError(f"La réponse ne doit pas dépasser {MESSAGE_MAX} caractères.")
    if accept:
        if profile.consent_withdrawn_on is not None:
            raise TalentError(
                "La personne a retiré son accord pour la CVthèque : la demande ne peut être acceptée."
            )
        if person_agreed_on is None:
            raise TalentError("Indiquez la date à laquelle la personne a accepté d'être mise en relation.")
        if person_agreed_on > timezone.localdate():
            raise TalentError("La date de l'accord de la personne ne peut pas être dans le futur.")
        if person_agreed_on < timezone.localdate(contact.created_at):
            raise TalentError("La personne ne peut pas avoir accepté une demande avant qu'elle soit envoyée.")
        if not answer:
            raise TalentError(
                "Écrivez votre réponse à l'employeur : comment et quand vous proposez de le rencontrer avec la personne."
            )
    found = personal_detail_in(answer, profile.follow_up.beneficiary)
    if found:
        raise TalentError(
            f"La réponse contient {found} : l'employeur ne reçoit jamais les coordonnées de la personne. "
            "Proposez une rencontre par votre intermédiaire (vos propres coordonnées, un rendez-vous à votre structure)."
        )
    contact.status = ContactRequest.Status.ACCEPTED if accept else ContactRequest.Status.DECLINED
    contact.answer = answer or "La personne ne donne pas suite à votre demande. Merci de votre intérêt."
    contact.person_agreed_on = person_agreed_on if accept else None
    contact.answered_by, contact.answered_at = by, timezone.now()
    contact.save(update_fields=["status", "answer", "person_agreed_on", "answered_by", "answered_at"])
    _timeline(
        profile,
        member,
        TimelineEvent.Kind.CONTACT,
        (
            f"Mise en relation avec « {contact.organisation.name} » acceptée (accord de la personne le "
            f"{person_agreed_on:%d/%m/%Y})."
            if accept
            else f"Mise en relation avec « {contact.organisation.name} » déclinée."
        ),
    )
    _audit(
        "update",
        contact,
        by=by,
        request=request,
        what="réponse à une mise en relation",
        status=contact.status,
    )
    _after_commit("notify_contact_answered", contact.pk)
    return contact


@transaction.atomic
def withdraw_contact(contact: ContactRequest, *, by, request=None) -> ContactRequest:
    contact = _locked_contact(contact)
    if contact.organisation_id not in employer_organisation_ids(by, contact.organisation.territory_id):
        raise TalentError("Seul un employeur de l'organisation qui a fait la demande peut la retirer.")
    if contact.status != ContactRequest.Status.PENDING:
        raise TalentError("Seule une demande en attente de réponse peut être retirée.")
    contact.status = ContactRequest.Status.WITHDRAWN
    contact.save(update_fields=["status"])
    _timeline(
        contact.profile,
        None,
        TimelineEvent.Kind.CONTACT,
        f"« {contact.organisation.name} » a retiré sa demande de mise en relation (profil {contact.profile.reference}).",
    )
    _audit("update", contact, by=by, request=request, what="mise en relation retirée")
    return contact


# --- e-mails (sent by the background tasks) -----------------------------------------------------


def _mail(template: str, subject: str, to, context: dict) -> int:
    recipients = sorted({address for address in to if address})
    if not recipients:
        return 0
    body = render_to_string(template, {**context, "base_url": settings.SITE_URL})
    return send_mail(subject, body, None, recipients)


def referent_addresses(follow_up: FollowUp) -> list[str]:
    """The referent's address; without an active referent, every active member's."""
    members = list(followup.active_members(follow_up).filter(user__is_active=True))
    referents = [m for m in members if m.is_referent] or members
    return [m.user.email for m in referents]


def employer_addresses(contact: ContactRequest) -> list[str]:
    """Who asked; if they left, the organisation's other employer accounts."""
    if contact.requested_by is not None and contact.requested_by.is_active:
        return [contact.requested_by.email]
    return list(
        Membership.objects.active()
        .filter(organisation=contact.organisation, role="employer", user__is_active=True)
        .values_list("user__email", flat=True)
    )


def mail_contact_requested(contact: ContactRequest) -> int:
    """To the referent: a request is waiting; the e-mail names neither the person nor their profile's content."""
    return _mail(
        "talent/emails/contact_requested.txt",
        f"Demande de mise en relation pour le profil {contact.profile.reference}",
        referent_addresses(contact.profile.follow_up),
        {
            "contact": contact,
            "url": settings.SITE_URL + reverse("talent:contact_answer", args=[contact.pk]),
        },
    )


def mail_contact_answered(contact: ContactRequest) -> int:
    accepted = contact.status == ContactRequest.Status.ACCEPTED
    return _mail(
        "talent/emails/contact_answered.txt",
        f"Votre demande de mise en relation (profil {contact.profile.reference}) : "
        + ("acceptée" if accepted else "pas de suite"),
        employer_addresses(contact),
        {
            "contact": contact,
            "accepted": accepted,
            "url": settings.SITE_URL + reverse("talent:contact_requests"),
        },
    )


# --- when the follow-up ends (followup.signals) -------------------------------------------------

CLOSED_ANSWER = "Le suivi de la personne s'est terminé : la mise en relation ne peut plus être proposée par la Cité de l'emploi."


def on_follow_up_closed(sender, *, follow_up, by=None, **kwargs) -> None:
    """A closed follow-up has no referent to answer employers: the profile leaves the library."""
    profile = TalentProfile.objects.select_for_update().filter(follow_up=follow_up).first()
    if profile is None:
        return
    if profile.status == TalentProfile.Status.PUBLISHED:
        profile.status = TalentProfile.Status.SUSPENDED
        profile.save(update_fields=["status", "updated_at"])
        _audit("update", profile, by=by, what="profil suspendu (suivi clos)")
    now = timezone.now()
    for contact in profile.contact_requests.select_for_update().filter(status=ContactRequest.Status.PENDING):
        contact.status, contact.answer, contact.answered_at = (
            ContactRequest.Status.DECLINED,
            CLOSED_ANSWER,
            now,
        )
        contact.save(update_fields=["status", "answer", "answered_at"])
        _audit("update", contact, by=by, what="mise en relation close (suivi clos)")
        _after_commit("notify_contact_answered", contact.pk)


def on_beneficiary_anonymised(sender, *, beneficiary, follow_up=None, by=None, **kwargs) -> None:
    """An anonymised person keeps no CV: the profile and the requests about it are deleted."""
    if follow_up is None:
        return
    for profile in TalentProfile.objects.filter(follow_up=follow_up):
        _audit("delete", profile, by=by, what="profil effacé (anonymisation)")
        profile.delete()
