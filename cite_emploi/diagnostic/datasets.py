"""Reading a file of public statistics in the long format, one observation per line: no writes.

The format (documented for users in docs/guide/diagnostic-donnees.md):

* Columns, in any order, headers compared without case, accents or punctuation: ``niveau``, ``code``,
  ``indicateur``, ``libelle_indicateur``, ``periode``, ``valeur``, ``unite`` are required;
  ``tranche_age``, ``sexe``, ``source``, ``licence`` are optional. Other columns are ignored (with a
  warning). The first non-empty line is the header; empty lines are ignored.
* ``niveau``: ``qpv``, ``commune`` or ``ept`` (« EPCI » and « territoire » mean ``ept``).
* ``code``: a QPV of one of the territory's perimeters; a member commune of the territory or a
  commune of a perimeter area (INSEE code, a leading zero lost by a spreadsheet is put back); the
  territory's SIREN.
* ``indicateur``: ``[a-z0-9_]{1,60}`` once lowercased and trimmed, and not the code of an indicator
  the platform computes itself (``indicators.builtin()``: the registry would hide the imported
  figures); ``libelle_indicateur`` (200 characters at most) must stay the same for one indicator
  within the file.
* ``tranche_age``: empty or « ensemble » (all ages), the platform's publics ``jeunes`` (< 26),
  ``adultes`` (26–49), ``seniors`` (≥ 50), or a range of years ``15-24`` / ``55+``.
* ``sexe``: empty or « ensemble » (both), ``F`` / femme(s), ``M`` / ``H`` / homme(s).
* ``periode``: a year ``2021``, a quarter ``2021-T3``, a month ``2021-09`` or a day ``2021-09-30`` /
  ``30/09/2021`` (a date cell of a workbook is a day): normalised, with its first and last days.
* ``valeur``: a number, comma or point decimal, spaces as thousands separators, an ending ``%``
  only when the unit is ``%``. The producer's secrecy markers (``s``, ``nd``, ``n.d.``, ``secret``)
  make the line bad: nothing can be stored for it.
* ``unite``: 30 characters at most. ``source`` and ``licence``, when empty, fall back to the
  dataset's (the services resolve them).

A line repeating the key (indicator, level, code, age group, sex, period) of an earlier valid line
is an error naming that line. Every error keeps its line number as the spreadsheet shows it (header
= line 1), the column as written in the file, the value (shortened) and a French message. A file
that cannot be read, lacks a required column or has more than ``MAX_LINES`` data lines raises
``DatasetFileError``. The reading itself is ``followup.beneficiary_files`` (encoding, delimiter,
XLSX), which streams; the valid rows are kept as compact slotted objects with interned strings.
"""

from __future__ import annotations

import calendar
import csv
import io
import math
import re
import sys
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Q

from cite_emploi.followup import beneficiary_files as files
from cite_emploi.partners.directory import safe_cell
from cite_emploi.territory.models import Commune, PerimeterArea, Territory

from .models import Level

MAX_LINES = 200_000
MAX_UPLOAD_BYTES = 40 * 1024 * 1024
# Errors kept for the report; beyond, they are only counted (a broken 200,000-line file would
# otherwise hold a million messages).
MAX_KEPT_ERRORS = 10_000
VALUE_SHOWN = 60
LABEL_MAX, UNIT_MAX, SOURCE_MAX, LICENCE_MAX = 200, 30, 300, 120
YEARS = range(1900, 2101)
# Lists of expected codes longer than this are summarised rather than spelled out in messages.
LISTED_CODES = 20
WHOLE_LINE = "ligne entière"


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    aliases: tuple[str, ...] = ()


