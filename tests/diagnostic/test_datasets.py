"""Reading a file of statistics in the long format, and the import and deletion services."""

import csv
import io
import re
from datetime import date, datetime

import openpyxl
import pytest

from cite_emploi.core.models import AuditEntry
from cite_emploi.diagnostic import datasets
from cite_emploi.diagnostic.datasets import (
    DatasetFileError,
    Geography,
    Invalid,
    parse_age_group,
    parse_code,
    parse_period,
    parse_sex,
    parse_value,
    read_dataset,
)
from cite_emploi.diagnostic.models import Dataset, Observation
from cite_emploi.diagnostic.services_datasets import (
    DatasetError,
    DatasetRejected,
    delete_dataset,
    import_dataset,
)
from tests.accounts.factories import member
from tests.diagnostic.factories import DatasetFactory, ObservationFactory

HEADERS = [
    "niveau",
    "code",
    "indicateur",
    "libelle_indicateur",
    "tranche_age",
    "sexe",
    "periode",
    "valeur",
    "unite",
]
LABEL = "Demandeurs d'emploi inscrits en catégories A, B, C"
GOOD = [
    ["qpv", "QN09405M", "demandeurs_emploi_abc", LABEL, "jeunes", "", "2024-T4", "120", "personnes"],
    ["qpv", "QN09405M", "demandeurs_emploi_abc", LABEL, "adultes", "F", "2024-T4", "1 310", "personnes"],
    ["commune", "94028", "taux_chomage", "Taux de chômage", "15-64", "", "2021", "14,8", "%"],
    ["ept", "200058006", "population_insee", "Population municipale", "", "", "2021", "325 348", "personnes"],
]


def csv_bytes(rows, headers=HEADERS, delimiter=";", encoding="utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows([headers, *rows])
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows, headers=HEADERS) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in [headers, *rows]:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def read(gpsea, rows, **kwargs):
    return read_dataset("stats.csv", csv_bytes(rows, **kwargs), gpsea)


def only_error(result):
    assert len(result.errors) == 1, result.errors
    return result.errors[0]


def invalid(parse, *args) -> str:
    with pytest.raises(Invalid) as caught:
        parse(*args)
    return caught.value.message


# -- Cells ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2021", ("2021", date(2021, 1, 1), date(2021, 12, 31))),
        (2021, ("2021", date(2021, 1, 1), date(2021, 12, 31))),
        (2021.0, ("2021", date(2021, 1, 1), date(2021, 12, 31))),
        ("2021-T3", ("2021-T3", date(2021, 7, 1), date(2021, 9, 30))),
        ("2021t1", ("2021-T1", date(2021, 1, 1), date(2021, 3, 31))),
        ("T4 2020", ("2020-T4", date(2020, 10, 1), date(2020, 12, 31))),
        ("2021-09", ("2021-09", date(2021, 9, 1), date(2021, 9, 30))),
        ("2024-2", ("2024-02", date(2024, 2, 1), date(2024, 2, 29))),
        ("09/2021", ("2021-09", date(2021, 9, 1), date(2021, 9, 30))),
        ("2021-09-30", ("2021-09-30", date(2021, 9, 30), date(2021, 9, 30))),
        ("30/09/2021", ("2021-09-30", date(2021, 9, 30), date(2021, 9, 30))),
        ("2021-09-30 00:00:00", ("2021-09-30", date(2021, 9, 30), date(2021, 9, 30))),
        (datetime(2021, 9, 30), ("2021-09-30", date(2021, 9, 30), date(2021, 9, 30))),
        (date(2021, 9, 30), ("2021-09-30", date(2021, 9, 30), date(2021, 9, 30))),
    ],
)
def test_periods_are_normalised_with_their_first_and_last_days(cell, expected):
    assert parse_period(cell) == expected


