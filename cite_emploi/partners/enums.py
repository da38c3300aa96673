"""The data·inclusion v1 enumerations with their French labels, from the official package.

One place for choices offered by forms and filters, and for the thématique → catégorie rule.
"""

from functools import cache

from data_inclusion.schema import v1


def _choices(enum) -> list[tuple[str, str]]:
    return [(member.value, member.label) for member in enum]


CATEGORIES = _choices(v1.Categorie)
THEMATIQUES = _choices(v1.Thematique)
SERVICE_TYPES = _choices(v1.TypeService)
FEES = _choices(v1.Frais)
PUBLICS = _choices(v1.Public)
RECEPTION_MODES = _choices(v1.ModeAccueil)
MOBILISATION_MODES = _choices(v1.ModeMobilisation)
MOBILISABLE_BY = _choices(v1.PersonneMobilisatrice)
NETWORKS = _choices(v1.ReseauPorteur)

TOUS_PUBLICS = "tous-publics"
PRESENTIEL = "en-presentiel"


def category_of(thematique: str) -> str:
    """``emploi--x`` belongs to the category ``emploi``: the schema encodes it in the value."""
    return thematique.split("--", 1)[0]


@cache
def labels() -> dict[str, str]:
    """Every enumeration value → its French label (values are unique across the enumerations we use)."""
    table = {}
    for choices in (
        CATEGORIES,
        THEMATIQUES,
        SERVICE_TYPES,
        FEES,
        PUBLICS,
        RECEPTION_MODES,
        MOBILISATION_MODES,
        MOBILISABLE_BY,
        NETWORKS,
    ):
        table.update(dict(choices))
    return table


def label(value: str) -> str:
    return labels().get(value, value)


@cache
def thematiques_by_category() -> dict[str, list[tuple[str, str]]]:
    grouped: dict[str, list[tuple[str, str]]] = {value: [] for value, _ in CATEGORIES}
    for value, text in THEMATIQUES:
        grouped.setdefault(category_of(value), []).append((value, text))
    return grouped


def grouped_thematique_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Choices for a select with one <optgroup> per category."""
    names = dict(CATEGORIES)
    return [(names[cat], items) for cat, items in thematiques_by_category().items() if items]