COLUMNS = (
    Column("niveau", True, ("niveau_geographique",)),
    Column("code", True, ("code_geographique", "code_geo", "codgeo")),
    Column("indicateur", True, ("code_indicateur",)),
    Column("libelle_indicateur", True, ("libelle", "libelle_de_l_indicateur")),
    Column("tranche_age", False, ("tranche_d_age", "age")),
    Column("sexe", False),
    Column("periode", True),
    Column("valeur", True),
    Column("unite", True),
    Column("source", False),
    Column("licence", False, ("license",)),
)
REQUIRED = tuple(c.name for c in COLUMNS if c.required)
_HEADER_NAMES = {alias: c.name for c in COLUMNS for alias in (c.name, *c.aliases)}

# Plain strings, not the enum members, so that they can be interned.
LEVELS = {
    "qpv": Level.QPV.value,
    "commune": Level.COMMUNE.value,
    "ept": Level.EPT.value,
    "epci": Level.EPT.value,
    "territoire": Level.EPT.value,
}
ALL = ("", "ensemble", "total", "tous", "toutes")
AGE_GROUPS = {"jeunes": "jeunes", "jeune": "jeunes", "adultes": "adultes", "adulte": "adultes",
              "seniors": "seniors", "senior": "seniors"}  # fmt: skip
SEXES = {"f": "F", "femme": "F", "femmes": "F", "m": "M", "h": "M", "homme": "M", "hommes": "M"}
SECRET_MARKERS = {"s", "nd", "secret"}

_INDICATOR = re.compile(r"[a-z0-9_]{1,60}")
_QPV = re.compile(r"Q[A-Z0-9]{7}")
_COMMUNE = re.compile(r"\d{5}|2[AB]\d{3}")
_SIREN = re.compile(r"\d{9}")
_RANGE = re.compile(r"(\d{1,3})\s*(?:-|–|à)\s*(\d{1,3})(?:\s*ans)?")
_FROM_AGE = re.compile(r"(\d{1,3})\s*(?:ans)?\s*(?:\+|et\s+plus)")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d+)?|[.,]\d+)")
_YEAR = re.compile(r"(\d{4})")
_QUARTER = re.compile(r"(\d{4})\s*-?\s*T([1-4])|T([1-4])\s*[-/ ]?\s*(\d{4})", re.IGNORECASE)
_MONTH = re.compile(r"(\d{4})-(\d{1,2})|(\d{1,2})/(\d{4})")
# A day may carry a midnight time when a workbook's date went through a CSV export.
_DAY = re.compile(
    r"(?:(\d{4})-(\d{1,2})-(\d{1,2})|(\d{1,2})/(\d{1,2})/(\d{4}))(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"
)
_SPACES = re.compile(r"[\s\u00a0\u202f]+")


class DatasetFileError(Exception):
    """A file that cannot be imported at all; the message is French and says what to do."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class LineError:
    """One bad cell (or a whole line): where, what was there, what is expected — in French."""

    line: int
    column: str
    value: str
    message: str


@dataclass(slots=True)
class ObservationRow:
    """A valid line; ``source`` and ``licence`` are empty when the dataset's apply."""

    line: int
    indicator: str
    indicator_label: str
    level: str
    geo_code: str
    age_group: str
    sex: str
    period: str
    period_start: date
    period_end: date
    value: float
    unit: str
    source: str
    licence: str


@dataclass
class DatasetFile:
    """What a file holds: its valid rows, its errors (the first ``MAX_KEPT_ERRORS``) and counts."""

    file_name: str
    format: str = ""
    rows: list[ObservationRow] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    error_count: int = 0  # every error, kept or not
    error_lines: int = 0  # lines with at least one error
    lines: int = 0  # non-empty data lines read
    warnings: list[str] = field(default_factory=list)

    @property
    def hidden_errors(self) -> int:
        return self.error_count - len(self.errors)


@dataclass(frozen=True)
class Geography:
    """The codes a territory's statistics may name, with their names for the messages."""

    qpv: dict[str, str]
    communes: dict[str, str]
    siren: str
    territory_name: str

    @classmethod
    def of(cls, territory: Territory) -> Geography:
        areas = PerimeterArea.objects.filter(perimeter__territory=territory)
        qpv = dict(areas.filter(qpv__isnull=False).values_list("qpv__code", "qpv__name").distinct())
        communes = dict(
            Commune.objects.filter(
                Q(territories=territory) | Q(perimeter_areas__perimeter__territory=territory)
            )
            .values_list("code", "name")
            .distinct()
        )
        return cls(qpv, communes, territory.siren, territory.name)