@pytest.mark.parametrize(
    "cell", ["", "2021-T5", "2021-13", "31/02/2021", "1850", "T3", "2021/2022", 2021.5, True]
)
def test_a_bad_period_says_which_forms_are_read(cell):
    message = invalid(parse_period, cell)
    assert "période" in message or "date" in message or "mois" in message or "année" in message


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("120", (120.0, False)),
        ("1 310", (1310.0, False)),
        ("1\u00a0310,5", (1310.5, False)),
        ("1\u202f310.5", (1310.5, False)),
        ("14,8 %", (14.8, True)),
        ("-2,5", (-2.5, False)),
        (",5", (0.5, False)),
        (42, (42.0, False)),
        (3.25, (3.25, False)),
    ],
)
def test_values_accept_french_and_english_writing(cell, expected):
    assert parse_value(cell) == expected


@pytest.mark.parametrize("cell", ["s", "nd", "N.D.", "secret", "S"])
def test_the_producers_secret_markers_make_the_line_bad(cell):
    assert "non diffusée par le producteur" in invalid(parse_value, cell)


@pytest.mark.parametrize("cell", ["", "1.234,5", "12,", "1e3", "douze", "1" * 400, True, date(2021, 1, 1)])
def test_a_bad_value_is_refused(cell):
    assert invalid(parse_value, cell)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("", ""),
        ("Ensemble", ""),
        ("jeunes", "jeunes"),
        ("Adultes", "adultes"),
        ("senior", "seniors"),
        ("15-24", "15-24"),
        ("15 – 24 ans", "15-24"),
        ("55+", "55+"),
        ("55 ans et plus", "55+"),
    ],
)
def test_age_groups_are_the_publics_or_ranges(cell, expected):
    assert parse_age_group(cell) == expected


@pytest.mark.parametrize("cell", ["moins de 25", "24-15", "enfants", "15-200"])
def test_a_bad_age_group_says_what_is_accepted(cell):
    message = invalid(parse_age_group, cell)
    assert "« jeunes » (moins de 26 ans)" in message and "« 15-24 »" in message and "« 55+ »" in message


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("", ""), ("ensemble", ""), ("F", "F"), ("Femmes", "F"), ("h", "M"), ("M", "M"), ("Homme", "M")],
)
def test_sexes(cell, expected):
    assert parse_sex(cell) == expected


def test_commune_codes_get_back_the_leading_zero_a_spreadsheet_dropped():
    geography = Geography(qpv={}, communes={"01004": "Ambérieu-en-Bugey"}, siren="", territory_name="Ain")
    assert parse_code("1004", "commune", geography) == "01004"
    assert parse_code(1004, "commune", geography) == "01004"
    assert parse_code(1004.0, "commune", geography) == "01004"
    assert "mal formé" in invalid(parse_code, "1004A", "commune", geography)


def test_codes_are_read_as_text_whatever_the_cell():
    geography = Geography(
        qpv={"QN09405M": "Mont-Mesly"}, communes={}, siren="200058006", territory_name="GPSEA"
    )
    assert parse_code(" qn09405m ", "qpv", geography) == "QN09405M"
    assert parse_code("200 058 006", "ept", geography) == "200058006"
    assert parse_code(200058006, "ept", geography) == "200058006"


# -- Files ---------------------------------------------------------------------------------------


def test_a_valid_file_gives_one_row_per_line(gpsea):
    result = read(gpsea, GOOD)
    assert (result.lines, result.errors, result.error_lines) == (4, [], 0)
    young, women, rate, population = result.rows
    assert (young.level, young.geo_code, young.age_group, young.sex, young.period) == (
        "qpv", "QN09405M", "jeunes", "", "2024-T4"
    )  # fmt: skip
    assert (young.period_start, young.period_end, young.value) == (
        date(2024, 10, 1),
        date(2024, 12, 31),
        120.0,
    )
    assert (women.sex, women.value) == ("F", 1310.0)
    assert (rate.age_group, rate.value, rate.unit) == ("15-64", 14.8, "%")
    assert (population.level, population.geo_code, population.value) == ("ept", "200058006", 325348.0)
    assert [r.line for r in result.rows] == [2, 3, 4, 5]


