"""Hypothesis on every file importer: whatever the bytes, no exception escapes, every bad line is reported.

The importers and what each promises:

* offer (``partners.offer_import.import_offer``; JSON, CSV, XLSX, ZIP): never raises; a file that
  cannot be read gives French ``file_errors``, each rejected record gives its French messages;
* QPV locator (``territory.locate_csv.locate_csv``): raises only ``LocateCsvError`` (a file it
  cannot process at all); otherwise every row is written and each bad row carries its message;
* beneficiaries (``followup.beneficiary_import.import_beneficiaries``; CSV, XLSX): never raises;
  every line is valid or rejected, and every rejected line has at least one message.

Inputs are random bytes, files built from random cells (text with control characters, numbers,
dates, empty cells) and valid files with random byte edits. Everything runs as a simulation
(``dry_run``), in the test's transaction. Examples are bounded and derandomised, so that the run
is quick and repeatable; set ``HYPOTHESIS_FUZZ_EXAMPLES`` for a longer exploration.
"""

import csv
import io
import json
import os
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cite_emploi.followup.beneficiary_files import ImportSource
from cite_emploi.followup.beneficiary_import import ERROR, MAX_REPORT_LINES, import_beneficiaries
from cite_emploi.partners.offer_import import OfferFile, import_offer, report_lines
from cite_emploi.territory.locate_csv import LocateCsvError, locate_csv
from tests.accounts.factories import member
from tests.followup.factories import organisation_of

EXAMPLES = int(os.environ.get("HYPOTHESIS_FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=not os.environ.get("HYPOTHESIS_FUZZ_EXAMPLES"),
    suppress_health_check=list(HealthCheck),
)
OFFER_SEED = Path(__file__).parent / "partners" / "data" / "offre_v1.json"

# -- Shared strategies ---------------------------------------------------------------------------

junk_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
plausible = st.sampled_from(
    ["", " ", "2025-01-10", "10/01/2025", "31/02/2024", "F", "M", "Femme", "94000", "94028", "QN09405M",
     "2,46977", "48,7771", "2.46977", "48.7771", "NaN", "-1e309", "1" * 40, "=1+1", '"', ";", "\r\n", "\x00",
     "mission-locale", "trouver-un-emploi", "a@b", "06 12 34 56 78", "é" * 300]
)  # fmt: skip
cell = st.one_of(plausible, junk_text)
xlsx_cell = st.one_of(
    cell.map(lambda text: "".join(c for c in text if c.isprintable())),  # openpyxl refuses control chars
    st.none(),
    st.integers(-(10**15), 10**15),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates(min_value=date(1900, 1, 1)),
    st.datetimes(min_value=datetime(1900, 1, 1)),
    st.booleans(),
)


def rows_of(headers: list[str], cells, max_rows: int = 8):
    return st.lists(st.lists(cells, min_size=0, max_size=len(headers) + 2), max_size=max_rows)


@st.composite
def mutated(draw, content: bytes) -> bytes:
    """``content`` with a few random byte edits: replaced, inserted, deleted, or cut short."""
    data = bytearray(content)
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            break
        # A position drawn independently of the length: an .xlsx carries its save time, so its
        # length may change between runs, and hypothesis needs the same draws to replay a case.
        at = draw(st.integers(0, 2**20)) % len(data)
        edit = draw(st.sampled_from(["replace", "insert", "delete", "truncate"]))
        byte = draw(st.integers(0, 255))
        if edit == "replace":
            data[at] = byte
        elif edit == "insert":
            data.insert(at, byte)
        elif edit == "delete":
            del data[at]
        else:
            del data[at:]
    return bytes(data)


def csv_bytes(headers, rows, delimiter, encoding) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows([headers, *rows])
    return out.getvalue().encode(encoding, errors="replace")


def xlsx_bytes(sheets: dict[str, list[list]]) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def is_french_message(message) -> bool:
    # A message for a person: some text, and no Python internals leaking through.
    return isinstance(message, str) and message.strip() != "" and "Traceback" not in message


# -- Offer import --------------------------------------------------------------------------------

STRUCTURE_COLUMNS = ["source", "id", "nom", "date_maj", "siret", "code_postal", "reseaux_porteurs",
                     "longitude", "latitude", "courriel", "telephone"]  # fmt: skip
SERVICE_COLUMNS = ["source", "id", "structure_id", "nom", "description", "date_maj", "thematiques",
                   "publics", "frais", "modes_accueil", "code_insee"]  # fmt: skip
json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | cell,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(cell, children, max_size=3),
    max_leaves=6,
)


