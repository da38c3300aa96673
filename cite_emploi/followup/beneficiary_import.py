"""Import of beneficiaries from a partner's spreadsheet (CSV or XLSX) into one organisation.

One entry point, ``import_beneficiaries``, for the command line (``cite-emploi import-beneficiaries``)
and the background task of the web pages. The file is read as a stream (``beneficiary_files``), each
line is checked (``beneficiary_values``: French messages naming the line, the column and what is
expected), then valid lines are written in batches of ``BATCH_SIZE``.

Choices (issue 4, item 10, where it is silent; decision record: docs/adr/0006-beneficiary-import.md):

* **Who.** The importing professional must be an active coordinator or counsellor of the
  organisation. Each person gets a follow-up in that organisation with the importer as referent
  (« import de fichier »), exactly what ``services.create_beneficiary`` does for one person. No
  consent is assumed: the records stay inside the organisation until consent is recorded.
* **Duplicates are skipped, never joined.** The rule is the one of ``duplicates.py`` (same France
  Travail identifier, or same birth date and names within one typo, first and last names possibly
  swapped), against every beneficiary of the territory and against the earlier lines of the file. A
  duplicate line is not imported and the report says so (« doublon »), naming the organisation that
  follows the person, as the one-by-one form does; joining someone else's follow-up needs its
  referent's agreement (« demander à rejoindre le suivi »), which a file cannot give. Duplicates are
  not errors: re-importing the same file creates nothing and succeeds.
* **All or nothing** by default: one line in error and nothing is written. With ``partial`` (the
  user accepted a partial import), lines in error are left out and the others imported.
* **Dry run** does everything in a transaction, then rolls back: the report is the one the import
  would give, duplicates inside the file included.
* **Location.** Coordinates in the file are placed with the QPV locator in one call per batch (as a
  point on the map); otherwise, if asked and a geocoder is configured, addresses are geocoded with
  the batch (CSV) API, one request per batch (an unknown address, or a geocoder failure, leaves the
  person without QPV, with a warning, never an error); otherwise a QPV code column places the person
  as if chosen by hand; the commune comes from the INSEE code, else from the postcode when it names
  one commune. A valid commune code the platform does not know (no QPV) leaves the commune empty.
* **Audit.** One « create » entry per person (``what`` « fiche », with the import's number), written
  in bulk, and one entry for the import itself with its counts. Messages never quote names, dates or
  contact details (see ``beneficiary_values``).
* **Speed.** Batches are written with one ``executemany`` or ``COPY`` per table (beneficiaries,
  follow-ups, members, timeline lines, audit entries; see ``beneficiary_writes``); duplicates are looked up with one query per batch; memory does not grow with
  the file (the ids created are kept in two compact arrays, and the report keeps its first
  ``MAX_REPORT_LINES`` lines, every line being counted). On SQLite the import holds the write lock
  for its whole duration (about half a minute for 100,000 lines).
"""

from __future__ import annotations

import bisect
import functools
import itertools
import logging
import uuid
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import DatabaseError, transaction
from django.utils import timezone

from cite_emploi.accounts.models import Membership
from cite_emploi.core import audit
from cite_emploi.core.models import AuditEntry
from cite_emploi.partners.models import Organisation
from cite_emploi.territory.geocoder import GeocoderError, get_geocoder
from cite_emploi.territory.models import QPV, Commune
from cite_emploi.territory.queries import perimeter_pairs

from . import beneficiary_files as files
from .beneficiary_files import FileInfo, ImportFileError, ImportSource
from .beneficiary_mapping import MappingError, check_mapping
from .beneficiary_values import Row, RowParser
from .beneficiary_writes import Table
from .duplicates import compact_name, similar_compact_names
from .models import (
    Beneficiary,
    FollowUp,
    FollowUpMember,
    LocatedBy,
    TimelineEvent,
    search_key,
)

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
MAX_REPORT_LINES = 2000
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MEMBER_ROLES = ("coordinator", "counsellor")
GEOCODER_MIN_SCORE = 0.5
IMPORT_REASON = "import de fichier"

ERROR, DUPLICATE, WARNING = "erreur", "doublon", "avertissement"


class _Rollback(Exception):
    pass


# -- Report -----------------------------------------------------------------------------------


@dataclass
class ReportLine:
    line: int
    column: str
    message: str
    kind: str = ERROR