def test_headers_ignore_case_accents_and_order_and_unknown_columns_are_only_reported(gpsea):
    headers = [
        "Période",
        "VALEUR",
        "Unité",
        "Niveau",
        "Code",
        "Indicateur",
        "Libellé indicateur",
        "Commentaire",
    ]
    rows = [["2021", "12", "personnes", "QPV", "QN09405M", "demandeurs_emploi_abc", LABEL, "à vérifier"]]
    result = read(gpsea, rows, headers=headers)
    assert len(result.rows) == 1 and result.rows[0].value == 12.0
    assert result.warnings == ["Colonne ignorée : « Commentaire »."]


@pytest.mark.parametrize(("delimiter", "encoding"), [(",", "utf-8-sig"), ("\t", "cp1252"), (";", "cp1252")])
def test_csv_delimiters_and_encodings_of_french_spreadsheets(gpsea, delimiter, encoding):
    result = read(gpsea, GOOD, delimiter=delimiter, encoding=encoding)
    assert len(result.rows) == 4 and not result.errors
    assert result.rows[2].indicator_label == "Taux de chômage"


def test_a_workbook_with_numbers_and_dates_in_its_cells(gpsea):
    rows = [
        ["commune", 94028, "demandeurs_emploi_abc", LABEL, None, None, 2021, 1200, "personnes"],
        [
            "Commune",
            "94028",
            "demandeurs_emploi_abc",
            LABEL,
            None,
            "F",
            datetime(2021, 9, 30),
            12.5,
            "personnes",
        ],
        ["EPCI", 200058006, "demandeurs_emploi_abc", LABEL, "ensemble", None, "2021-T3", 9000, "personnes"],
    ]
    result = read_dataset("stats.xlsx", xlsx_bytes(rows), gpsea)
    assert not result.errors, result.errors
    assert [(r.level, r.geo_code, r.period, r.value) for r in result.rows] == [
        ("commune", "94028", "2021", 1200.0),
        ("commune", "94028", "2021-09-30", 12.5),
        ("ept", "200058006", "2021-T3", 9000.0),
    ]
    assert result.format == "xlsx"


def test_missing_columns_say_which_and_what_was_found(gpsea):
    data = csv_bytes(
        [["qpv", "QN09405M", "x", "y", "2021"]], headers=["Niveau", "Code", "Ind", "Lib", "Année"]
    )
    with pytest.raises(DatasetFileError) as caught:
        read_dataset("stats.csv", data, gpsea)
    message = caught.value.message
    assert "obligatoires absentes : indicateur, libelle_indicateur, periode, valeur, unite" in message
    assert "« Niveau », « Code », « Ind », « Lib », « Année »" in message


def test_a_column_given_twice_is_refused(gpsea):
    with pytest.raises(DatasetFileError, match="apparaît deux fois"):
        read(gpsea, [], headers=[*HEADERS, "Valeur"])


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "vide"),
        (b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "ancien format Excel"),
        (b"\x00\x01\x02" * 50, "ni un fichier CSV"),
        (b"PK\x03\x04 broken", "classeur Excel"),
    ],
)
def test_an_unreadable_file_is_one_french_error(gpsea, content, expected):
    with pytest.raises(DatasetFileError, match=expected):
        read_dataset("stats.csv", content, gpsea)


def test_a_file_with_only_its_header_has_no_data(gpsea):
    with pytest.raises(DatasetFileError, match="aucune ligne de données"):
        read(gpsea, [])


