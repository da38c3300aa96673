"""Talent search: the profiles an employer or a counsellor finds by job, words, distance, availability.

The search page, its exports and the API call ``search_profiles``: a filter is written once.

Rules
-----
* Only profiles visible to employers: published (``publie``), consent not withdrawn, of the
  territory searched. Nothing else is ever returned.
* Values of one filter are alternatives (OR); different filters must all hold (AND). The exact
  jobs (``appellation_codes``) and the ROME fiches (``rome_codes``) are one filter, « métier »: a
  profile matches when one of its target jobs is one of the appellations or belongs to one of
  the fiches. Target jobs are read through the indexed ``ProfileJob`` rows.
* Words: every word must appear in the profile's folded text (``search_text``: title, skills,
  experience, labels of the target jobs, see ``text.py``), whatever the accents and the case:
  the typed words are folded the same way, so each word is one ``LIKE '%word%'``.
* Availability: ``available_by`` keeps the profiles available now (no date) or from that date at
  the latest. Contracts: the profile looks for one of them, or did not say (empty list = any).
  Working time: « temps plein » also matches the profiles that accept either (``indifferent``).
* Distance: profiles are placed at their commune's centre, so a territory has few distinct
  points. The matching profiles are counted per point in SQL (one ``GROUP BY``); the exact
  great-circle distance of each point is computed in Python; the points within ``within_km``
  give the total, nearest first. A page then reads only the points it covers, ordered by distance
  in SQL. Without a radius, every profile is kept and sorted by distance (unknown points last).
* Order: by distance when ``near`` is given, then the most recently published first (then id);
  without ``near``, the most recently published first. The total is a separate ``COUNT`` (or the
  sum of the counts per point). A page reads its ids along an index (``talent_visible_recent``,
  or ``talent_visible_place`` within one point) and stops, then reads only those rows in full.
* Queries: 4 per page (count or points, ids of the page, its rows, their target jobs), whatever the
  number of profiles. The indexes each query reads are listed in ``TalentProfile.Meta`` and ADR 0009.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from django.db import connection
from django.db.models import Case, Count, F, Prefetch, Q, QuerySet, Value, When
from django.db.models.fields import IntegerField

from cite_emploi.partners.search import METRES_PER_DEGREE_LAT, haversine_m
from cite_emploi.partners.text import words as folded_words

from .models import ProfileJob, TalentProfile, WorkingTime

MAX_PER_PAGE = 100
MAX_KM = 200
# The commune's outline is heavy JSON a result list never shows.
HEAVY_COLUMNS = ("commune__geometry",)


@dataclass
class ProfileCriteria:
    appellation_codes: list[str] = field(default_factory=list)  # OGR codes (exact jobs)
    rome_codes: list[str] = field(default_factory=list)  # ROME fiche codes
    words: str = ""  # free text over title, skills, experience, job labels (search_text)
    near: tuple[float, float] | None = None  # (latitude, longitude)
    within_km: int | None = None
    available_by: date | None = None  # available_from is null (now) or <= this date
    contracts: list[str] = field(default_factory=list)  # any of these in profile.contracts (empty = any)
    working_time: str = ""


@dataclass
class ProfilePage:
    """One page of results: ``rows`` carry ``distance_km`` (None without ``near`` or without a point)."""

    rows: list[TalentProfile]
    total: int
    page: int
    pages: int
    per_page: int = 20

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def visible_profiles(territory) -> QuerySet[TalentProfile]:
    """The profiles employers may read in ``territory``: published, consent not withdrawn."""
    return TalentProfile.objects.filter(
        territory=territory, status=TalentProfile.Status.PUBLISHED, consent_withdrawn_on__isnull=True
    )


def wants_a_contract(contracts: list[str], prefix: str = "") -> Q:
    """The profile looks for one of ``contracts``, or for any (an empty list).

    PostgreSQL tests JSON containment (``@>``), which reads the binary JSON without writing it as
    text; SQLite has no containment and looks for the quoted value in the JSON text, which it
    writes as ``["a", "b"]`` (so ``"cdd"`` cannot match inside another value). Same answers.
    """
    column = f"{prefix}contracts"
    condition = Q(**{column: []})
    for contract in contracts:
        if connection.vendor == "postgresql":
            condition |= Q(**{f"{column}__contains": [contract]})
        else:
            condition |= Q(**{f"{column}__icontains": f'"{contract}"'})
    return condition


def _job_filter(appellation_codes: list[str], rome_codes: list[str]) -> Q:
    condition = Q()
    if appellation_codes:
        condition |= Q(appellation__code__in=list(appellation_codes))
    if rome_codes:
        condition |= Q(rome_code__in=list(rome_codes))
    return Q(pk__in=ProfileJob.objects.filter(condition).values("profile_id"))


def filter_profiles(queryset: QuerySet, criteria: ProfileCriteria) -> QuerySet:
    """Every criterion but the distance, applied to a queryset of profiles."""
    if criteria.appellation_codes or criteria.rome_codes:
        queryset = queryset.filter(_job_filter(criteria.appellation_codes, criteria.rome_codes))
    for word in folded_words(criteria.words):
        queryset = queryset.filter(search_text__contains=word)
    if criteria.available_by is not None:
        queryset = queryset.filter(
            Q(available_from__isnull=True) | Q(available_from__lte=criteria.available_by)
        )
    if criteria.contracts:
        queryset = queryset.filter(wants_a_contract(criteria.contracts))
    if criteria.working_time and criteria.working_time != WorkingTime.ANY:
        queryset = queryset.filter(working_time__in=[criteria.working_time, WorkingTime.ANY])
    return queryset


def _rows(ids: list[int]) -> list[TalentProfile]:
    """The profiles of a page in full, in the order of ``ids``, with their jobs and commune.

    The page's ids come first from the indexes; reading whole rows (long texts) only for them
    keeps a page of a broad search from reading and sorting every matching row.
    """
    if not ids:
        return []
    jobs = ProfileJob.objects.select_related("appellation").order_by("pk")
    found = (
        TalentProfile.objects.select_related("commune")
        .defer(*HEAVY_COLUMNS)
        .prefetch_related(Prefetch("jobs", jobs))
        .in_bulk(ids)
    )
    return [found[pk] for pk in ids if pk in found]


def _page_bounds(total: int, page: int, per_page: int) -> tuple[int, int, int]:
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    return page, pages, (page - 1) * per_page


def search_profiles(
    territory, criteria: ProfileCriteria, *, page: int = 1, per_page: int = 20
) -> ProfilePage:
    """The profiles of ``territory`` matching ``criteria``, one page of ``per_page`` rows.

    A page number beyond the last gives the last page (as Django's ``Paginator.get_page``).
    """
    per_page = min(max(1, per_page), MAX_PER_PAGE)
    queryset = filter_profiles(visible_profiles(territory), criteria)
    if criteria.near is not None:
        return _by_distance(queryset, criteria, page, per_page)
    total = queryset.count()
    page, pages, start = _page_bounds(total, page, per_page)
    ordered = queryset.order_by(F("published_at").desc(), "-pk").values_list("pk", flat=True)
    rows = _rows(list(ordered[start : start + per_page])) if total else []
    for row in rows:
        row.distance_km = None
    return ProfilePage(rows=rows, total=total, page=page, pages=pages, per_page=per_page)


@dataclass
class _Point:
    latitude: float | None
    longitude: float | None
    count: int
    distance_km: float | None

    def condition(self) -> Q:
        if self.latitude is None or self.longitude is None:
            return Q(latitude__isnull=True) | Q(longitude__isnull=True)
        return Q(latitude=self.latitude, longitude=self.longitude)


def _points(queryset: QuerySet, criteria: ProfileCriteria) -> list[_Point]:
    """The distinct points of the matching profiles, with their count, nearest first (unknown last)."""
    lat0, lon0 = criteria.near
    radius = None if criteria.within_km is None else min(max(criteria.within_km, 0), MAX_KM)
    grouped = queryset.order_by().values_list("latitude", "longitude").annotate(n=Count("pk"))
    if radius is not None:
        # A box around the circle first: the exact distance is computed on the points inside.
        reach = radius * 1010  # metres, 1 % wider: the exact test follows
        dlat = reach / METRES_PER_DEGREE_LAT
        dlon = reach / (METRES_PER_DEGREE_LAT * max(math.cos(math.radians(abs(lat0) + dlat)), 0.01))
        grouped = grouped.filter(
            latitude__range=(lat0 - dlat, lat0 + dlat), longitude__range=(lon0 - dlon, lon0 + dlon)
        )
    rows = list(grouped)
    located = [row for row in rows if row[0] is not None and row[1] is not None]
    points = []
    if located:
        lats = np.fromiter((row[0] for row in located), dtype=np.float64, count=len(located))
        lons = np.fromiter((row[1] for row in located), dtype=np.float64, count=len(located))
        distances = haversine_m(lon0, lat0, lons, lats) / 1000
        for (lat, lon, n), km in zip(located, distances.tolist(), strict=True):
            if radius is None or km <= radius:
                points.append(_Point(lat, lon, n, km))
        points.sort(key=lambda point: (point.distance_km, point.latitude, point.longitude))
    if radius is None:
        unknown = sum(row[2] for row in rows if row[0] is None or row[1] is None)
        if unknown:
            points.append(_Point(None, None, unknown, None))
    return points


def _by_distance(queryset: QuerySet, criteria: ProfileCriteria, page: int, per_page: int) -> ProfilePage:
    points = _points(queryset, criteria)
    total = sum(point.count for point in points)
    page, pages, start = _page_bounds(total, page, per_page)
    # The points the page covers, and where the page starts within the first of them.
    covered, skipped, seen = [], 0, 0
    for point in points:
        if seen + point.count > start and seen < start + per_page:
            if not covered:
                skipped = start - seen
            covered.append(point)
        seen += point.count
    rows = []
    if covered:
        where, ranking = Q(), []
        for position, point in enumerate(covered):
            where |= point.condition()
            ranking.append(When(point.condition(), then=Value(position)))
        ordered = queryset.filter(where)
        if len(covered) == 1:
            # One point: its rows in the usual order, along the index of points.
            ordered = ordered.order_by(F("published_at").desc(), "-pk").values_list(
                "pk", Value(0, output_field=IntegerField())
            )
        else:
            ordered = (
                ordered.annotate(
                    point_rank=Case(*ranking, default=Value(len(covered)), output_field=IntegerField())
                )
                .order_by("point_rank", F("published_at").desc(), "-pk")
                .values_list("pk", "point_rank")
            )
        ranks = dict(ordered[skipped : skipped + per_page])
        rows = _rows(list(ranks))
        for row in rows:
            position = ranks[row.pk]
            row.distance_km = covered[position].distance_km if position < len(covered) else None
    return ProfilePage(rows=rows, total=total, page=page, pages=pages, per_page=per_page)
