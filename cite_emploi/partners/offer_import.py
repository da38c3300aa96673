"""Import of the offer (structures and services) from data·inclusion JSON, CSV or XLSX files.

One entry point, ``import_offer``, for the command line and the web page. The file is read as a
stream (JSON with ``json.JSONDecoder.raw_decode`` over chunks, CSV with the ``csv`` module, XLSX
with openpyxl in read-only mode), every record is converted from the older schema when needed
(``legacy``), validated with the official package (``data_inclusion.validate_record``: the
errors of ``validation_errors`` and the validated model, from one validation), then written in
batches.

Rules:

* identity is the pair (``source``, ``id``) of the record, stored as ``source`` / ``external_id``;
  an id of the form ``<source>--<pk>`` also designates a local record without external id (what
  our own exports produce), so that export → import into the same territory changes nothing;
* a record whose ``date_maj`` is newer than ours updates it; older or equal leaves it unchanged;
* a file with rejected records imports nothing, unless a partial import is asked for: one
  transaction, with a savepoint per batch;
* a simulation (``dry_run``) does everything, then rolls back.

Writes are batched here rather than going through ``services.save_service`` one by one (a
50,000-service file must import in under a minute), but they apply the same rules: the same
validation functions, the locator's answers applied as ``services.locate`` does, the official
quality score (``data_inclusion.score_of`` on the validated record, which holds the values stored:
what ``quality`` computes) and the facets through ``services.facets_for``. An import is audited once,
with its counts, rather than once per record.
"""

from __future__ import annotations

import ast
import codecs
import csv
import functools
import io
import itertools
import json
import operator
import pickle
import re
import tempfile
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO

import pydantic
from data_inclusion.schema import v1
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone

from cite_emploi.core import audit
from cite_emploi.territory.models import QPV, Commune, Territory

from . import legacy
from . import services as partner_services
from .data_inclusion import FIELD_LABELS, SERVICE_FIELDS, STRUCTURE_FIELDS, score_of, validate_record
from .models import Organisation, OrganisationKind, Service, ServiceFacet
from .text import service_search_text

STRUCTURE = "structure"
SERVICE = "service"
KIND_LABELS = {STRUCTURE: "structures", SERVICE: "services"}
MODELS = {STRUCTURE: v1.Structure, SERVICE: v1.Service}

BATCH_SIZE = 500
MAX_REPORT_ROWS = 2000  # rejected and converted records listed one by one; all are counted
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
EXTENSIONS = (".json", ".csv", ".xlsx", ".zip")

SCHEMA_FIELDS = {kind: tuple(model.model_fields) for kind, model in MODELS.items()}
LEGACY_FIELDS = {STRUCTURE: legacy.STRUCTURE_LEGACY_FIELDS, SERVICE: legacy.SERVICE_LEGACY_FIELDS}
KNOWN_FIELDS = {kind: frozenset(SCHEMA_FIELDS[kind]) | LEGACY_FIELDS[kind] for kind in MODELS}

# Columns a tabular file must have; a tuple lists accepted alternatives (older schema).
REQUIRED_COLUMNS = {
    STRUCTURE: ("source", "id", "nom", "date_maj"),
    SERVICE: (
        "source",
        "id",
        "structure_id",
        "nom",
        ("description", "presentation_detail", "presentation_resume"),
        "date_maj",
    ),
}

LIST_FIELDS = {
    STRUCTURE: frozenset({"reseaux_porteurs", "labels_nationaux", "labels_autres", "thematiques"}),
    SERVICE: frozenset(
        {
            "thematiques",
            "publics",
            "modes_accueil",
            "zone_eligibilite",
            "modes_mobilisation",
            "mobilisable_par",
            "profils",
            "types",
            "modes_orientation_accompagnateur",
            "modes_orientation_beneficiaire",
            "pre_requis",
            "justificatifs",
        }
    ),
}
# Lists of free text: in a cell, only a bracketed list is split, commas belong to the text.
FREE_TEXT_LISTS = frozenset({"labels_autres", "pre_requis", "justificatifs"})
FLOAT_FIELDS = frozenset({"longitude", "latitude", "volume_horaire_hebdomadaire"})
INT_FIELDS = frozenset({"nombre_semaines"})
BOOL_FIELDS = frozenset({"antenne", "cumulable", "contact_public"})
DATE_FIELDS = frozenset({"date_maj", "date_creation", "date_suspension"})
CODE_WIDTHS = {"code_postal": 5, "code_insee": 5, "siret": 14, "zone_diffusion_code": 2}
IDENTIFIER_FIELDS = ("source", "id", "structure_id")

# Enumerated fields: which values exist, for a readable message instead of the whole list.
ENUM_VALUES = {
    "thematiques": legacy.V1_THEMATIQUES,
    "publics": legacy.V1_PUBLICS,
    "modes_accueil": frozenset(m.value for m in v1.ModeAccueil),
    "modes_mobilisation": frozenset(m.value for m in v1.ModeMobilisation),
    "mobilisable_par": frozenset(m.value for m in v1.PersonneMobilisatrice),
    "reseaux_porteurs": legacy.V1_RESEAUX,
    "type": legacy.V1_TYPES,
    "frais": legacy.V1_FRAIS,
}
ZONE_CODE = re.compile(r"^(\w{5}|\w{2,3}|\d{9}|99[0-5]\d{2}|france)$")

# Our fields that the domain validators report, back to the schema's names.
SCHEMA_NAME = {
    STRUCTURE: {**STRUCTURE_FIELDS, "siret": "siret", "networks": "reseaux_porteurs"},
    SERVICE: dict(SERVICE_FIELDS),
}

# National networks and v0 typologies that tell the kind of a new organisation.
KIND_BY_NETWORK = {
    "france-travail": OrganisationKind.FRANCE_TRAVAIL,
    "mission-locale": OrganisationKind.MISSION_LOCALE,
    "cap-emploi-reseau-cheops": OrganisationKind.CAP_EMPLOI,
    "plie": OrganisationKind.PLIE,
    "communes": OrganisationKind.COMMUNE,
    "ccas-cias": OrganisationKind.COMMUNE,
    "departements": OrganisationKind.DEPARTMENT,
    "maisons-des-solidarites": OrganisationKind.DEPARTMENT,
    "mdph": OrganisationKind.DEPARTMENT,
    "aci": OrganisationKind.SIAE,
    "ai": OrganisationKind.SIAE,
    "ei": OrganisationKind.SIAE,
    "etti": OrganisationKind.SIAE,
    "eiti": OrganisationKind.SIAE,
    "afpa": OrganisationKind.TRAINING_BODY,
    "ecoles-de-la-deuxieme-chance": OrganisationKind.TRAINING_BODY,
    "epide": OrganisationKind.TRAINING_BODY,
}
KIND_BY_TYPOLOGIE = {
    "ASSO": OrganisationKind.ASSOCIATION,
    "ASSO_CHOMEUR": OrganisationKind.ASSOCIATION,
    "OF": OrganisationKind.TRAINING_BODY,
    "ETAT": OrganisationKind.STATE,
    "PREF": OrganisationKind.STATE,
    "DEETS": OrganisationKind.STATE,
    "MUNI": OrganisationKind.COMMUNE,
}