class Invalid(Exception):
    """One cell that does not fit its column; the message says what is expected."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# -- Cells -----------------------------------------------------------------------------------------


def fold(text: str) -> str:
    """Lowercase, without accents, words joined by « _ »: how headers and keywords are compared."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return "_".join(re.findall(r"[a-z0-9]+", plain))


def _text(value) -> str:
    """A cell as one line of text: numbers without « .0 », controls removed, spaces collapsed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    elif isinstance(value, datetime):
        value = value.date() if value.time() == datetime.min.time() else value
    text = str(value)
    if not text.isprintable():
        # Spaces of any kind become one space; NUL (refused by PostgreSQL), other controls,
        # invisible format characters and lone surrogates are noise and go.
        text = "".join(" " if c.isspace() else c for c in text if c.isprintable() or c.isspace())
    return " ".join(text.split())


def shown(value) -> str:
    text = _text(value)
    return text if len(text) <= VALUE_SHOWN else text[: VALUE_SHOWN - 1] + "…"


def _codes(mapping: dict[str, str], with_names: bool = True) -> str:
    if len(mapping) > LISTED_CODES:
        return f"l'un des {len(mapping)} codes du territoire (voir la page Territoire)"
    if with_names:
        return ", ".join(f"{code} ({name})" for code, name in sorted(mapping.items()))
    return ", ".join(sorted(mapping))


def parse_level(value) -> str:
    level = LEVELS.get(fold(_text(value)))
    if level is None:
        raise Invalid(
            "niveau inconnu : attendu « qpv », « commune » ou « ept » (« EPCI » et « territoire » sont compris)."
        )
    return level


def _integer_code(value) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and 0 <= value < 1e10):
        return str(int(value))
    return None


def parse_code(value, level: str, geography: Geography) -> str:
    number = _integer_code(value)
    code = number if number is not None else _SPACES.sub("", _text(value)).upper()
    if not code:
        raise Invalid("code géographique manquant.")
    if level == Level.QPV:
        if not _QPV.fullmatch(code):
            raise Invalid(
                "code QPV mal formé : attendu Q suivi de 7 lettres ou chiffres, par exemple QN09405M."
            )
        if code not in geography.qpv:
            if not geography.qpv:
                raise Invalid("le territoire n'a aucun quartier prioritaire dans ses périmètres.")
            raise Invalid(
                f"QPV hors des périmètres du territoire : codes attendus {_codes(geography.qpv, False)}."
            )
        return code
    if level == Level.COMMUNE:
        # A leading zero is lost when a spreadsheet reads the code as a number.
        if code.isdigit() and len(code) == 4:
            code = code.zfill(5)
        if not _COMMUNE.fullmatch(code):
            raise Invalid(
                "code commune INSEE mal formé : 5 caractères, par exemple 94028 (Créteil) ou 01004."
            )
        if code not in geography.communes:
            raise Invalid(f"commune hors du territoire : codes attendus {_codes(geography.communes)}.")
        return code
    if code.isdigit() and len(code) == 8:
        code = code.zfill(9)
    if not geography.siren:
        raise Invalid(
            "le territoire n'a pas de SIREN enregistré : donnez ces chiffres au niveau « commune » ou « qpv »."
        )
    if not _SIREN.fullmatch(code) or code != geography.siren:
        raise Invalid(f"SIREN du territoire attendu : {geography.siren} ({geography.territory_name}).")
    return code


def parse_indicator(value, reserved: frozenset[str] = frozenset()) -> str:
    code = _text(value).lower()
    if not _INDICATOR.fullmatch(code):
        raise Invalid(
            "code d'indicateur attendu : 1 à 60 lettres minuscules sans accent, chiffres ou « _ », "
            "par exemple demandeurs_emploi_abc."
        )
    if code in reserved:
        raise Invalid(
            f"code réservé : « {code} » est un indicateur que la plateforme calcule elle-même ; donnez un "
            f"autre code à ces chiffres, par exemple {code}_qpv ou {code}_insee."
        )
    return code


def _bounded_text(value, what: str, limit: int, required: bool = True) -> str:
    text = _text(value)
    if required and not text:
        raise Invalid(f"{what} manquant.")
    if len(text) > limit:
        raise Invalid(f"{what} trop long ({len(text)} caractères, {limit} au plus).")
    return text


def parse_age_group(value) -> str:
    text = _text(value).lower()
    folded = fold(text)
    if folded in ALL or folded in ("tous_ages", "tout_age", "tous_les_ages"):
        return ""
    if folded in AGE_GROUPS:
        return AGE_GROUPS[folded]
    if match := _RANGE.fullmatch(text):
        low, high = int(match[1]), int(match[2])
        if low < high <= 120:
            return f"{low}-{high}"
    elif (match := _FROM_AGE.fullmatch(text)) and int(match[1]) <= 120:
        return f"{int(match[1])}+"
    raise Invalid(
        "tranche d'âge attendue : vide ou « ensemble » (tous âges), « jeunes » (moins de 26 ans), "
        "« adultes » (26 à 49 ans), « seniors » (50 ans et plus), ou un intervalle d'âges comme « 15-24 » "
        "ou « 55+ »."
    )


def parse_sex(value) -> str:
    folded = fold(_text(value))
    if folded in ALL or folded == "les_deux":
        return ""
    if folded in SEXES:
        return SEXES[folded]
    raise Invalid("sexe attendu : vide ou « ensemble » (les deux), « F » (femmes), « M » ou « H » (hommes).")


def _day(year: int, month: int, day: int) -> date:
    if year not in YEARS:
        raise Invalid(f"année hors des bornes ({YEARS.start} à {YEARS.stop - 1}).")
    try:
        return date(year, month, day)
    except ValueError:
        raise Invalid("date qui n'existe pas dans le calendrier.") from None


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def parse_period(value) -> tuple[str, date, date]:
    """(normalised period, first day, last day)."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        day = _day(value.year, value.month, value.day)
        return day.isoformat(), day, day
    number = _integer_code(value)
    text = number if number is not None else _text(value)
    if not text:
        raise Invalid("période manquante.")
    if _YEAR.fullmatch(text):
        year = _day(int(text), 1, 1).year
        return text, date(year, 1, 1), date(year, 12, 31)
    if match := _QUARTER.fullmatch(text):
        year, quarter = (int(match[1]), int(match[2])) if match[1] else (int(match[4]), int(match[3]))
        start = _day(year, 3 * quarter - 2, 1)
        return f"{year}-T{quarter}", start, _month_end(year, 3 * quarter)
    if match := _MONTH.fullmatch(text):
        year, month = (int(match[1]), int(match[2])) if match[1] else (int(match[4]), int(match[3]))
        if not 1 <= month <= 12:
            raise Invalid("mois qui n'existe pas (1 à 12).")
        start = _day(year, month, 1)
        return f"{year}-{month:02d}", start, _month_end(year, month)
    if match := _DAY.fullmatch(text):
        if match[1]:
            day = _day(int(match[1]), int(match[2]), int(match[3]))
        else:
            day = _day(int(match[6]), int(match[5]), int(match[4]))
        return day.isoformat(), day, day
    raise Invalid(
        "période attendue : une année (2021), un trimestre (2021-T3), un mois (2021-09) ou un jour "
        "(2021-09-30 ou 30/09/2021)."
    )


