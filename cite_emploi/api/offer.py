"""The offer of services as data·inclusion v1 records: structures and services of the caller's territory.

Filters are the catalogue's (``partners.search``), records are those of ``partners.data_inclusion``:
the page, its map and this API answer the same question the same way.
"""

from typing import Annotated, Any

from data_inclusion.schema import v1
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import PageNumberPagination, paginate

from cite_emploi.accounts.scope import scope_for
from cite_emploi.partners.data_inclusion import service_record, structure_record
from cite_emploi.partners.models import OrganisationKind
from cite_emploi.partners.search import (
    DEFAULT_RADIUS_M,
    MAX_RADIUS_M,
    OrganisationFilters,
    ServiceFilters,
    resolve_origin,
    search_organisations,
    search_services,
)

from .auth import ScopedSession

READERS = ("coordinator", "counsellor", "elected", "funder")
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200

CommuneCode = Annotated[str, Field(pattern=r"^\w{5}$", description="Code INSEE de commune")]
QpvCode = Annotated[str, Field(pattern=r"^Q[A-Z0-9]{7,9}$", description="Code officiel de QPV")]


class OfferReaders(ScopedSession):
    """The census readers of the territory; another signed-in role is told it has no access (403)."""

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user is None and request.user.is_authenticated and scope_for(request).territory is not None:
            raise HttpError(403, "Votre rôle ne donne pas accès à l'offre de services.")
        return user


router = Router(auth=OfferReaders(roles=READERS), tags=["Offre de services (data·inclusion v1)"])


class Pages(PageNumberPagination):
    """Page number and bounded page size (``taille``, 1 to 200)."""

    class Input(Schema):
        page: int = Field(1, ge=1, description="Numéro de la page, à partir de 1")
        taille: int = Field(
            DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="Nombre d'éléments par page (1 à 200)"
        )

    class Output(Schema):
        items: list[Any]
        count: int = Field(description="Nombre total d'éléments trouvés")

    def paginate_queryset(self, queryset, pagination: Input, request, **params):
        offset = (pagination.page - 1) * pagination.taille
        return {"items": queryset[offset : offset + pagination.taille], "count": self._items_count(queryset)}


class Records:
    """A lazy sequence of data·inclusion records: only the requested page is read and translated."""

    def __init__(self, rows, to_record):
        self.rows, self.to_record = rows, to_record

    def __len__(self) -> int:
        return self.rows.count()

    def __getitem__(self, index: slice) -> list[dict]:
        return [self.to_record(row) for row in self.rows[index]]


# -- Records (data·inclusion v1 field names) ------------------------------------------------------


class StructureOut(Schema):
    """Une structure au format data·inclusion v1."""

    source: str
    id: str
    nom: str
    date_maj: str = Field(description="Date de dernière mise à jour (AAAA-MM-JJ)")
    siret: str | None = None
    adresse: str | None = None
    complement_adresse: str | None = None
    code_postal: str | None = None
    code_insee: str | None = None
    commune: str | None = None
    longitude: float | None = None
    latitude: float | None = None
    telephone: str | None = None
    courriel: str | None = None
    site_web: str | None = None
    description: str | None = None
    horaires_accueil: str | None = Field(None, description="Horaires au format OpenStreetMap")
    accessibilite_lieu: str | None = None
    reseaux_porteurs: list[str] | None = None
    lien_source: str | None = None


class ServiceOut(Schema):
    """Un service au format data·inclusion v1."""

    source: str
    id: str
    structure_id: str
    nom: str
    description: str
    date_maj: str = Field(description="Date de dernière mise à jour (AAAA-MM-JJ)")
    type: str | None = None
    thematiques: list[str] | None = None
    frais: str | None = None
    frais_precisions: str | None = None
    publics: list[str] | None = None
    publics_precisions: str | None = None
    conditions_acces: str | None = None
    adresse: str | None = None
    complement_adresse: str | None = None
    code_postal: str | None = None
    code_insee: str | None = None
    commune: str | None = None
    longitude: float | None = None
    latitude: float | None = None
    telephone: str | None = None
    courriel: str | None = None
    modes_accueil: list[str] | None = None
    zone_eligibilite: list[str] | None = None
    contact_nom_prenom: str | None = None
    lien_mobilisation: str | None = None
    modes_mobilisation: list[str] | None = None
    mobilisable_par: list[str] | None = None
    mobilisation_precisions: str | None = None
    volume_horaire_hebdomadaire: float | None = None
    nombre_semaines: int | None = None
    horaires_accueil: str | None = Field(None, description="Horaires au format OpenStreetMap")
    lien_source: str | None = None


