"""Hypothesis on the statistics import: whatever the bytes, nothing escapes, every bad line is reported.

The promise of ``services_datasets.import_dataset`` (and of ``datasets.read_dataset`` under it):

* it raises nothing but ``DatasetRejected`` (``DatasetFileError`` for the reader), whose message is
  French;
* otherwise every non-empty line is either stored or reported: lines read = good lines + bad lines,
  each bad line has at least one error (line number ≥ 2, a column, a French message), and exactly
  the good lines are in the database.

Inputs are random bytes, files built from random cells (plausible values of each column mixed with
text with control characters, numbers, dates, empty cells) and valid files with random byte edits.
Examples are bounded and derandomised like tests/test_importers_fuzz.py; set
``HYPOTHESIS_FUZZ_EXAMPLES`` for a longer exploration.
"""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cite_emploi.diagnostic import datasets
from cite_emploi.diagnostic.models import Observation
from cite_emploi.diagnostic.services_datasets import DatasetRejected, import_dataset
from tests.accounts.factories import member
from tests.test_importers_fuzz import (
    FUZZ,
    csv_bytes,
    is_french_message,
    junk_text,
    mutated,
    xlsx_bytes,
    xlsx_cell,
)

HEADERS = datasets.TEMPLATE_HEADERS
LABEL = "Demandeurs d'emploi inscrits en catégories A, B, C"
GOOD = [
    ["qpv", "QN09405M", "demandeurs_emploi_abc", LABEL, "jeunes", "", "2024-T4", "120", "personnes", "", ""],
    ["commune", "94028", "taux_chomage", "Taux de chômage", "15-64", "F", "2021", "14,8 %", "%", "INSEE", ""],
    [
        "ept",
        "200058006",
        "population_insee",
        "Population",
        "",
        "",
        "30/09/2021",
        "325 348",
        "personnes",
        "",
        "LO 2.0",
    ],
]
PLAUSIBLE = {
    "niveau": ["qpv", "QPV", "commune", "ept", "EPCI", "territoire", "quartier", ""],
    "code": ["QN09405M", "QN09438N", "QN07501M", "94028", "94017", "1004", "200058006", "200054781", "", "Q"],
    "indicateur": [
        "demandeurs_emploi_abc",
        "population",
        "population_insee",
        "Taux_Chomage",
        "taux-chomage",
        "x" * 61,
        "",
    ],
    "libelle_indicateur": [LABEL, "Population", "Autre libellé", "L" * 201, ""],
    "tranche_age": ["", "ensemble", "jeunes", "seniors", "15-24", "55+", "moins de 25", "24-15"],
    "sexe": ["", "F", "femmes", "H", "M", "X"],
    "periode": [
        "2021",
        "2021-T3",
        "2021-T5",
        "2021-09",
        "2021-13",
        "2021-09-30",
        "31/02/2021",
        "T4 2020",
        "1850",
    ],
    "valeur": [
        "120",
        "1 310,5",
        "14,8 %",
        "s",
        "nd",
        "n.d.",
        "secret",
        "1.234,5",
        "-0,5",
        "1" * 400,
        "NaN",
        "",
    ],
    "unite": ["personnes", "%", "ménages", "u" * 31, ""],
    "source": ["", "INSEE", "S" * 301],
    "licence": ["", "Licence Ouverte 2.0", "L" * 121],
}


def column_cell(name: str):
    return st.one_of(st.sampled_from(PLAUSIBLE[name]), junk_text)


@st.composite
def plausible_row(draw, xlsx: bool = False) -> list:
    row = [draw(column_cell(name)) for name in HEADERS]
    if xlsx:
        row = ["".join(c for c in str(v) if c.isprintable()) for v in row]  # openpyxl refuses control chars
        for index in draw(st.lists(st.integers(0, len(row) - 1), max_size=3)):
            row[index] = draw(xlsx_cell)
    return row


@st.composite
def statistics_file(draw) -> tuple[str, bytes]:
    form = draw(st.sampled_from(["bytes", "csv", "csv-edited", "csv-headers", "xlsx", "xlsx-edited"]))
    if form == "bytes":
        return draw(st.sampled_from(["stats.csv", "stats.xlsx"])), draw(st.binary(max_size=400))
    if form.startswith("csv"):
        headers = HEADERS
        if form == "csv-headers":
            headers = draw(st.permutations(HEADERS))[: draw(st.integers(0, len(HEADERS)))]
            headers = [
                draw(st.sampled_from([h, h.upper(), h.replace("_", " "), "colonne inconnue"]))
                for h in headers
            ]
        rows = GOOD + draw(st.lists(plausible_row(), max_size=8))
        rows = draw(st.permutations(rows))
        delimiter = draw(st.sampled_from([",", ";", "\t"]))
        content = csv_bytes(headers, rows, delimiter, draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"])))
        return "stats.csv", content if form != "csv-edited" else draw(mutated(content))
    rows = GOOD + draw(st.lists(plausible_row(xlsx=True), max_size=5))
    content = xlsx_bytes({"Observations": [HEADERS, *rows]})
    return "stats.xlsx", content if form == "xlsx" else draw(mutated(content))


def check_reported(result: datasets.DatasetFile) -> None:
    assert result.lines == len(result.rows) + result.error_lines
    assert result.error_count >= result.error_lines
    for error in result.errors:
        assert error.line >= 2 and error.column and is_french_message(error.message), error
        assert len(error.value) <= datasets.VALUE_SHOWN
    if not result.hidden_errors:
        assert len({e.line for e in result.errors}) == result.error_lines
    assert not {r.line for r in result.rows} & {e.line for e in result.errors}


@pytest.mark.django_db
def test_reading_reports_every_bad_line(gpsea):
    @FUZZ
    @given(file=statistics_file())
    def check(file):
        name, content = file
        try:
            result = datasets.read_dataset(name, content, gpsea)
        except datasets.DatasetFileError as exc:
            assert is_french_message(exc.message)
            return
        check_reported(result)

    check()


@pytest.mark.django_db
def test_import_stores_exactly_the_good_lines_or_nothing(gpsea):
    coordinator = member("coordinator")

    @FUZZ
    @given(file=statistics_file(), partial=st.booleans())
    def check(file, partial):
        name, content = file
        before = Observation.objects.count()
        try:
            outcome = import_dataset(
                gpsea,
                file_name=name,
                data=content,
                title="Fuzz",
                source="Source",
                licence="Licence",
                by=coordinator,
                partial=partial,
            )
        except DatasetRejected as rejected:
            assert is_french_message(rejected.message)
            assert Observation.objects.count() == before
            assert all(e.line >= 2 and is_french_message(e.message) for e in rejected.errors)
            return
        assert outcome.imported >= 1 and (partial or outcome.rejected_lines == 0)
        assert outcome.dataset.observations.count() == outcome.imported
        assert Observation.objects.count() == before + outcome.imported

    check()


# -- What the fuzzing found ----------------------------------------------------------------------


def test_an_enormous_integer_cell_is_a_bad_value_not_a_crash():
    with pytest.raises(datasets.Invalid, match="hors des bornes"):
        datasets.parse_value(10**400)