@st.composite
def offer_json(draw) -> bytes:
    """The valid seed file with random fields of its records set to random JSON values."""
    data = json.loads(OFFER_SEED.read_text())
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(["structures", "services"]))
        if not data.get(kind):
            continue
        record = draw(st.sampled_from(data[kind]))
        key = draw(st.sampled_from([*sorted(record), "champ_inconnu"]))
        record[key] = draw(json_value)
    return json.dumps(data, ensure_ascii=draw(st.booleans())).encode()


@st.composite
def offer_file(draw) -> tuple[str, bytes]:
    form = draw(st.sampled_from(["bytes", "json", "json-edited", "csv", "xlsx", "zip"]))
    if form == "bytes":
        return draw(st.sampled_from(["offre.json", "structures.csv", "offre.xlsx", "offre.zip"])), draw(
            st.binary(max_size=400)
        )
    if form == "json":
        return "offre.json", draw(offer_json())
    if form == "json-edited":
        return "offre.json", draw(mutated(OFFER_SEED.read_bytes()))
    delimiter = draw(st.sampled_from([",", ";"]))
    structures = csv_bytes(STRUCTURE_COLUMNS, draw(rows_of(STRUCTURE_COLUMNS, cell)), delimiter, "utf-8")
    services = csv_bytes(SERVICE_COLUMNS, draw(rows_of(SERVICE_COLUMNS, cell)), delimiter, "utf-8")
    if form == "csv":
        content = draw(st.sampled_from([structures, services]))
        name = "structures.csv" if content is structures else "services.csv"
        return name, draw(st.one_of(st.just(content), mutated(content)))
    if form == "zip":
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            archive.writestr("structures.csv", structures)
            archive.writestr("services.csv", services)
        return "offre.zip", out.getvalue()
    sheets = {
        "structures": [STRUCTURE_COLUMNS, *draw(rows_of(STRUCTURE_COLUMNS, xlsx_cell, 5))],
        "services": [SERVICE_COLUMNS, *draw(rows_of(SERVICE_COLUMNS, xlsx_cell, 5))],
    }
    content = xlsx_bytes(sheets)
    return "offre.xlsx", draw(st.one_of(st.just(content), mutated(content)))


@pytest.mark.django_db
def test_offer_import_reports_every_bad_record(gpsea):
    @FUZZ
    @given(file=offer_file(), partial=st.booleans())
    def check(file, partial):
        name, content = file
        report = import_offer(
            OfferFile(name, lambda: io.BytesIO(content)), territory=gpsea, partial=partial, dry_run=True
        )
        assert not report.committed
        assert all(is_french_message(m) for m in report.file_errors)
        if report.file_errors:
            return
        # Every rejected record is listed (up to the report's cap) with at least one message.
        assert report.rejected_records_listed == report.rejected or report.rejections_hidden > 0
        assert len(report.rejections) >= report.rejected_records_listed
        for rejection in report.rejections:
            assert rejection.line >= 1 and is_french_message(rejection.message), rejection
        assert report_lines(report) and is_french_message(report.outcome)

    check()


# -- QPV locator ---------------------------------------------------------------------------------

LOCATOR_COLUMNS = ["id", "lon", "lat", "adresse"]


@st.composite
def points_file(draw) -> bytes:
    form = draw(st.sampled_from(["bytes", "cells", "edited"]))
    if form == "bytes":
        return draw(st.binary(max_size=400))
    delimiter = draw(st.sampled_from([",", ";"]))
    coordinate = st.one_of(
        cell, st.floats(-200, 200).map(str), st.floats(1.4, 3.6).map(lambda x: f"{x:.5f}".replace(".", ","))
    )
    rows = draw(st.lists(st.tuples(cell, coordinate, coordinate, cell).map(list), max_size=10))
    content = csv_bytes(LOCATOR_COLUMNS, rows, delimiter, draw(st.sampled_from(["utf-8", "latin-1"])))
    return content if form == "cells" else draw(mutated(content))


