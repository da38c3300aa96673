"""Translation between our models and data·inclusion v1 records, validation and quality score.

Import, export, the API and the service pages all go through these functions, so that the
schema is spoken in one place. Validation and ``score_qualite`` are the official package's.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import pydantic
from data_inclusion.schema import v1
from data_inclusion.schema.v1 import score_qualite

from .models import Organisation, Service

# Our field → the schema's, for the fields that map one to one.
STRUCTURE_FIELDS = {
    "name": "nom",
    "description": "description",
    "siret": "siret",
    "address": "adresse",
    "address_complement": "complement_adresse",
    "postcode": "code_postal",
    "commune_name": "commune",
    "longitude": "longitude",
    "latitude": "latitude",
    "phone": "telephone",
    "email": "courriel",
    "website": "site_web",
    "opening_hours": "horaires_accueil",
    "accessibility_url": "accessibilite_lieu",
    "networks": "reseaux_porteurs",
    "source_link": "lien_source",
}
SERVICE_FIELDS = {
    "name": "nom",
    "description": "description",
    "source_link": "lien_source",
    "type": "type",
    "thematiques": "thematiques",
    "fees": "frais",
    "fees_details": "frais_precisions",
    "publics": "publics",
    "publics_details": "publics_precisions",
    "access_conditions": "conditions_acces",
    "address": "adresse",
    "address_complement": "complement_adresse",
    "postcode": "code_postal",
    "commune_name": "commune",
    "longitude": "longitude",
    "latitude": "latitude",
    "phone": "telephone",
    "email": "courriel",
    "reception_modes": "modes_accueil",
    "eligibility_zone": "zone_eligibilite",
    "contact_name": "contact_nom_prenom",
    "mobilisation_link": "lien_mobilisation",
    "mobilisation_modes": "modes_mobilisation",
    "mobilisable_by": "mobilisable_par",
    "mobilisation_details": "mobilisation_precisions",
    "weekly_hours": "volume_horaire_hebdomadaire",
    "weeks": "nombre_semaines",
    "opening_hours": "horaires_accueil",
}

# French names of the schema's fields, for error messages and spreadsheet headers.
FIELD_LABELS = {
    "source": "source",
    "id": "identifiant",
    "structure_id": "identifiant de la structure",
    "nom": "nom",
    "description": "description",
    "date_maj": "date de mise à jour",
    "siret": "SIRET",
    "adresse": "adresse",
    "complement_adresse": "complément d'adresse",
    "code_postal": "code postal",
    "code_insee": "code INSEE",
    "commune": "commune",
    "longitude": "longitude",
    "latitude": "latitude",
    "telephone": "téléphone",
    "courriel": "courriel",
    "site_web": "site web",
    "horaires_accueil": "horaires d'accueil",
    "accessibilite_lieu": "accessibilité du lieu",
    "reseaux_porteurs": "réseaux porteurs",
    "lien_source": "lien à la source",
    "type": "type de service",
    "thematiques": "thématiques",
    "frais": "frais",
    "frais_precisions": "précisions sur les frais",
    "publics": "publics",
    "publics_precisions": "précisions sur les publics",
    "conditions_acces": "conditions d'accès",
    "modes_accueil": "modes d'accueil",
    "zone_eligibilite": "zone d'éligibilité",
    "contact_nom_prenom": "contact",
    "lien_mobilisation": "lien de mobilisation",
    "modes_mobilisation": "modes de mobilisation",
    "mobilisable_par": "mobilisable par",
    "mobilisation_precisions": "précisions sur la mobilisation",
    "volume_horaire_hebdomadaire": "volume horaire hebdomadaire",
    "nombre_semaines": "nombre de semaines",
}

# pydantic error types → French.
ERROR_MESSAGES = {
    "missing": "champ obligatoire manquant",
    "string_too_short": "texte trop court (au moins {min_length} caractères)",
    "string_too_long": "texte trop long (au plus {max_length} caractères)",
    "string_pattern_mismatch": "format inattendu",
    "string_type": "texte attendu",
    "enum": "valeur inconnue ; valeurs possibles : {expected}",
    "literal_error": "valeur inconnue ; valeurs possibles : {expected}",
    "date_from_datetime_parsing": "date attendue au format AAAA-MM-JJ",
    "date_parsing": "date attendue au format AAAA-MM-JJ",
    "date_type": "date attendue au format AAAA-MM-JJ",
    "float_parsing": "nombre attendu (point décimal)",
    "float_type": "nombre attendu",
    "int_parsing": "nombre entier attendu",
    "int_type": "nombre entier attendu",
    "int_from_float": "nombre entier attendu",
    "greater_than_equal": "valeur trop petite (au moins {ge})",
    "url_parsing": "adresse web invalide (https://…)",
    "url_type": "adresse web attendue",
    "url_scheme": "adresse web attendue (http ou https)",
    "value_error": "{error}",
    "set_type": "liste attendue",
    "list_type": "liste attendue",
    "too_short": "liste vide : au moins une valeur attendue",
    "avertissement": "{error}",
}

SCORE_CRITERIA_FR = {
    "adresse_bien_definie": "Renseigner l'adresse du lieu d'accueil (le service est proposé en présentiel).",
    "modes_mobilisation_bien_definis": "Préciser comment mobiliser le service et par qui (usagers, professionnels).",
    "au_moins_un_public": "Indiquer au moins un public (ou « tous publics »).",
    "au_moins_une_thematique": "Indiquer au moins une thématique.",
    "au_moins_un_moyen_de_contact": "Donner un moyen de contact : courriel, téléphone ou lien de mobilisation.",
    "courriel_bien_defini": "Renseigner le courriel (la mobilisation se fait par courriel).",
    "date_maj_recente": "Confirmer que les informations sont à jour (dernière mise à jour ancienne).",
    "frais_bien_definis": "Indiquer si le service est gratuit ou payant, et préciser les frais.",
    "description_bien_definie": "Écrire une description de 200 à 2 000 caractères.",
    "telephone_bien_defini": "Renseigner le téléphone (la mobilisation se fait par téléphone).",
}


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def __str__(self):
        return f"{FIELD_LABELS.get(self.field, self.field)} : {self.message}"


def _french(error: dict) -> str:
    template = ERROR_MESSAGES.get(error["type"], error.get("msg", "valeur invalide"))
    ctx = dict(error.get("ctx") or {})
    if error["type"] == "value_error" and "reason" in ctx and "error" not in ctx:
        # The e-mail check (EmailStr) gives its reason in English only.
        return "adresse électronique invalide : attendu par exemple nom@domaine.fr"
    if "error" in ctx:
        ctx["error"] = str(ctx["error"]).removeprefix("Value error, ")
    try:
        return template.format(**ctx)
    except (KeyError, IndexError, ValueError):
        return template


def validation_errors(model: type[pydantic.BaseModel], record: dict) -> list[FieldError]:
    """Errors of ``record`` against the official model, in French, one per field and problem."""
    try:
        model.model_validate(record, context={"ignore_warnings": True})
    except pydantic.ValidationError as exc:
        return [
            FieldError(
                ".".join(str(p) for p in e["loc"] if not isinstance(p, int)) or "enregistrement", _french(e)
            )
            for e in exc.errors()
        ]
    return []


def _clean(value):
    if value in ("", None, []):
        return None
    return value


def structure_record(org: Organisation) -> dict:
    record = {
        "source": org.source,
        "id": org.data_inclusion_id,
        "date_maj": (
            org.updated_on or (org.modified_at.date() if org.modified_at else date.today())
        ).isoformat(),
        "code_insee": org.commune.code if org.commune_id else None,
    }
    for ours, theirs in STRUCTURE_FIELDS.items():
        record[theirs] = _clean(getattr(org, ours))
    return record


def service_record(service: Service, *, organisation: Organisation | None = None) -> dict:
    org = organisation or service.organisation
    record = {
        "source": service.source,
        "id": service.data_inclusion_id,
        "structure_id": org.data_inclusion_id,
        "date_maj": service.updated_on.isoformat(),
        "code_insee": service.commune.code if service.commune_id else None,
    }
    for ours, theirs in SERVICE_FIELDS.items():
        record[theirs] = _clean(getattr(service, ours))
    return record


def quality(service: Service) -> tuple[float | None, list[str]]:
    """The official ``score_qualite`` of a service and, in French, what would raise it."""
    try:
        model = v1.Service.model_validate(service_record(service), context={"ignore_warnings": True})
    except pydantic.ValidationError:
        return None, ["Compléter les champs obligatoires (nom, description d'au moins 5 caractères)."]
    score, details = score_qualite.score(model)
    advice = [SCORE_CRITERIA_FR[name] for name, value in details.items() if value is not None and value < 1]
    return score, advice


def records_errors(model, records: Iterable[dict]) -> list[tuple[int, list[FieldError]]]:
    return [(i, errs) for i, record in enumerate(records) if (errs := validation_errors(model, record))]


# -- Added for the bulk import of the offer (offer_import.py): one validation per record. --------


def validate_record(
    model: type[pydantic.BaseModel], record: dict
) -> tuple[pydantic.BaseModel | None, list[FieldError]]:
    """The official model of ``record`` and its errors in French, from a single validation.

    Same errors as ``validation_errors``; the model (None when invalid) lets an import compute the
    quality score without validating the record a second time.
    """
    try:
        return model.model_validate(record, context={"ignore_warnings": True}), []
    except pydantic.ValidationError as exc:
        return None, [
            FieldError(
                ".".join(str(p) for p in e["loc"] if not isinstance(p, int)) or "enregistrement", _french(e)
            )
            for e in exc.errors()
        ]


def score_of(model: v1.Service) -> float:
    """The official ``score_qualite`` of a validated service (what ``quality`` returns first)."""
    return score_qualite.score(model)[0]
