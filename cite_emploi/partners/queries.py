"""Reads of the partners app, shared by pages, exports, the API and the diagnostic.

Everything is scoped by territory: an object of another territory is simply not found (404).
"""

from django.core.cache import cache
from django.db.models import Count, Max, Prefetch, Q, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from cite_emploi.territory.models import PerimeterArea

from .models import Organisation, Partnership, Service, ServiceFacet, Site
from .services import stale_before

# The coverage matrix is also computed again whenever the offer's stamp changes.
COVERAGE_CACHE_SECONDS = 24 * 3600
# Outlines weigh kilobytes per row and no list or detail page draws them from here.
OUTLINES = ("commune__geometry", "qpv__geometry")


def organisations(territory):
    return Organisation.objects.in_territory(territory).select_related("commune", "qpv").defer(*OUTLINES)


def organisation_list(territory, *, kind: str = "", q: str = ""):
    qs = organisations(territory).annotate(
        service_count=Count("services", distinct=True),
        permanence_count=Count(
            "sites", filter=Q(sites__is_permanence=True, sites__qpv__isnull=False), distinct=True
        ),
    )
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(name__icontains=q)
    return qs.order_by("name")


def get_organisation(territory, pk: int) -> Organisation:
    return get_object_or_404(organisations(territory), pk=pk)


def services(territory):
    return (
        Service.objects.in_territory(territory)
        .select_related("organisation", "commune", "qpv")
        .defer(*OUTLINES)
    )


def get_service(territory, pk: int) -> Service:
    # The sites with their commune and QPV in one query, without outlines (not three, with them).
    sites = Prefetch("sites", queryset=Site.objects.select_related("qpv", "commune").defer(*OUTLINES))
    return get_object_or_404(services(territory).prefetch_related(sites), pk=pk)


def organisation_services(org: Organisation):
    return org.services.select_related("commune", "qpv").order_by("name")


def organisation_partnerships(org: Organisation):
    return (
        Partnership.objects.filter(Q(source=org) | Q(target=org))
        .select_related("source", "target")
        .order_by("kind", "source__name")
    )


def stale_services(territory):
    return services(territory).filter(updated_on__lt=stale_before()).order_by("updated_on")


def is_stale(service: Service) -> bool:
    return service.updated_on < stale_before()


# -- Catalogue, partner map and coverage (search.py, coverage.py) -------------------------------


def current_qpvs(territory):
    """The QPV of the territory's current perimeter, by name (choices of the catalogue and the map)."""
    from cite_emploi.territory.models import QPV

    return (
        QPV.objects.filter(
            perimeter_areas__perimeter__territory=territory, perimeter_areas__perimeter__is_current=True
        )
        .distinct()
        .order_by("name", "code")
    )


def territory_communes(territory):
    return territory.communes.order_by("name")


def coverage_matrix(territory, walking_m: int | None = None):
    """QPV of the current perimeter × thématique category: how many services a resident can use.

    Three rules (delivered in the QPV, within walking distance, eligibility zone): see coverage.py.
    ``matrix.gaps()`` lists the empty cells, « besoins potentiellement non couverts ».

    The matrix is kept in the cache under the offer's stamp (``offer_stamp``): the page is
    computed again as soon as anything it depends on changes, and served from the cache otherwise.
    """
    from .coverage import coverage_matrix as compute
    from .coverage import walking_meters

    walking_m = walking_meters() if walking_m is None else int(walking_m)
    key = f"coverage:{territory.pk}:{walking_m}:{offer_stamp(territory)}"
    matrix = cache.get(key)
    if matrix is None:
        matrix = compute(territory, walking_m=walking_m)
        cache.set(key, matrix, COVERAGE_CACHE_SECONDS)
    return matrix


def offer_stamp(territory) -> str:
    """A value that changes whenever the coverage of ``territory`` may change.

    Coverage reads the facets (rewritten, with new ids, by every save of a service and every move
    of a site), the services' and sites' points, the links between them and the perimeter. Any
    change to these moves one of the figures below: the newest facet id, the count and last
    modification of the territory's services, the counts of its sites and links, the perimeter's
    pairs. A few small aggregate queries, against about half a second for the matrix itself.
    """
    services = Service.objects.in_territory(territory).aggregate(n=Count("*"), last=Max("modified_at"))
    sites = Site.objects.filter(organisation__territory=territory).aggregate(
        n=Count("pk"), points=Sum(Coalesce("longitude", 0.0) + Coalesce("latitude", 0.0))
    )
    links = Service.sites.through.objects.filter(site__organisation__territory=territory).count()
    areas = PerimeterArea.objects.filter(
        perimeter__territory=territory, perimeter__is_current=True
    ).aggregate(n=Count("pk"), last=Max("pk"))
    newest_facet = ServiceFacet.objects.aggregate(last=Max("pk"))["last"]
    last = services["last"].isoformat() if services["last"] else "-"
    return f"{services['n']}.{last}.{sites['n']}.{sites['points']}.{links}.{areas['n']}.{areas['last']}.{newest_facet}"