def test_beyond_the_line_limit_the_file_is_refused_clearly(gpsea, monkeypatch):
    monkeypatch.setattr(datasets, "MAX_LINES", 3)
    assert len(read(gpsea, GOOD[:3]).rows) == 3
    with pytest.raises(
        DatasetFileError, match=re.escape("plus de 3 lignes de données, la limite d'un import. Découpez")
    ):
        read(gpsea, GOOD)


def test_empty_lines_are_ignored_and_lines_numbered_as_in_the_spreadsheet(gpsea):
    bad = ["qpv", "QN09405M", "demandeurs_emploi_abc", LABEL, "", "", "2021", "douze", "personnes"]
    result = read(gpsea, [GOOD[0], [], ["", ""], bad])
    assert result.lines == 2 and result.error_lines == 1
    error = only_error(result)
    assert (error.line, error.column, error.value) == (5, "valeur", "douze")
    assert error.message.startswith("nombre attendu")


def test_every_error_of_a_line_is_reported_with_its_column_as_written(gpsea):
    headers = [h.upper() for h in HEADERS]
    rows = [["quartier", "QN09405M", "Demandeurs emploi", "", "moins de 25", "X", "2021-T9", "s", ""]]
    result = read(gpsea, rows, headers=headers)
    assert result.error_lines == 1 and result.error_count == 8 and not result.rows
    columns = [e.column for e in result.errors]
    assert columns == [
        "NIVEAU",
        "INDICATEUR",
        "LIBELLE_INDICATEUR",
        "TRANCHE_AGE",
        "SEXE",
        "PERIODE",
        "VALEUR",
        "UNITE",
    ]
    assert all(e.line == 2 and e.message for e in result.errors)


def test_a_secret_value_is_a_bad_line_saying_so(gpsea):
    row = ["qpv", "QN09405M", "demandeurs_emploi_abc", LABEL, "", "", "2021", "n.d.", "personnes"]
    error = only_error(read(gpsea, [row]))
    assert error.column == "valeur" and error.value == "n.d."
    assert "valeur non diffusée par le producteur" in error.message


def test_long_values_are_shortened_in_the_report(gpsea):
    row = ["qpv", "QN09405M", "demandeurs_emploi_abc", LABEL, "", "", "2021", "x" * 500, "personnes"]
    error = only_error(read(gpsea, [row]))
    assert len(error.value) == datasets.VALUE_SHOWN and error.value.endswith("…")


def test_places_must_be_of_the_territory_and_the_message_lists_the_expected_codes(gpsea):
    rows = [
        ["qpv", "QN07501M", "population_insee", "Population", "", "", "2021", "1", "personnes"],
        ["commune", "75056", "population_insee", "Population", "", "", "2021", "1", "personnes"],
        ["ept", "200054781", "population_insee", "Population", "", "", "2021", "1", "personnes"],
        ["qpv", "QN9405", "population_insee", "Population", "", "", "2021", "1", "personnes"],
    ]
    qpv, commune, ept, malformed = read(gpsea, rows).errors
    assert qpv.column == "code" and qpv.value == "QN07501M"
    assert "QPV hors des périmètres du territoire" in qpv.message and "QN09405M" in qpv.message
    assert "QN09438N" in qpv.message  # a 2024 QPV of a member commune
    assert "commune hors du territoire" in commune.message and "94028 (Créteil)" in commune.message
    assert "94017" not in commune.message  # Champigny shares a QPV but is not of the territory
    assert ept.message == "SIREN du territoire attendu : 200058006 (Grand Paris Sud Est Avenir)."
    assert "mal formé" in malformed.message


def test_a_qpv_of_the_2015_perimeter_only_is_still_of_the_territory(gpsea):
    # Every QPV code of the perimeter areas counts, whatever the perimeter's geography.
    codes = Geography.of(gpsea).qpv
    assert {"QN09403M", "QN09405M", "QN09424I", "QN09431M"} <= set(codes)


