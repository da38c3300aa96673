"""Where a commune is, as one point: the centre of its outline, computed once per process.

Talent profiles and job offers are placed at their commune's centre, never at an address, so
that a distance can be shown to an employer without locating a person.
"""

from functools import cache

import shapely.geometry

from .models import Commune


@cache
def _centre(code: str) -> tuple[float, float] | None:
    geometry = Commune.objects.filter(code=code).values_list("geometry", flat=True).first()
    if not geometry:
        return None
    point = shapely.geometry.shape(geometry).representative_point()
    return round(point.y, 5), round(point.x, 5)


def commune_centre(commune: Commune | None) -> tuple[float, float] | None:
    """(latitude, longitude) of a point inside the commune, or None when its outline is unknown."""
    if commune is None:
        return None
    return _centre(commune.code)


def forget_centres() -> None:
    """For tests and reloads of the reference data: outlines may have changed."""
    _centre.cache_clear()
