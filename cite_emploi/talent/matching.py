"""Matching: for a job offer, the profiles that fit it; for a profile, the open offers that fit it.

Both directions score a pair (offer, profile) the same way, out of 100, and say why in French.

Rules (ADR 0009)
----------------
* Candidates: only profiles visible to employers (published, consent not withdrawn) and only open
  offers (for ``offers_for_profile``), of the same territory. A pair needs a job in common, read
  through the ``ProfileJob`` indexes: the offer's professional domain (the first 3 characters of
  its ROME code) must be the domain of one of the profile's target jobs; otherwise the pair is
  not a match.
* Job (the best of the profile's target jobs): the offer's appellation itself, « même métier »,
  50 points; another appellation of the same ROME fiche, « métier voisin », 35; another fiche of
  the same domain, « métier proche », 15.
* Distance ``d``, great circle (haversine) between the offer's point and the profile's (both are
  commune centres), against the profile's mobility ``m`` (at least 1 km): 20 − 10 × d / m, that
  is 20 at the door, 10 at the limit of the mobility (beyond it the reason says so) and 0 at twice
  the mobility; farther, the pair is not a match: the person said how far they can go. An unknown
  point on either side scores 10, the middle, with the reason « Distance inconnue ».
* Availability, against the later of today and the offer's start date: available by then
  (no date means now), 10; within the 30 days after, 5; later, 0.
* Contract: 8 when the offer's contract is one the profile looks for, or the profile accepts any
  (empty list); 0 otherwise.
* Skills: 3 for each skill of the offer found in the profile's skills (folded, as whole words:
  « CACES 1 » is found in « caces 1 et 3 », not in « CACES 10 »), at most 12.
* The score is between 15 and 100. Order: score, highest first; then the profile's id (or the
  offer's), lowest first, so that equal scores always come in the same order.

How it stays fast (offer → 100,000 profiles)
--------------------------------------------
The database scores the candidates: one query walks the ``ProfileJob`` rows of the offer's domain
(index ``profile_job_match``, which holds the appellation and the ROME code), joins each to its
profile through the index ``talent_match`` (which holds everything else the score needs), drops
the profiles beyond twice their mobility, adds up every part but the skills, keeps the best job
of each profile (``MAX`` grouped by profile) and returns the first ``limit`` (``LIMIT``: a bounded
heap, not a full sort). When the offer asks for skills, which add 3 points each and 12 at most,
the window is ``limit`` + 500 rows and Python keeps every row that the skills could still bring
into the top; only those profiles' skills are read. If the window is full of such rows (hundreds
of profiles within a few points of each other), a second pass reads them all: the result stays
exact. Then the top profiles are read in full with their target jobs to write the reasons. Three
queries without skills, four with (five in the case above), whatever the number of profiles.

``offers_for_profile`` scores the territory's open offers of the profile's domains in numpy with
the same rules (a test checks that both directions give every pair the same score).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
from django.db.models import Case, F, FloatField, Func, Max, Prefetch, Q, Value, When
from django.db.models.functions import ASin, Cast, Cos, Greatest, Least, Sin, Sqrt
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone
from django.utils.formats import date_format

from cite_emploi.partners.search import EARTH_RADIUS_M, haversine_m
from cite_emploi.partners.text import fold

from .models import Contract, JobOffer, ProfileJob, TalentProfile
from .search import wants_a_contract

# Job tiers, from the weakest.
SAME_DOMAIN, SAME_FICHE, SAME_APPELLATION = 0, 1, 2
JOB_POINTS = (15.0, 35.0, 50.0)
DISTANCE_POINTS = 20.0  # at the door; 10 fewer per mobility radius
UNKNOWN_DISTANCE_POINTS = 10.0
MIN_MOBILITY_KM = 1.0
# Availability tiers, from the weakest: later, soon after the start, by the start.
LATER, SOON, READY = 0, 1, 2
AVAILABILITY_POINTS = (0.0, 5.0, 10.0)
SOON_DAYS = 30
CONTRACT_POINTS = 8.0
SKILL_POINTS = 3.0
MAX_SKILL_POINTS = 12.0
EARTH_RADIUS_KM = EARTH_RADIUS_M / 1000
# Longest list of profile ids whose skills are read by id; beyond, they are read by a sub-query.
MAX_ID_LIST = 10_000
# Rows of the ranking read beyond the top when the offer asks for skills (see profiles_for_offer).
SKILL_WINDOW = 500


@dataclass
class Match:
    profile: TalentProfile | None
    offer: JobOffer | None
    score: float
    reasons: list[str] = field(default_factory=list)
    distance_km: float | None = None


# -- The rules, for one pair or many (numpy) ------------------------------------------------------


def ready_by(starts_on: date | None, today: date) -> date:
    """The date by which a person is « available in time » for an offer."""
    return max(today, starts_on) if starts_on else today


def availability_tier(available_from: date | None, starts_on: date | None, today: date) -> int:
    deadline = ready_by(starts_on, today)
    if available_from is None or available_from <= deadline:
        return READY
    if available_from <= deadline + timedelta(days=SOON_DAYS):
        return SOON
    return LATER


def contract_fits(contract: str, wanted: list[str]) -> bool:
    return not wanted or contract in wanted


def job_tier(offer_appellation_id: int, offer_rome: str, appellation_id: int, rome_code: str) -> int:
    if appellation_id == offer_appellation_id:
        return SAME_APPELLATION
    if rome_code == offer_rome:
        return SAME_FICHE
    return SAME_DOMAIN


def distances_km(lat0, lon0, lats, lons) -> np.ndarray:
    """Great-circle distances in km from (lat0, lon0); NaN where a point (or the origin) is unknown."""
    lats = np.asarray(lats, dtype=np.float64)
    lons = np.asarray(lons, dtype=np.float64)
    if lat0 is None or lon0 is None:
        return np.full(lats.shape, np.nan)
    return haversine_m(lon0, lat0, lons, lats) / 1000


def distance_points(km, mobility_km) -> np.ndarray:
    """Points for the distance; NaN where the pair is no match (beyond twice the mobility)."""
    km = np.asarray(km, dtype=np.float64)
    reach = np.maximum(np.asarray(mobility_km, dtype=np.float64), MIN_MOBILITY_KM)
    with np.errstate(invalid="ignore"):
        points = np.where(km <= 2 * reach, DISTANCE_POINTS - 10 * km / reach, np.nan)
    return np.where(np.isnan(km), UNKNOWN_DISTANCE_POINTS, points)


def base_scores(job_tiers, km, mobility_km, availability_tiers, contract_ok) -> np.ndarray:
    """Every part of the score but the skills; NaN for a pair that is no match."""
    return (
        np.asarray(JOB_POINTS)[np.asarray(job_tiers, dtype=np.int64)]
        + distance_points(km, mobility_km)
        + np.asarray(AVAILABILITY_POINTS)[np.asarray(availability_tiers, dtype=np.int64)]
        + CONTRACT_POINTS * np.asarray(contract_ok, dtype=np.float64)
    )


def skill_points(found: int) -> float:
    return min(SKILL_POINTS * found, MAX_SKILL_POINTS)


def skill_patterns(skills: list[str]) -> list[tuple[str, re.Pattern]]:
    """(the skill as the offer writes it, its folded whole-word pattern)."""
    patterns = []
    for skill in skills or []:
        folded = " ".join(fold(str(skill)).split())
        if folded:
            patterns.append((skill, re.compile(rf"(?<!\w){re.escape(folded)}(?!\w)")))
    return patterns


def skills_found(patterns: list[tuple[str, re.Pattern]], profile_skills: list[str]) -> list[str]:
    """The offer's skills (in the offer's wording) that appear in the profile's skills."""
    folded = [" ".join(fold(str(skill)).split()) for skill in profile_skills or []]
    return [skill for skill, pattern in patterns if any(pattern.search(text) for text in folded)]