def test_a_territory_without_siren_takes_no_ept_line(other_territory):
    row = ["ept", "200058006", "population_insee", "Population", "", "", "2021", "1", "personnes"]
    error = only_error(read(other_territory, [row]))
    assert "pas de SIREN enregistré" in error.message


def test_a_repeated_key_names_the_earlier_line(gpsea):
    again = [*GOOD[0][:7], "999", "personnes"]
    result = read(gpsea, [*GOOD, again])
    error = only_error(result)
    assert (error.line, error.column) == (6, datasets.WHOLE_LINE)
    assert "que la ligne 2" in error.message
    assert error.value == "demandeurs_emploi_abc · qpv · QN09405M · jeunes · 2024-T4"
    assert len(result.rows) == 4


def test_an_indicator_keeps_its_label_within_the_file(gpsea):
    other = [*GOOD[1][:3], "Demandeurs d'emploi ABC", *GOOD[1][4:]]
    error = only_error(read(gpsea, [GOOD[0], other]))
    assert error.column == "libelle_indicateur" and error.line == 3
    assert "différent de celui de la ligne 2" in error.message


def test_a_percentage_needs_the_percent_unit(gpsea):
    row = ["commune", "94028", "taux_chomage", "Taux de chômage", "", "", "2021", "14,8 %", "personnes"]
    error = only_error(read(gpsea, [row]))
    assert error.column == "valeur" and "indiquez l'unité « % »" in error.message


def test_bad_indicator_codes_and_too_long_texts(gpsea):
    rows = [
        ["qpv", "QN09405M", "demandeurs-emploi", LABEL, "", "", "2021", "1", "personnes"],
        ["qpv", "QN09405M", "x" * 61, LABEL, "", "", "2021", "1", "personnes"],
        ["qpv", "QN09405M", "population_insee", "L" * 201, "", "", "2021", "1", "personnes"],
        ["qpv", "QN09405M", "population_2", "Population", "", "", "2021", "1", "u" * 31],
    ]
    result = read(gpsea, rows)
    assert [e.column for e in result.errors] == ["indicateur", "indicateur", "libelle_indicateur", "unite"]
    assert "trop long (201 caractères, 200 au plus)" in result.errors[2].message


def test_indicator_codes_are_lowercased_and_trimmed(gpsea):
    row = ["qpv", "QN09405M", "  Demandeurs_Emploi_ABC ", LABEL, "", "", "2021", "1", "personnes"]
    assert read(gpsea, [row]).rows[0].indicator == "demandeurs_emploi_abc"


def test_control_characters_never_reach_the_database(gpsea):
    # The reader refuses a NUL byte at the start of a file (binary): here it comes after 4 kB of lines.
    filler = [
        ["qpv", "QN09405M", "population_insee", "Population", "", "", str(y), "1", "personnes"]
        for y in range(1900, 2000)
    ]
    row = ["qpv", "QN09405M", "chomeurs", "Chô\x00meurs\x07", "", "", "2021", "1", "pers\x00onnes"]
    data = csv_bytes([*filler, row])
    assert data.index(b"\x00") > 4096
    result = read_dataset("stats.csv", data, gpsea)
    assert not result.errors and result.rows[-1].indicator_label == "Chômeurs"
    assert result.rows[-1].unit == "personnes"


def test_errors_beyond_the_cap_are_counted(gpsea, monkeypatch):
    monkeypatch.setattr(datasets, "MAX_KEPT_ERRORS", 2)
    rows = [["qpv", "QN09405M", "population_insee", "Population", "", "", "2021", "?", "personnes"]] * 5
    result = read(gpsea, rows)
    assert (len(result.errors), result.error_count, result.error_lines, result.hidden_errors) == (2, 5, 5, 3)


def test_the_error_report_is_a_safe_french_csv():
    errors = [datasets.LineError(2, "valeur", "=HYPERLINK(1)", "nombre attendu.")]
    text = datasets.errors_csv(errors, hidden=3).decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0] == "ligne;colonne;valeur;message"
    assert lines[1] == "2;valeur;'=HYPERLINK(1);nombre attendu."
    assert "… et 3 autres erreurs non listées ici." in lines[2]


