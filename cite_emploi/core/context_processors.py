from django.conf import settings

from .navigation import entries_for

SITE = {
    "site_title": "Cité de l'emploi",
    "site_tagline": "Les acteurs de l'emploi ensemble pour les habitants des quartiers prioritaires",
    "header_brand_html": "République<br>française",
    "footer_description": (
        "Plateforme libre de coordination des Cités de l'emploi. Données de référence : "
        "ANCT – QPV 2024, data.gouv.fr ; IGN – ADMIN EXPRESS ; INSEE – COG / NAF ; "
        "France Travail – ROME ; GIP Plateforme de l'inclusion – data·inclusion."
    ),
    "mourning": False,
    "beta_tag": True,
}


def platform(request):
    """Site identity and navigation. The scope is lazy: a page without a signed-in user costs no query."""
    context = {
        "SITE_CONFIG": SITE,
        "PROCONNECT_ENABLED": settings.PROCONNECT_ENABLED,
        "map_tiles_url": settings.MAP_TILES_URL,
        "map_tiles_attribution": settings.MAP_TILES_ATTRIBUTION,
        "secrecy_threshold": settings.SECRECY_THRESHOLD,
    }
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        scope = request.scope
        context["scope"] = scope
        context["nav_entries"] = entries_for(scope, request.path)
    return context
