"""Reads of the CV library shared by its pages: who sees which profile, offer and contact request.

- A member of a person's follow-up sees that person's profile in full (with the name, on the
  professionals' pages only) and the contact requests about it.
- Employers, and professionals who do not follow the person, see a profile only while it is
  published with the person's agreement, and only its anonymised content (``reference``, initial,
  jobs, skills, commune…).
- An employer sees the offers and contact requests of their own organisations; the coordination sees
  every offer of the territory; counsellors see the open ones (to propose them to the people they follow).
Anything outside this is a 404. Every list runs a fixed number of queries.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from cite_emploi.core.person_panels import Panel, related_or_none
from cite_emploi.followup import access
from cite_emploi.followup.queries_reviews import size_label
from cite_emploi.partners.models import Organisation, OrganisationKind
from cite_emploi.partners.text import fold, words
from cite_emploi.territory.models import Commune

from .models import ContactRequest, Contract, JobOffer, TalentProfile

PROFESSIONAL_ROLES = access.PROFESSIONAL_ROLES
JOBS = "jobs__appellation__occupation"


# --- who is asking ------------------------------------------------------------------------------


def is_professional(scope) -> bool:
    return scope.territory is not None and (scope.is_platform_admin or scope.has_role(*PROFESSIONAL_ROLES))


def is_employer(scope) -> bool:
    return scope.territory is not None and scope.has_role("employer")


def employer_organisations(scope) -> list[Organisation]:
    seen, result = set(), []
    for m in scope.memberships:
        if m.role == "employer" and m.organisation_id not in seen:
            seen.add(m.organisation_id)
            result.append(m.organisation)
    return result


def employer_organisation_ids(scope) -> list[int]:
    return [o.pk for o in employer_organisations(scope)]


def communes(territory) -> QuerySet[Commune]:
    return territory.communes.defer("geometry").order_by("name")


# --- profiles -----------------------------------------------------------------------------------


def member_profiles(scope) -> QuerySet[TalentProfile]:
    """Profiles of the people the user follows (any status)."""
    if not is_professional(scope):
        return TalentProfile.objects.none()
    return TalentProfile.objects.filter(
        follow_up__in=access.visible_follow_ups(scope),
        follow_up__beneficiary__anonymised_at__isnull=True,
    )


def published_profiles(territory) -> QuerySet[TalentProfile]:
    """What employers may read: published, the person's agreement in force."""
    return TalentProfile.objects.filter(
        territory=territory,
        status=TalentProfile.Status.PUBLISHED,
        consent_withdrawn_on__isnull=True,
        follow_up__beneficiary__anonymised_at__isnull=True,
    )


def get_member_profile(scope, reference: str) -> TalentProfile:
    """A profile the user may write (member of the follow-up), or 404."""
    return get_object_or_404(
        member_profiles(scope)
        .select_related("commune", "follow_up__beneficiary", "consent_recorded_by")
        .defer("commune__geometry")
        .prefetch_related(JOBS),
        reference=reference,
    )


@dataclass
class ProfileAccess:
    profile: TalentProfile
    is_member: bool


def get_profile(scope, reference: str) -> ProfileAccess:
    """The profile in full for a member of the follow-up; its anonymised view for employers and others."""
    if is_professional(scope):
        mine = (
            member_profiles(scope)
            .select_related("commune", "follow_up__beneficiary", "consent_recorded_by")
            .defer("commune__geometry")
            .prefetch_related(JOBS)
            .filter(reference=reference)
            .first()
        )
        if mine is not None:
            return ProfileAccess(mine, True)
    profile = get_object_or_404(
        published_profiles(scope.territory)
        .select_related("commune")
        .defer("commune__geometry")
        .prefetch_related(JOBS),
        reference=reference,
    )
    return ProfileAccess(profile, False)


def my_people(scope):
    """The people the user follows, with their profile if any (one query with the page)."""
    return (
        access.visible_beneficiaries(scope)
        .select_related("commune", "follow_up__talent_profile")
        .defer("commune__geometry")
        .order_by("last_name", "first_name", "pk")
    )


