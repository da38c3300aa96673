import csv
import io
import json
import zipfile
from pathlib import Path

import pytest
from data_inclusion.schema import v1
from django.core.management import call_command
from django.core.management.base import CommandError

from cite_emploi.core.models import AuditEntry
from cite_emploi.partners.models import Service
from cite_emploi.partners.offer_export import SERVICE_COLUMNS, STRUCTURE_COLUMNS, export_offer
from cite_emploi.partners.offer_import import OfferFile, import_offer
from tests.partners.factories import OrganisationFactory, ServiceFactory, saved_service

DATA = Path(__file__).parent / "data"


@pytest.fixture
def offer(gpsea):
    """The sample file's records, a local organisation with a full service, and a demo of edge cases."""
    import_offer(OfferFile.from_path(DATA / "offre_v1.json"), territory=gpsea)
    local = OrganisationFactory(
        territory=gpsea,
        name="Régie de quartier",
        networks=["chantier-ecole"],
        siret="13003013300016",
        website="https://regie.example.org",
        longitude=2.46977,
        latitude=48.7771,
    )
    saved_service(
        organisation=local,
        name="Chantier =SOMME(A1)",
        description="=1+1 un service dont la description commence comme une formule.",
        publics=["jeunes", "femmes"],
        thematiques=["trouver-un-emploi--maintien-dans-lemploi", "mobilite--preparer-un-permis"],
        eligibility_zone=["94028", "94"],
        fees="payant",
        fees_details="10 € par mois",
        weekly_hours=35,
        weeks=26,
    )
    return gpsea


def export(territory, fmt) -> bytes:
    out = io.BytesIO()
    export_offer(territory, fmt, out)
    return out.getvalue()


def test_json_export_validates_entirely_with_the_official_package(offer):
    data = json.loads(export(offer, "data-inclusion-json"))

    assert set(data) == {"structures", "services"}
    assert len(data["structures"]) == 3 and len(data["services"]) == 4
    for record in data["structures"]:
        v1.Structure.model_validate(record, context={"ignore_warnings": False})
        assert list(record) == list(STRUCTURE_COLUMNS)
    for record in data["services"]:
        v1.Service.model_validate(record, context={"ignore_warnings": False})
        assert list(record) == list(SERVICE_COLUMNS)
    local = next(r for r in data["services"] if r["nom"].startswith("Chantier"))
    assert local["id"].startswith("cite-emploi--") and local["structure_id"].startswith("cite-emploi--")
    assert local["zone_eligibilite"] == ["94028", "94"]


def test_records_that_would_not_validate_are_left_out_and_listed(offer):
    org = OrganisationFactory(territory=offer, name="Structure incomplète")
    ServiceFactory(organisation=org, name="Court", description="abc")
    out = io.BytesIO()

    result = export_offer(offer, "data-inclusion-json", out)

    data = json.loads(out.getvalue())
    assert "Court" not in {r["nom"] for r in data["services"]}
    assert [(kind, name) for kind, _, name, _ in result.skipped] == [("service", "Court")]
    assert "description" in result.skipped[0][3]
    assert "1 enregistrement incomplet non exporté" in result.summary


def _read_csv(archive, name):
    with archive.open(name) as raw:
        return list(csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8", newline="")))


def test_csv_export_is_a_zip_of_two_national_tables(offer):
    archive = zipfile.ZipFile(io.BytesIO(export(offer, "csv")))

    assert sorted(archive.namelist()) == ["services.csv", "structures.csv"]
    structures, services = _read_csv(archive, "structures.csv"), _read_csv(archive, "services.csv")
    assert list(structures[0]) == list(STRUCTURE_COLUMNS) and list(services[0]) == list(SERVICE_COLUMNS)
    assert len(structures) == 3 and len(services) == 4
    cv = next(s for s in services if s["id"] == "dora--atelier-cv")
    assert cv["publics"] == "residents-qpv-frr,demandeurs-emploi"
    assert cv["modes_mobilisation"] == "se-presenter,telephoner"
    assert cv["telephone"] == "0143000000" and cv["courriel"] == ""


def test_xlsx_export_has_a_french_header_then_the_field_names(offer):
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(export(offer, "xlsx")), read_only=True)

    assert workbook.sheetnames == ["structures", "services"]
    rows = list(workbook["services"].iter_rows(values_only=True))
    assert rows[0][:4] == ("Source", "Identifiant de la structure", "Identifiant", "Nom")
    assert rows[1] == SERVICE_COLUMNS
    assert len(rows) == 2 + 4
    chantier = next(r for r in rows[2:] if r[3].startswith("Chantier"))
    description = chantier[SERVICE_COLUMNS.index("description")]
    assert description.startswith("=1+1")  # text, not a formula
    assert chantier[SERVICE_COLUMNS.index("publics")] == "jeunes,femmes"


def test_exports_are_audited(offer):
    export(offer, "xlsx")

    entry = AuditEntry.objects.get(object_type="partners.offer_export")
    assert entry.action == "export" and entry.detail["format"] == "xlsx" and entry.detail["services"] == 4


def test_an_empty_territory_exports_empty_lists(other_territory):
    assert json.loads(export(other_territory, "data-inclusion-json")) == {"structures": [], "services": []}


def test_the_command_writes_the_file(offer, tmp_path, capsys):
    path = tmp_path / "offre.json"

    call_command("export_offer", "--territory", "gpsea", "--format", "data-inclusion-json", "-o", str(path))

    assert len(json.loads(path.read_text(encoding="utf-8"))["services"]) == Service.objects.count()
    assert "3 structures et 4 services exportés." in capsys.readouterr().out


def test_the_command_checks_the_extension(offer, tmp_path):
    with pytest.raises(CommandError, match=r"s'écrit dans un fichier \.zip"):
        call_command("export_offer", "--format", "csv", "-o", str(tmp_path / "offre.csv"))
