"""Which column of a partner's spreadsheet feeds which field of a beneficiary.

A mapping is a dict {target field → source column header}, e.g. ``{"last_name": "NOM", "birth_date":
"Né(e) le"}``. It comes from the column-mapping page or, on the command line, from a JSON file; in
that file the target fields may also be written with their French keys (``nom``, ``prenom``,
``date_naissance``…, see ``FRENCH_KEYS``). ``guess_mapping`` pre-fills the page from the headers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from .models import fold_name


class MappingError(Exception):
    """A mapping that cannot be used; the message is French and says what to fix."""


@dataclass(frozen=True)
class Target:
    name: str
    label: str
    expected: str  # what a cell must hold, shown next to the select and in error messages
    required: bool = False
    synonyms: tuple[str, ...] = ()


TARGETS = (
    Target("last_name", "Nom", "le nom de famille ou d'usage (100 caractères au plus)", True,
           ("nom", "nom de famille", "nom d usage", "nom naissance", "nom de naissance", "last name", "lastname", "nom patronymique")),
    Target("first_name", "Prénom", "le prénom (100 caractères au plus)", True,
           ("prenom", "prenoms", "premier prenom", "first name", "firstname")),
    Target("birth_date", "Date de naissance", "une date JJ/MM/AAAA ou AAAA-MM-JJ (ou une date Excel)", True,
           ("date de naissance", "date naissance", "naissance", "ne le", "ne e le", "nee le", "ddn", "date de naiss", "birth date", "birthdate", "date_naissance")),
    Target("sex", "Sexe", "F ou M (Femme, Homme, Madame, Monsieur, 1 ou 2 sont aussi compris)", True,
           ("sexe", "genre", "civilite", "sex", "gender")),
    Target("email", "Courriel", "une adresse électronique valide",
           synonyms=("courriel", "email", "e mail", "mail", "adresse mail", "adresse electronique", "adresse e mail", "adresse courriel")),
    Target("phone", "Téléphone", "un numéro de téléphone (10 chiffres, ou +33…)",
           synonyms=("telephone", "tel", "portable", "mobile", "telephone portable", "numero de telephone", "phone", "tel portable")),
    Target("address", "Adresse", "le numéro et la voie (255 caractères au plus)",
           synonyms=("adresse", "adresse postale", "rue", "voie", "adresse domicile", "address", "numero et voie")),
    Target("postcode", "Code postal", "5 chiffres",
           synonyms=("code postal", "cp", "postcode", "code post")),
    Target("commune_code", "Code commune (INSEE)", "le code INSEE à 5 caractères (ex. 94028)",
           synonyms=("code commune", "code insee", "insee", "code insee commune", "commune insee", "citycode")),
    Target("france_travail_id", "Identifiant France Travail", "6 à 11 lettres ou chiffres",
           synonyms=("identifiant france travail", "id france travail", "id ft", "identifiant ft", "numero france travail",
                     "identifiant pole emploi", "id pole emploi", "numero pole emploi", "numero demandeur", "identifiant demandeur",
                     "numero de demandeur d emploi", "france travail")),
    Target("diploma_level", "Niveau de diplôme", "0, 3 à 7, ou un intitulé (aucun, CAP, bac, bac + 2, licence, master…)",
           synonyms=("niveau de diplome", "niveau diplome", "diplome", "niveau de formation", "niveau", "niveau d etude", "niveau d etudes")),
    Target("longitude", "Longitude", "un nombre décimal (WGS 84, ex. 2,4553)",
           synonyms=("longitude", "lon", "lng", "long", "x")),
    Target("latitude", "Latitude", "un nombre décimal (WGS 84, ex. 48,7793)",
           synonyms=("latitude", "lat", "y")),
    Target("qpv_code", "Code du quartier prioritaire (QPV)", "un code QPV 2024 (ex. QN09405M)",
           synonyms=("qpv", "code qpv", "quartier prioritaire", "code quartier")),
)  # fmt: skip
BY_NAME = {t.name: t for t in TARGETS}
REQUIRED = tuple(t.name for t in TARGETS if t.required)

# French keys accepted in a mapping file, for those who write it by hand.
FRENCH_KEYS = {
    "nom": "last_name",
    "prenom": "first_name",
    "date_naissance": "birth_date",
    "sexe": "sex",
    "courriel": "email",
    "telephone": "phone",
    "adresse": "address",
    "code_postal": "postcode",
    "code_commune": "commune_code",
    "identifiant_france_travail": "france_travail_id",
    "niveau_diplome": "diploma_level",
    "longitude": "longitude",
    "latitude": "latitude",
    "qpv": "qpv_code",
}


def label(name: str) -> str:
    return BY_NAME[name].label if name in BY_NAME else name


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """The most likely column for each field: same words first, then a header that starts with them.

    A column feeds at most one field; fields are served in the order of ``TARGETS``, so « Adresse
    mail » goes to the e-mail before the postal address can claim it (exact synonyms win first).
    """
    folded = [(header, fold_name(header)) for header in headers if header and header.strip()]
    taken: set[str] = set()
    mapping: dict[str, str] = {}
    for exact in (True, False):
        for target in TARGETS:
            if target.name in mapping:
                continue
            for header, key in folded:
                if header in taken:
                    continue
                hit = key in target.synonyms if exact else _starts_with(key, target.synonyms)
                if hit:
                    mapping[target.name] = header
                    taken.add(header)
                    break
    return mapping


def _starts_with(key: str, synonyms: tuple[str, ...]) -> bool:
    # One-letter synonyms (« x », « y ») only ever match exactly: « y compris… » is no latitude.
    return any(len(s) > 2 and (key.startswith(s + " ") or key == s) for s in synonyms)


def parse_mapping_json(text: str) -> dict[str, str]:
    """A mapping file's content → {target field → header}; raises ``MappingError`` in French."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MappingError(
            f"le fichier de correspondance n'est pas un JSON valide (ligne {exc.lineno}, colonne {exc.colno})."
        ) from None
    if not isinstance(data, dict):
        raise MappingError(
            'le fichier de correspondance doit contenir un objet {"champ": "en-tête de colonne", …}.'
        )
    mapping: dict[str, str] = {}
    for key, header in data.items():
        name = FRENCH_KEYS.get(str(key).strip().lower(), str(key).strip())
        if name not in BY_NAME:
            known = ", ".join(t.name for t in TARGETS)
            raise MappingError(
                f"champ « {key} » inconnu dans la correspondance (champs possibles : {known})."
            )
        if header in (None, ""):
            continue
        if not isinstance(header, str):
            raise MappingError(f"« {key} » : indiquez l'en-tête de la colonne entre guillemets.")
        mapping[name] = header
    return mapping