def test_display_value():
    assert datasets.display_value(325348.0) == "325\u202f348"
    assert datasets.display_value(14.8) == "14,8"
    assert datasets.display_value(-0.125) == "-0,125"


# -- Templates -----------------------------------------------------------------------------------


def test_the_templates_import_as_they_are(gpsea):
    for name, content in (
        ("modele.csv", datasets.template_csv(gpsea)),
        ("modele.xlsx", datasets.template_xlsx(gpsea)),
    ):
        result = read_dataset(name, content, gpsea)
        assert not result.errors and not result.warnings, (name, result.errors)
        assert {r.level for r in result.rows} == {"qpv", "commune", "ept"}
    workbook = openpyxl.load_workbook(io.BytesIO(datasets.template_xlsx()))
    assert [c.value for c in workbook.active[1]] == datasets.TEMPLATE_HEADERS
    assert workbook.active["B2"].number_format == "@"


def test_the_templates_use_the_territorys_own_codes(other_territory):
    result = read_dataset("modele.csv", datasets.template_csv(other_territory), other_territory)
    assert not result.errors
    assert "ept" not in {r.level for r in result.rows}  # no SIREN recorded for this territory


# -- Services ------------------------------------------------------------------------------------


@pytest.fixture
def coordinator(db):
    return member("coordinator")


def run_import(territory, by, rows, **kwargs):
    fields = {
        "title": "Demandeurs d'emploi",
        "source": "France Travail - Dares",
        "licence": "Licence Ouverte 2.0",
    }
    return import_dataset(
        territory, file_name="stats.csv", data=csv_bytes(rows), by=by, **{**fields, **kwargs}
    )


def test_an_import_stores_the_dataset_its_observations_and_an_audit_entry(gpsea, coordinator):
    rows = [[*row, ""] for row in GOOD]
    rows[0][-1] = "INSEE"
    data = csv_bytes(rows, headers=[*HEADERS, "source"])
    outcome = import_dataset(
        gpsea,
        file_name="stats.csv",
        data=data,
        title=" Demandeurs ",
        source="France Travail - Dares",
        licence="Licence Ouverte 2.0",
        url="https://www.data.gouv.fr/",
        description="Extraction de décembre",
        by=coordinator,
    )
    dataset = outcome.dataset
    assert (outcome.imported, outcome.rejected_lines) == (4, 0)
    assert (dataset.title, dataset.file_name, dataset.imported_by, dataset.territory) == (
        "Demandeurs", "stats.csv", coordinator, gpsea
    )  # fmt: skip
    sources = dict(dataset.observations.values_list("indicator", "source").order_by("indicator", "source"))
    assert (
        sources["population_insee"] == "France Travail - Dares"
    )  # the dataset's source when the line has none
    assert dataset.observations.filter(source="INSEE").count() == 1
    assert set(dataset.observations.values_list("licence", flat=True)) == {"Licence Ouverte 2.0"}
    entry = AuditEntry.objects.get(detail__event="diagnostic.dataset_imported")
    assert (entry.action, entry.object_type) == ("create", "diagnostic.dataset")
    assert (entry.actor, entry.object_id, entry.territory_id) == (coordinator, str(dataset.pk), gpsea.pk)
    assert entry.detail["observations"] == 4


def test_one_bad_line_and_nothing_is_written(gpsea, coordinator):
    bad = [*GOOD[0][:7], "s", "personnes"]
    bad[4] = "seniors"
    with pytest.raises(DatasetRejected) as caught:
        run_import(gpsea, coordinator, [*GOOD, bad])
    rejected = caught.value
    assert (rejected.valid_lines, rejected.error_lines, len(rejected.errors)) == (4, 1, 1)
    assert "1 ligne en erreur sur 5 : rien n'a été importé" in rejected.message
    assert not Dataset.objects.exists() and not Observation.objects.exists()
    assert not AuditEntry.objects.filter(object_type="diagnostic.dataset").exists()