def parse_value(value) -> tuple[float, bool]:
    """(number, written with a « % »)."""
    if isinstance(value, bool | date | datetime):
        raise Invalid("nombre attendu.")
    if isinstance(value, int | float):
        try:
            number, percent = float(value), False
        except OverflowError:
            raise Invalid("nombre hors des bornes.") from None
    else:
        text = _text(value)
        if not text:
            raise Invalid("valeur manquante.")
        if fold(text) in SECRET_MARKERS or fold(text) == "n_d":
            raise Invalid(
                "valeur non diffusée par le producteur (secret statistique) : la ligne ne peut être importée."
            )
        compact = _SPACES.sub("", text)
        percent = compact.endswith("%")
        compact = compact.removesuffix("%")
        if not _NUMBER.fullmatch(compact):
            raise Invalid(
                "nombre attendu : chiffres avec une virgule ou un point pour les décimales, des espaces "
                "entre les milliers, éventuellement suivi de « % »."
            )
        number = float(compact.replace(",", "."))
    if not math.isfinite(number):
        raise Invalid("nombre hors des bornes.")
    return number, percent


# -- File ------------------------------------------------------------------------------------------


def _columns(headers: list[str], file_name: str) -> tuple[dict[str, tuple[int, str]], list[str]]:
    """Canonical column → (index, header as written); and the ignored headers."""
    found: dict[str, tuple[int, str]] = {}
    ignored = []
    for index, header in enumerate(headers):
        name = _HEADER_NAMES.get(fold(header))
        if name is None:
            if header:
                ignored.append(header)
            continue
        if name in found:
            raise DatasetFileError(
                f"{file_name} : la colonne « {name} » apparaît deux fois (« {found[name][1]} » et « {header} »). "
                "Gardez-en une seule."
            )
        found[name] = (index, header)
    missing = [name for name in REQUIRED if name not in found]
    if missing:
        seen = ", ".join(f"« {shown(h)} »" for h in headers[:15] if h) or "aucune"
        if len([h for h in headers if h]) > 15:
            seen += "…"
        raise DatasetFileError(
            f"{file_name} : colonne{'s' if len(missing) > 1 else ''} obligatoire{'s' if len(missing) > 1 else ''} "
            f"absente{'s' if len(missing) > 1 else ''} : {', '.join(missing)}. Colonnes trouvées sur la "
            f"première ligne non vide : {seen}. La première ligne doit donner les titres des colonnes "
            "(voir le modèle de fichier)."
        )
    return found, ignored