def check_mapping(mapping: dict[str, str], headers: list[str]) -> dict[str, int]:
    """{target field → column position}; raises ``MappingError`` listing every problem."""
    problems = []
    positions: dict[str, int] = {}
    stripped = [(h or "").strip() for h in headers]
    missing_fields = [label(name) for name in REQUIRED if not mapping.get(name)]
    if missing_fields:
        problems.append("colonnes obligatoires non choisies : " + ", ".join(missing_fields))
    used: dict[str, str] = {}
    for name, header in mapping.items():
        if not header:
            continue
        wanted = header.strip()
        found = [i for i, h in enumerate(stripped) if h == wanted]
        if not found:
            problems.append(f"la colonne « {header} » ({label(name)}) n'existe pas dans le fichier")
            continue
        if len(found) > 1:
            problems.append(f"plusieurs colonnes s'appellent « {header} » : renommez-les dans le fichier")
            continue
        if wanted in used:
            problems.append(
                f"la colonne « {header} » est choisie à la fois pour {used[wanted]} et {label(name)}"
            )
            continue
        used[wanted] = label(name)
        positions[name] = found[0]
    if bool(mapping.get("longitude")) != bool(mapping.get("latitude")):
        problems.append("la longitude et la latitude vont ensemble : choisissez les deux colonnes ou aucune")
    if problems:
        raise MappingError("Correspondance des colonnes incomplète : " + " ; ".join(problems) + ".")
    return positions
