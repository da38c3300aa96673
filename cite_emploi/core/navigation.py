"""The main navigation: one entry per part of the platform (DESIGN.md), in the seed's order.

Every page draws the menu and the header's and footer's links: about twenty ``reverse()`` calls
per request for paths that only change with the urlconf and the script prefix. ``fixed_path``
reverses each name once per process for a given pair of them (the ``{% fixed_url %}`` tag too).
"""

from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse


@dataclass(frozen=True)
class Part:
    slug: str
    label: str
    url_name: str
    summary: str
    roles: tuple[str, ...] = ()  # empty: every signed-in role


PARTS = (
    Part(
        "territoire",
        "Territoire",
        "territory:overview",
        "Périmètre de la Cité, quartiers prioritaires et communes ; vérifier si une adresse est en QPV.",
    ),
    Part(
        "partenaires",
        "Partenaires et offre",
        "partners:organisations",
        "Cartographie des partenaires et recensement de l'offre de services, au standard data·inclusion.",
        ("coordinator", "counsellor", "elected", "funder"),
    ),
    Part(
        "suivi",
        "Suivi partagé",
        "followup:beneficiaries",
        "Bénéficiaires suivis à plusieurs, consentement, freins, orientations entre structures.",
        ("coordinator", "counsellor"),
    ),
    Part(
        "aller-vers",
        "Aller-vers et recrutement",
        "outreach:actions",
        "Permanences et actions dans les quartiers, opérations de recrutement (job dating, forums…).",
        ("coordinator", "counsellor", "employer"),
    ),
    Part(
        "cvtheque",
        "Valorisation des CV",
        "talent:home",
        "Profils anonymisés présentés aux employeurs, mise en relation par le référent.",
        ("coordinator", "counsellor", "employer"),
    ),
    Part(
        "diagnostic",
        "Diagnostic",
        "diagnostic:overview",
        "Diagnostic territorial partagé : statistiques, indicateurs, besoins non couverts.",
        ("coordinator", "elected", "funder"),
    ),
    Part(
        "pilotage",
        "Pilotage",
        "steering:dashboard",
        "Plan d'actions, subvention et cofinancements, comités de pilotage, tableaux de bord.",
        ("coordinator", "elected", "funder"),
    ),
)


def fixed_path(url_name: str) -> str:
    """The path of a URL name that takes no argument, as ``reverse(url_name)`` would give it."""
    return _reverse(url_name, get_urlconf(settings.ROOT_URLCONF), get_script_prefix())


# Bounded all the same: the script prefix is read from each request's environment (SCRIPT_NAME).
@lru_cache(maxsize=512)
def _reverse(url_name: str, urlconf, script_prefix: str) -> str:
    return reverse(url_name, urlconf=urlconf)


def entries_for(scope, current_path: str) -> list[dict]:
    entries = []
    for p in PARTS:
        if p.roles and not (scope.is_platform_admin or scope.has_role(*p.roles)):
            continue
        url = fixed_path(p.url_name)
        entries.append({"label": p.label, "url": url, "current": current_path.startswith(url)})
    return entries
