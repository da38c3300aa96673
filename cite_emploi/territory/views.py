from django.http import Http404, JsonResponse
from django.shortcuts import render

from cite_emploi.accounts.permissions import require_role

from . import queries
from .forms import AddressForm, ManualQpvForm, PointForm
from .geocoder import GeocoderError, geocoder_configured, get_geocoder
from .models import QPV


def _perimeter_from_request(request, territory):
    year = request.GET.get("geographie")
    if year and year.isdigit():
        perimeter = territory.perimeters.filter(geography_year=int(year)).first()
        if perimeter is None:
            raise Http404("Aucun périmètre pour cette géographie.")
        return perimeter
    return territory.current_perimeter


@require_role()
def overview(request):
    territory = request.scope.territory
    perimeter = _perimeter_from_request(request, territory)
    summary = queries.territory_summary(territory, perimeter)
    return render(request, "territory/overview.html", {"summary": summary, "title": "Territoire"})


@require_role()
def perimeter_geojson(request):
    territory = request.scope.territory
    perimeter = _perimeter_from_request(request, territory)
    return JsonResponse(queries.perimeter_geojson(territory, perimeter))


def _perimeter_qpvs(territory):
    return QPV.objects.filter(perimeter_areas__perimeter__territory=territory, geography_year=2024).distinct()


@require_role()
def check_address(request):
    """Type an address (geocoder) or click the map; without a geocoder, pick the QPV by hand."""
    territory = request.scope.territory
    context = {"title": "Vérifier une adresse", "geocoder_configured": geocoder_configured()}
    address_form = AddressForm(request.GET if "adresse" in request.GET else None)
    point_form = PointForm(request.GET if "lon" in request.GET else None)
    manual_form = ManualQpvForm(
        request.GET if "qpv" in request.GET else None, qpvs=_perimeter_qpvs(territory)
    )
    if point_form.is_bound and point_form.is_valid():
        context["answer"] = queries.locate_point(
            point_form.cleaned_data["lon"], point_form.cleaned_data["lat"], territory
        )
    elif address_form.is_bound and address_form.is_valid():
        context.update(_geocode(address_form.cleaned_data["adresse"], territory))
    elif manual_form.is_bound and manual_form.is_valid():
        qpv = manual_form.cleaned_data["qpv"]
        context["manual_qpv"] = qpv
        context["manual_pairs"] = [
            c for q, c in queries.perimeter_pairs(territory.current_perimeter) if q == qpv.code
        ]
    context.update(address_form=address_form, point_form=point_form, manual_form=manual_form)
    return render(request, "territory/check_address.html", context)


def _geocode(address: str, territory) -> dict:
    try:
        geocoder = get_geocoder()
        if geocoder is None:
            return {
                "geocoder_error": "Aucun service de géocodage n'est configuré : choisissez le quartier à la main."
            }
        with geocoder:
            candidates = geocoder.search(address, limit=5)
    except GeocoderError as error:
        return {"geocoder_error": str(error)}
    if not candidates:
        return {
            "geocoder_error": "Aucune adresse trouvée. Précisez la commune, cliquez sur la carte ou choisissez le quartier à la main."
        }
    best = candidates[0]
    answer = queries.locate_point(best.lon, best.lat, territory)
    return {"answer": answer, "geocoded": best, "candidates": candidates[1:]}
