"""The public REST API, version 1 (django-ninja); its OpenAPI schema is served at /api/v1/openapi.json."""

from ninja import NinjaAPI

from . import errors
from .auth import ScopedSession
from .qpv import router as qpv_router

api = NinjaAPI(
    title="API Cité de l'emploi",
    version="1",
    description=(
        "API de la plateforme des Cités de l'emploi. Authentification par la session de l'application. "
        "Données de référence : ANCT – QPV 2024 ; IGN – ADMIN EXPRESS ; INSEE – COG."
    ),
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
    auth=ScopedSession(),
)
api.add_router("/qpv", qpv_router, tags=["QPV"])
api.add_router("", "cite_emploi.api.offer.router")
errors.install(api)