def beneficiaries_without_profile(scope):
    """The people the user follows in an open follow-up who have no profile yet (the create form)."""
    return (
        access.visible_beneficiaries(scope)
        .filter(follow_up__status="open", follow_up__talent_profile__isnull=True)
        .order_by("last_name", "first_name", "pk")
    )


def profile_panel(request, beneficiary, member) -> Panel | None:
    """The CV library's panel on a person's page, for members of their follow-up.

    The profile comes with the person (``follow_up_related`` in ``apps.py``): a query only to count
    the waiting contact requests of a person who has a profile.
    """
    if member is None:
        return None
    profile = related_or_none(beneficiary.follow_up, "talent_profile")
    if profile is not None:
        profile.pending = profile.contact_requests.filter(status=ContactRequest.Status.PENDING).count()
    return Panel(
        "talent/includes/person_panel.html",
        {"profile": profile, "beneficiary": beneficiary, "open": beneficiary.follow_up.status == "open"},
    )


# --- offers -------------------------------------------------------------------------------------


def offers(scope) -> QuerySet[JobOffer]:
    """The offers the user may read, newest first, with their waiting contact requests counted."""
    if scope.territory is None:
        return JobOffer.objects.none()
    allowed = Q(organisation__in=employer_organisation_ids(scope))
    if scope.is_platform_admin or scope.has_role("coordinator"):
        allowed |= Q(pk__isnull=False)
    elif scope.has_role("counsellor"):
        allowed |= Q(status=JobOffer.Status.OPEN)
    return (
        JobOffer.objects.filter(allowed, territory=scope.territory)
        .select_related("organisation", "appellation__occupation", "commune")
        .defer("commune__geometry")
        .annotate(
            pending=Count(
                "contact_requests", filter=Q(contact_requests__status=ContactRequest.Status.PENDING)
            )
        )
        .order_by("-created_at", "-pk")
    )


def get_offer(scope, reference: str) -> JobOffer:
    return get_object_or_404(offers(scope), reference=reference)


def can_edit_offer(scope, offer: JobOffer) -> bool:
    return (
        scope.is_platform_admin
        or scope.has_role("coordinator")
        or offer.organisation_id in employer_organisation_ids(scope)
    )


def get_editable_offer(scope, reference: str) -> JobOffer:
    """An offer of the employer's organisation, or any offer of the territory for the coordination."""
    offer = get_offer(scope, reference)
    if not can_edit_offer(scope, offer):
        raise Http404("Offre introuvable.")
    return offer


def offer_organisations(scope) -> list[Organisation]:
    """Who an offer may be published for: the employer's organisations; every employer for the coordination."""
    mine = employer_organisations(scope)
    if scope.is_platform_admin or scope.has_role("coordinator"):
        others = Organisation.objects.in_territory(scope.territory).filter(kind=OrganisationKind.EMPLOYER)
        known = {o.pk for o in mine}
        mine = mine + [o for o in others.order_by("name") if o.pk not in known]
    return mine


def open_offers_of(organisation_ids) -> QuerySet[JobOffer]:
    return (
        JobOffer.objects.filter(organisation__in=organisation_ids, status=JobOffer.Status.OPEN)
        .select_related("organisation")
        .order_by("title", "pk")
    )


# --- contact requests ---------------------------------------------------------------------------


CONTACT_RELATED = ("profile", "offer", "organisation", "requested_by", "answered_by")


def employer_requests(scope) -> QuerySet[ContactRequest]:
    return (
        ContactRequest.objects.filter(organisation__in=employer_organisation_ids(scope))
        .select_related(*CONTACT_RELATED)
        .order_by("-created_at", "-pk")
    )


def member_requests(scope) -> QuerySet[ContactRequest]:
    """Requests about the profiles of the people the user follows."""
    return (
        ContactRequest.objects.filter(profile__in=member_profiles(scope))
        .select_related(*CONTACT_RELATED, "profile__follow_up__beneficiary")
        .order_by("-created_at", "-pk")
    )


def get_member_contact(scope, pk: int) -> ContactRequest:
    return get_object_or_404(member_requests(scope), pk=pk)