# -- Filters -----------------------------------------------------------------------------------


class ServiceParams(Schema):
    q: str = Field(
        "",
        max_length=100,
        description="Mots du nom, de la description ou de l'organisation (accents et majuscules indifférents)",
    )
    categorie: list[v1.Categorie] = Field([], description="Catégorie de thématiques (toutes ses thématiques)")
    thematique: list[v1.Thematique] = Field([], description="Thématique précise")
    public: list[v1.Public] = Field(
        [], description="Public ; les services « tous publics » correspondent toujours"
    )
    commune: list[CommuneCode] = Field([], description="Code INSEE de la commune où le service est délivré")
    qpv: list[QpvCode] = Field([], description="Code du QPV où le service est délivré (adresse ou lieu)")
    mode_accueil: list[v1.ModeAccueil] = Field([], description="Mode d'accueil")
    frais: list[v1.Frais] = Field([], description="Frais")
    adresse: str = Field("", max_length=200, description="Chercher autour de cette adresse (géocodée)")
    depuis_qpv: QpvCode | None = Field(
        None, description="Chercher autour du centre de ce QPV (à défaut d'adresse)"
    )
    lon: float | None = Field(
        None, ge=-180, le=180, description="Chercher autour de ce point : longitude WGS84"
    )
    lat: float | None = Field(None, ge=-90, le=90, description="Chercher autour de ce point : latitude WGS84")
    rayon_m: int = Field(
        DEFAULT_RADIUS_M, ge=100, le=MAX_RADIUS_M, description="Rayon de la recherche par distance, en mètres"
    )


class StructureParams(Schema):
    q: str = Field("", max_length=100, description="Mots du nom (accents et majuscules indifférents)")
    nature: list[OrganisationKind] = Field([], description="Nature de l'organisation")
    reseau: list[v1.ReseauPorteur] = Field([], description="Réseau porteur")
    categorie: list[v1.Categorie] = Field([], description="Ayant au moins un service de cette catégorie")
    thematique: list[v1.Thematique] = Field([], description="Ayant au moins un service de cette thématique")
    commune: list[CommuneCode] = Field([], description="Code INSEE de la commune du siège")
    qpv: list[QpvCode] = Field([], description="Présente dans ce QPV : siège ou permanence")
    en_qpv: bool = Field(False, description="Présente dans au moins un QPV : siège ou permanence")


def _values(items) -> tuple[str, ...]:
    return tuple(getattr(item, "value", item) for item in items)


# -- Routes ------------------------------------------------------------------------------------


@router.get("/structures", response=list[StructureOut], summary="Structures du territoire")
@paginate(Pages)
def structures(request, params: Query[StructureParams]):
    """Les organisations partenaires du territoire de l'appelant, au format data·inclusion v1, par nom."""
    filters = OrganisationFilters(
        q=params.q,
        kinds=_values(params.nature),
        networks=_values(params.reseau),
        categories=_values(params.categorie),
        thematiques=_values(params.thematique),
        communes=tuple(params.commune),
        qpvs=tuple(params.qpv),
        in_qpv=params.en_qpv,
    )
    return Records(search_organisations(request.scope.territory, filters), structure_record)


@router.get("/services", response=list[ServiceOut], summary="Services du territoire (catalogue)")
@paginate(Pages)
def services(request, params: Query[ServiceParams]):
    """Les services du territoire de l'appelant, au format data·inclusion v1, avec les filtres du catalogue.

    Par nom ; par distance croissante quand une origine est donnée (``lon``/``lat``, ``adresse`` ou
    ``depuis_qpv``). Sans géocodeur, ou s'il échoue, l'adresse se rabat sur ``depuis_qpv`` ; sans
    aucune origine utilisable, la réponse est une erreur 422 qui dit pourquoi.
    """
    origin = None
    if params.adresse or params.depuis_qpv or (params.lon is not None and params.lat is not None):
        origin, problem = resolve_origin(
            address=params.adresse, qpv_code=params.depuis_qpv or "", lon=params.lon, lat=params.lat
        )
        if origin is None:
            raise HttpError(422, problem or "Origine de la recherche par distance introuvable.")
    filters = ServiceFilters(
        q=params.q,
        categories=_values(params.categorie),
        thematiques=_values(params.thematique),
        publics=_values(params.public),
        communes=tuple(params.commune),
        qpvs=tuple(params.qpv),
        reception_modes=_values(params.mode_accueil),
        fees=_values(params.frais),
        origin=origin,
        radius_m=params.rayon_m,
    )
    results = search_services(request.scope.territory, filters)
    return Records(results, lambda s: service_record(s, organisation=s.organisation))