def test_qpv_locator_reports_every_bad_row(tmp_path):
    source, target = tmp_path / "points.csv", tmp_path / "qpv.csv"

    @FUZZ
    @given(content=points_file())
    def check(content):
        source.write_bytes(content)
        try:
            stats = locate_csv(source, target)
        except LocateCsvError as exc:
            assert is_french_message(str(exc))
            return
        output = target.read_bytes()
        assert b"qpv_code" in output.splitlines()[0]
        assert stats.located + stats.errors <= stats.rows
        # Each error row carries a message that starts with its line number (« ligne N »).
        text = output.decode("utf-8", errors="replace")
        assert text.lower().count("ligne ") >= stats.errors

    check()


# -- Beneficiary import --------------------------------------------------------------------------

PEOPLE_COLUMNS = {
    "last_name": "Nom", "first_name": "Prénom", "birth_date": "Date de naissance", "sex": "Sexe",
    "email": "Courriel", "phone": "Téléphone", "postcode": "Code postal", "commune_code": "Code commune",
    "france_travail_id": "Identifiant France Travail", "longitude": "Longitude", "latitude": "Latitude",
    "qpv_code": "QPV",
}  # fmt: skip
HEADERS = list(PEOPLE_COLUMNS.values())
GOOD_PEOPLE = [
    ["Dupont", "Éloïse", "17/05/1990", "F", "", "", "94000", "94028", "", "2,46977", "48,7771", ""],
    ["Benali", "Karim", "1985-02-03", "M", "k@exemple.fr", "0612345678", "", "", "", "", "", "QN09405M"],
]


@st.composite
def people_file(draw) -> tuple[str, bytes]:
    form = draw(st.sampled_from(["bytes", "csv", "csv-edited", "xlsx", "xlsx-edited"]))
    if form == "bytes":
        return draw(st.sampled_from(["personnes.csv", "personnes.xlsx"])), draw(st.binary(max_size=400))
    if form.startswith("csv"):
        rows = GOOD_PEOPLE + draw(rows_of(HEADERS, cell))
        delimiter = draw(st.sampled_from([",", ";", "\t"]))
        content = csv_bytes(HEADERS, rows, delimiter, draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"])))
        return "personnes.csv", content if form == "csv" else draw(mutated(content))
    content = xlsx_bytes({"Feuil1": [HEADERS, *GOOD_PEOPLE, *draw(rows_of(HEADERS, xlsx_cell, 5))]})
    return "personnes.xlsx", content if form == "xlsx" else draw(mutated(content))


@pytest.mark.django_db
def test_beneficiary_import_reports_every_bad_line(gpsea):
    counsellor = member("counsellor")
    organisation = organisation_of(counsellor)

    @FUZZ
    @given(file=people_file(), partial=st.booleans())
    def check(file, partial):
        name, content = file
        report = import_beneficiaries(
            ImportSource(name, lambda: io.BytesIO(content)),
            organisation=organisation,
            by=counsellor,
            mapping=PEOPLE_COLUMNS,
            dry_run=True,
            partial=partial,
        )
        assert not report.committed
        assert all(is_french_message(m) for m in report.file_errors)
        if report.file_errors:
            return
        counts = report.counts
        assert counts["lines"] == counts["valid"] + counts["rejected"]
        errors = [line for line in report.lines if line.kind == ERROR]
        assert all(is_french_message(line.message) and line.line >= 2 for line in errors)
        if len(report.lines) < MAX_REPORT_LINES:
            assert len({line.line for line in errors}) == counts["rejected"]
        assert is_french_message(report.outcome)

    check()


# -- What the fuzzing found ----------------------------------------------------------------------


@pytest.mark.django_db
def test_offer_import_rejects_a_list_inside_an_enumeration_list(gpsea):
    data = json.loads(OFFER_SEED.read_text())
    data["services"][0]["thematiques"] = [["trouver-un-emploi"]]
    content = json.dumps(data).encode()
    report = import_offer(OfferFile("offre.json", lambda: io.BytesIO(content)), territory=gpsea, dry_run=True)
    assert report.rejected == 1 and report.rejections
