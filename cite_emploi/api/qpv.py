from ninja import Query, Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from cite_emploi.territory import queries

from .schemas import LocateOut

router = Router()


class LocateParams(Schema):
    lon: float = Field(..., ge=-180, le=180, description="Longitude WGS84 (degrés décimaux)")
    lat: float = Field(..., ge=-90, le=90, description="Latitude WGS84 (degrés décimaux)")


@router.get("/locate", response=LocateOut, summary="Quartier prioritaire d'un point")
def locate(request, params: Query[LocateParams]):
    """Le QPV 2024 où tombe le point, ses communes, et s'il est dans le périmètre en vigueur du territoire."""
    territory = request.scope.territory
    if territory is None:
        raise HttpError(403, "Aucun territoire.")
    answer = queries.locate_point(params.lon, params.lat, territory)
    return {
        "lon": answer.lon,
        "lat": answer.lat,
        "qpv_code": answer.qpv_code,
        "qpv_nom": answer.qpv_nom,
        "communes": answer.communes,
        "commune_code": answer.commune_code,
        "territoire": territory.slug,
        "dans_perimetre": answer.dans_perimetre,
    }
