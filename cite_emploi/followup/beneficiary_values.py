"""One line of a beneficiaries' spreadsheet → the values of a beneficiary, or French errors.

Each check names the column (its header in the file) and says what is expected. Messages quote the
cell only for coded columns (sex, diploma, postcode, commune or QPV code): names, birth dates,
contact details and identifiers are personal data and the report is stored with the import.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from cite_emploi.territory.locator import FRANCE_BOXES

from .beneficiary_mapping import BY_NAME
from .duplicates import normalise_ft_id
from .models import DiplomaLevel, Sex, fold_name

EXCEL_EPOCH = date(1899, 12, 30)
OLDEST = date(1900, 1, 1)
NAME_MAX, ADDRESS_MAX, EMAIL_MAX = 100, 255, 254

_DAY_FIRST = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T][\d:.]*)?")
_PHONE_NOISE = re.compile(r"[\s.\-()/]")
_PHONE = re.compile(r"\+?\d{6,15}")
_POSTCODE = re.compile(r"\d{5}")
_COMMUNE_CODE = re.compile(r"\d{5}|2[AB]\d{3}")
_FT_ID = re.compile(r"[A-Z0-9]{6,11}")
_QPV_CODE = re.compile(r"Q[A-Z0-9]{7}")

SEXES = {
    **dict.fromkeys(("f", "femme", "feminin", "mme", "madame", "mlle", "mademoiselle", "2", "w"), Sex.FEMALE),
    **dict.fromkeys(("m", "h", "homme", "masculin", "monsieur", "mr", "1"), Sex.MALE),
}
# Below CAP (brevet, CFG, levels 1 and 2) counts as « aucun diplôme »: the model starts at level 3.
DIPLOMAS = {
    **dict.fromkeys(
        ("0", "1", "2", "aucun", "aucun diplome", "sans diplome", "sans", "niveau 1", "niveau 2", "brevet",
         "dnb", "bepc", "cfg", "cep", "niveau vi", "niveau v bis", "infra v"),
        DiplomaLevel.NONE,
    ),
    **dict.fromkeys(("3", "niveau 3", "cap", "bep", "cap bep", "niveau v", "cap ou bep"), DiplomaLevel.LEVEL_3),
    **dict.fromkeys(
        ("4", "niveau 4", "bac", "baccalaureat", "bac pro", "bac professionnel", "bac general", "bac technologique",
         "niveau iv", "bp", "brevet professionnel"),
        DiplomaLevel.LEVEL_4,
    ),
    **dict.fromkeys(("5", "niveau 5", "bac 2", "bts", "dut", "deug", "deust", "niveau iii"), DiplomaLevel.LEVEL_5),
    **dict.fromkeys(
        ("6", "niveau 6", "bac 3", "bac 4", "licence", "licence pro", "licence professionnelle", "but", "maitrise",
         "master 1", "niveau ii"),
        DiplomaLevel.LEVEL_6,
    ),
    **dict.fromkeys(
        ("7", "8", "niveau 7", "niveau 8", "bac 5", "bac 8", "master", "master 2", "doctorat", "ingenieur", "dea", "dess",
         "niveau i"),
        DiplomaLevel.LEVEL_7,
    ),
}  # fmt: skip


@dataclass
class Row:
    """A valid line, ready to be checked for duplicates, located and written."""

    line: int
    first_name: str
    last_name: str
    birth_date: date
    sex: str
    email: str = ""
    phone: str = ""
    address: str = ""
    postcode: str = ""
    commune_code: str = ""
    france_travail_id: str = ""
    diploma_level: str = ""
    longitude: float | None = None
    latitude: float | None = None
    qpv_code: str = ""
    # Set by the importer: (commune code, QPV code, in perimeter, located_by, longitude, latitude).
    place: tuple = ()


class Invalid(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _name(value, what: str) -> str:
    text = _text(value)
    if len(text) > NAME_MAX:
        raise Invalid(f"{what} trop long ({len(text)} caractères, {NAME_MAX} au plus).")
    if not any(c.isalpha() for c in text):
        raise Invalid(f"{what} sans aucune lettre : vérifiez que les colonnes ne sont pas décalées.")
    return text


def _excel_serial(number: float) -> date:
    if not 1 <= number < 2958466:
        raise Invalid("nombre qui n'est pas une date Excel.")
    return EXCEL_EPOCH + timedelta(days=int(number))


def parse_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise Invalid("date attendue.")
    if isinstance(value, int | float):
        return _excel_serial(value)
    text = str(value).strip()
    try:
        if m := _DAY_FIRST.fullmatch(text):
            day, month, year = (int(g) for g in m.groups())
            if len(m.group(3)) != 4:
                raise Invalid("l'année doit s'écrire sur 4 chiffres (JJ/MM/AAAA).")
            return date(year, month, day)
        if m := _ISO.fullmatch(text):
            return date(*(int(g) for g in m.groups()))
    except ValueError:
        raise Invalid("cette date n'existe pas (jour ou mois hors limites).") from None
    if text.isdigit() and len(text) == 5:
        return _excel_serial(int(text))
    raise Invalid("date illisible.")


def _birth_date(value) -> date:
    try:
        born = parse_date(value)
    except Invalid as exc:
        raise Invalid(f"{exc.message} Attendu : {BY_NAME['birth_date'].expected}.") from None
    if born > timezone.localdate():
        raise Invalid("la date de naissance est dans le futur.")
    if born < OLDEST:
        raise Invalid("date de naissance antérieure à 1900 : vérifiez l'année.")
    return born


def _coded(value, table: dict, what: str) -> str:
    key = fold_name(_text(value))
    if key in table:
        return table[key]
    raise Invalid(f"« {_text(value)[:40]} » n'est pas reconnu. Attendu : {BY_NAME[what].expected}.")


def _email(value) -> str:
    text = _text(value)
    try:
        if len(text) > EMAIL_MAX:
            raise ValidationError("too long")
        validate_email(text)
    except ValidationError:
        raise Invalid("adresse électronique invalide (attendu : nom@domaine.fr).") from None
    return text


def _phone(value) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        # A spreadsheet drops the leading zero of 06 12 34 56 78.
        digits = str(int(value))
        return "0" + digits if len(digits) == 9 else digits
    digits = _PHONE_NOISE.sub("", str(value))
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if not _PHONE.fullmatch(digits):
        raise Invalid(f"numéro de téléphone illisible. Attendu : {BY_NAME['phone'].expected}.")
    return digits


def _code(value, pattern: re.Pattern, width: int, what: str, quote: bool = True) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(int(value)).zfill(width)  # Excel drops the zero of 04000 or 01004
    text = _text(value).replace(" ", "").upper()
    if not pattern.fullmatch(text):
        shown = f"« {text[:20]} » : " if quote else "format inattendu : "
        raise Invalid(f"{shown}{BY_NAME[what].expected} attendu.")
    return text


def _number(value) -> float:
    if isinstance(value, bool):
        raise Invalid("nombre attendu.")
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = str(value).strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
        try:
            number = float(text)
        except ValueError:
            raise Invalid("nombre décimal attendu (ex. 2,4553).") from None
    if not math.isfinite(number):
        raise Invalid("nombre décimal attendu (ex. 2,4553).")
    return number


PARSERS = {
    "first_name": lambda v: _name(v, "prénom"),
    "last_name": lambda v: _name(v, "nom"),
    "birth_date": _birth_date,
    "sex": lambda v: _coded(v, SEXES, "sex"),
    "email": _email,
    "phone": _phone,
    "address": _text,
    "postcode": lambda v: _code(v, _POSTCODE, 5, "postcode"),
    "commune_code": lambda v: _code(v, _COMMUNE_CODE, 5, "commune_code"),
    "france_travail_id": lambda v: _code(
        normalise_ft_id(_text(v)), _FT_ID, 0, "france_travail_id", quote=False
    ),
    "diploma_level": lambda v: _coded(v, DIPLOMAS, "diploma_level"),
    "longitude": _number,
    "latitude": _number,
    "qpv_code": lambda v: _code(v, _QPV_CODE, 0, "qpv_code"),
}


def _in_france(lon: float, lat: float) -> bool:
    # locator.in_france works on numpy arrays; for one point a plain loop is forty times quicker.
    return any(x0 <= lon <= x1 and y0 <= lat <= y1 for x0, y0, x1, y1 in FRANCE_BOXES)


class RowParser:
    """Turns the cells of one line into a ``Row`` or a list of (column header, message)."""

    def __init__(self, positions: dict[str, int], headers: list[str], qpv_codes: frozenset[str]):
        self.columns = [(name, position, headers[position]) for name, position in positions.items()]
        self.qpv_codes = qpv_codes

    def parse(self, line: int, cells: list) -> tuple[Row | None, list[tuple[str, str]]]:
        values: dict = {}
        errors: list[tuple[str, str]] = []
        width = len(cells)
        for name, position, header in self.columns:
            value = cells[position] if position < width else None
            if isinstance(value, str):
                value = value.strip()
            if value is None or value == "":
                if BY_NAME[name].required:
                    errors.append(
                        (
                            header,
                            f"{BY_NAME[name].label.lower()} manquant(e) : cette colonne est obligatoire.",
                        )
                    )
                continue
            try:
                values[name] = PARSERS[name](value)
            except Invalid as exc:
                errors.append((header, exc.message))
        self._check_together(values, errors)
        if errors:
            return None, errors
        return Row(line=line, **values), errors

    def _check_together(self, values: dict, errors: list) -> None:
        headers = {name: header for name, _, header in self.columns}
        if "address" in values and len(values["address"]) > ADDRESS_MAX:
            errors.append((headers["address"], f"adresse trop longue ({ADDRESS_MAX} caractères au plus)."))
        lon, lat = values.get("longitude"), values.get("latitude")
        if (lon is None) != (lat is None) and "longitude" in headers:
            missing = "latitude" if lat is None else "longitude"
            if not any(h == headers[missing] for h, _ in errors):
                errors.append(
                    (headers[missing], f"la {missing} manque alors que l'autre coordonnée est donnée.")
                )
        elif lon is not None and lat is not None and not _in_france(lon, lat):
            errors.append(
                (
                    headers["longitude"],
                    "coordonnées hors de France : vérifiez que la longitude et la latitude ne sont pas "
                    "inversées et qu'elles sont en degrés décimaux (WGS 84).",
                )
            )
        if values.get("qpv_code") and values["qpv_code"] not in self.qpv_codes:
            errors.append(
                (headers["qpv_code"], f"« {values['qpv_code']} » n'est pas un code QPV 2024 connu.")
            )
