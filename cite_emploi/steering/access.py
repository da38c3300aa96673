"""Who reaches the steering: one rule, used by every page of this part.

The coordination writes. The State's delegate (funder) and the elected members read the plan, the
money, the committees and the dashboards: they sit in the COPIL. An elected member reads the
dashboard of the communes they follow only (DESIGN.md: « aggregated figures for their commune(s) »);
the quarterly report is the State's. Counsellors and employers have no page here. Nothing here shows
a beneficiary: figures about people come from the diagnostic's registry, under statistical secrecy.
"""

from django.core.exceptions import PermissionDenied

READERS = ("coordinator", "elected", "funder")
WRITERS = ("coordinator",)
STATE = ("coordinator", "funder")


def can_edit(scope) -> bool:
    return scope.is_platform_admin or scope.has_role(*WRITERS)


def require_editor(scope) -> None:
    if not can_edit(scope):
        raise PermissionDenied("Seule la coordination de la Cité modifie le pilotage.")


def followed_commune_codes(scope) -> set[str] | None:
    """INSEE codes whose dashboard the user may open; None: every commune of the territory."""
    if scope.is_platform_admin or scope.has_role("coordinator", "funder"):
        return None
    from cite_emploi.territory.models import Commune

    return set(Commune.objects.filter(pk__in=scope.commune_ids).values_list("code", flat=True))


def require_commune(scope, code: str) -> None:
    allowed = followed_commune_codes(scope)
    if allowed is not None and code not in allowed:
        raise PermissionDenied("Ce tableau de bord est celui d'une commune que vous ne suivez pas.")