class _Reader:
    """Checks the lines of one file against one territory, keeping the rows, errors and counts."""

    def __init__(
        self,
        result: DatasetFile,
        columns: dict[str, tuple[int, str]],
        geography: Geography,
        reserved: frozenset[str] = frozenset(),
    ):
        self.result = result
        self.reserved = reserved
        self.columns = columns
        self.geography = geography
        self.labels: dict[str, tuple[str, int]] = {}  # indicator → (label, first line)
        self.keys: dict[tuple, int] = {}  # key of a valid line → its line
        self.periods: dict[object, tuple[str, date, date]] = {}

    def error(self, line: int, column: str, value, message: str) -> None:
        self.result.error_count += 1
        if len(self.result.errors) < MAX_KEPT_ERRORS:
            self.result.errors.append(LineError(line, column, shown(value), message))

    def read(self, line: int, cells: list) -> None:
        self.result.lines += 1
        values: dict[str, object] = {}
        failed = False

        def check(name: str, parse, *args):
            nonlocal failed
            index, header = self.columns.get(name, (None, name))
            raw = cells[index] if index is not None and index < len(cells) else None
            try:
                values[name] = parse(raw, *args)
            except Invalid as exc:
                failed = True
                self.error(line, header, raw, exc.message)

        check("niveau", parse_level)
        if "niveau" in values:
            check("code", parse_code, values["niveau"], self.geography)
        check("indicateur", parse_indicator, self.reserved)
        check("libelle_indicateur", _bounded_text, "libellé de l'indicateur", LABEL_MAX)
        check("tranche_age", parse_age_group)
        check("sexe", parse_sex)
        check("periode", self._period)
        check("valeur", parse_value)
        check("unite", _bounded_text, "unité", UNIT_MAX)
        check("source", _bounded_text, "source", SOURCE_MAX, False)
        check("licence", _bounded_text, "licence", LICENCE_MAX, False)

        if "indicateur" in values and "libelle_indicateur" in values:
            indicator, label = values["indicateur"], values["libelle_indicateur"]
            first = self.labels.setdefault(indicator, (label, line))
            if first[0] != label:
                failed = True
                self.error(
                    line,
                    self.columns["libelle_indicateur"][1],
                    label,
                    f"libellé différent de celui de la ligne {first[1]} pour l'indicateur {indicator} "
                    f"(« {shown(first[0])} ») : un indicateur garde le même libellé dans tout le fichier.",
                )
        if "valeur" in values and "unite" in values and values["valeur"][1] and values["unite"] != "%":
            failed = True
            self.error(
                line,
                self.columns["valeur"][1],
                cells[self.columns["valeur"][0]],
                f"valeur en pourcentage alors que l'unité est « {shown(values['unite'])} » : indiquez l'unité « % ».",
            )
        if failed:
            self.result.error_lines += 1
            return
        period, start, end = values["periode"]
        key = (
            values["indicateur"],
            values["niveau"],
            values["code"],
            values["tranche_age"],
            values["sexe"],
            period,
        )
        earlier = self.keys.get(key)
        if earlier is not None:
            self.result.error_lines += 1
            summary = " · ".join(part for part in key if part)
            self.error(
                line,
                WHOLE_LINE,
                summary,
                f"même indicateur, niveau, code, tranche d'âge, sexe et période que la ligne {earlier} : "
                "une seule valeur par combinaison.",
            )
            return
        self.keys[key] = line
        intern = sys.intern
        self.result.rows.append(
            ObservationRow(
                line=line,
                indicator=intern(values["indicateur"]),
                indicator_label=intern(values["libelle_indicateur"]),
                level=intern(values["niveau"]),
                geo_code=intern(values["code"]),
                age_group=intern(values["tranche_age"]),
                sex=values["sexe"],
                period=intern(period),
                period_start=start,
                period_end=end,
                value=values["valeur"][0],
                unit=intern(values["unite"]),
                source=intern(values["source"]),
                licence=intern(values["licence"]),
            )
        )

    def _period(self, value) -> tuple[str, date, date]:
        try:
            cached = self.periods.get(value)
        except TypeError:  # an unhashable cell cannot come from a file, but a period must not crash
            cached = None
        if cached is None:
            cached = parse_period(value)
            if len(self.periods) < 10_000:
                self.periods[value] = cached
        return cached