# -- The same rules in SQL, for the candidates of one offer ------------------------------------------


def _float(value: float) -> Value:
    return Value(float(value), output_field=FloatField())


def _km_sql(lat0: float, lon0: float, prefix: str) -> Func:
    """``haversine_m`` / 1000 from a fixed point to the profile's point, in SQL (native functions on
    both engines; the fixed point's trigonometry is computed here once)."""
    degree = math.pi / 180
    lat, lon = F(f"{prefix}latitude"), F(f"{prefix}longitude")
    lat0_r, lon0_r = math.radians(lat0), math.radians(lon0)
    half_dlat = Sin((lat * _float(degree) - _float(lat0_r)) / _float(2))
    half_dlon = Sin((lon * _float(degree) - _float(lon0_r)) / _float(2))
    a = half_dlat * half_dlat + _float(math.cos(lat0_r)) * Cos(lat * _float(degree)) * half_dlon * half_dlon
    return _float(2 * EARTH_RADIUS_KM) * ASin(Sqrt(Least(a, _float(1.0))))


def _unknown_point(prefix: str) -> Q:
    return Q(**{f"{prefix}latitude__isnull": True}) | Q(**{f"{prefix}longitude__isnull": True})


def _reach_sql(prefix: str) -> Func:
    return Greatest(Cast(f"{prefix}mobility_km", FloatField()), _float(MIN_MOBILITY_KM))