def test_a_partial_import_writes_the_good_lines_and_counts_the_others(gpsea, coordinator):
    bad = [*GOOD[0][:7], "nd", "personnes"]
    bad[4] = "seniors"
    outcome = run_import(gpsea, coordinator, [bad, *GOOD], partial=True)
    assert (outcome.imported, outcome.rejected_lines, outcome.errors[0].line) == (4, 1, 2)
    assert outcome.dataset.rejected_lines == 1
    assert outcome.dataset.observations.count() == 4


@pytest.mark.parametrize("partial", [False, True])
def test_no_good_line_is_always_rejected(gpsea, coordinator, partial):
    bad = [*GOOD[0][:7], "s", "personnes"]
    with pytest.raises(DatasetRejected, match="Aucune ligne valide sur 1 ligne"):
        run_import(gpsea, coordinator, [bad], partial=partial)
    assert not Dataset.objects.exists()


def test_an_unreadable_file_is_rejected_with_its_message(gpsea, coordinator):
    with pytest.raises(DatasetRejected, match="colonnes obligatoires absentes") as caught:
        import_dataset(
            gpsea, file_name="x.csv", data=b"a;b\n1;2\n", title="T", source="S", licence="L", by=coordinator
        )
    assert caught.value.errors == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": " "}, "L'intitulé du jeu de données est obligatoire."),
        ({"source": ""}, "La source du jeu de données est obligatoire."),
        ({"licence": "L" * 121}, "La licence du jeu de données dépasse 120 caractères."),
        ({"url": "javascript:alert(1)"}, "L'adresse de la source n'est pas une adresse web valide"),
    ],
)
def test_the_metadata_is_checked_before_reading(gpsea, coordinator, fields, message):
    with pytest.raises(DatasetError, match=message):
        run_import(gpsea, coordinator, GOOD, **fields)
    assert not Dataset.objects.exists()


def test_observations_are_written_in_batches(gpsea, coordinator, monkeypatch):
    from cite_emploi.diagnostic import services_datasets

    monkeypatch.setattr(services_datasets, "BATCH_SIZE", 3)
    rows = [
        ["qpv", "QN09405M", "population_insee", "Population", "", "", str(year), "1", "personnes"]
        for year in range(2000, 2010)
    ]
    assert run_import(gpsea, coordinator, rows).dataset.observations.count() == 10


def test_a_demo_dataset_is_marked(gpsea):
    outcome = run_import(gpsea, None, GOOD, is_demo=True)
    assert outcome.dataset.is_demo and outcome.dataset.imported_by is None


def test_deleting_a_dataset_removes_its_observations_and_is_audited(gpsea, coordinator):
    dataset = DatasetFactory()
    ObservationFactory.create_batch(3, dataset=dataset)
    kept, pk = ObservationFactory(), dataset.pk
    delete_dataset(dataset, by=coordinator)
    assert not Dataset.objects.filter(pk=pk).exists()
    assert list(Observation.objects.all()) == [kept]
    entry = AuditEntry.objects.get(detail__event="diagnostic.dataset_deleted")
    assert entry.action == "delete"
    assert (entry.actor, entry.object_id, entry.detail["observations"]) == (coordinator, str(pk), 3)


def test_the_codes_of_the_platforms_own_indicators_are_reserved(gpsea):
    row = ["commune", "94028", "population", "Population municipale", "", "", "2021", "93 397", "personnes"]
    error = only_error(read(gpsea, [row]))
    assert error.column == "indicateur" and error.value == "population"
    assert "code réservé" in error.message and "population_qpv" in error.message
    assert {"population", "nombre_qpv", "superficie_qpv"} <= datasets.reserved_codes()