ENCODING_MESSAGE = (
    "le fichier n'est pas encodé en UTF-8 ; enregistrez-le en « CSV UTF-8 » depuis votre tableur "
    "(ou en JSON UTF-8) puis recommencez"
)
_DATE = pydantic.TypeAdapter(date)


class OfferFileError(Exception):
    """A file that cannot be read at all; the message is in French and says what to do."""


# -- Report -----------------------------------------------------------------------------------


@dataclass
class Rejection:
    kind: str
    where: str
    line: int
    record_id: str
    field: str
    message: str

    @property
    def field_label(self) -> str:
        return FIELD_LABELS.get(self.field, self.field)


@dataclass
class Conversion:
    kind: str
    where: str
    line: int
    record_id: str
    notes: list[str]


@dataclass
class ImportReport:
    filename: str
    territory: Territory | None
    partial: bool = False
    dry_run: bool = False
    counts: dict[str, Counter] = field(default_factory=lambda: {STRUCTURE: Counter(), SERVICE: Counter()})
    rejections: list[Rejection] = field(default_factory=list)
    rejected_records_listed: int = 0
    conversions: list[Conversion] = field(default_factory=list)
    conversion_kinds: Counter = field(default_factory=Counter)
    file_errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    committed: bool = False

    def total(self, status: str) -> int:
        return sum(c[status] for c in self.counts.values())

    @property
    def rejected(self) -> int:
        return self.total("rejected")

    @property
    def accepted(self) -> int:
        return self.total("created") + self.total("updated") + self.total("unchanged")

    @property
    def written(self) -> int:
        return self.total("created") + self.total("updated")

    @property
    def rejections_hidden(self) -> int:
        return self.rejected - self.rejected_records_listed

    @property
    def conversions_hidden(self) -> int:
        return self.total("converted") - len(self.conversions)

    @property
    def nothing_imported_because_of_errors(self) -> bool:
        return (
            bool(self.file_errors)
            or (self.rejected > 0 and self.accepted == 0)
            or (self.rejected > 0 and not self.partial)
        )

    @property
    def outcome(self) -> str:
        """One sentence, in French, saying what happened."""
        if self.file_errors:
            return "Fichier illisible : rien n'a été importé."
        if self.dry_run:
            if self.rejected and not self.partial:
                return (
                    f"Simulation : rien n'a été enregistré. En l'état, l'import serait refusé : "
                    f"{_plural(self.rejected, 'enregistrement rejeté', 'enregistrements rejetés')}."
                )
            return "Simulation : rien n'a été enregistré. Voici ce que l'import ferait."
        if self.nothing_imported_because_of_errors:
            rejected = _plural(self.rejected, "enregistrement rejeté", "enregistrements rejetés")
            if self.partial:
                return f"Rien n'a été importé : {rejected}, aucun enregistrement valide."
            return (
                f"Rien n'a été importé : {rejected}. Corrigez le fichier, ou choisissez l'import partiel "
                "pour importer les enregistrements valides."
            )
        done = (
            f"{_plural(self.total('created'), 'créé', 'créés')}, "
            f"{_plural(self.total('updated'), 'mis à jour', 'mis à jour')}, "
            f"{_plural(self.total('unchanged'), 'inchangé', 'inchangés')}"
        )
        if self.rejected:
            return f"Import partiel réussi : {done} ; {_plural(self.rejected, 'rejeté', 'rejetés')}."
        return f"Import réussi : {done}."

    @property
    def conversion_summary(self) -> list[tuple[str, int]]:
        return self.conversion_kinds.most_common()

    def rows(self) -> list[tuple[str, dict]]:
        return [(KIND_LABELS[kind].capitalize(), self.counts[kind]) for kind in (STRUCTURE, SERVICE)]

    def summary(self) -> dict:
        """What the audit log keeps of an import."""
        return {
            "fichier": self.filename,
            "partiel": self.partial,
            **{
                f"{KIND_LABELS[kind]}_{status}": self.counts[kind][status]
                for kind in (STRUCTURE, SERVICE)
                for status in ("created", "updated", "unchanged", "rejected", "converted")
            },
        }


def _plural(n: int, one: str, many: str) -> str:
    return f"{_number(n)} {one if n <= 1 else many}"


