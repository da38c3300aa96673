"""Search of the offer: the catalogue of services and the partner map, one function each.

The catalogue page, its map (JSON), the API and the exports call ``search_services`` or
``search_organisations``: a filter is written once.

Rules of the catalogue
----------------------
* Values of one filter are alternatives (OR); different filters must all hold (AND).
* The list-valued data·inclusion fields are matched through the indexed ``ServiceFacet`` rows
  (written by ``services.save_service`` only), never by reading JSON in SQL, so the same query
  runs on SQLite and PostgreSQL.
* Thématique: a category (``trouver-un-emploi``…) matches every thématique of the category; a thématique
  (``categorie--sous-theme``) matches itself.
* Public: a service « tous publics » matches whatever public is asked for.
* Commune, QPV: where the service is delivered — its own address or one of its sites.
* Distance: from an origin (a geocoded address, or the centre of a chosen QPV when there is no
  geocoder or it fails), to the nearest place of the service (own address or a site). SQL keeps
  the places inside the bounding box of the circle; the exact great-circle (haversine) distance is
  then computed with numpy and the results are sorted by it. Services without any located place
  (remote only) cannot be found by distance.
* Free text: every word must appear in the service's name or description, or in its
  organisation's name, whatever the accents and the case. Services keep a folded copy of their
  name and description (``search_text``, see ``text.py``); the typed words are folded the same
  way, so a word is one ``LIKE '%word%'`` that both engines run in C over plain text. The
  organisations' names (a few hundred) are matched by a regular expression of character classes
  (``creteil`` → ``[cçCÇ][rR][eéèêëEÉÈÊË]…``, PostgreSQL's ``~``, SQLite's ``REGEXP``) in a
  sub-query. Limits: no ranking by relevance (results stay in alphabetical order). ADR 0005 says
  why a stored folded copy replaced the regular expression over every description.
* Order and pages: by name then id, through the ``(name, id)`` index, so a page of a broad search
  reads its 20 rows and stops; the count is a separate ``COUNT``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import chain

import numpy as np
from django.db.models import BooleanField, F, Func, Q, QuerySet

from . import enums
from .models import Organisation, Service, ServiceFacet, Site
from .text import words

Facet = ServiceFacet.Facet

EARTH_RADIUS_M = 6_371_008.8
METRES_PER_DEGREE_LAT = EARTH_RADIUS_M * math.pi / 180  # on the sphere of ``haversine_m``
DEFAULT_RADIUS_M = 2000
MAX_RADIUS_M = 50_000
# Beyond this, the map shows the first places and says it is truncated.
MAX_MAP_PLACES = 3000
# Longest list of ids sent as query parameters (SQLite allows 32,766 per statement).
MAX_ID_LIST = 10_000
# Outlines a page never shows: read with every row, they would weigh more than the rows.
HEAVY_COLUMNS = ("commune__geometry", "qpv__geometry", "organisation__description")

# -- Free text ---------------------------------------------------------------------------------

# A folded letter → the letters it stands for in stored text (upper-case forms are added).
_VARIANTS = {
    "a": "aàâäáãå",
    "c": "cç",
    "e": "eéèêë",
    "i": "iîïíì",
    "n": "nñ",
    "o": "oôöóòõ",
    "u": "uùûüú",
    "y": "yÿý",
}


def _letter_class(char: str) -> str:
    forms = _VARIANTS.get(char, char)
    forms += forms.upper()
    unique = "".join(dict.fromkeys(forms))
    return unique if len(unique) == 1 else f"[{unique}]"


def word_pattern(word: str) -> str:
    """The character-class regular expression of a folded word (letters and digits only)."""
    return "".join(_letter_class(char) for char in word)


def like_prefilter(word: str) -> str | None:
    """A LIKE pattern that every match of ``word`` also matches, or None when it would match anything.

    Letters that may carry an accent (and any non-ASCII character) become ``_`` (any one
    character) and are trimmed from both ends: ``creteil`` → ``%r_t__l%``. SQLite's LIKE ignores
    ASCII case and, when the pattern goes on with a plain character after ``%``, jumps from one
    occurrence of it to the next in C; the exact regular expression then runs on these
    candidates only.
    """
    core = "".join("_" if char in _VARIANTS or not char.isascii() else char for char in word).strip("_")
    return f"%{core}%" if core else None


class ContainsWord(Func):
    """True when a text column contains a word, whatever its accents and case (see the module doc)."""

    output_field = BooleanField()

    def __init__(self, column: str, word: str):
        self.pattern = word_pattern(word)
        self.prefilter = like_prefilter(word)
        super().__init__(F(column))

    def as_sql(self, compiler, connection, **extra_context):
        column, params = compiler.compile(self.source_expressions[0])
        if connection.vendor == "sqlite":
            # REGEXP is the function Django registers on SQLite connections (Python's re).
            if self.prefilter:
                return f"({column} LIKE %s AND {column} REGEXP %s)", (
                    *params,
                    self.prefilter,
                    *params,
                    self.pattern,
                )
            return f"({column} REGEXP %s)", (*params, self.pattern)
        if connection.vendor == "postgresql":
            return f"({column} ~ %s)", (*params, self.pattern)
        return connection.ops.regex_lookup("regex") % (column, "%s"), (*params, self.pattern)


def service_text_filter(text: str) -> Q:
    """Every word of ``text`` in the service's folded name and description or its organisation's
    name; an empty Q when there is no word."""
    condition = Q()
    for word in words(text):
        named = Organisation.objects.filter(ContainsWord("name", word)).values("pk")
        condition &= Q(search_text__contains=word) | Q(organisation_id__in=named)
    return condition


def text_filter(text: str, columns: tuple[str, ...]) -> Q:
    """Every word of ``text`` in at least one of ``columns``; an empty Q when there is no word."""
    condition = Q()
    for word in words(text):
        any_column = Q()
        for column in columns:
            any_column |= Q(ContainsWord(column, word))
        condition &= any_column
    return condition


# -- Distance ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Origin:
    """Where distances are measured from (WGS84), and how it was obtained, in French."""

    lon: float
    lat: float
    label: str


def haversine_m(lon1, lat1, lon2, lat2):
    """Great-circle distance in metres; works on scalars and numpy arrays."""
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(v, dtype=np.float64)) for v in (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


def bounding_box(origin: Origin, radius_m: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """(lon range, lat range) of a box that contains the circle (1 % wider: the exact test follows)."""
    reach = radius_m * 1.01
    dlat = reach / METRES_PER_DEGREE_LAT
    dlon = reach / (
        METRES_PER_DEGREE_LAT * max(math.cos(math.radians(origin.lat) + dlat * math.pi / 180), 0.01)
    )
    return (origin.lon - dlon, origin.lon + dlon), (origin.lat - dlat, origin.lat + dlat)


def qpv_origin(code: str) -> Origin | None:
    """The centroid of a QPV 2024 outline, or None for an unknown code."""
    import shapely.geometry

    from cite_emploi.territory.models import QPV

    qpv = QPV.objects.filter(code=code).order_by("-geography_year").values("name", "geometry").first()
    if not qpv or not qpv["geometry"]:
        return None
    centre = shapely.geometry.shape(qpv["geometry"]).centroid
    return Origin(centre.x, centre.y, f"centre du quartier {qpv['name']}")


def resolve_origin(
    *, address: str = "", qpv_code: str = "", lon: float | None = None, lat: float | None = None
) -> tuple[Origin | None, str]:
    """The origin of a distance search and, when something could not be used, why (French).

    Coordinates win; then the address through the geocoder; then the centre of ``qpv_code``.
    Never raises: without a geocoder, or when it fails, the QPV is the fallback.
    """
    from cite_emploi.territory.geocoder import GeocoderError, get_geocoder

    if lon is not None and lat is not None:
        return Origin(lon, lat, f"point {lat:.5f}, {lon:.5f}"), ""
    problem = ""
    if address:
        try:
            geocoder = get_geocoder()
            if geocoder is None:
                problem = "Aucun service de géocodage n'est configuré : l'adresse ne peut pas être localisée."
            else:
                with geocoder:
                    found = geocoder.search(address, limit=1)
                if found:
                    return Origin(found[0].lon, found[0].lat, found[0].label), ""
                problem = "Adresse introuvable : précisez la commune."
        except GeocoderError as error:
            problem = error.message
    if qpv_code:
        origin = qpv_origin(qpv_code)
        if origin is not None:
            if problem:
                problem += f" Distance mesurée depuis le {origin.label}."
            return origin, problem
    if problem:
        problem += " Choisissez un quartier de départ pour chercher par distance."
    return None, problem


# -- Services ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceFilters:
    q: str = ""
    categories: tuple[str, ...] = ()
    thematiques: tuple[str, ...] = ()
    publics: tuple[str, ...] = ()
    communes: tuple[str, ...] = ()  # INSEE codes
    qpvs: tuple[str, ...] = ()  # QPV codes
    reception_modes: tuple[str, ...] = ()
    fees: tuple[str, ...] = ()
    origin: Origin | None = None
    radius_m: float = DEFAULT_RADIUS_M


def _facet_ids(*conditions: Q):
    """Ids of the services having a facet that meets any of ``conditions``."""
    either = Q()
    for condition in conditions:
        either |= condition
    return ServiceFacet.objects.filter(either).values("service_id")


def filter_services(queryset: QuerySet, f: ServiceFilters) -> QuerySet:
    """Every filter of ``f`` but the distance, applied to a queryset of services."""
    if f.categories or f.thematiques:
        queryset = queryset.filter(
            pk__in=_facet_ids(
                Q(facet=Facet.CATEGORY, value__in=f.categories),
                Q(facet=Facet.THEMATIQUE, value__in=f.thematiques),
            )
        )
    if f.publics:
        wanted = {*f.publics, enums.TOUS_PUBLICS}
        queryset = queryset.filter(pk__in=_facet_ids(Q(facet=Facet.PUBLIC, value__in=wanted)))
    if f.communes:
        queryset = queryset.filter(pk__in=_facet_ids(Q(facet=Facet.COMMUNE, value__in=f.communes)))
    if f.qpvs:
        queryset = queryset.filter(pk__in=_facet_ids(Q(facet=Facet.QPV, value__in=f.qpvs)))
    if f.reception_modes:
        queryset = queryset.filter(pk__in=_facet_ids(Q(facet=Facet.RECEPTION, value__in=f.reception_modes)))
    if f.fees:
        queryset = queryset.filter(fees__in=f.fees)
    if f.q:
        queryset = queryset.filter(service_text_filter(f.q))
    return queryset


@dataclass(frozen=True)
class Place:
    """Where a service is delivered: its own address or one of its sites, with its distance."""

    service_id: int
    lon: float
    lat: float
    site: str = ""  # site name; empty for the service's own address
    distance_m: float | None = None


class ServiceSearch:
    """The matching services, in order: by distance when an origin is given, by name otherwise.

    Behaves as a sequence (``count()``, ``len()``, slices), so Django's Paginator and
    django-ninja's pagination page through it. By name, a page is a ``COUNT`` and the page's ids
    read along the ``(name, id)`` index (``LIMIT``: a broad search stops after its rows), then the
    page's rows in full. By distance, the places within the circle are read once and sorted in
    numpy; the count and the pages come from that order.
    """

    def __init__(self, queryset: QuerySet, filters: ServiceFilters, rows: QuerySet):
        self.filters = filters
        self.queryset = queryset
        self.rows = rows  # how a page's services are read (related objects, deferred columns)
        self.distances: dict[int, float] | None = None
        self._ordered_ids: list[int] | None = None
        self._count: int | None = None
        if filters.origin is not None:
            ids, _, _, _, distances = self._nearest_places()
            self._ordered_ids = ids.tolist()
            self.distances = dict(zip(self._ordered_ids, distances.tolist(), strict=True))

    def count(self) -> int:
        if self._ordered_ids is not None:
            return len(self._ordered_ids)
        if self._count is None:
            self._count = self.queryset.count()
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            rows = self[index : index + 1] if index >= 0 else self[index:][:1]
            if not rows:
                raise IndexError(index)
            return rows[0]
        if self._ordered_ids is not None:
            ids = self._ordered_ids[index]
        elif (index.start or 0) < 0 or (index.stop or 0) < 0 or index.step not in (None, 1):
            ids = list(self.queryset.values_list("pk", flat=True))[index]
        else:
            ids = list(self.queryset.values_list("pk", flat=True)[index])
        by_id = self.rows.in_bulk(ids)
        rows = [by_id[pk] for pk in ids if pk in by_id]
        for row in rows:
            row.distance_m = self.distances.get(row.pk) if self.distances is not None else None
        return rows

    def _located(self, box=None):
        """Arrays (service id, lon, lat) and site names of the located places of the results."""
        own = self.queryset.order_by().filter(longitude__isnull=False, latitude__isnull=False)
        if box is not None:
            (lon_min, lon_max), (lat_min, lat_max) = box
            own = own.filter(longitude__range=(lon_min, lon_max), latitude__range=(lat_min, lat_max))
        rows = list(own.values_list("pk", "longitude", "latitude"))
        at_sites = self._at_sites(box)
        n = len(rows) + len(at_sites)
        ids = np.fromiter(chain((r[0] for r in rows), (r[0] for r in at_sites)), dtype=np.int64, count=n)
        lons = np.fromiter(chain((r[1] for r in rows), (r[1] for r in at_sites)), dtype=np.float64, count=n)
        lats = np.fromiter(chain((r[2] for r in rows), (r[2] for r in at_sites)), dtype=np.float64, count=n)
        return ids, lons, lats, [""] * len(rows) + [r[3] for r in at_sites]

    def _at_sites(self, box) -> list[tuple]:
        """(service id, lon, lat, site name) of the results delivered at a located site (in ``box``).

        With a box, the few sites inside it come first, then their services are checked against
        the filters by id: the filters do not run over every service a second time.
        """
        links = Service.sites.through.objects.filter(
            site__longitude__isnull=False, site__latitude__isnull=False
        ).values_list("service_id", "site__longitude", "site__latitude", "site__name")
        if box is None:
            return list(links.filter(service__in=self.queryset.order_by().values("pk")))
        (lon_min, lon_max), (lat_min, lat_max) = box
        near = list(
            links.filter(site__longitude__range=(lon_min, lon_max), site__latitude__range=(lat_min, lat_max))
        )
        candidates = {row[0] for row in near}
        if len(candidates) > MAX_ID_LIST:
            kept = set(self.queryset.order_by().values_list("pk", flat=True))
        else:
            kept = set(self.queryset.order_by().filter(pk__in=candidates).values_list("pk", flat=True))
        return [row for row in near if row[0] in kept]

    def _places_within(self):
        """The places within the radius of the origin, nearest first, with their distance."""
        origin, radius = self.filters.origin, self.filters.radius_m
        ids, lons, lats, sites = self._located(bounding_box(origin, radius))
        distances = haversine_m(origin.lon, origin.lat, lons, lats)
        keep = np.flatnonzero(distances <= radius)
        order = keep[np.lexsort((ids[keep], distances[keep]))]
        return ids[order], lons[order], lats[order], [sites[i] for i in order], distances[order]

    def _nearest_places(self):
        """One place per service, its nearest, nearest services first."""
        ids, lons, lats, sites, distances = self._places_within()
        _, first = np.unique(ids, return_index=True)  # places are sorted nearest first
        first = np.sort(first)
        return ids[first], lons[first], lats[first], [sites[i] for i in first], distances[first]

    def places(self, limit: int = MAX_MAP_PLACES) -> tuple[list[Place], bool]:
        """The located places of the results for the map (within the radius when searching by
        distance), and whether the list was cut at ``limit``."""
        if self.filters.origin is not None:
            ids, lons, lats, sites, distances = self._places_within()
        else:
            ids, lons, lats, sites = self._located()
            distances = np.full(len(ids), np.nan)
        found = [
            Place(
                int(ids[i]),
                float(lons[i]),
                float(lats[i]),
                sites[i],
                None if np.isnan(distances[i]) else float(distances[i]),
            )
            for i in range(min(limit, len(ids)))
        ]
        return found, len(ids) > limit

    def names(self, ids) -> dict[int, tuple[str, str]]:
        """Service id → (service name, organisation name), in one query."""
        rows = Service.objects.filter(pk__in=list(ids)).values_list("pk", "name", "organisation__name")
        return {pk: (name, org) for pk, name, org in rows}


def search_services(territory, filters: ServiceFilters, *, only: tuple[str, ...] = ()) -> ServiceSearch:
    """The catalogue: services of ``territory`` matching ``filters``; a page's rows read the
    ``only`` fields (``QuerySet.only``) when given, every field but the heavy ones otherwise."""
    scoped = Service.objects.scanning_territory(territory)
    rows = scoped.select_related("organisation", "commune", "qpv")
    rows = rows.only(*only) if only else rows.defer(*HEAVY_COLUMNS)
    return ServiceSearch(filter_services(scoped.order_by("name", "pk"), filters), filters, rows)


# -- Organisations ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrganisationFilters:
    q: str = ""
    kinds: tuple[str, ...] = ()
    networks: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    thematiques: tuple[str, ...] = ()
    communes: tuple[str, ...] = ()
    qpvs: tuple[str, ...] = ()  # present in one of these QPV
    in_qpv: bool = False  # present in any QPV


def _network_filter(networks: tuple[str, ...]) -> Q:
    """Organisations carrying one of ``networks``.

    ``networks`` is a JSON list of slugs; the quoted slug is looked for in the JSON text, which
    both engines serialise as ``["a", "b"]``: ``"ai"`` cannot match ``"aide"``.
    """
    condition = Q()
    for network in networks:
        condition |= Q(networks__icontains=f'"{network}"')
    return condition


def _presence_filter(qpvs: tuple[str, ...], any_qpv: bool) -> Q:
    """Seat in the QPV, or a permanence site in it."""
    if qpvs:
        seat = Q(qpv__code__in=qpvs)
        permanences = Site.objects.filter(is_permanence=True, qpv__code__in=qpvs)
    else:
        seat = Q(qpv__isnull=False)
        permanences = Site.objects.filter(is_permanence=True, qpv__isnull=False)
    return seat | Q(pk__in=permanences.values("organisation_id"))


def filter_organisations(queryset: QuerySet, f: OrganisationFilters) -> QuerySet:
    if f.kinds:
        queryset = queryset.filter(kind__in=f.kinds)
    if f.networks:
        queryset = queryset.filter(_network_filter(f.networks))
    if f.categories or f.thematiques:
        with_services = ServiceFacet.objects.filter(
            Q(facet=Facet.CATEGORY, value__in=f.categories)
            | Q(facet=Facet.THEMATIQUE, value__in=f.thematiques)
        ).values("service__organisation_id")
        queryset = queryset.filter(pk__in=with_services)
    if f.communes:
        queryset = queryset.filter(commune__code__in=f.communes)
    if f.qpvs or f.in_qpv:
        queryset = queryset.filter(_presence_filter(f.qpvs, f.in_qpv))
    if f.q:
        queryset = queryset.filter(text_filter(f.q, ("name",)))
    return queryset


def search_organisations(territory, filters: OrganisationFilters) -> QuerySet:
    """The partner map: organisations of ``territory`` matching ``filters``, by name."""
    queryset = (
        Organisation.objects.in_territory(territory).select_related("commune", "qpv").order_by("name", "pk")
    )
    return filter_organisations(queryset, filters)
