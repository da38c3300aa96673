"""The places the diagnostic speaks of: the territory's member communes and its current QPV.

Both lists are read at every computation of an indicator, so they are kept a few minutes in the
cache; a change of perimeter shows in the diagnostic after at most ``PLACES_CACHE_SECONDS``.
"""

from django.core.cache import cache

from cite_emploi.territory.models import QPV, PerimeterArea

PLACES_CACHE_SECONDS = 300


def commune_values(territory) -> list[tuple[str, str]]:
    """(INSEE code, name) of the territory's member communes, by name."""
    key = f"diagnostic:communes:{territory.pk}"
    found = cache.get(key)
    if found is None:
        found = list(territory.communes.order_by("name").values_list("code", "name"))
        cache.set(key, found, PLACES_CACHE_SECONDS)
    return found


def qpv_values(territory) -> list[tuple[str, str]]:
    """(code, name) of the QPV of the territory's current perimeter, by name."""
    key = f"diagnostic:qpv:{territory.pk}"
    found = cache.get(key)
    if found is None:
        found = list(
            QPV.objects.filter(
                perimeter_areas__perimeter__territory=territory, perimeter_areas__perimeter__is_current=True
            )
            .distinct()
            .order_by("name", "code")
            .values_list("code", "name")
        )
        cache.set(key, found, PLACES_CACHE_SECONDS)
    return found


def qpv_communes(territory) -> dict[str, list[tuple[str, str]]]:
    """QPV code → (INSEE code, name) of its communes inside the current perimeter."""
    key = f"diagnostic:qpv-communes:{territory.pk}"
    found = cache.get(key)
    if found is None:
        found = {}
        areas = (
            PerimeterArea.objects.filter(
                perimeter__territory=territory, perimeter__is_current=True, qpv__isnull=False
            )
            .order_by("commune__name")
            .values_list("qpv__code", "commune__code", "commune__name")
        )
        for qpv, code, name in areas:
            if (code, name) not in found.setdefault(qpv, []):
                found[qpv].append((code, name))
        cache.set(key, found, PLACES_CACHE_SECONDS)
    return found