@dataclass
class ImportReport:
    filename: str
    organisation: str = ""
    dry_run: bool = False
    partial: bool = False
    run_id: str = ""
    counts: Counter = field(default_factory=Counter)
    lines: list[ReportLine] = field(default_factory=list)
    lines_hidden: int = 0
    file_errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    committed: bool = False

    def add(self, line: int, column: str, message: str, kind: str = ERROR) -> None:
        if len(self.lines) < MAX_REPORT_LINES:
            self.lines.append(ReportLine(line, column, message, kind))
        else:
            self.lines_hidden += 1

    @property
    def rejected(self) -> int:
        return self.counts["rejected"]

    @property
    def duplicates(self) -> int:
        return self.counts["duplicates_file"] + self.counts["duplicates_territory"]

    @property
    def created(self) -> int:
        return self.counts["created"]

    @property
    def refused(self) -> bool:
        """The file was refused: unreadable, or lines in error without partial import, or nothing valid."""
        return bool(self.file_errors) or (
            self.rejected > 0 and (not self.partial or self.counts["valid"] == 0)
        )

    @property
    def outcome(self) -> str:
        """One French sentence saying what happened."""
        if self.file_errors:
            return "Fichier refusé : rien n'a été importé."
        if self.dry_run:
            created = "seraient créées" if self.created > 1 else "serait créée"
        else:
            created = "créées" if self.created > 1 else "créée"
        done = (
            f"{_plural(self.created, 'personne', 'personnes')} {created}"
            f", {_plural(self.duplicates, 'doublon ignoré', 'doublons ignorés')}"
        )
        errors = _plural(self.rejected, "ligne en erreur", "lignes en erreur")
        if self.dry_run:
            if self.refused:
                return (
                    f"Simulation : rien n'a été enregistré. En l'état, l'import serait refusé : {errors}. "
                    "Corrigez le fichier, ou acceptez un import partiel des lignes valides."
                    if self.counts["valid"]
                    else f"Simulation : rien n'a été enregistré. Aucune ligne valide ({errors})."
                )
            return f"Simulation : rien n'a été enregistré. L'import donnerait : {done}" + (
                f", {errors} écartées." if self.rejected else "."
            )
        if self.refused:
            if self.counts["valid"] == 0:
                return f"Rien n'a été importé : aucune ligne valide ({errors})."
            return (
                f"Rien n'a été importé : {errors}. Corrigez le fichier, ou acceptez un import partiel "
                "pour importer les lignes valides."
            )
        if self.rejected:
            return f"Import partiel réussi : {done} ; {errors} écartées."
        return f"Import réussi : {done}."

    def as_dict(self) -> dict:
        """What an import job keeps (JSON)."""
        return {
            "counts": dict(self.counts),
            "lines": [[r.line, r.column, r.message, r.kind] for r in self.lines],
            "lines_hidden": self.lines_hidden,
            "file_errors": self.file_errors,
            "warnings": self.warnings,
            "outcome": self.outcome,
            "refused": self.refused,
            "committed": self.committed,
        }

    def summary(self) -> dict:
        """What the audit log keeps of an import (counts only)."""
        keys = ("lines", "valid", "rejected", "created", "duplicates_file", "duplicates_territory")
        return {"import": self.run_id, "partiel": self.partial, **{k: self.counts[k] for k in keys}}


