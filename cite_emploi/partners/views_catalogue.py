"""Pages of the catalogue of services, the partner map, the network, the coverage table and the
directory export. Thin: parse the filters, call search / coverage / network / directory, render.

The list pages answer htmx requests with their results fragment only (progressive enhancement:
without JavaScript the GET form reloads the whole page).
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case, Count, Q, Value, When
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.utils.text import Truncator

from cite_emploi.accounts.permissions import require_role
from cite_emploi.core.secrecy import secrecy_threshold

from . import coverage as coverage_rules
from . import directory, enums, queries
from . import network as network_graph
from .forms_catalogue import CatalogueForm, PartnerMapForm
from .models import OrganisationKind, Partnership, Service, Site
from .search import (
    DEFAULT_RADIUS_M,
    HEAVY_COLUMNS,
    resolve_origin,
    search_organisations,
    search_services,
)
from .views import beneficiary_param

READERS = ("coordinator", "counsellor", "elected", "funder")
PAGE_SIZE = 20
WALKING_CHOICES = (300, 500, 1000, 1500, 2000)
# A commune or QPV as a choice of the filters: not its outline, the heaviest column of the row.
CHOICE_FIELDS = ("code", "name")


def _fragment(request) -> bool:
    """An htmx request that wants only the results (not a history restore, which needs the page)."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def _render(request, page: str, fragment: str, context: dict):
    response = render(request, fragment if _fragment(request) else page, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _query_without(request, *names) -> str:
    params = [(k, v) for k, values in request.GET.lists() if k not in names for v in values]
    return urlencode(params)


def distance_label(metres: float | None) -> str:
    """« 850 m », « 1,2 km » (French decimal comma)."""
    if metres is None:
        return ""
    if metres < 995:
        return f"{round(metres / 10) * 10:.0f} m"
    return f"{metres / 1000:.1f}".rstrip("0").rstrip(".").replace(".", ",") + " km"


# -- Catalogue ----------------------------------------------------------------------------------


def _catalogue_form(request):
    territory = request.scope.territory
    data = None
    if request.GET:
        data = request.GET.copy()
        data.setdefault("rayon", str(DEFAULT_RADIUS_M))  # what the select shows when none is sent
    form = CatalogueForm(
        data,
        communes=queries.territory_communes(territory).only(*CHOICE_FIELDS),
        qpvs=queries.current_qpvs(territory).only(*CHOICE_FIELDS),
    )
    origin, problem = None, ""
    if form.is_bound:
        form.is_valid()
        if form.wants_distance:
            origin, problem = resolve_origin(**form.origin_request())
    return form, origin, problem


# What a result card shows: a page reads these columns only (a service has about thirty, six of
# them JSON lists decoded on every row).
CARD_FIELDS = (
    "name",
    "description",
    "thematiques",
    "publics",
    "fees",
    "commune_name",
    "organisation__name",
    "commune__name",
    "qpv__name",
)
CARD_TAGS = 4  # thématiques shown as tags; the others are counted in a last « + n » tag


def _service_url() -> str:
    """The address of a service with ``{}`` for its id: one reversal for a whole list."""
    return reverse("partners:service", args=[0]).replace("/0/", "/{}/")


def _card(service, url: str) -> dict:
    """A result of the catalogue as the template writes it, every label and choice made here."""
    thematiques = [enums.label(t) for t in service.thematiques]
    return {
        "service": service,
        "url": url.format(service.pk),
        "name": service.name,
        "organisation": service.organisation.name,
        "commune": service.commune.name if service.commune else service.commune_name,
        "qpv": service.qpv.name if service.qpv else "",
        "distance": distance_label(getattr(service, "distance_m", None)),
        "fees": enums.label(service.fees) if service.fees else "",
        "description": Truncator(service.description).chars(240),
        "thematiques": thematiques[:CARD_TAGS],
        "more_thematiques": max(len(thematiques) - CARD_TAGS, 0),
        "publics": ", ".join(enums.label(p) for p in service.publics),
    }


@require_role(*READERS)
def catalogue(request):
    territory = request.scope.territory
    form, origin, problem = _catalogue_form(request)
    results = search_services(territory, form.filters(origin), only=CARD_FIELDS)
    page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    page.pages_list = page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    for_beneficiary = beneficiary_param(request)
    url = _service_url() + (f"?beneficiary={for_beneficiary}" if for_beneficiary else "")
    rows = [_card(s, url) for s in page.object_list]
    map_params = _query_without(request, "page", "adresse", "depuis_qpv", "lon", "lat")
    if origin is not None:
        map_params = "&".join(p for p in (map_params, urlencode({"lon": origin.lon, "lat": origin.lat})) if p)
    context = {
        "title": "Catalogue des services",
        "form": form,
        "page_obj": page,
        "rows": rows,
        "count": page.paginator.count,
        "origin": origin,
        "origin_problem": problem,
        "radius": distance_label(form.filters().radius_m),
        "map_url": f"{reverse('partners:catalogue_map_json')}?{map_params}",
        "for_beneficiary": for_beneficiary,
    }
    return _render(request, "partners/catalogue/catalogue.html", "partners/catalogue/_results.html", context)


@require_role(*READERS)
def catalogue_map_json(request):
    """GeoJSON of the places of the services the catalogue finds with the same filters."""
    territory = request.scope.territory
    form, origin, _ = _catalogue_form(request)
    filters = form.filters(origin)
    results = search_services(territory, filters)
    places, truncated = results.places()
    names = results.names({p.service_id for p in places})
    url = _service_url()
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [p.lon, p.lat]},
            "properties": {
                "layer": "service",
                "id": p.service_id,
                "nom": names.get(p.service_id, ("", ""))[0],
                "organisation": names.get(p.service_id, ("", ""))[1],
                "lieu": p.site,
                "distance_m": round(p.distance_m) if p.distance_m is not None else None,
                "url": url.format(p.service_id),
            },
        }
        for p in places
    ]
    if origin is not None:
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [origin.lon, origin.lat]},
                "properties": {"layer": "origine", "nom": origin.label, "rayon_m": filters.radius_m},
            }
        )
    return JsonResponse({"type": "FeatureCollection", "features": features, "tronque": truncated})


# -- Partner map ----------------------------------------------------------------------------------


def _partner_form(request):
    territory = request.scope.territory
    form = PartnerMapForm(
        request.GET or None,
        territory=territory,
        communes=queries.territory_communes(territory).only(*CHOICE_FIELDS),
        qpvs=queries.current_qpvs(territory).only(*CHOICE_FIELDS),
    )
    if form.is_bound:
        form.is_valid()
    return form


@require_role(*READERS)
def partner_map(request):
    territory = request.scope.territory
    form = _partner_form(request)
    organisations = search_organisations(territory, form.filters()).annotate(
        # The same colour as the seat's marker on the map and the node of the network.
        colour=Case(
            *(When(kind=kind, then=Value(colour)) for kind, colour in network_graph.KIND_COLOURS.items()),
            default=Value(network_graph.DEFAULT_COLOUR),
        ),
        service_count=Count("services", distinct=True),
        permanence_count=Count(
            "sites", filter=Q(sites__is_permanence=True, sites__qpv__isnull=False), distinct=True
        ),
    )
    query = _query_without(request, "page")
    context = {
        "title": "Cartographie des partenaires",
        "form": form,
        "organisations": organisations,
        "map_url": f"{reverse('partners:partner_map_json')}?{query}",
        "query": query,
        "outlines_url": reverse("territory:perimeter_geojson"),
    }
    return _render(
        request, "partners/catalogue/partner_map.html", "partners/catalogue/_partners.html", context
    )


@require_role(*READERS)
def partner_map_json(request):
    """GeoJSON of the filtered organisations' seats and of their permanences (sites)."""
    territory = request.scope.territory
    form = _partner_form(request)
    organisations = search_organisations(territory, form.filters())
    url = reverse("partners:organisation", args=[0]).replace("/0/", "/{}/")
    kind_labels = dict(OrganisationKind.choices)
    features = []
    seats = organisations.filter(longitude__isnull=False, latitude__isnull=False).values_list(
        "pk", "name", "kind", "longitude", "latitude", "qpv__name"
    )
    for pk, name, kind, lon, lat, qpv in seats:
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {
                    "layer": "siege",
                    "nom": name,
                    "nature": kind,
                    "nature_libelle": kind_labels.get(kind, kind),
                    "couleur": network_graph.KIND_COLOURS.get(kind, network_graph.DEFAULT_COLOUR),
                    "qpv": qpv or "",
                    "url": url.format(pk),
                },
            }
        )
    permanences = Site.objects.filter(
        organisation__in=organisations.order_by().values("pk"),
        is_permanence=True,
        longitude__isnull=False,
        latitude__isnull=False,
    ).values_list(
        "organisation_id",
        "organisation__name",
        "organisation__kind",
        "name",
        "longitude",
        "latitude",
        "qpv__name",
    )
    for org_pk, org_name, kind, site, lon, lat, qpv in permanences:
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {
                    "layer": "permanence",
                    "nom": org_name,
                    "lieu": site,
                    "nature": kind,
                    "nature_libelle": kind_labels.get(kind, kind),
                    "couleur": network_graph.KIND_COLOURS.get(kind, network_graph.DEFAULT_COLOUR),
                    "qpv": qpv or "",
                    "url": url.format(org_pk),
                },
            }
        )
    return JsonResponse({"type": "FeatureCollection", "features": features})


