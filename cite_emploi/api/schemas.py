from ninja import Schema


class CommuneOut(Schema):
    code: str
    nom: str | None


class LocateOut(Schema):
    lon: float
    lat: float
    qpv_code: str | None
    qpv_nom: str | None
    communes: list[CommuneOut]
    commune_code: str | None
    territoire: str | None
    dans_perimetre: bool | None


class ErrorOut(Schema):
    detail: str