def _base_score_sql(offer: JobOffer, today: date, prefix: str = "profile__") -> Func:
    """``base_scores`` for one offer, as an SQL expression over ``ProfileJob`` rows (one target job
    and, through ``prefix``, its profile). The pairs beyond twice the mobility are left out by
    ``_within_reach_sql``."""
    job = Case(
        When(appellation_id=offer.appellation_id, then=_float(JOB_POINTS[SAME_APPELLATION])),
        When(rome_code=offer.rome_code, then=_float(JOB_POINTS[SAME_FICHE])),
        default=_float(JOB_POINTS[SAME_DOMAIN]),
    )
    if offer.latitude is None or offer.longitude is None:
        distance = _float(UNKNOWN_DISTANCE_POINTS)
    else:
        km = _km_sql(offer.latitude, offer.longitude, prefix)
        distance = Case(
            When(_unknown_point(prefix), then=_float(UNKNOWN_DISTANCE_POINTS)),
            default=_float(DISTANCE_POINTS) - _float(10) * km / _reach_sql(prefix),
        )
    deadline = ready_by(offer.starts_on, today)
    available = f"{prefix}available_from"
    availability = Case(
        When(
            Q(**{f"{available}__isnull": True}) | Q(**{f"{available}__lte": deadline}),
            then=_float(AVAILABILITY_POINTS[READY]),
        ),
        When(
            **{f"{available}__lte": deadline + timedelta(days=SOON_DAYS)},
            then=_float(AVAILABILITY_POINTS[SOON]),
        ),
        default=_float(AVAILABILITY_POINTS[LATER]),
    )
    contract = Case(
        When(wants_a_contract([offer.contract], prefix), then=_float(CONTRACT_POINTS)),
        default=_float(0),
    )
    return job + distance + availability + contract


def _within_reach_sql(offer: JobOffer, prefix: str = "profile__") -> Q:
    """The profile is at most twice its mobility away from the offer, or a point is unknown."""
    if offer.latitude is None or offer.longitude is None:
        return Q()
    km = _km_sql(offer.latitude, offer.longitude, prefix)
    return _unknown_point(prefix) | Q(LessThanOrEqual(km, _float(2) * _reach_sql(prefix)))


def _candidate_jobs(offer: JobOffer):
    return ProfileJob.objects.filter(
        _within_reach_sql(offer),
        domain=offer.rome_code[:3],
        profile__territory_id=offer.territory_id,
        profile__status=TalentProfile.Status.PUBLISHED,
        profile__consent_withdrawn_on__isnull=True,
    )


# -- Reasons ------------------------------------------------------------------------------------


def _km(value: float) -> str:
    return "moins de 1 km" if value < 1 else f"{round(value)} km"


def _day(value: date) -> str:
    return date_format(value, "j F Y")


def _contract_label(value: str) -> str:
    return Contract(value).label if value in Contract.values else value