def reserved_codes() -> frozenset[str]:
    """The codes of the platform's own indicators: an imported figure under one of them would be hidden."""
    from .indicators import builtin

    return frozenset(i.code for i in builtin())


def read_dataset(file_name: str, data: bytes, territory: Territory) -> DatasetFile:
    """Every line of a CSV or XLSX file checked against ``territory``; ``DatasetFileError`` if unreadable."""
    source = files.ImportSource(file_name, lambda: io.BytesIO(data))
    try:
        info = files.inspect(source)
    except files.ImportFileError as exc:
        raise DatasetFileError(str(exc)) from None
    columns, ignored = _columns(info.headers, file_name)
    result = DatasetFile(file_name, format=info.format, warnings=list(info.warnings))
    if ignored:
        listed = ", ".join(f"« {shown(h)} »" for h in ignored[:10]) + ("…" if len(ignored) > 10 else "")
        result.warnings.append(
            f"Colonne{'s' if len(ignored) > 1 else ''} ignorée{'s' if len(ignored) > 1 else ''} : {listed}."
        )
    reader = _Reader(result, columns, Geography.of(territory), reserved_codes())
    try:
        for line, cells in files.rows(source, info):
            if result.lines >= MAX_LINES:
                limit = f"{MAX_LINES:,}".replace(",", " ")
                raise DatasetFileError(
                    f"{file_name} : plus de {limit} lignes de données, la limite d'un import. Découpez le "
                    "fichier (par indicateur ou par année) et importez chaque partie."
                )
            reader.read(line, cells)
    except files.ImportFileError as exc:
        raise DatasetFileError(str(exc)) from None
    if result.lines == 0:
        raise DatasetFileError(f"{file_name} : aucune ligne de données sous la ligne des titres.")
    return result