def get_employer_contact(scope, pk: int) -> ContactRequest:
    return get_object_or_404(employer_requests(scope), pk=pk)


def requests_about(profile: TalentProfile, organisation_ids=None) -> QuerySet[ContactRequest]:
    qs = profile.contact_requests.select_related("offer", "organisation", "requested_by", "answered_by")
    if organisation_ids is not None:
        qs = qs.filter(organisation__in=organisation_ids)
    return qs.order_by("-created_at", "-pk")


# --- figures for the coordination ---------------------------------------------------------------


def territory_figures(territory) -> list[tuple[str, str]]:
    """Counts of the CV library; counts of people follow statistical secrecy."""
    profiles = TalentProfile.objects.filter(territory=territory).aggregate(
        published=Count(
            "pk", filter=Q(status=TalentProfile.Status.PUBLISHED, consent_withdrawn_on__isnull=True)
        ),
        total=Count("pk"),
    )
    requests = ContactRequest.objects.filter(profile__territory=territory).aggregate(
        pending=Count("pk", filter=Q(status=ContactRequest.Status.PENDING)),
        accepted=Count("pk", filter=Q(status=ContactRequest.Status.ACCEPTED)),
    )
    open_offers = JobOffer.objects.filter(territory=territory, status=JobOffer.Status.OPEN).count()
    return [
        ("Profils publiés", size_label(profiles["published"])),
        ("Profils enregistrés (tous statuts)", size_label(profiles["total"])),
        ("Offres ouvertes", str(open_offers)),
        ("Demandes de mise en relation en attente", size_label(requests["pending"])),
        ("Mises en relation acceptées", size_label(requests["accepted"])),
    ]


# --- why a profile answers a search -------------------------------------------------------------


def contract_labels(profile: TalentProfile) -> list[str]:
    labels = dict(Contract.choices)
    return [labels.get(c, c) for c in profile.contracts]


def describe(profile: TalentProfile) -> TalentProfile:
    """Labels the templates show beside a profile (availability, contracts)."""
    profile.availability = availability_label(profile)
    profile.contract_labels = contract_labels(profile)
    return profile


def availability_label(profile: TalentProfile, today: date | None = None) -> str:
    today = today or timezone.localdate()
    if profile.available_from is None or profile.available_from <= today:
        return "Disponible dès maintenant"
    return f"Disponible à partir du {profile.available_from:%d/%m/%Y}"


def search_reasons(profile: TalentProfile, criteria, *, near_label: str = "") -> list[str]:
    """Why a profile answers the search, in French (« Métier recherché : … », « À 4 km de Créteil »…)."""
    reasons = []
    jobs = list(profile.jobs.all())
    exact = [j for j in jobs if j.appellation.code in set(criteria.appellation_codes)]
    same_rome = [j for j in jobs if j.rome_code in set(criteria.rome_codes) and j not in exact]
    if exact:
        reasons.append("Métier recherché : " + ", ".join(j.appellation.label for j in exact))
    if same_rome:
        reasons.append(
            "Même métier ROME : " + ", ".join(f"{j.appellation.label} ({j.rome_code})" for j in same_rome)
        )
    if criteria.words:
        text = profile.search_text or ""
        found = [w for w in words(criteria.words) if fold(w) in text]
        if found:
            reasons.append("Mots trouvés : " + ", ".join(found))
    distance = getattr(profile, "distance_km", None)
    if distance is not None:
        place = f" de {near_label}" if near_label else ""
        reasons.append(f"À {distance:.0f} km{place}" if distance >= 1 else f"À moins d'1 km{place}")
    if criteria.available_by is not None:
        reasons.append(availability_label(profile))
    wanted = [c for c in profile.contracts if c in set(criteria.contracts)]
    if wanted:
        labels = dict(Contract.choices)
        reasons.append("Contrat recherché : " + ", ".join(labels[c] for c in wanted))
    if criteria.working_time and profile.working_time == criteria.working_time:
        reasons.append(profile.get_working_time_display())
    return reasons