def reasons(
    *,
    tier,
    rome_code,
    label,
    km,
    mobility_km,
    available_from,
    starts_on,
    today,
    offer_contract,
    wanted,
    found,
) -> list[str]:
    """Why a pair matches, in French, one sentence per rule (the skills found last)."""
    said = []
    if tier == SAME_APPELLATION:
        said.append(f"Même métier : {label}")
    elif tier == SAME_FICHE:
        said.append(f"Métier voisin (même fiche ROME {rome_code}) : {label}")
    else:
        said.append(f"Métier proche (même domaine {rome_code[:3]}) : {label}")
    if km is None:
        said.append("Distance inconnue")
    elif km <= max(mobility_km, MIN_MOBILITY_KM):
        said.append(f"À {_km(km)} (mobilité {mobility_km} km)")
    else:
        said.append(f"À {_km(km)}, au-delà de la mobilité ({mobility_km} km)")
    tier_available = availability_tier(available_from, starts_on, today)
    if available_from is None or available_from <= today:
        said.append("Disponible dès maintenant")
    elif tier_available == READY:
        said.append(f"Disponible le {_day(available_from)}, avant la prise de poste")
    elif tier_available == SOON:
        after = "la prise de poste" if starts_on and starts_on > today else "aujourd'hui"
        said.append(f"Disponible le {_day(available_from)}, moins d'un mois après {after}")
    else:
        said.append(f"Disponible seulement à partir du {_day(available_from)}")
    if not wanted:
        said.append(f"Tous contrats acceptés (offre en {_contract_label(offer_contract)})")
    elif offer_contract in wanted:
        said.append(f"Contrat recherché : {_contract_label(offer_contract)}")
    else:
        others = ", ".join(_contract_label(value) for value in wanted)
        said.append(f"Cherche un autre contrat : {others} (offre en {_contract_label(offer_contract)})")
    said.extend(f"Compétence : {skill}" for skill in found)
    return said


def _best_job(jobs, offer_appellation_id: int, offer_rome: str):
    """The profile's target job closest to the offer's (None when none shares its domain)."""
    best, best_tier = None, -1
    for job in jobs:
        if job.domain != offer_rome[:3]:
            continue
        tier = job_tier(offer_appellation_id, offer_rome, job.appellation_id, job.rome_code)
        if tier > best_tier:
            best, best_tier = job, tier
    return best


def _profile_rows():
    jobs = ProfileJob.objects.select_related("appellation").order_by("pk")
    return (
        TalentProfile.objects.select_related("commune")
        .defer("commune__geometry")
        .prefetch_related(Prefetch("jobs", jobs))
    )


# -- Offer → profiles ---------------------------------------------------------------------------------


def _ranking(offer: JobOffer, today: date):
    """(profile id, score without the skills), best first, computed by the database."""
    return (
        _candidate_jobs(offer)
        .values("profile_id")
        .annotate(base=Max(_base_score_sql(offer, today)))
        .order_by("-base", "profile_id")
        .values_list("profile_id", "base")
    )


def profiles_for_offer(offer: JobOffer, *, limit: int = 20) -> list[Match]:
    """The visible profiles of the offer's territory that fit ``offer``, best first (see the rules)."""
    if not offer.rome_code or limit <= 0:
        return []
    today = timezone.localdate()
    patterns = skill_patterns(offer.skills)
    ranking = _ranking(offer, today)
    if not patterns:
        ranked = list(ranking[:limit])
    else:
        # The skills add at most ``reach`` points: every profile within that reach of the last of
        # the top may still enter it. They come first from a window of the ranking, all of them
        # from a second pass only when the window is full of them (hundreds of equal profiles).
        reach = min(MAX_SKILL_POINTS, SKILL_POINTS * len(patterns))
        ranked = list(ranking[: limit + SKILL_WINDOW])
        if len(ranked) > limit:
            floor = ranked[limit - 1][1] - reach
            if len(ranked) == limit + SKILL_WINDOW and ranked[-1][1] >= floor:
                ranked = list(ranking.filter(base__gte=floor))
            ranked = [(pk, base) for pk, base in ranked if base >= floor]
    found: dict[int, list[str]] = {}
    if patterns and ranked:
        if len(ranked) <= MAX_ID_LIST:
            readers = TalentProfile.objects.filter(pk__in=[pk for pk, _ in ranked])
        else:
            readers = TalentProfile.objects.filter(pk__in=_candidate_jobs(offer).values("profile_id"))
        wanted = {pk for pk, _ in ranked}
        for pk, skills in readers.values_list("pk", "skills"):
            if pk in wanted:
                found[pk] = skills_found(patterns, skills)
        ranked = sorted(
            ((pk, base + skill_points(len(found.get(pk, ())))) for pk, base in ranked),
            key=lambda row: (-row[1], row[0]),
        )[:limit]
    profiles = _profile_rows().in_bulk([pk for pk, _ in ranked])
    matches = []
    for pk, score in ranked:
        profile = profiles.get(pk)
        job = _best_job(profile.jobs.all(), offer.appellation_id, offer.rome_code) if profile else None
        if job is None:
            continue  # changed between the two reads: left out rather than shown half-known
        km = distances_km(offer.latitude, offer.longitude, [profile.latitude], [profile.longitude])[0]
        distance = None if np.isnan(km) or profile.latitude is None else float(km)
        matches.append(
            Match(
                profile=profile,
                offer=offer,
                score=float(score),
                distance_km=distance,
                reasons=reasons(
                    tier=job_tier(offer.appellation_id, offer.rome_code, job.appellation_id, job.rome_code),
                    rome_code=offer.rome_code,
                    label=job.appellation.label,
                    km=distance,
                    mobility_km=profile.mobility_km,
                    available_from=profile.available_from,
                    starts_on=offer.starts_on,
                    today=today,
                    offer_contract=offer.contract,
                    wanted=profile.contracts or [],
                    found=found.get(pk, []),
                ),
            )
        )
    return matches