@require_role(*READERS)
def directory_export(request, fmt):
    if fmt not in directory.FORMATS:
        raise Http404("Format d'export inconnu.")
    territory = request.scope.territory
    form = _partner_form(request)
    rows = directory.directory_rows(search_organisations(territory, form.filters()))
    try:
        content = directory.export(rows, fmt, territory=territory, filters_label=form.describe())
    except directory.PdfUnavailable as error:
        messages.error(request, str(error))
        return redirect(f"{reverse('partners:partner_map')}?{_query_without(request)}")
    response = HttpResponse(content, content_type=directory.FORMATS[fmt])
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = (
        f'attachment; filename="annuaire-partenaires-{territory.slug}-{stamp}.{fmt}"'
    )
    return response


# -- Network ------------------------------------------------------------------------------------


@require_role(*READERS)
def network(request):
    territory = request.scope.territory
    kinds = [*Partnership.Kind.choices, (network_graph.FLOW, network_graph.EDGE_LABELS[network_graph.FLOW])]
    chosen = request.GET.get("nature", "")
    if chosen not in dict(kinds):
        chosen = ""
    graph = network_graph.build_network(territory, kinds=(chosen,) if chosen else ())
    return render(
        request,
        "partners/catalogue/network.html",
        {
            "title": "Réseau des partenaires",
            "graph": graph,
            "svg": network_graph.render_svg(graph),
            "kinds": kinds,
            "chosen": chosen,
            "secrecy_threshold": secrecy_threshold(),
        },
    )


# -- Coverage -----------------------------------------------------------------------------------


def _walking_m(request) -> int:
    default = coverage_rules.walking_meters()
    try:
        value = int(request.GET.get("marche", default))
    except ValueError:
        return default
    return value if value in (*WALKING_CHOICES, default) else default


@require_role(*READERS)
def coverage(request):
    territory = request.scope.territory
    walking_m = _walking_m(request)
    matrix = queries.coverage_matrix(territory, walking_m=walking_m)
    return render(
        request,
        "partners/catalogue/coverage.html",
        {
            "title": "Couverture des quartiers par l'offre de services",
            "matrix": matrix,
            "walking_m": walking_m,
            "walking_choices": sorted({*WALKING_CHOICES, coverage_rules.walking_meters()}),
            "default_walking_m": coverage_rules.walking_meters(),
            "gap_count": len(matrix.gaps()),
            "gaps_by_row": [
                (row, [cell.label for cell in row.cells if cell.is_gap])
                for row in matrix.rows
                if any(cell.is_gap for cell in row.cells)
            ],
            "levels": [
                (0, "0 : besoin potentiellement non couvert"),
                (1, "1 à 2 services"),
                (2, "3 à 5 services"),
                (3, "6 à 10 services"),
                (4, "11 services et plus"),
            ],
        },
    )


@require_role(*READERS)
def coverage_cell(request, qpv, categorie):
    territory = request.scope.territory
    walking_m = _walking_m(request)
    matrix = queries.coverage_matrix(territory, walking_m=walking_m)
    row, cell = matrix.row(qpv), matrix.cell(qpv, categorie)
    if row is None or cell is None:
        raise Http404("Ce quartier ou cette catégorie n'est pas dans le tableau de couverture.")
    reasons = matrix.services(qpv, categorie)
    # The cell's services in name order, from the territory's ordered ids (one narrow query: a
    # cell may hold tens of thousands of services, too many for an SQL « IN » list).
    ordered = [
        pk
        for pk in Service.objects.in_territory(territory).order_by("name", "pk").values_list("pk", flat=True)
        if pk in reasons
    ]
    page = Paginator(ordered, PAGE_SIZE).get_page(request.GET.get("page"))
    page.pages_list = page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    services = (
        Service.objects.in_territory(territory)
        .select_related("organisation", "commune", "qpv")
        .defer(*HEAVY_COLUMNS)
        .in_bulk(list(page.object_list))
    )
    rows = [
        {"service": services[pk], "reasons": [coverage_rules.RULE_LABELS[r] for r in reasons[pk]]}
        for pk in page.object_list
        if pk in services
    ]
    return render(
        request,
        "partners/catalogue/coverage_cell.html",
        {
            "title": f"{cell.label} — {row.qpv_name}",
            "row": row,
            "cell": cell,
            "walking_m": walking_m,
            "default_walking_m": coverage_rules.walking_meters(),
            "page_obj": page,
            "rows": rows,
            "catalogue_query": urlencode({"qpv": qpv, "thematique": categorie}),
        },
    )