# -- Reports and templates ---------------------------------------------------------------------------


def errors_csv(errors: Iterable[LineError], hidden: int = 0) -> bytes:
    """The error report as a CSV a French spreadsheet opens directly (UTF-8 with BOM, « ; »)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(["ligne", "colonne", "valeur", "message"])
    for error in errors:
        writer.writerow(
            [error.line, safe_cell(error.column), safe_cell(error.value), safe_cell(error.message)]
        )
    if hidden:
        writer.writerow(
            [
                "",
                "",
                "",
                f"… et {hidden} autre{'s' if hidden > 1 else ''} erreur{'s' if hidden > 1 else ''} non listée{'s' if hidden > 1 else ''} ici.",
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")


TEMPLATE_HEADERS = [c.name for c in COLUMNS]
_LICENCE = "Licence Ouverte 2.0"


def _example_rows(territory: Territory | None) -> list[list]:
    qpv, commune, siren = "QN09405M", "94028", "200058006"
    if territory is not None:
        geography = Geography.of(territory)
        qpv = min(geography.qpv, default=qpv)
        commune = min(geography.communes, default=commune)
        siren = geography.siren
    label_abc = "Demandeurs d'emploi inscrits en catégories A, B, C"
    ft, census = "France Travail - Dares", "INSEE, recensement de la population"
    rows = [
        ["qpv", qpv, "demandeurs_emploi_abc", label_abc, "jeunes", "", "2024-T4", 120, "personnes", ft, _LICENCE],
        ["qpv", qpv, "demandeurs_emploi_abc", label_abc, "adultes", "F", "2024-T4", 310, "personnes", ft, _LICENCE],
        ["qpv", qpv, "population_qpv", "Population du quartier", "", "", "2020", 8000, "personnes", "", ""],
        ["commune", commune, "taux_chomage", "Taux de chômage des 15-64 ans (recensement)", "15-64", "",
         "2021", 12.5, "%", census, _LICENCE],
    ]  # fmt: skip
    if siren:
        rows.append(["ept", siren, "taux_pauvrete", "Taux de pauvreté", "", "", "2021", 18.5, "%", "", ""])
    return rows


def template_csv(territory: Territory | None = None) -> bytes:
    """The header and a few example lines (with the territory's own codes when given)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(TEMPLATE_HEADERS)
    for row in _example_rows(territory):
        writer.writerow([str(v).replace(".", ",") if isinstance(v, float) else v for v in row])
    return buffer.getvalue().encode("utf-8-sig")


def template_xlsx(territory: Territory | None = None) -> bytes:
    """The same as ``template_csv``, in a workbook whose code and period columns are text."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Observations"
    sheet.append(TEMPLATE_HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in _example_rows(territory):
        sheet.append(row)
    # Text cells keep a commune's leading zero and stop « 2021-09 » from becoming a date.
    text_columns = {"code", "periode"}
    for index, name in enumerate(TEMPLATE_HEADERS, 1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(12, len(name) + 4)
        if name in text_columns:
            sheet.column_dimensions[letter].number_format = "@"
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = "@"
    sheet.column_dimensions[get_column_letter(TEMPLATE_HEADERS.index("libelle_indicateur") + 1)].width = 50
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def display_value(value: float) -> str:
    """A figure the French way: thin spaces between thousands, a comma, no useless decimals."""
    text = f"{value:,.6f}".rstrip("0").rstrip(".")
    return text.replace(",", "\u202f").replace(".", ",")