# -- Profile → offers ---------------------------------------------------------------------------------


def offers_for_profile(profile: TalentProfile, *, limit: int = 20, organisations=None) -> list[Match]:
    """The open offers of the profile's territory that fit ``profile``, best first (see the rules).

    ``organisations`` (ids) keeps the offers of those organisations only: an employer reads how the
    profile fits their own offers, all of them, not those of theirs among the territory's best.
    A profile employers cannot see (not published, consent withdrawn) is matched with nothing.
    """
    if not profile.is_visible_to_employers or limit <= 0:
        return []
    jobs = list(profile.jobs.all())
    in_domains = Q()
    for domain in sorted({job.domain for job in jobs}):
        in_domains |= Q(rome_code__startswith=domain)
    if not in_domains:
        return []
    offers = JobOffer.objects.filter(
        in_domains, territory_id=profile.territory_id, status=JobOffer.Status.OPEN
    )
    if organisations is not None:
        offers = offers.filter(organisation_id__in=organisations)
    offers = list(
        offers.select_related("appellation", "organisation", "commune")
        .defer("commune__geometry", "organisation__description")
        .order_by("pk")
    )
    if not offers:
        return []
    today = timezone.localdate()
    best = [_best_job(jobs, offer.appellation_id, offer.rome_code) for offer in offers]
    tiers = [
        job_tier(offer.appellation_id, offer.rome_code, job.appellation_id, job.rome_code)
        for offer, job in zip(offers, best, strict=True)
    ]
    if profile.latitude is None or profile.longitude is None:
        km = np.full(len(offers), np.nan)
    else:
        km = distances_km(
            profile.latitude,
            profile.longitude,
            [np.nan if o.latitude is None else o.latitude for o in offers],
            [np.nan if o.longitude is None else o.longitude for o in offers],
        )
    found = [skills_found(skill_patterns(offer.skills), profile.skills) for offer in offers]
    scores = base_scores(
        tiers,
        km,
        np.full(len(offers), float(profile.mobility_km)),
        [availability_tier(profile.available_from, offer.starts_on, today) for offer in offers],
        [contract_fits(offer.contract, profile.contracts or []) for offer in offers],
    ) + np.array([skill_points(len(hits)) for hits in found])
    ids = np.array([offer.pk for offer in offers], dtype=np.int64)
    kept = np.flatnonzero(~np.isnan(scores))
    matches = []
    for index in kept[np.lexsort((ids[kept], -scores[kept]))][:limit]:
        offer = offers[index]
        distance = None if np.isnan(km[index]) else float(km[index])
        matches.append(
            Match(
                profile=profile,
                offer=offer,
                score=float(scores[index]),
                distance_km=distance,
                reasons=reasons(
                    tier=tiers[index],
                    rome_code=offer.rome_code,
                    label=offer.appellation.label,
                    km=distance,
                    mobility_km=profile.mobility_km,
                    available_from=profile.available_from,
                    starts_on=offer.starts_on,
                    today=today,
                    offer_contract=offer.contract,
                    wanted=profile.contracts or [],
                    found=found[index],
                ),
            )
        )
    return matches