def _number(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")


def _plural(n: int, one: str, many: str) -> str:
    return f"{_number(n)} {one if n <= 1 else many}"


def report_lines(report: ImportReport) -> list[str]:
    """The report as plain French text, for the command line."""
    mode = ("import partiel accepté" if report.partial else "tout ou rien") + (
        ", simulation" if report.dry_run else ""
    )
    out = [f"Import de bénéficiaires : {report.filename} — {report.organisation}", f"Mode : {mode}"]
    out.append(report.outcome)
    out += [f"Erreur : {m}" for m in report.file_errors]
    out += [f"Avertissement : {m}" for m in report.warnings]
    if not report.file_errors:
        c = report.counts
        out.append(
            f"Lignes lues : {_number(c['lines'])} ; valides : {_number(c['valid'])} ; en erreur : "
            f"{_number(c['rejected'])} ; doublons dans le fichier : {_number(c['duplicates_file'])} ; "
            f"déjà suivies sur le territoire : {_number(c['duplicates_territory'])}."
        )
        out.append(
            f"Localisation : {_number(c['in_qpv'])} en QPV dont {_number(c['in_perimeter'])} dans le "
            f"périmètre ; {_number(c['geocoded'])} adresses géocodées, {_number(c['not_geocoded'])} introuvables."
        )
    if report.lines:
        out.append("")
        out.append("Détail (ligne, colonne : message) :")
        for r in report.lines:
            column = f", colonne « {r.column} »" if r.column else ""
            out.append(f"  ligne {r.line}{column} : [{r.kind}] {r.message}")
        if report.lines_hidden:
            out.append(
                f"  … et {_plural(report.lines_hidden, 'autre ligne', 'autres lignes')} non détaillées."
            )
    return out


# -- Checks before reading -------------------------------------------------------------------


def check_importer(organisation, by) -> None:
    """The importer must be an active professional of the organisation (``PermissionError``, in French)."""
    if by is None or not getattr(by, "is_active", False):
        raise PermissionError("Un import doit être fait au nom d'un professionnel actif de l'organisation.")
    if (
        not Membership.objects.active()
        .filter(user=by, organisation=organisation, role__in=MEMBER_ROLES)
        .exists()
    ):
        raise PermissionError(
            f"{by.email} n'est pas conseiller·ère ni coordinateur·rice de « {organisation.name} » : "
            "on ne peut importer que dans sa propre organisation."
        )


# -- The importer -----------------------------------------------------------------------------


@dataclass
class _Candidate:
    pk: int | None  # None: a line of the current batch, not written yet
    line: int | None
    first: str
    last: str


class _Importer:
    def __init__(self, report: ImportReport, *, organisation, by, geocode: bool):
        self.report = report
        self.organisation = organisation
        self.territory = organisation.territory
        self.by = by
        self.pairs = perimeter_pairs(self.territory.current_perimeter)
        self.qpv_communes: dict[str, list[str]] = defaultdict(list)
        for qpv_code, commune_code in sorted(self.pairs):
            self.qpv_communes[qpv_code].append(commune_code)
        self.qpvs = dict(QPV.objects.filter(geography_year=2024).values_list("code", "pk"))
        self.communes: dict[str, int] = {}
        by_postcode: dict[str, list[str]] = defaultdict(list)
        for code, pk, postcodes in Commune.objects.values_list("code", "pk", "postcodes"):
            self.communes[code] = pk
            for postcode in postcodes or ():
                by_postcode[postcode].append(code)
        mine = set(self.territory.communes.values_list("code", flat=True))
        self.postcode_commune: dict[str, str] = {}
        for postcode, codes in by_postcode.items():
            local = [c for c in codes if c in mine]
            chosen = local if local else codes
            if len(chosen) == 1:
                self.postcode_commune[postcode] = chosen[0]
        self.geocoder = None
        if geocode:
            try:
                self.geocoder = get_geocoder()
            except GeocoderError as exc:
                report.warnings.append(f"{exc.message} Les adresses sont importées sans quartier.")
            if self.geocoder is None and not report.warnings:
                report.warnings.append(
                    "Aucun service d'adresses n'est configuré : les adresses sont importées sans quartier."
                )
        self.people = Table(
            Beneficiary,
            ["id", "territory_id", "created_by_organisation_id", "updated_by_id", "first_name", "last_name",
             "birth_date", "sex", "phone", "email", "address", "postcode", "commune_id", "longitude", "latitude",
             "qpv_id", "in_perimeter", "located_by", "france_travail_id", "diploma_level", "search_name"],
            with_id=True,
        )  # fmt: skip
        self.follow_ups = Table(
            FollowUp, ["id", "beneficiary_id", "opened_on", "last_activity_at"], with_id=True
        )
        self.members = Table(
            FollowUpMember,
            ["follow_up_id", "organisation_id", "user_id", "is_referent", "started_on", "reason"],
        )
        self.events = Table(
            TimelineEvent, ["follow_up_id", "kind", "at", "author_id", "organisation_id", "text"]
        )
        self.audit = Table(
            AuditEntry, ["action", "actor_id", "object_type", "object_id", "territory_id", "detail"]
        )
        # Names repeat (first names above all) and candidates come back batch after batch: folding is
        # cached, within a bound so that memory stays flat.
        self.compact = functools.lru_cache(maxsize=8192)(compact_name)
        self.batch: list[Row] = []
        # The ids created so far and their lines, in creation order (ids increase): 12 bytes a person.
        self.created_pks = array("q")
        self.created_lines = array("i")
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.referent_text = (
            f"Entrée dans le suivi par import de fichier ; référent·e de parcours : "
            f"{by.get_full_name() or by.email} ({organisation.name})."
        )

    def close(self) -> None:
        if self.geocoder is not None:
            self.geocoder.close()

    def add(self, row: Row) -> None:
        self.batch.append(row)
        if len(self.batch) >= BATCH_SIZE:
            self.flush()

    def flush(self) -> None:
        batch, self.batch = self.batch, []
        if not batch:
            return
        kept = self._drop_duplicates(batch)
        if not kept:
            return
        self._locate(kept)
        self._write(kept)

    # Duplicates.

    def _drop_duplicates(self, batch: list[Row]) -> list[Row]:
        dates = {row.birth_date for row in batch}
        ft_ids = {row.france_travail_id for row in batch if row.france_travail_id}
        by_date: dict = defaultdict(list)
        by_ft: dict[str, _Candidate] = {}
        compact = self.compact
        people = Beneficiary.objects.filter(territory=self.territory, anonymised_at__isnull=True)
        fields = ("pk", "first_name", "last_name", "birth_date", "france_travail_id")
        # Two queries rather than one with OR, and no ORDER BY: each follows its own index (an
        # ORDER BY pk may let PostgreSQL walk the whole table in key order). Sorted here instead, so
        # the earliest record (or line) is the one a duplicate is reported against.
        found = sorted(people.filter(birth_date__in=dates).values_list(*fields))
        if ft_ids:
            found += sorted(people.filter(france_travail_id__in=ft_ids).values_list(*fields))
        for pk, first, last, born, ft_id in found:
            candidate = _Candidate(pk, None, compact(first), compact(last))
            if born in dates:
                by_date[born].append(candidate)
            if ft_id in ft_ids:
                by_ft.setdefault(ft_id, candidate)
        kept: list[Row] = []
        in_territory: list[tuple[Row, int]] = []
        for row in batch:
            first, last = compact(row.first_name), compact(row.last_name)
            match = by_ft.get(row.france_travail_id) if row.france_travail_id else None
            if match is None:
                match = next(
                    (
                        c
                        for c in by_date[row.birth_date]
                        if similar_compact_names(first, last, c.first, c.last)
                    ),
                    None,
                )
            if match is None:
                mine = _Candidate(None, row.line, first, last)
                by_date[row.birth_date].append(mine)
                if row.france_travail_id:
                    by_ft.setdefault(row.france_travail_id, mine)
                kept.append(row)
                continue
            line = match.line if match.pk is None else self._line_of(match.pk)
            if line is not None:
                self.report.counts["duplicates_file"] += 1
                self.report.add(
                    row.line,
                    "",
                    f"même personne que la ligne {line} du fichier : ligne ignorée.",
                    DUPLICATE,
                )
            else:
                self.report.counts["duplicates_territory"] += 1
                in_territory.append((row, match.pk))
        if in_territory:
            self._report_followed(in_territory)
        return kept

    def _line_of(self, pk: int) -> int | None:
        index = bisect.bisect_left(self.created_pks, pk)
        if index < len(self.created_pks) and self.created_pks[index] == pk:
            return self.created_lines[index]
        return None

    def _report_followed(self, found: list[tuple[Row, int]]) -> None:
        """Name the organisation that follows each person found: its referent's, else the record's."""
        pks = {pk for _, pk in found}
        # Three single-table lookups by key rather than one join: in the middle of a long import the
        # planner's statistics lag far behind the tables, and PostgreSQL would walk every member.
        follow_ups = dict(FollowUp.objects.filter(beneficiary_id__in=pks).values_list("pk", "beneficiary_id"))
        organisation_of = dict(
            Beneficiary.objects.filter(pk__in=pks).values_list("pk", "created_by_organisation_id")
        )
        referents = FollowUpMember.objects.filter(
            follow_up_id__in=list(follow_ups), is_referent=True, ended_on__isnull=True
        ).values_list("follow_up_id", "organisation_id")
        for follow_up_id, organisation_id in referents:
            organisation_of[follow_ups[follow_up_id]] = organisation_id
        names = dict(
            Organisation.objects.filter(pk__in=set(organisation_of.values())).values_list("pk", "name")
        )
        for row, pk in found:
            who = names.get(organisation_of.get(pk), "")
            if organisation_of.get(pk) == self.organisation.pk:
                text = "personne déjà enregistrée dans votre organisation : ligne ignorée."
            else:
                text = (
                    f"personne déjà suivie sur le territoire par « {who} » : ligne ignorée. Pour "
                    "travailler avec son suivi, demandez à le rejoindre depuis « Nouvelle personne »."
                )
            self.report.add(row.line, "", text, DUPLICATE)

    # Location.

    def _locate(self, rows: list[Row]) -> None:
        """Sets ``row.place`` = (commune code, QPV code, in perimeter, located_by, lon, lat) on each row."""
        points: list[tuple[Row, float, float, str | None, str]] = []
        to_geocode = []
        for row in rows:
            row.place = self._by_hand(row)
            if row.longitude is not None:
                points.append((row, row.longitude, row.latitude, None, LocatedBy.MAP))
            elif self.geocoder is not None and row.address:
                to_geocode.append(row)
        if to_geocode:
            points += self._geocode(to_geocode)
        if not points:
            return
        from cite_emploi.territory.locator import get_locator

        found = get_locator().locate_batch(
            [p[1] for p in points], [p[2] for p in points], perimeter=self.pairs
        )
        for i, (row, lon, lat, citycode, located_by) in enumerate(points):
            qpv = found.qpv_code(i)
            commune = citycode or found.commune_code(i) or row.place[0]
            in_perimeter = bool(found.dans_perimetre[i])
            if qpv and citycode:
                # The geocoder's INSEE code beats the coarse commune outlines (ADR 0002), as in locate_at.
                in_perimeter = (qpv, citycode) in self.pairs
            row.place = (commune, qpv, in_perimeter, located_by, lon, lat)

    def _by_hand(self, row: Row) -> tuple:
        commune = row.commune_code if row.commune_code in self.communes else ""
        if not commune and not row.commune_code and row.postcode:
            commune = self.postcode_commune.get(row.postcode, "")
        if not row.qpv_code:
            return (commune, None, False, LocatedBy.NONE, None, None)
        # As services.locate_by_hand: the QPV chosen, its only commune of the perimeter if none given.
        communes = self.qpv_communes.get(row.qpv_code, [])
        if not commune and len(communes) == 1:
            commune = communes[0]
        in_perimeter = commune in communes if commune else bool(communes)
        return (commune, row.qpv_code, in_perimeter, LocatedBy.MANUAL, None, None)

    def _geocode(self, rows: list[Row]) -> list:
        points = []
        queries = (
            {"adresse": r.address, "code_postal": r.postcode, "code_insee": r.commune_code} for r in rows
        )
        try:
            answers = self.geocoder.geocode_csv(
                queries,
                columns=["adresse", "code_postal"],
                citycode_column="code_insee",
                chunk_size=BATCH_SIZE,
            )
            for row, (_, found) in zip(rows, answers, strict=True):
                if found is None or found.score < GEOCODER_MIN_SCORE:
                    self.report.counts["not_geocoded"] += 1
                    self.report.add(
                        row.line,
                        "",
                        "adresse introuvable avec certitude : personne importée sans quartier "
                        "(à situer depuis sa fiche).",
                        WARNING,
                    )
                    continue
                self.report.counts["geocoded"] += 1
                points.append((row, found.lon, found.lat, found.citycode, LocatedBy.GEOCODER))
        except GeocoderError as exc:
            self.report.warnings.append(
                f"{exc.message} Les adresses à partir de la ligne {rows[0].line} sont importées sans quartier."
            )
            self.geocoder.close()
            self.geocoder = None
            return []
        return points

    # Writes.

    def _write(self, rows: list[Row]) -> None:
        """Five inserts a batch: people, follow-ups, referents, timeline lines, audit entries."""
        counts = self.report.counts
        org_id, user_id, territory_id = self.organisation.pk, self.by.pk, self.territory.pk
        people_ids = self.people.reserve_ids(len(rows))
        follow_up_ids = self.follow_ups.reserve_ids(len(rows))
        people = []
        for pk, row in zip(people_ids, rows, strict=True):
            commune, qpv, in_perimeter, located_by, lon, lat = row.place
            counts["in_qpv"] += qpv is not None
            counts["in_perimeter"] += in_perimeter
            people.append(
                (pk, territory_id, org_id, user_id, row.first_name, row.last_name, row.birth_date, row.sex,
                 row.phone, row.email, row.address, row.postcode, self.communes.get(commune), lon, lat,
                 self.qpvs.get(qpv) if qpv else None, in_perimeter, located_by, row.france_travail_id,
                 row.diploma_level, search_key(row.first_name, row.last_name))
            )  # fmt: skip
        self.people.insert(people)
        self.follow_ups.insert(
            [(pk, person, self.today, self.now) for pk, person in zip(follow_up_ids, people_ids, strict=True)]
        )
        self.members.insert([(pk, org_id, user_id, True, self.today, IMPORT_REASON) for pk in follow_up_ids])
        member = TimelineEvent.Kind.MEMBER
        self.events.insert(
            [(pk, member, self.now, user_id, org_id, self.referent_text) for pk in follow_up_ids]
        )
        detail = {"what": "fiche", "import": self.report.run_id}
        label, create = Beneficiary._meta.label_lower, AuditEntry.Action.CREATE
        self.audit.insert([(create, user_id, label, str(pk), territory_id, detail) for pk in people_ids])
        self.created_pks.extend(people_ids)
        self.created_lines.extend(row.line for row in rows)
        counts["created"] += len(rows)


# -- Entry point ------------------------------------------------------------------------------


def import_beneficiaries(
    source: ImportSource,
    *,
    organisation,
    by,
    mapping: dict[str, str],
    dry_run: bool = False,
    partial: bool = False,
    geocode: bool = False,
    info: FileInfo | None = None,
    progress: Callable[[int, int | None], None] | None = None,
    run_id: str | None = None,
    request=None,
) -> ImportReport:
    """Import the people of ``source`` into ``organisation`` with ``by`` as referent; never raises for a bad file.

    ``progress(lines_done, total_lines)`` is called after each batch.
    """
    report = ImportReport(
        source.name,
        organisation.name,
        dry_run=dry_run,
        partial=partial,
        run_id=run_id or uuid.uuid4().hex[:12],
    )
    importer = None
    try:
        check_importer(organisation, by)
        info = info or files.inspect(source)
        report.warnings.extend(info.warnings)
        positions = check_mapping(mapping, info.headers)
        qpv_codes = frozenset(QPV.objects.filter(geography_year=2024).values_list("code", flat=True))
        parser = RowParser(positions, info.headers, qpv_codes)
        with transaction.atomic():
            importer = _Importer(report, organisation=organisation, by=by, geocode=geocode)
            counts = report.counts
            for chunk in _chunks(files.rows(source, info), BATCH_SIZE):
                for line, cells in chunk:
                    counts["lines"] += 1
                    row, errors = parser.parse(line, cells)
                    if row is None:
                        counts["rejected"] += 1
                        for column, message in errors:
                            report.add(line, column, message)
                        continue
                    counts["valid"] += 1
                    importer.add(row)
                if progress is not None:
                    progress(counts["lines"], info.total_rows)
            importer.flush()
            if not counts["lines"]:
                raise ImportFileError(f"{source.name} : aucune ligne de données sous la ligne des titres.")
            if progress is not None:
                progress(counts["lines"], counts["lines"])
            if dry_run or report.refused or not report.created:
                raise _Rollback
            audit.record(
                "create",
                actor=by,
                object_type="followup.beneficiary_import",
                object_id=report.run_id,
                territory_id=organisation.territory_id,
                request=request,
                organisation=organisation.pk,
                **report.summary(),
            )
            report.committed = True
    except _Rollback:
        pass
    except (ImportFileError, MappingError) as exc:
        report.file_errors.append(str(exc))
    except PermissionError as exc:
        report.file_errors.append(str(exc))
    except DatabaseError as exc:
        logger.exception("Beneficiary import failed in the database")
        report.file_errors.append(
            f"Erreur de la base de données, rien n'a été importé ({exc.__class__.__name__})."
        )
    finally:
        if importer is not None:
            importer.close()
    if not report.committed:
        report.counts["created_rolled_back"] = report.counts["created"]
        if not dry_run:
            report.counts["created"] = 0
    report.lines.sort(key=lambda r: r.line)
    return report


def _chunks(iterable, size: int):
    iterator = iter(iterable)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk
