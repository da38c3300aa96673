"""The import of beneficiaries from a partner's spreadsheet: mapping, checks, files, rules, CLI."""

import io
import json
from datetime import date, datetime

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cite_emploi.accounts.scope import build_scope
from cite_emploi.core.models import AuditEntry
from cite_emploi.followup import access
from cite_emploi.followup.beneficiary_files import ImportSource
from cite_emploi.followup.beneficiary_import import import_beneficiaries, report_lines
from cite_emploi.followup.beneficiary_mapping import (
    MappingError,
    check_mapping,
    guess_mapping,
    parse_mapping_json,
)
from cite_emploi.followup.models import Beneficiary, FollowUpMember, TimelineEvent
from tests.accounts.factories import MembershipFactory, member
from tests.followup.factories import followed_by, organisation_of

HEADERS = ["Nom", "Prénom", "Date de naissance", "Sexe"]
MAPPING = {"last_name": "Nom", "first_name": "Prénom", "birth_date": "Date de naissance", "sex": "Sexe"}
GOOD = [
    ["Dupont", "Éloïse", "17/05/1990", "F"],
    ["Benali", "Karim", "1985-02-03", "M"],
    ["N'Diaye", "Awa", "01/12/2001", "Femme"],
]


def csv_bytes(rows, headers=HEADERS, delimiter=";", encoding="utf-8") -> bytes:
    lines = [delimiter.join(headers)] + [delimiter.join(str(c) for c in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_bytes(rows, headers=HEADERS) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def source(content: bytes, name="personnes.csv") -> ImportSource:
    return ImportSource(name, lambda: io.BytesIO(content))


@pytest.fixture
def counsellor(db):
    return member("counsellor")


@pytest.fixture
def run(counsellor):
    def run(content, name="personnes.csv", mapping=MAPPING, by=None, **options):
        by = by or counsellor
        return import_beneficiaries(
            source(content, name), organisation=organisation_of(counsellor), by=by, mapping=mapping, **options
        )

    return run


# --- mapping ------------------------------------------------------------------------------------


def test_the_mapping_is_guessed_from_french_headers():
    headers = ["NOM", "Prénom", "Né(e) le", "Civilité", "Adresse mail", "Adresse", "CP", "Code INSEE",
               "Identifiant Pôle emploi", "Niveau de diplôme", "Tél portable", "Remarques"]  # fmt: skip
    assert guess_mapping(headers) == {
        "last_name": "NOM",
        "first_name": "Prénom",
        "birth_date": "Né(e) le",
        "sex": "Civilité",
        "email": "Adresse mail",
        "address": "Adresse",
        "postcode": "CP",
        "commune_code": "Code INSEE",
        "france_travail_id": "Identifiant Pôle emploi",
        "diploma_level": "Niveau de diplôme",
        "phone": "Tél portable",
    }


def test_a_mapping_file_may_use_french_keys():
    assert parse_mapping_json('{"nom": "NOM", "date_naissance": "Né le", "sexe": ""}') == {
        "last_name": "NOM",
        "birth_date": "Né le",
    }
    with pytest.raises(MappingError, match="champ « age » inconnu"):
        parse_mapping_json('{"age": "Âge"}')
    with pytest.raises(MappingError, match="JSON valide"):
        parse_mapping_json("{nom: NOM}")


def test_an_incomplete_mapping_lists_every_problem():
    with pytest.raises(MappingError) as error:
        check_mapping(
            {"last_name": "Nom", "first_name": "Nom", "birth_date": "Naissance", "longitude": "Nom"}, HEADERS
        )
    message = str(error.value)
    assert "colonnes obligatoires non choisies : Sexe" in message
    assert "la colonne « Naissance » (Date de naissance) n'existe pas dans le fichier" in message
    assert "la colonne « Nom » est choisie à la fois pour Nom et Prénom" in message
    assert "la longitude et la latitude vont ensemble" in message


def test_a_bad_mapping_refuses_the_file(run):
    report = run(csv_bytes(GOOD), mapping={"last_name": "Nom"})
    assert report.refused and "Correspondance des colonnes incomplète" in report.file_errors[0]
    assert not Beneficiary.objects.exists()


# --- checks, line by line -----------------------------------------------------------------------

FULL_HEADERS = [*HEADERS, "Courriel", "Téléphone", "CP", "INSEE", "FT", "Diplôme", "Lon", "Lat", "QPV"]
FULL_MAPPING = {
    **MAPPING,
    "email": "Courriel",
    "phone": "Téléphone",
    "postcode": "CP",
    "commune_code": "INSEE",
    "france_travail_id": "FT",
    "diploma_level": "Diplôme",
    "longitude": "Lon",
    "latitude": "Lat",
    "qpv_code": "QPV",
}
VALID_FULL = ["Dupont", "Éloïse", "17/05/1990", "F", "eloise@exemple.fr", "06 12 34 56 78", "94000",
              "94028", "1234567A", "bac", "", "", ""]  # fmt: skip


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("Nom", "", "nom manquant(e) : cette colonne est obligatoire."),
        ("Nom", "x" * 101, "nom trop long (101 caractères, 100 au plus)."),
        ("Prénom", "1234", "prénom sans aucune lettre : vérifiez que les colonnes ne sont pas décalées."),
        ("Date de naissance", "", "date de naissance manquant(e)"),
        ("Date de naissance", "31/02/1990", "cette date n'existe pas (jour ou mois hors limites)."),
        ("Date de naissance", "17/05/90", "l'année doit s'écrire sur 4 chiffres (JJ/MM/AAAA)."),
        ("Date de naissance", "le 17 mai", "date illisible. Attendu : une date JJ/MM/AAAA ou AAAA-MM-JJ"),
        ("Date de naissance", "01/01/2999", "la date de naissance est dans le futur."),
        ("Date de naissance", "01/01/1850", "date de naissance antérieure à 1900 : vérifiez l'année."),
        ("Sexe", "X", "« X » n'est pas reconnu. Attendu : F ou M"),
        ("Courriel", "eloise@", "adresse électronique invalide (attendu : nom@domaine.fr)."),
        ("Téléphone", "appeler le soir", "numéro de téléphone illisible. Attendu : un numéro de téléphone"),
        ("CP", "940", "« 940 » : 5 chiffres attendu."),
        ("INSEE", "9402", "« 9402 » : le code INSEE à 5 caractères (ex. 94028) attendu."),
        ("FT", "12-3", "format inattendu : 6 à 11 lettres ou chiffres attendu."),
        ("Diplôme", "CAPES?", "« CAPES? » n'est pas reconnu. Attendu : 0, 3 à 7"),
        ("Lat", "", "la latitude manque alors que l'autre coordonnée est donnée."),
        ("Lat", "quarante-huit", "nombre décimal attendu (ex. 2,4553)."),
        ("QPV", "QN00000X", "« QN00000X » n'est pas un code QPV 2024 connu."),
    ],
)
def test_each_check_names_the_line_the_column_and_what_is_expected(run, column, value, message):
    row = list(VALID_FULL)
    row[FULL_HEADERS.index(column)] = value
    if column == "Lat":
        row[FULL_HEADERS.index("Lon")] = "2,45"
    report = run(csv_bytes([VALID_FULL, row], headers=FULL_HEADERS), mapping=FULL_MAPPING)
    assert report.refused and report.counts["rejected"] == 1
    [line] = report.lines
    assert (line.line, line.column, line.kind) == (3, column, "erreur")
    assert message in line.message
    assert "Rien n'a été importé : 1 ligne en erreur." in report.outcome


def test_coordinates_outside_france_are_refused(run):
    row = [*VALID_FULL[:10], "48,78", "2,45", ""]  # longitude and latitude swapped
    report = run(csv_bytes([row], headers=FULL_HEADERS), mapping=FULL_MAPPING)
    assert "coordonnées hors de France" in report.lines[0].message


def test_a_line_with_several_errors_reports_each_of_them(run):
    report = run(csv_bytes([["", "Awa", "demain", "?"]]))
    assert [(r.column, r.line) for r in report.lines] == [("Nom", 2), ("Date de naissance", 2), ("Sexe", 2)]
    assert report.counts["rejected"] == 1


def test_values_are_normalised(run, counsellor):
    report = run(csv_bytes([VALID_FULL], headers=FULL_HEADERS), mapping=FULL_MAPPING)
    assert report.committed, report.lines
    person = Beneficiary.objects.get()
    assert (person.first_name, person.last_name, person.birth_date, person.sex) == (
        "Éloïse",
        "Dupont",
        date(1990, 5, 17),
        "F",
    )
    assert (person.phone, person.postcode, person.commune.code, person.france_travail_id) == (
        "0612345678",
        "94000",
        "94028",
        "1234567A",
    )
    assert person.diploma_level == "4" and person.email == "eloise@exemple.fr"
    assert person.search_name.startswith("eloise dupont")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("17/05/1990", date(1990, 5, 17)), ("1990-05-17", date(1990, 5, 17)), ("17.05.1990", date(1990, 5, 17)),
     ("33010", date(1990, 5, 17)), ("1990-05-17 00:00:00", date(1990, 5, 17))],
)  # fmt: skip
def test_birth_dates_in_french_iso_or_excel_form(run, text, expected):
    assert run(csv_bytes([["Dupont", "Éloïse", text, "F"]])).committed
    assert Beneficiary.objects.get().birth_date == expected


# --- files --------------------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_csv_delimiters_and_encodings(run, delimiter, encoding):
    report = run(csv_bytes(GOOD, delimiter=delimiter, encoding=encoding))
    assert report.committed and report.created == 3
    assert set(Beneficiary.objects.values_list("first_name", flat=True)) == {"Éloïse", "Karim", "Awa"}


def test_quoted_cells_may_hold_the_delimiter_and_line_breaks(run):
    content = 'Nom;Prénom;Date de naissance;Sexe;Adresse\n"Dupont";"Éloïse";17/05/1990;F;"3 rue A;\nbât. B"\nBenali;;x;M;\n'
    report = run(content.encode(), mapping={**MAPPING, "address": "Adresse"})
    assert [(r.line, r.column) for r in report.lines] == [(4, "Prénom"), (4, "Date de naissance")]


def test_xlsx_with_excel_dates_and_numbers(run):
    rows = [
        ["Dupont", "Éloïse", datetime(1990, 5, 17), "F", 612345678, 4000],
        ["Benali", "Karim", "03/02/1985", "M", None, 94000],
    ]
    content = xlsx_bytes(rows, headers=[*HEADERS, "Téléphone", "CP"])
    report = run(content, name="export.xlsx", mapping={**MAPPING, "phone": "Téléphone", "postcode": "CP"})
    assert report.committed, report.lines
    eloise = Beneficiary.objects.get(first_name="Éloïse")
    assert (eloise.birth_date, eloise.phone, eloise.postcode) == (date(1990, 5, 17), "0612345678", "04000")


def test_an_xlsx_line_number_is_the_spreadsheet_row(run):
    content = xlsx_bytes([GOOD[0], [None, None, None, None], ["Benali", "Karim", "bientôt", "M"]])
    report = run(content, name="export.xlsx")
    assert [(r.line, r.column) for r in report.lines] == [(4, "Date de naissance")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "le fichier est vide"),
        (b"\xef\xbb\xbf  \r\n", "le fichier est vide"),
        (b"\x00\x01\x02binary\x00" * 50, "ni un fichier CSV ni un classeur Excel"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "ancien format Excel (.xls)"),
        (b"PK\x03\x04 not really a zip", "pas un classeur Excel (.xlsx) lisible"),
        (csv_bytes([]), "aucune ligne de données"),
    ],
)
def test_a_broken_file_is_refused_with_a_french_message(run, content, message):
    report = run(content)
    assert report.refused and message in report.file_errors[0]
    assert "Fichier refusé" in report.outcome
    assert not Beneficiary.objects.exists()


# --- rules: dry run, all or nothing, duplicates ---------------------------------------------------


def test_a_dry_run_writes_nothing_and_gives_the_same_report(run):
    content = csv_bytes([*GOOD, GOOD[0]])
    dry = run(content, dry_run=True)
    assert not Beneficiary.objects.exists() and not AuditEntry.objects.exists()
    assert dry.created == 3 and dry.counts["duplicates_file"] == 1
    assert dry.outcome.startswith("Simulation : rien n'a été enregistré. L'import donnerait : 3 personnes")
    real = run(content)
    assert real.committed
    assert [(r.line, r.message) for r in real.lines] == [(r.line, r.message) for r in dry.lines]
    assert Beneficiary.objects.count() == 3


def test_all_or_nothing_unless_a_partial_import_is_accepted(run):
    content = csv_bytes([*GOOD, ["Martin", "Léa", "32/13/2000", "F"]])
    refused = run(content)
    assert refused.refused and not refused.committed and refused.created == 0
    assert not Beneficiary.objects.exists()
    partial = run(content, partial=True)
    assert partial.committed and partial.created == 3 and partial.counts["rejected"] == 1
    assert partial.outcome == (
        "Import partiel réussi : 3 personnes créées, 0 doublon ignoré ; 1 ligne en erreur écartées."
    )
    assert Beneficiary.objects.count() == 3


def test_a_partial_import_with_no_valid_line_is_refused(run):
    report = run(csv_bytes([["", "", "", ""], ["Martin", "Léa", "?", "F"]]), partial=True)
    assert report.refused and "aucune ligne valide" in report.outcome


def test_duplicates_inside_the_file_are_skipped(run):
    rows = [
        ["Dupont", "Éloïse", "17/05/1990", "F"],
        ["DUPOND", "Eloise", "1990-05-17", "F"],  # one typo, other date format
        ["Éloïse", "Dupont", "17/05/1990", "F"],  # names swapped
        ["Dupont", "Éloïse", "18/05/1990", "F"],  # another birth date: another person
    ]
    report = run(csv_bytes(rows))
    assert report.committed and report.created == 2 and report.counts["duplicates_file"] == 2
    assert [(r.line, r.kind, r.message) for r in report.lines] == [
        (3, "doublon", "même personne que la ligne 2 du fichier : ligne ignorée."),
        (4, "doublon", "même personne que la ligne 2 du fichier : ligne ignorée."),
    ]


def test_duplicates_across_batches_are_found(run, monkeypatch):
    from cite_emploi.followup import beneficiary_import

    monkeypatch.setattr(beneficiary_import, "BATCH_SIZE", 2)
    rows = [GOOD[0], GOOD[1], GOOD[2], ["Dupont", "Eloise", "17/05/1990", "F"]]
    report = run(csv_bytes(rows))
    assert report.created == 3 and report.lines[0].message.startswith("même personne que la ligne 2")


def test_people_followed_elsewhere_in_the_territory_are_skipped_and_the_follower_named(run):
    other = member("counsellor")
    followed_by(other, first_name="Éloïse", last_name="Dupont", birth_date=date(1990, 5, 17))
    followed_by(other, first_name="Karim", last_name="Ben Ali", birth_date=date(1970, 1, 1),
                france_travail_id="7654321B")  # fmt: skip
    rows = [GOOD[0], ["Benali", "Karim", "1985-02-03", "M", "7654321 b"], GOOD[2]]
    report = run(csv_bytes(rows, headers=[*HEADERS, "FT"]), mapping={**MAPPING, "france_travail_id": "FT"})
    assert report.committed and report.created == 1 and report.counts["duplicates_territory"] == 2
    name = organisation_of(other).name
    assert [r.message for r in report.lines] == [
        f"personne déjà suivie sur le territoire par « {name} » : ligne ignorée. Pour travailler avec son "
        "suivi, demandez à le rejoindre depuis « Nouvelle personne ».",
    ] * 2


def test_reimporting_the_same_file_creates_nothing_and_succeeds(run):
    assert run(csv_bytes(GOOD)).created == 3
    again = run(csv_bytes(GOOD))
    assert not again.refused and again.created == 0 and again.counts["duplicates_territory"] == 3
    assert again.lines[0].message == "personne déjà enregistrée dans votre organisation : ligne ignorée."
    assert Beneficiary.objects.count() == 3


def test_people_of_another_territory_are_not_duplicates(run, other_territory):
    stranger = member("counsellor", territory=other_territory)
    followed_by(stranger, first_name="Éloïse", last_name="Dupont", birth_date=date(1990, 5, 17))
    assert run(csv_bytes(GOOD)).created == 3


# --- what is written ----------------------------------------------------------------------------


def test_each_person_gets_a_follow_up_with_the_importer_as_referent_and_no_consent(run, counsellor):
    run(csv_bytes(GOOD))
    organisation = organisation_of(counsellor)
    for person in Beneficiary.objects.all():
        assert person.created_by_organisation == organisation and person.updated_by == counsellor
        assert not person.consents.exists()
        [referent] = FollowUpMember.objects.filter(follow_up__beneficiary=person)
        assert (referent.user, referent.organisation, referent.is_referent) == (
            counsellor,
            organisation,
            True,
        )
        [event] = TimelineEvent.objects.filter(follow_up__beneficiary=person)
        assert event.kind == "membre" and "import de fichier" in event.text


def test_imported_people_stay_inside_the_organisation(run, counsellor):
    run(csv_bytes(GOOD))
    assert access.visible_beneficiaries(build_scope(counsellor)).count() == 3
    colleague_elsewhere = member("counsellor")
    assert access.visible_beneficiaries(build_scope(colleague_elsewhere)).count() == 0


def test_every_person_created_is_audited_and_the_import_too(run, counsellor):
    report = run(csv_bytes(GOOD))
    entries = AuditEntry.objects.filter(object_type="followup.beneficiary", action="create")
    assert sorted(int(e.object_id) for e in entries) == sorted(
        Beneficiary.objects.values_list("pk", flat=True)
    )
    assert {(e.actor_id, e.detail["what"], e.detail["import"]) for e in entries} == {
        (counsellor.pk, "fiche", report.run_id)
    }
    summary = AuditEntry.objects.get(object_type="followup.beneficiary_import")
    assert summary.detail["created"] == 3 and summary.detail["lines"] == 3
    # No name, date or contact detail in the audit log.
    assert "Dupont" not in json.dumps([e.detail for e in AuditEntry.objects.all()])


def test_a_refused_import_leaves_no_audit_entry(run):
    run(csv_bytes([*GOOD, ["?", "?", "?", "?"]]))
    assert not AuditEntry.objects.exists()


# --- location -----------------------------------------------------------------------------------


def test_coordinates_give_the_qpv_and_the_perimeter(run):
    rows = [
        ["Dupont", "Éloïse", "17/05/1990", "F", "2,4698", "48,7771"],  # Mont-Mesly, Créteil
        ["Benali", "Karim", "1985-02-03", "M", "2.4553", "48.7793"],  # town hall, outside QPV
    ]
    mapping = {**MAPPING, "longitude": "Lon", "latitude": "Lat"}
    report = run(csv_bytes(rows, headers=[*HEADERS, "Lon", "Lat"]), mapping=mapping)
    assert report.counts["in_qpv"] == 1 and report.counts["in_perimeter"] == 1
    eloise = Beneficiary.objects.get(first_name="Éloïse")
    assert (eloise.qpv.code, eloise.commune.code, eloise.in_perimeter, eloise.located_by) == (
        "QN09405M",
        "94028",
        True,
        "map",
    )
    karim = Beneficiary.objects.get(first_name="Karim")
    assert karim.qpv is None and not karim.in_perimeter and karim.longitude == 2.4553


def test_postcode_or_qpv_code_without_coordinates(run):
    rows = [
        ["Dupont", "Éloïse", "17/05/1990", "F", "94380", ""],  # Bonneuil-sur-Marne only
        ["Benali", "Karim", "1985-02-03", "M", "", "QN09406I"],  # Les Bleuets, Créteil
    ]
    mapping = {**MAPPING, "postcode": "CP", "qpv_code": "QPV"}
    run(csv_bytes(rows, headers=[*HEADERS, "CP", "QPV"]), mapping=mapping)
    eloise = Beneficiary.objects.get(first_name="Éloïse")
    assert (eloise.commune.code, eloise.qpv, eloise.located_by) == ("94011", None, "")
    karim = Beneficiary.objects.get(first_name="Karim")
    assert (karim.qpv.code, karim.commune.code, karim.in_perimeter, karim.located_by) == (
        "QN09406I",
        "94028",
        True,
        "manual",
    )


def test_addresses_are_geocoded_in_batch(run, fake_geocoder):
    rows = [
        ["Dupont", "Éloïse", "17/05/1990", "F", "Place de l'Abbaye", "94000"],
        ["Benali", "Karim", "1985-02-03", "M", "Rue qui n'existe pas du tout", "94000"],
    ]
    mapping = {**MAPPING, "address": "Adresse", "postcode": "CP"}
    report = run(csv_bytes(rows, headers=[*HEADERS, "Adresse", "CP"]), mapping=mapping, geocode=True)
    assert report.committed and report.counts["geocoded"] == 1 and report.counts["not_geocoded"] == 1
    assert [r.path for r in fake_geocoder.requests] == ["/geocodage/search/csv"]
    eloise = Beneficiary.objects.get(first_name="Éloïse")
    assert (eloise.qpv.code, eloise.located_by, eloise.in_perimeter) == ("QN09405M", "geocoder", True)
    karim = Beneficiary.objects.get(first_name="Karim")
    assert karim.qpv is None and karim.address == "Rue qui n'existe pas du tout"
    assert report.lines[0].kind == "avertissement" and "adresse introuvable" in report.lines[0].message


def test_a_geocoder_failure_imports_without_qpv(run, fake_geocoder):
    fake_geocoder.fail_first(10, status=503)
    rows = [["Dupont", "Éloïse", "17/05/1990", "F", "Place de l'Abbaye"]]
    report = run(csv_bytes(rows, headers=[*HEADERS, "Adresse"]), mapping={**MAPPING, "address": "Adresse"},
                 geocode=True)  # fmt: skip
    assert report.committed and Beneficiary.objects.get().qpv is None
    assert "importées sans quartier" in report.warnings[0]


# --- who may import -----------------------------------------------------------------------------


def test_only_a_professional_of_the_organisation_may_import(run):
    outsider = member("counsellor")
    report = run(csv_bytes(GOOD), by=outsider)
    assert report.refused and "on ne peut importer que dans sa propre organisation" in report.file_errors[0]
    elected = MembershipFactory(role="elected").user
    assert run(csv_bytes(GOOD), by=elected).refused
    assert not Beneficiary.objects.exists()


def test_a_counsellor_of_another_territory_cannot_import_into_ours(counsellor, other_territory):
    stranger = member("counsellor", territory=other_territory)
    report = import_beneficiaries(
        source(csv_bytes(GOOD)), organisation=organisation_of(counsellor), by=stranger, mapping=MAPPING
    )
    assert report.refused and not Beneficiary.objects.exists()


# --- command line -------------------------------------------------------------------------------


@pytest.fixture
def files(tmp_path):
    def write(content: bytes, mapping=MAPPING, name="personnes.csv"):
        path = tmp_path / name
        path.write_bytes(content)
        (tmp_path / "map.json").write_text(json.dumps(mapping), encoding="utf-8")
        return str(path), str(tmp_path / "map.json")

    return write


def test_the_command_imports_and_prints_a_french_report(counsellor, files, capsys):
    path, mapping = files(csv_bytes(GOOD))
    org = organisation_of(counsellor)
    call_command("import_beneficiaries", path, "--organisation", str(org.pk), "--mapping", mapping)
    out = capsys.readouterr().out
    assert "Import réussi : 3 personnes créées, 0 doublon ignoré." in out
    assert Beneficiary.objects.count() == 3


def test_the_console_script_accepts_the_name_with_dashes(monkeypatch):
    import django.core.management

    from cite_emploi.cli import main

    seen = []
    monkeypatch.setattr(django.core.management, "execute_from_command_line", seen.append)
    main(["cite-emploi", "import-beneficiaries", "f.csv", "--organisation", "1", "--dry-run"])
    assert seen == [["cite-emploi", "import_beneficiaries", "f.csv", "--organisation", "1", "--dry-run"]]


def test_a_dry_run_from_the_command_line_writes_nothing(counsellor, files, capsys):
    path, mapping = files(csv_bytes(GOOD))
    org = organisation_of(counsellor)
    call_command("import_beneficiaries", path, "--organisation", str(org.pk), "--mapping", mapping,
                 "--dry-run", "--by", counsellor.email)  # fmt: skip
    assert "Simulation : rien n'a été enregistré" in capsys.readouterr().out
    assert not Beneficiary.objects.exists()


def test_the_command_exits_with_an_error_on_a_rejected_file(counsellor, files, capsys):
    path, mapping = files(csv_bytes([*GOOD, ["Martin", "Léa", "?", "F"]]))
    org = organisation_of(counsellor)
    with pytest.raises(CommandError) as error:
        call_command("import_beneficiaries", path, "--organisation", str(org.pk), "--mapping", mapping)
    assert error.value.returncode == 1
    out = capsys.readouterr().out
    assert "ligne 5, colonne « Date de naissance » : [erreur] date illisible." in out
    assert not Beneficiary.objects.exists()
    call_command(
        "import_beneficiaries", path, "--organisation", str(org.pk), "--mapping", mapping, "--partial"
    )
    assert Beneficiary.objects.count() == 3


def test_the_command_needs_by_when_the_organisation_has_several_professionals(counsellor, files):
    org = organisation_of(counsellor)
    MembershipFactory(organisation=org, role="coordinator")
    path, mapping = files(csv_bytes(GOOD))
    with pytest.raises(CommandError, match="précisez --by"):
        call_command("import_beneficiaries", path, "--organisation", str(org.pk), "--mapping", mapping)
    with pytest.raises(CommandError, match="n'est pas conseiller"):
        call_command("import_beneficiaries", path, "--organisation", str(org.pk), "--mapping", mapping,
                     "--by", member("counsellor").email)  # fmt: skip
    with pytest.raises(CommandError, match="Organisation n° 0 inconnue"):
        call_command("import_beneficiaries", path, "--organisation", "0", "--mapping", mapping)


def test_the_command_refuses_a_bad_mapping_file(counsellor, files, tmp_path):
    path, _ = files(csv_bytes(GOOD))
    (tmp_path / "bad.json").write_text("[1, 2]")
    org = organisation_of(counsellor)
    with pytest.raises(CommandError, match="doit contenir un objet"):
        call_command("import_beneficiaries", path, "--organisation", str(org.pk), "--mapping",
                     str(tmp_path / "bad.json"))  # fmt: skip


def test_report_lines_for_the_console(run):
    report = run(csv_bytes([*GOOD, ["", "Léa", "01/01/2000", "F"]]), dry_run=True)
    text = "\n".join(report_lines(report))
    assert "Mode : tout ou rien, simulation" in text
    assert "ligne 5, colonne « Nom » : [erreur] nom manquant(e)" in text