def _number(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")


def report_lines(report: ImportReport) -> list[str]:
    """The report as plain French text, for the command line."""
    lines = [
        f"Import de l'offre : {report.filename}"
        + (f" — territoire {report.territory.name} ({report.territory.slug})" if report.territory else ""),
        "Mode : "
        + ("import partiel" if report.partial else "tout ou rien")
        + (", simulation" if report.dry_run else ""),
        report.outcome,
    ]
    for message in report.file_errors:
        lines.append(f"Erreur : {message}")
    for message in report.warnings:
        lines.append(f"Avertissement : {message}")
    if not report.file_errors:
        head = ("", "créés", "mis à jour", "inchangés", "rejetés", "convertis")
        table = [head] + [
            (label, *(_number(c[s]) for s in ("created", "updated", "unchanged", "rejected", "converted")))
            for label, c in report.rows()
        ]
        widths = [max(len(row[i]) for row in table) for i in range(len(head))]
        for row in table:
            lines.append(
                "  ".join(
                    cell.ljust(widths[0]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)
                )
            )
    if report.conversion_kinds:
        lines.append("")
        lines.append("Conversions depuis l'ancien schéma data·inclusion :")
        for note, count in report.conversion_summary:
            lines.append(f"  {note} : {_plural(count, 'enregistrement', 'enregistrements')}")
        lines.append("Détail :")
        for c in report.conversions:
            lines.append(f"  {c.where}, ligne {c.line} ({c.record_id}) : " + " ; ".join(c.notes))
        if report.conversions_hidden > 0:
            lines.append(f"  … et {_plural(report.conversions_hidden, 'autre', 'autres')}.")
    if report.rejections:
        lines.append("")
        lines.append("Enregistrements rejetés (fichier, ligne, identifiant, champ : message) :")
        for r in report.rejections:
            lines.append(f"  {r.where}, ligne {r.line}, {r.record_id}, {r.field_label} : {r.message}")
        if report.rejections_hidden > 0:
            lines.append(
                f"  … et {_plural(report.rejections_hidden, 'autre enregistrement rejeté', 'autres enregistrements rejetés')}."
            )
    return lines


# -- Files ------------------------------------------------------------------------------------


@dataclass
class OfferFile:
    """A file to import: its name (the extension tells the format) and how to open it in binary."""

    name: str
    open: Callable[[], BinaryIO]

    @classmethod
    def from_path(cls, path) -> OfferFile:
        path = Path(path)
        return cls(path.name, lambda: open(path, "rb"))

    @classmethod
    def from_upload(cls, upload) -> OfferFile:
        def opener():
            upload.seek(0)
            return upload

        return cls(upload.name, opener)


@dataclass
class RawRecord:
    kind: str
    where: str  # list, file or sheet name shown in the report
    line: int
    data: object
    tabular: bool = False


def check_extension(name: str) -> None:
    if not name.lower().endswith(EXTENSIONS):
        raise OfferFileError(
            f"{name} : format non reconnu. Utilisez un fichier .json (data·inclusion), .csv, .xlsx "
            "ou une archive .zip contenant structures.csv et services.csv."
        )


def read_records(offer_file: OfferFile, warnings: list[str]) -> Iterator[RawRecord]:
    """Every record of a file, in order; raises OfferFileError when the file cannot be read."""
    check_extension(offer_file.name)
    suffix = Path(offer_file.name).suffix.lower()
    try:
        stream = offer_file.open()
    except FileNotFoundError as exc:
        raise OfferFileError(f"{offer_file.name} : fichier introuvable.") from exc
    except OSError as exc:
        raise OfferFileError(
            f"{offer_file.name} : impossible de lire le fichier (droits d'accès ?)."
        ) from exc
    try:
        if suffix == ".json":
            yield from _json_records(stream, offer_file.name, warnings)
        elif suffix == ".csv":
            yield from _csv_records(stream, offer_file.name, warnings)
        elif suffix == ".xlsx":
            yield from _xlsx_records(stream, offer_file.name, warnings)
        else:
            yield from _zip_records(stream, offer_file.name, warnings)
    finally:
        stream.close()


# JSON, streamed.

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


class _JsonStream:
    """Just enough of a pull parser: containers by hand, each record by ``raw_decode``."""

    def __init__(self, stream: BinaryIO, name: str, chunk_size: int = 1 << 16):
        self.stream, self.name, self.chunk_size = stream, name, chunk_size
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self.buf, self.pos, self.eof = "", 0, False
        self.lines_before = 0  # newlines dropped from the buffer, for error positions

    def _fill(self) -> bool:
        if self.eof:
            return False
        data = self.stream.read(self.chunk_size)
        try:
            text = self.decoder.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            raise OfferFileError(f"{self.name} : {ENCODING_MESSAGE}.") from exc
        self.eof = not data
        if self.pos:
            self.lines_before += self.buf.count("\n", 0, self.pos)
            self.buf = self.buf[self.pos :]
            self.pos = 0
        self.buf += text
        return True

    def error(self, message: str, pos: int | None = None) -> OfferFileError:
        pos = self.pos if pos is None else pos
        line = self.lines_before + self.buf.count("\n", 0, pos) + 1
        column = pos - self.buf.rfind("\n", 0, pos)
        return OfferFileError(f"{self.name} : JSON invalide ligne {line}, colonne {column} ({message}).")

    def peek(self) -> str | None:
        while True:
            self.pos = _WHITESPACE.match(self.buf, self.pos).end()
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._fill():
                return None

    def take(self, expected: str) -> str:
        char = self.peek()
        if char is None or char not in expected:
            found = "la fin du fichier" if char is None else f"« {char} »"
            raise self.error(f"« {' » ou « '.join(expected)} » attendu, {found} trouvé")
        self.pos += 1
        return char

    def value(self):
        if self.peek() is None:
            raise self.error("valeur attendue, fin du fichier trouvée")
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                if self._fill():
                    continue
                raise self.error("syntaxe incorrecte", exc.pos) from exc
            # A number at the end of the buffer may go on in the next chunk.
            if end == len(self.buf) and not isinstance(value, dict | list | str) and self._fill():
                continue
            self.pos = end
            return value

    def items(self) -> Iterator[object]:
        self.take("[")
        if self.peek() == "]":
            self.pos += 1
            return
        while True:
            yield self.value()
            if self.take(",]") == "]":
                return


def _json_records(stream: BinaryIO, name: str, warnings: list[str]) -> Iterator[RawRecord]:
    js = _JsonStream(stream, name)
    first = js.peek()
    if first is None:
        raise OfferFileError(f"{name} : le fichier est vide.")
    if first == "[":
        # A national file: one list of structures or of services.
        for index, value in enumerate(js.items()):
            kind = SERVICE if isinstance(value, dict) and "structure_id" in value else STRUCTURE
            yield RawRecord(kind, "liste", index + 1, value)
    elif first == "{":
        js.take("{")
        if js.peek() == "}":
            js.pos += 1
        else:
            while True:
                key = js.value()
                if not isinstance(key, str):
                    raise js.error("nom de clé attendu")
                js.take(":")
                if key in ("structures", "services"):
                    if js.peek() != "[":
                        raise OfferFileError(f"{name} : « {key} » doit être une liste d'enregistrements.")
                    kind = STRUCTURE if key == "structures" else SERVICE
                    for index, value in enumerate(js.items()):
                        yield RawRecord(kind, key, index + 1, value)
                else:
                    js.value()
                    warnings.append(
                        f"{name} : clé « {key} » ignorée (seules « structures » et « services » sont lues)."
                    )
                if js.take(",}") == "}":
                    break
    else:
        raise OfferFileError(
            f"{name} : ce n'est pas un fichier JSON data·inclusion. Il doit contenir un objet "
            '{"structures": [...], "services": [...]} ou une liste d\'enregistrements.'
        )
    if js.peek() is not None:
        raise js.error("contenu inattendu après la fin des données")


# CSV.


def _normal_label(text: str) -> str:
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


_LABEL_TO_FIELD = {_normal_label(label): name for name, label in FIELD_LABELS.items()}
_ALL_FIELDS = KNOWN_FIELDS[STRUCTURE] | KNOWN_FIELDS[SERVICE]


def _column(header) -> str | None:
    """The schema field named by a column header: its name, or its French label."""
    if header is None:
        return None
    text = str(header).strip()
    if text in _ALL_FIELDS:
        return text
    if text.lower() in _ALL_FIELDS:
        return text.lower()
    return _LABEL_TO_FIELD.get(_normal_label(text))


def _kind_of_columns(columns: Iterable[str | None], name: str) -> str:
    if "structure_id" in columns:
        return SERVICE
    return SERVICE if "service" in _normal_label(Path(name).stem) else STRUCTURE


def _check_columns(
    kind: str, columns: list[str | None], headers: list, name: str, warnings: list[str]
) -> None:
    present = set(columns)
    missing = []
    for required in REQUIRED_COLUMNS[kind]:
        options = required if isinstance(required, tuple) else (required,)
        if not present.intersection(options):
            missing.append(f"{options[0]} ({FIELD_LABELS.get(options[0], options[0])})")
    if missing:
        raise OfferFileError(
            f"{name} : colonnes obligatoires absentes pour des {KIND_LABELS[kind]} : {', '.join(missing)}. "
            "La ligne d'en-tête doit contenir les noms des champs data·inclusion."
        )
    unknown = [
        str(h).strip() for h, c in zip(headers, columns, strict=False) if c is None and str(h or "").strip()
    ]
    if unknown:
        warnings.append(f"{name} : colonnes inconnues ignorées : {', '.join(unknown)}.")
    seen = Counter(c for c in columns if c)
    if doubles := [c for c, n in seen.items() if n > 1]:
        raise OfferFileError(f"{name} : colonnes en double : {', '.join(doubles)}.")


def _csv_records(
    binary: BinaryIO, name: str, warnings: list[str], kind: str | None = None
) -> Iterator[RawRecord]:
    text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
    row_number = 1
    try:
        first_line = text.readline()
        if not first_line.strip():
            raise OfferFileError(f"{name} : le fichier est vide.")
        delimiter = max((",", ";", "\t"), key=first_line.count)
        headers = next(csv.reader([first_line], delimiter=delimiter))
        columns = [_column(h) for h in headers]
        kind = kind or _kind_of_columns(columns, name)
        _check_columns(kind, columns, headers, name, warnings)
        for row in csv.reader(text, delimiter=delimiter):
            row_number += 1
            if not any(cell.strip() for cell in row):
                continue
            data = {c: v for c, v in zip(columns, row, strict=False) if c is not None}
            if any(cell.strip() for cell in row[len(columns) :]):
                data = {"__extra_cells__": True, **data}
            yield RawRecord(kind, name, row_number, data, tabular=True)
    except UnicodeDecodeError as exc:
        raise OfferFileError(f"{name} (vers la ligne {row_number}) : {ENCODING_MESSAGE}.") from exc
    except csv.Error as exc:
        raise OfferFileError(f"{name}, ligne {row_number} : CSV illisible ({exc}).") from exc
    finally:
        text.detach()


def _zip_records(binary: BinaryIO, name: str, warnings: list[str]) -> Iterator[RawRecord]:
    try:
        archive = zipfile.ZipFile(binary)
    except (zipfile.BadZipFile, OSError) as exc:
        raise OfferFileError(f"{name} : ce n'est pas une archive .zip lisible.") from exc
    with archive:
        members = [
            m
            for m in archive.infolist()
            if not m.is_dir() and m.filename.lower().endswith(".csv") and "__macosx" not in m.filename.lower()
        ]
        if not members:
            raise OfferFileError(f"{name} : l'archive doit contenir structures.csv et/ou services.csv.")

        def order(member):
            stem = _normal_label(Path(member.filename).stem)
            return 0 if stem.startswith("structure") else 1 if stem.startswith("service") else 2

        for member in sorted(members, key=order):
            member_name = Path(member.filename).name
            hint = {0: STRUCTURE, 1: SERVICE}.get(order(member))
            try:
                with archive.open(member) as stream:
                    yield from _csv_records(stream, member_name, warnings, hint)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as exc:
                raise OfferFileError(
                    f"{name} : {member_name} ne peut pas être extrait de l'archive."
                ) from exc


# XLSX.


def _xlsx_records(binary: BinaryIO, name: str, warnings: list[str]) -> Iterator[RawRecord]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(binary, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds of errors for a file that is not a workbook
        raise OfferFileError(f"{name} : ce n'est pas un classeur Excel (.xlsx) lisible.") from exc
    try:
        sheets = {}
        for sheet in workbook.worksheets:
            label = _normal_label(sheet.title)
            if label in ("structures", "structure"):
                sheets[STRUCTURE] = sheet
            elif label in ("services", "service"):
                sheets[SERVICE] = sheet
        if not sheets:
            if len(workbook.worksheets) != 1:
                raise OfferFileError(
                    f"{name} : le classeur doit contenir une feuille « structures » et/ou une feuille « services »."
                )
            sheets[None] = workbook.worksheets[0]
        for kind in (STRUCTURE, SERVICE, None):
            if kind in sheets:
                yield from _sheet_records(sheets[kind], kind, name, warnings)
    finally:
        workbook.close()


def _schema_names(row) -> int:
    return sum(1 for cell in row or () if isinstance(cell, str) and cell.strip() in _ALL_FIELDS)


def _sheet_records(sheet, kind: str | None, name: str, warnings: list[str]) -> Iterator[RawRecord]:
    where = f"{name}, feuille « {sheet.title} »"
    rows = sheet.iter_rows(values_only=True)
    first = next(rows, None)
    if first is None or not any(v not in (None, "") for v in first):
        warnings.append(f"{where} : feuille vide.")
        return
    second = next(rows, None)
    # Our exports have two header rows: French labels, then the schema's field names.
    if second is not None and _schema_names(second) > _schema_names(first):
        headers, pending, row_number = list(second), [], 2
    else:
        headers, pending, row_number = list(first), [second] if second is not None else [], 1
    columns = [_column(h) for h in headers]
    kind = kind or _kind_of_columns(columns, sheet.title)
    _check_columns(kind, columns, headers, where, warnings)
    for row in itertools.chain(pending, rows):
        row_number += 1
        if not any(v not in (None, "") and not (isinstance(v, str) and not v.strip()) for v in row):
            continue
        data = {c: v for c, v in zip(columns, row, strict=False) if c is not None and v is not None}
        yield RawRecord(kind, sheet.title, row_number, data, tabular=True)


# -- Records ----------------------------------------------------------------------------------


def _empty(value) -> bool:
    return value is None or value == "" or value == [] or (isinstance(value, str) and not value.strip())


def _split_list(value, free_text: bool) -> list:
    if isinstance(value, list | tuple | set):
        return list(value)
    if not isinstance(value, str):
        return [value]
    text = value.strip()
    if text.startswith("[") and text.endswith("]"):
        for parse in (json.loads, ast.literal_eval):
            try:
                parsed = parse(text)
            except (ValueError, SyntaxError, MemoryError, RecursionError):
                continue
            if isinstance(parsed, list | tuple):
                return [str(v) for v in parsed if not _empty(v)]
    if text.startswith("{") and text.endswith("}"):  # a PostgreSQL array
        return [v.strip().strip('"') for v in text[1:-1].split(",") if v.strip().strip('"')]
    if free_text:
        return [text]
    return [v.strip() for v in text.split(",") if v.strip()]


def _to_number(value, kind):
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return value
    if isinstance(value, float) and kind is int and value.is_integer():
        return int(value)
    if not isinstance(value, str):
        return value
    text = value.strip().replace("\u00a0", "").replace(" ", "")
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")  # a French decimal comma
    try:
        number = float(text)
    except ValueError:
        return value  # the schema says what is wrong
    if kind is int:
        return int(number) if number.is_integer() else value
    return number


def _boolean(value):
    if isinstance(value, str):
        return {
            "oui": True,
            "vrai": True,
            "true": True,
            "1": True,
            "non": False,
            "faux": False,
            "false": False,
            "0": False,
        }.get(value.strip().lower(), value)
    return value


def _normalise_json(data: dict) -> dict:
    """A JSON record: typed already; only empty values go, and numbers given for codes become text."""
    out = {}
    for name, value in data.items():
        kind = type(value)
        if kind is str:
            if not value or value.isspace():
                continue
            if name == "siret":
                value = value.replace(" ", "").replace("\u00a0", "")
        elif kind is list:
            value = [v for v in value if v is not None and v != ""]
            if not value:
                continue
            if name == "zone_eligibilite":
                value = [v if isinstance(v, str) else str(v) for v in value]
        elif value is None:
            continue
        elif kind is int or kind is float:
            if name in CODE_WIDTHS:
                value = str(int(value)).zfill(CODE_WIDTHS[name])
            elif name in IDENTIFIER_FIELDS:
                value = str(int(value)) if float(value).is_integer() else str(value)
        out[name] = value
    return out


def _normalise(kind: str, data: dict, tabular: bool) -> dict:
    """Types and empty values as the schema expects them; tabular cells are all text (CSV) or typed (XLSX)."""
    if not tabular:
        return _normalise_json(data)
    out = {}
    for name, value in data.items():
        if _empty(value):
            continue
        if tabular:
            if isinstance(value, str):
                value = value.strip()
            if isinstance(value, datetime):
                value = value.date().isoformat() if name in DATE_FIELDS else value.isoformat()
            elif isinstance(value, date):
                value = value.isoformat()
            if name in LIST_FIELDS[kind]:
                value = _split_list(value, name in FREE_TEXT_LISTS)
            elif name == "frais" and isinstance(value, str) and ("," in value or value[:1] in "[{"):
                value = _split_list(value, False)  # v0: a list of fees
            elif name in FLOAT_FIELDS:
                value = _to_number(value, float)
            elif name in INT_FIELDS:
                value = _to_number(value, int)
            elif name in BOOL_FIELDS:
                value = _boolean(value)
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        if numeric and name in CODE_WIDTHS:
            value = str(int(value)).zfill(CODE_WIDTHS[name])
        elif numeric and (name in IDENTIFIER_FIELDS or (tabular and name not in FLOAT_FIELDS | INT_FIELDS)):
            value = str(int(value)) if float(value).is_integer() else str(value)
        if name == "siret" and isinstance(value, str):
            value = value.replace(" ", "").replace("\u00a0", "")
        if isinstance(value, list):
            value = [str(v).strip() if isinstance(v, str) else v for v in value if not _empty(v)]
            if name == "zone_eligibilite":
                value = [str(v) if not isinstance(v, str) else v for v in value]
            if not value:
                continue
        out[name] = value
    return out


def _french_errors(kind: str, record: dict) -> tuple[pydantic.BaseModel | None, list[tuple[str, str]]]:
    """The official model of the record, or its errors: one readable French message per field and problem."""
    model, errors = validate_record(MODELS[kind], record)
    found: dict[str, list[str]] = {}
    for error in errors:
        name = error.field.split(".")[0]
        message = error.message
        value = record.get(name)
        if name in ENUM_VALUES and message.startswith("valeur inconnue"):
            values = value if isinstance(value, list | tuple | set) else [value]
            # A nested list or an object is not a value of the enumeration either (and not hashable).
            bad = [str(v) for v in values if not isinstance(v, str) or v not in ENUM_VALUES[name]]
            if bad:
                message = f"valeur{'s' if len(bad) > 1 else ''} inconnue{'s' if len(bad) > 1 else ''} : {', '.join(bad)}"
        elif name == "zone_eligibilite" and isinstance(value, list):
            bad = [str(v) for v in value if not isinstance(v, str) or not ZONE_CODE.match(v)]
            message = (
                f"code{'s' if len(bad) > 1 else ''} invalide{'s' if len(bad) > 1 else ''} : {', '.join(bad)} "
                "(attendu : code INSEE de commune, de département, SIREN d'EPCI, code pays 99XXX ou « france »)"
                if bad
                else message
            )
        elif "{" in message:
            message = "valeur invalide"
        messages = found.setdefault(name, [])
        if message not in messages:
            messages.append(message)
    return model, [(name, message) for name, messages in found.items() for message in messages]


_LIST, _FLOAT, _INT, _TEXT = range(4)


@functools.cache
def _field_specs(kind: str) -> tuple[tuple[str, str, int, bool, int | None], ...]:
    """(our field, schema field, type, nullable, max length) of each mapped field, computed once."""
    model, mapping = (Organisation, STRUCTURE_FIELDS) if kind == STRUCTURE else (Service, SERVICE_FIELDS)
    specs = []
    for ours, theirs in mapping.items():
        field = model._meta.get_field(ours)
        if isinstance(field, models.JSONField):
            code = _LIST
        elif isinstance(field, models.FloatField):
            code = _FLOAT
        elif isinstance(field, models.IntegerField):
            code = _INT
        else:
            code = _TEXT
        specs.append((ours, theirs, code, field.null, getattr(field, "max_length", None)))
    return tuple(specs)


def _values(kind: str, record: dict) -> dict:
    """The record in our fields' types: empty text is "", empty lists are []."""
    values = {}
    for ours, theirs, code, null, _ in _field_specs(kind):
        value = record.get(theirs)
        if value is None:
            values[ours] = [] if code == _LIST else (None if null else "")
        elif code == _LIST:
            items = value if isinstance(value, list | tuple | set) else [value]
            values[ours] = list(dict.fromkeys(str(v) for v in items))
        elif code == _FLOAT:
            values[ours] = float(value)
        elif code == _INT:
            values[ours] = int(float(value))
        else:
            values[ours] = str(value)
    return values


def _length_errors(kind: str, values: dict, source: str, ident: str) -> list[tuple[str, str]]:
    """What the database columns cannot hold, said before writing."""
    model = Organisation if kind == STRUCTURE else Service
    facet_limit = ServiceFacet._meta.get_field("value").max_length
    errors = []
    for ours, theirs, code, _, limit in _field_specs(kind):
        value = values[ours]
        if code == _TEXT and limit and len(value) > limit:
            errors.append((theirs, f"texte trop long pour la plateforme (au plus {limit} caractères)"))
        elif code == _LIST and any(len(v) > facet_limit for v in value):
            errors.append((theirs, f"valeur trop longue (au plus {facet_limit} caractères)"))
    for ours, theirs, value in (("source", "source", source), ("external_id", "id", ident)):
        limit = model._meta.get_field(ours).max_length
        if len(value) > limit:
            errors.append((theirs, f"texte trop long pour la plateforme (au plus {limit} caractères)"))
    return errors


def _domain_errors(kind: str, values: dict) -> list[tuple[str, str]]:
    """The platform's own rules, as for a record typed in a form.

    For a structure, ``services.validate_organisation`` (the SIRET key, above all). For a service,
    ``services.validate_service`` checks the enumerations and « tous-publics » alone: exactly what
    the official schema has just checked, so it is not run a second time.
    """
    if kind != STRUCTURE:
        return []
    try:
        partner_services.validate_organisation(
            Organisation(siret=values["siret"], networks=values["networks"])
        )
    except ValidationError as exc:
        names = SCHEMA_NAME[kind]
        return [(names.get(f, f), m) for f, messages in exc.message_dict.items() for m in messages]
    return []


def local_pk(source: str, ident: str) -> int | None:
    """``<source>--<pk>`` is how our exports name a record that has no external id."""
    prefix = f"{source}--"
    rest = ident[len(prefix) :] if ident.startswith(prefix) else ""
    return int(rest) if rest.isdigit() and len(rest) < 19 else None


def kind_for(typologie: str | None, networks: list[str]) -> str:
    if typologie and (kind := KIND_BY_TYPOLOGIE.get(str(typologie))):
        return kind
    for network in networks:
        if kind := KIND_BY_NETWORK.get(network):
            return kind
    return OrganisationKind.OTHER


@dataclass
class _Ready:
    """A valid record, translated to our fields, waiting for its batch to be written."""

    kind: str
    where: str
    line: int
    key: tuple[str, str]
    values: dict
    updated_on: date
    code_insee: str | None
    structure_id: str = ""
    org_kind: str = ""
    model: pydantic.BaseModel | None = None  # the validated service, for its quality score


# -- Writing ----------------------------------------------------------------------------------


class _Rollback(Exception):
    pass


class _Importer:
    def __init__(self, territory: Territory, report: ImportReport):
        self.territory = territory
        self.report = report
        self.writes = True  # off once an all-or-nothing import is known to fail
        self.batches: dict[str, list[_Ready]] = {STRUCTURE: [], SERVICE: []}
        self.lines: dict[str, dict[tuple[str, str], tuple[str, int]]] = {STRUCTURE: {}, SERVICE: {}}
        self.names: dict[str, tuple[str, str]] = {}
        # Structures of this file: key → pk (None while not written), and the rejected ones.
        self.structures: dict[tuple[str, str], int | None] = {}
        self.structure_keys_by_id: dict[str, set[tuple[str, str]]] = {}
        self.rejected_structures: set[tuple[str, str]] = set()
        self.deferred = None  # services waiting for a structure further in the file (pickles)
        self.deferred_count = 0
        self.unknown_fields: dict[str, set] = {STRUCTURE: set(), SERVICE: set()}
        self.communes = {c.code: c for c in Commune.objects.only("pk", "code", "name")}
        self.qpvs = {q.code: q for q in QPV.objects.filter(geography_year=2024).only("pk", "code", "name")}

    # Reading.

    def add(self, raw: RawRecord) -> None:
        kind, report = raw.kind, self.report
        if not isinstance(raw.data, dict):
            self.reject(raw, "", [("enregistrement", "objet attendu (un enregistrement entre accolades)")])
            return
        if raw.data.get("__extra_cells__"):
            self.reject(
                raw,
                str(raw.data.get("id") or "—"),
                [
                    (
                        "enregistrement",
                        "plus de cellules que de colonnes : vérifiez le séparateur et les guillemets",
                    )
                ],
            )
            return
        if not raw.tabular:
            self.unknown_fields[kind].update(raw.data.keys() - KNOWN_FIELDS[kind])
        record = _normalise(kind, raw.data, raw.tabular)
        typologie = record.get("typologie")
        notes = legacy.convert_structure(record) if kind == STRUCTURE else legacy.convert_service(record)
        ident = record.get("id") if isinstance(record.get("id"), str) else ""
        if notes:
            report.counts[kind]["converted"] += 1
            for note in notes:
                report.conversion_kinds[f"{KIND_LABELS[kind]} : {_note_kind(note)}"] += 1
            if len(report.conversions) < MAX_REPORT_ROWS:
                report.conversions.append(Conversion(kind, raw.where, raw.line, ident or "—", notes))
        model, errors = _french_errors(kind, record)
        values = {}
        if not errors:
            values = _values(kind, record)
            errors = _length_errors(kind, values, record["source"], ident) or _domain_errors(kind, values)
        key = (record["source"], ident) if isinstance(record.get("source"), str) and ident else None
        if key is not None:
            if (seen := self.lines[kind].get(key)) is not None:
                errors.append(
                    ("id", f"identifiant en double dans le fichier (déjà à la ligne {seen[1]} de {seen[0]})")
                )
            else:
                self.lines[kind][key] = (raw.where, raw.line)
        if kind == STRUCTURE and not errors:
            other = self.names.get(values["name"])
            if other is not None and other != key:
                errors.append(("nom", "une autre structure du fichier porte déjà ce nom"))
        if errors:
            if kind == STRUCTURE and key is not None:
                self.rejected_structures.add(key)
            self.reject(raw, ident or "—", errors)
            return
        ready = _Ready(
            kind,
            raw.where,
            raw.line,
            key,
            values,
            _DATE.validate_python(record["date_maj"]),
            record.get("code_insee"),
        )
        if kind == STRUCTURE:
            self.names[values["name"]] = key
            self.structures[key] = None
            self.structure_keys_by_id.setdefault(key[1], set()).add(key)
            ready.org_kind = kind_for(typologie, values["networks"])
        else:
            ready.structure_id = str(record["structure_id"])
            ready.model = model
        batch = self.batches[kind]
        batch.append(ready)
        if kind == SERVICE and self.batches[STRUCTURE]:
            self.flush_structures()
        if len(batch) >= BATCH_SIZE:
            if kind == STRUCTURE:
                self.flush_structures()
            else:
                self.flush_services()

    def finish(self) -> None:
        for kind, names in self.unknown_fields.items():
            if names:
                self.report.warnings.append(
                    f"Champs inconnus des {KIND_LABELS[kind]}, ignorés : {', '.join(sorted(map(str, names)))}."
                )
        self.flush_structures()
        self.flush_services()
        if self.deferred is not None:
            self.deferred.seek(0)
            for _ in range(self.deferred_count):
                self.batches[SERVICE].append(pickle.load(self.deferred))
                if len(self.batches[SERVICE]) >= BATCH_SIZE:
                    self.flush_services(final=True)
            self.flush_services(final=True)
            self.deferred.close()

    def reject(self, raw: RawRecord | _Ready, ident: str, errors: list[tuple[str, str]]) -> None:
        report = self.report
        report.counts[raw.kind]["rejected"] += 1
        if not report.partial:
            self.writes = False
        if report.rejected_records_listed < MAX_REPORT_ROWS:
            report.rejected_records_listed += 1
            for name, message in errors:
                report.rejections.append(Rejection(raw.kind, raw.where, raw.line, ident, name, message))

    # Identity.

    @functools.cached_property
    def known_organisations(self) -> dict[tuple[str, str], tuple[int, date | None]]:
        """Organisations of the territory before this import: identity → (pk, date of last update).

        Read once: one query instead of one per batch (``external_id`` has no index of its own).
        """
        known = {}
        rows = Organisation.objects.filter(territory=self.territory).values_list(
            "pk", "source", "external_id", "updated_on", "modified_at"
        )
        for pk, source, external_id, updated_on, modified_at in rows:
            stamp = updated_on or (modified_at.date() if modified_at else None)
            known[(source, external_id or f"{source}--{pk}")] = (pk, stamp)
        return known

    @functools.cached_property
    def organisation_names(self) -> dict[str, int]:
        return dict(Organisation.objects.filter(territory=self.territory).values_list("name", "pk"))

    @functools.cached_property
    def organisations_by_id(self) -> dict[str, list[int]]:
        """Pre-existing organisations by ``id`` alone, for a service whose structure has another source."""
        by_id: dict[str, list[int]] = {}
        for (_, ident), (pk, _) in self.known_organisations.items():
            by_id.setdefault(ident, []).append(pk)
        return by_id

    @functools.cached_property
    def known_services(self) -> dict[tuple[str, str], tuple[int, date]]:
        """Services of the territory before this import: identity → (pk, date of last update)."""
        rows = Service.objects.filter(organisation__territory=self.territory).values_list(
            "pk", "source", "external_id", "updated_on"
        )
        return {
            (source, external_id or f"{source}--{pk}"): (pk, updated_on)
            for pk, source, external_id, updated_on in rows
        }

    # Structures.

    def flush_structures(self) -> None:
        batch, self.batches[STRUCTURE] = self.batches[STRUCTURE], []
        if not batch:
            return
        counts = self.report.counts[STRUCTURE]
        known = self.known_organisations
        existing = Organisation.objects.in_bulk([known[r.key][0] for r in batch if r.key in known])
        to_create, to_update, done = [], [], []
        for ready in batch:
            org = existing.get(known[ready.key][0]) if ready.key in known else None
            owner = self.organisation_names.get(ready.values["name"])
            if owner is not None and (org is None or owner != org.pk):
                self.rejected_structures.add(ready.key)
                self.structures.pop(ready.key, None)
                self.reject(
                    ready,
                    ready.key[1],
                    [("nom", f"une autre structure du territoire {self.territory} porte déjà ce nom")],
                )
                continue
            if org is not None and ready.updated_on <= (_effective_date(org) or date.min):
                counts["unchanged"] += 1
                self.structures[ready.key] = org.pk
                continue
            if org is None:
                org = Organisation(
                    territory=self.territory,
                    source=ready.key[0],
                    external_id=ready.key[1],
                    kind=ready.org_kind,
                    **ready.values,
                )
                to_create.append(org)
                counts["created"] += 1
            else:
                for name, value in ready.values.items():
                    setattr(org, name, value)
                to_update.append(org)
                counts["updated"] += 1
            org.updated_on = ready.updated_on
            org.commune = self.communes.get(ready.code_insee) if ready.code_insee else None
            done.append((ready, org))
        if not self.writes or not done:
            return
        self._locate([org for _, org in done])
        now = timezone.now()
        for org in to_update:
            org.modified_at = now
        fields = [*STRUCTURE_FIELDS, "commune", "qpv", "updated_on", "modified_at"]
        self._write(
            done,
            lambda items: self._save_structures(
                [o for _, o in items if o.pk is None], [o for _, o in items if o.pk is not None], fields
            ),
        )
        for ready, org in done:
            if ready.key not in self.rejected_structures:
                self.structures[ready.key] = org.pk

    def _save_structures(self, to_create, to_update, fields) -> None:
        Organisation.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
        Organisation.objects.bulk_update(to_update, fields, batch_size=BATCH_SIZE)

    # Services.

    def _resolve(self, batch: list[_Ready], final: bool) -> dict[int, int | None]:
        """Organisation pk (None while unwritten) of each service; rejects or defers the others."""
        found: dict[int, int | None] = {}
        unknown: list[tuple[int, _Ready, tuple[str, str]]] = []
        for index, ready in enumerate(batch):
            key = (ready.key[0], ready.structure_id)
            if key not in self.structures and len(self.structure_keys_by_id.get(ready.structure_id, ())) == 1:
                key = next(iter(self.structure_keys_by_id[ready.structure_id]))
            if key in self.structures:
                found[index] = self.structures[key]
            elif key in self.rejected_structures:
                self.reject(
                    ready,
                    ready.key[1],
                    [("structure_id", f"la structure « {ready.structure_id} » de ce service a été rejetée")],
                )
            else:
                unknown.append((index, ready, key))
        if not unknown:
            return found
        for index, ready, key in unknown:
            org_pk = self.known_organisations[key][0] if key in self.known_organisations else None
            if org_pk is None and len(self.organisations_by_id.get(ready.structure_id, ())) == 1:
                org_pk = self.organisations_by_id[ready.structure_id][0]
            if org_pk is not None:
                self.structures[key] = org_pk
                found[index] = org_pk
            elif final:
                self.reject(
                    ready,
                    ready.key[1],
                    [
                        (
                            "structure_id",
                            f"structure « {ready.structure_id} » introuvable : ni dans le fichier, "
                            f"ni parmi les structures du territoire {self.territory}",
                        )
                    ],
                )
            else:
                self._defer(ready)
        return found

    def _defer(self, ready: _Ready) -> None:
        if self.deferred is None:
            self.deferred = tempfile.TemporaryFile()  # noqa: SIM115 - closed in finish()
        pickle.dump(ready, self.deferred, protocol=pickle.HIGHEST_PROTOCOL)
        self.deferred_count += 1

    def flush_services(self, final: bool = False) -> None:
        batch, self.batches[SERVICE] = self.batches[SERVICE], []
        if not batch:
            return
        counts = self.report.counts[SERVICE]
        org_pks = self._resolve(batch, final)
        if not org_pks:
            return
        known = self.known_services
        newer = {
            index
            for index in org_pks
            if (row := known.get(batch[index].key)) is None or batch[index].updated_on > row[1]
        }
        counts["unchanged"] += len(org_pks) - len(newer)
        if not newer:
            return
        # Only the services to update are loaded whole, with the sites their facets need.
        existing = Service.objects.prefetch_related("sites__commune", "sites__qpv").in_bulk(
            [known[batch[i].key][0] for i in newer if batch[i].key in known]
        )
        organisations = Organisation.objects.in_bulk({org_pks[i] for i in newer if org_pks[i] is not None})
        done = []
        for index in sorted(newer):
            ready, org_pk = batch[index], org_pks[index]
            row = known.get(ready.key)
            service = existing[row[0]] if row else None
            if service is None:
                service = _new_service(ready)
                counts["created"] += 1
            else:
                for name, value in ready.values.items():
                    setattr(service, name, value)
                counts["updated"] += 1
            if org_pk is not None:
                service.organisation = organisations[org_pk]
            service.updated_on = ready.updated_on
            service.commune = self.communes.get(ready.code_insee) if ready.code_insee else None
            done.append((ready, service))
        if not self.writes or not done:
            return
        self._locate([s for _, s in done])
        now = timezone.now()
        for ready, service in done:
            # The record validated on reading holds the same values as the stored service: its
            # official score is what data_inclusion.quality(service) would compute.
            service.quality_score = score_of(ready.model)
            if service.pk is not None:
                service.modified_at = now
        fields = [
            *SERVICE_FIELDS,
            "organisation",
            "commune",
            "qpv",
            "updated_on",
            "quality_score",
            "modified_at",
        ]
        self._write(done, lambda items: self._save_services([s for _, s in items], fields))

    def _save_services(self, items: list[Service], fields: list[str]) -> None:
        new = [s for s in items if s.pk is None]
        old = [s for s in items if s.pk is not None]
        facets = {id(s): partner_services.facets_for(s) for s in items}
        for service in items:  # what Service.save would do; the bulk paths bypass it
            service.search_text = service_search_text(service.name, service.description)
        _insert_services(new)
        Service.objects.bulk_update(old, [*fields, "search_text"], batch_size=BATCH_SIZE)
        ServiceFacet.objects.filter(service__in=old).delete()
        _insert_facets([(s.pk, f, v) for s in items for f, v in facets[id(s)]])

    # Shared.

    def _locate(self, objs: list) -> None:
        """What ``services.locate`` does to each object, with one vectorised call for the batch."""
        from cite_emploi.territory.locator import get_locator

        with_point = [o for o in objs if o.longitude is not None and o.latitude is not None]
        for obj in objs:
            if obj.longitude is None or obj.latitude is None:
                obj.qpv = None
        if not with_point:
            return
        locator = get_locator()
        if len(with_point) >= 100:
            locator.grid  # noqa: B018 - built once (0.1 s); then most points need no geometric test
        found = locator.locate_batch([o.longitude for o in with_point], [o.latitude for o in with_point])
        for i, obj in enumerate(with_point):
            code = found.qpv_code(i)
            obj.qpv = self.qpvs.get(code) if code else None
            commune_code = found.commune_code(i)
            if obj.commune_id is None and commune_code:
                obj.commune = self.communes.get(commune_code)
            if obj.commune_id and not obj.commune_name:
                obj.commune_name = obj.commune.name

    def _write(self, done: list[tuple[_Ready, object]], save: Callable[[list], None]) -> None:
        """Write a batch in a savepoint; if the database refuses it, record by record."""
        new = [obj.pk is None for _, obj in done]
        try:
            with transaction.atomic():
                save(done)
            return
        except DatabaseError:
            _forget(done, new)
        for item, is_new in zip(done, new, strict=True):
            try:
                with transaction.atomic():
                    save([item])
            except DatabaseError as exc:
                _forget([item], [is_new])
                ready = item[0]
                self.report.counts[ready.kind]["created" if is_new else "updated"] -= 1
                if ready.kind == STRUCTURE:
                    self.rejected_structures.add(ready.key)
                    self.structures.pop(ready.key, None)
                self.reject(
                    ready, ready.key[1], [("enregistrement", f"refusé par la base de données ({exc})")]
                )


def _adapter(field) -> Callable:
    """How the backend wants a value of ``field`` (what ``get_db_prep_save`` ends up doing)."""
    ops = connection.ops
    kind = field.get_internal_type()
    if kind == "JSONField":
        return lambda value: None if value is None else ops.adapt_json_value(value, field.encoder)
    if kind == "DateField":
        return ops.adapt_datefield_value
    if kind == "DateTimeField":
        return ops.adapt_datetimefield_value
    if kind in (
        "CharField",
        "TextField",
        "URLField",
        "EmailField",
        "FloatField",
        "ForeignKey",
    ) or kind.endswith("IntegerField"):
        return _same
    return lambda value: field.get_db_prep_save(value, connection)


def _same(value):
    return value


@functools.cache
def _service_template() -> tuple[list, dict[str, int]]:
    """Default values of every column of a service, in order, and the position of each field."""
    fields = Service._meta.concrete_fields
    return [f.get_default() for f in fields], {f.attname: i for i, f in enumerate(fields)}


def _new_service(ready: _Ready) -> Service:
    """A new, unsaved service; positional arguments are Django's fast path (forty fields)."""
    template, position = _service_template()
    args = [value.copy() if isinstance(value, list | dict) else value for value in template]
    args[position["source"]] = ready.key[0]
    args[position["external_id"]] = ready.key[1]
    for name, value in ready.values.items():
        args[position[name]] = value
    return Service(*args)


def _insert_services(services: list[Service]) -> None:
    """``bulk_create`` without its per-row SQL compilation: one statement, ``executemany``.

    Services have forty columns; Django's compiler costs more than the database here (SQLite takes
    24 rows per statement). Field values go through the backend's own adapters and ``pre_save``
    (so ``created_at``/``modified_at`` are set as by ``save``); the new ids are read back by identity.
    """
    if not services:
        return
    fields = [f for f in Service._meta.concrete_fields if not f.primary_key]
    read = operator.attrgetter(*(f.attname for f in fields))
    now = timezone.now()
    special = []  # (position, adapter) of the values that are not passed as they are
    stamps = []  # (position, value) of created_at and modified_at, the same for the whole batch
    for position, model_field in enumerate(fields):
        adapt = _adapter(model_field)
        if getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add", False):
            stamps.append((position, adapt(now)))
        elif adapt is not _same:
            special.append((position, adapt))
    rows = []
    for service in services:
        row = list(read(service))
        for position, adapt in special:
            row[position] = adapt(row[position])
        for position, stamp in stamps:
            row[position] = stamp
        rows.append(row)
    for service in services:
        service.created_at = service.modified_at = now
    _insert_rows(Service._meta.db_table, [f.column for f in fields], rows)
    by_key = {(s.organisation_id, s.source, s.external_id): s for s in services}
    ids = Service.objects.filter(
        organisation_id__in={s.organisation_id for s in services},
        source__in={s.source for s in services},
        external_id__in=[s.external_id for s in services],
    ).values_list("organisation_id", "source", "external_id", "pk")
    for org_id, source, external_id, pk in ids:
        if (service := by_key.get((org_id, source, external_id))) is not None:
            service.pk = pk
            service._state.adding = False


def _insert_facets(rows: list[tuple[int, str, str]]) -> None:
    """Facet rows are many (about a dozen per service) and tiny: inserted without model instances."""
    columns = [ServiceFacet._meta.get_field(name).column for name in ("service", "facet", "value")]
    _insert_rows(ServiceFacet._meta.db_table, columns, rows)


def _insert_rows(table: str, columns: list[str], rows: list[tuple]) -> None:
    """Insert rows of adapted values the fastest way the engine offers: ``COPY`` on PostgreSQL
    (ten times faster than multi-row ``INSERT``), ``executemany`` elsewhere (a loop in C on SQLite)."""
    if not rows:
        return
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(
                f"INSERT INTO {quote(table)} ({names}) VALUES ({', '.join(['%s'] * len(columns))})", rows
            )


def _forget(items, new) -> None:
    """After a rolled-back savepoint, objects created in it are not in the database any more."""
    for (_, obj), is_new in zip(items, new, strict=True):
        if is_new:
            obj.pk = None
            obj._state.adding = True


def _effective_date(org: Organisation) -> date | None:
    """The ``date_maj`` our export gives an organisation (``data_inclusion.structure_record``)."""
    if org.updated_on:
        return org.updated_on
    return org.modified_at.date() if org.modified_at else None


def _note_kind(note: str) -> str:
    """« profils=[a] → publics=[b] » → « profils → publics »: what the summary counts."""
    if " : " in note and "=" not in note.split(" : ", 1)[0]:
        return note.split(" : ", 1)[0]
    return re.sub(r"=(\[[^\]]*\]|«[^»]*»|\S+)", "", note)


def default_territory() -> Territory | None:
    """The territory an import or export uses when none is named: the first real (non-demo) one, by name."""
    return Territory.objects.filter(is_demo=False).order_by("name").first()


def import_offer(
    files: OfferFile | Iterable[OfferFile],
    *,
    territory: Territory,
    partial: bool = False,
    dry_run: bool = False,
    by=None,
    request=None,
) -> ImportReport:
    """Import structures and services into ``territory``; never raises for a bad file."""
    files = [files] if isinstance(files, OfferFile) else list(files)
    report = ImportReport(", ".join(f.name for f in files), territory, partial=partial, dry_run=dry_run)
    try:
        with transaction.atomic():
            importer = _Importer(territory, report)
            read = 0
            for offer_file in files:
                for raw in read_records(offer_file, report.warnings):
                    read += 1
                    importer.add(raw)
            if not read:
                raise OfferFileError("Le fichier ne contient aucune structure ni aucun service.")
            importer.finish()
            if dry_run or report.nothing_imported_because_of_errors or not report.accepted:
                raise _Rollback
            audit.record(
                "create",
                actor=by,
                object_type="partners.offer_import",
                territory_id=territory.pk,
                request=request,
                **report.summary(),
            )
            report.committed = True
    except _Rollback:
        pass
    except OfferFileError as exc:
        report.file_errors.append(str(exc))
    except DatabaseError as exc:
        report.file_errors.append(f"Erreur de la base de données, rien n'a été importé ({exc}).")
    report.rejections.sort(key=lambda r: (r.kind != STRUCTURE, r.where, r.line))
    return report
