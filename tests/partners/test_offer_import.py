import io
import json
import zipfile
from datetime import date
from pathlib import Path

import pytest
from data_inclusion.schema import v1
from django.core.management import call_command
from django.core.management.base import CommandError

from cite_emploi.core.models import AuditEntry
from cite_emploi.partners.data_inclusion import quality
from cite_emploi.partners.models import Organisation, Service, ServiceFacet
from cite_emploi.partners.offer_export import export_offer
from cite_emploi.partners.offer_import import OfferFile, import_offer, report_lines
from cite_emploi.partners.services import save_site
from tests.partners.factories import OrganisationFactory, SiteFactory, saved_service

DATA = Path(__file__).parent / "data"


def run(path, territory, **options):
    return import_offer(OfferFile.from_path(path), territory=territory, **options)


def export_json(territory) -> dict:
    out = io.BytesIO()
    export_offer(territory, "data-inclusion-json", out)
    return json.loads(out.getvalue())


def write_json(tmp_path, structures=(), services=(), name="offre.json"):
    path = tmp_path / name
    path.write_text(
        json.dumps({"structures": list(structures), "services": list(services)}), encoding="utf-8"
    )
    return path


def structure(ident="s1", **fields):
    return {"source": "test", "id": ident, "nom": f"Structure {ident}", "date_maj": "2025-01-10", **fields}


def service(ident="sv1", structure_id="s1", **fields):
    return {
        "source": "test",
        "id": ident,
        "structure_id": structure_id,
        "nom": f"Service {ident}",
        "description": "Un service d'accompagnement vers l'emploi pour les habitants.",
        "date_maj": "2025-01-10",
        **fields,
    }


def wipe(territory):
    Service.objects.in_territory(territory).delete()
    Organisation.objects.in_territory(territory).delete()


# -- What an import writes ------------------------------------------------------------------------


def test_a_data_inclusion_file_creates_structures_and_services(gpsea):
    report = run(DATA / "offre_v1.json", gpsea)

    assert report.committed, report_lines(report)
    assert report.counts["structure"]["created"] == 2
    assert report.counts["service"]["created"] == 3
    org = Organisation.objects.get(territory=gpsea, source="dora", external_id="dora--asso-tremplin")
    assert org.name == "Association Tremplin Mont-Mesly"
    assert org.updated_on == date(2025, 3, 10)  # the file's date_maj, not today
    assert org.qpv.code == "QN09405M" and org.commune.code == "94028"
    cv = Service.objects.get(external_id="dora--atelier-cv")
    assert cv.organisation == org
    assert cv.updated_on == date(2025, 3, 10)
    assert cv.weekly_hours == 2.5 and cv.weeks == 4
    assert cv.qpv.code == "QN09405M"
    assert cv.quality_score is not None
    facets = set(cv.facets.values_list("facet", "value"))
    assert ("qpv", "QN09405M") in facets
    assert ("categorie", "preparer-sa-candidature") in facets
    assert ("zone", "94028") in facets
    bleuets = Service.objects.get(external_id="dora--permanence-bleuets")
    # No commune given: the locator gives it, as services.locate does.
    assert (
        bleuets.qpv.code == "QN09406I"
        and bleuets.commune.code == "94028"
        and bleuets.commune_name == "Créteil"
    )
    entry = AuditEntry.objects.get(object_type="partners.offer_import")
    assert entry.action == "create" and entry.territory_id == gpsea.pk
    assert entry.detail["services_created"] == 3


def test_the_quality_score_is_the_one_the_application_computes(gpsea):
    run(DATA / "offre_v1.json", gpsea)

    for service in Service.objects.select_related("organisation", "commune"):
        assert service.quality_score == quality(service)[0]


def test_an_update_rewrites_the_facets_with_the_sites_of_the_service(gpsea, tmp_path):
    run(write_json(tmp_path, [structure()], [service()]), gpsea)
    sv = Service.objects.get(external_id="sv1")
    site = SiteFactory(organisation=sv.organisation, longitude=2.4571, latitude=48.8033)
    save_site(site)
    sv.sites.add(site)

    run(write_json(tmp_path, [structure()], [service(date_maj="2025-03-01")], "b.json"), gpsea)

    assert ("qpv", "QN09406I") in set(sv.facets.values_list("facet", "value"))


def test_structures_go_to_the_chosen_territory(gpsea, other_territory):
    run(DATA / "offre_v1.json", other_territory)

    assert Organisation.objects.filter(territory=other_territory).count() == 2
    assert not Organisation.objects.filter(territory=gpsea, source="dora").exists()
    # The same file in another territory makes other records: territories never share rows.
    run(DATA / "offre_v1.json", gpsea)
    assert Organisation.objects.filter(source="dora").count() == 4


# -- Round trip and idempotency -------------------------------------------------------------------


def _populate(territory):
    run(DATA / "offre_v1.json", territory)
    local = OrganisationFactory(territory=territory, name="Régie de quartier", networks=["chantier-ecole"])
    saved_service(organisation=local, name="Chantier d'insertion", publics=["jeunes", "femmes"])


@pytest.mark.parametrize("fmt,suffix", [("data-inclusion-json", ".json"), ("csv", ".zip"), ("xlsx", ".xlsx")])
def test_export_wipe_import_export_gives_the_same_records(gpsea, tmp_path, fmt, suffix):
    _populate(gpsea)
    before = export_json(gpsea)
    path = tmp_path / f"offre{suffix}"
    with open(path, "wb") as out:
        export_offer(gpsea, fmt, out)
    wipe(gpsea)

    report = run(path, gpsea)

    assert report.committed, report_lines(report)
    assert report.counts["structure"]["created"] == 3 and report.counts["service"]["created"] == 4
    assert export_json(gpsea) == before


def test_reimporting_the_same_file_changes_nothing(gpsea):
    run(DATA / "offre_v1.json", gpsea)
    stamps = dict(Service.objects.values_list("pk", "modified_at"))
    facets = ServiceFacet.objects.count()

    report = run(DATA / "offre_v1.json", gpsea)

    assert report.counts["structure"]["unchanged"] == 2 and report.counts["service"]["unchanged"] == 3
    assert report.total("created") == report.total("updated") == 0
    assert dict(Service.objects.values_list("pk", "modified_at")) == stamps
    assert ServiceFacet.objects.count() == facets


def test_our_own_export_reimported_into_the_same_territory_is_unchanged(gpsea, tmp_path):
    _populate(gpsea)
    path = tmp_path / "offre.json"
    path.write_text(json.dumps(export_json(gpsea)), encoding="utf-8")
    count = Organisation.objects.count(), Service.objects.count()

    report = run(path, gpsea)

    assert report.total("unchanged") == 7, report_lines(report)
    assert (Organisation.objects.count(), Service.objects.count()) == count


def test_a_newer_date_maj_updates_an_older_one_does_not(gpsea, tmp_path):
    run(write_json(tmp_path, [structure()], [service(publics=["jeunes"])]), gpsea)

    newer = run(
        write_json(tmp_path, [structure()], [service(publics=["femmes"], date_maj="2025-02-01")], "b.json"),
        gpsea,
    )
    assert newer.counts["service"]["updated"] == 1
    sv = Service.objects.get(external_id="sv1")
    assert sv.publics == ["femmes"] and sv.updated_on == date(2025, 2, 1)
    assert set(sv.facets.filter(facet="public").values_list("value", flat=True)) == {"femmes"}

    older = run(
        write_json(tmp_path, [structure()], [service(publics=["seniors"], date_maj="2024-12-01")], "c.json"),
        gpsea,
    )
    assert older.counts["service"]["unchanged"] == 1
    assert Service.objects.get(external_id="sv1").publics == ["femmes"]


# -- Validation, line numbers and French messages -------------------------------------------------


def test_rejections_name_the_line_the_record_the_field_and_say_why_in_french(gpsea, tmp_path):
    path = write_json(
        tmp_path,
        [structure(), structure("s2", siret="123")],
        [service(), service("sv2", description="abc", thematiques=["emploi"], courriel="pas-un-courriel")],
    )

    report = run(path, gpsea)

    assert not report.committed
    rows = {(r.where, r.line, r.record_id, r.field): r.message for r in report.rejections}
    assert (
        rows[("structures", 2, "s2", "siret")].startswith("format inattendu")
        or "14" in rows[("structures", 2, "s2", "siret")]
    )
    assert rows[("services", 2, "sv2", "description")] == "texte trop court (au moins 5 caractères)"
    assert rows[("services", 2, "sv2", "thematiques")] == "valeur inconnue : emploi"
    assert rows[("services", 2, "sv2", "courriel")] == (
        "adresse électronique invalide : attendu par exemple nom@domaine.fr"
    )
    text = "\n".join(report_lines(report))
    assert "services, ligne 2, sv2, thématiques : valeur inconnue : emploi" in text


def test_the_platforms_own_rules_apply_too(gpsea, tmp_path):
    path = write_json(tmp_path, [structure(siret="12345678901234"), structure("s2", telephone="0" * 25)])

    report = run(path, gpsea)

    messages = {(r.record_id, r.field): r.message for r in report.rejections}
    assert "clé de contrôle" in messages[("s1", "siret")]
    assert messages[("s2", "telephone")] == "texte trop long pour la plateforme (au plus 20 caractères)"


def test_all_or_nothing_imports_nothing_when_a_record_is_bad(gpsea, tmp_path):
    path = write_json(tmp_path, [structure(), structure("s2", nom="X")], [service()])

    report = run(path, gpsea)

    assert not report.committed and report.nothing_imported_because_of_errors
    assert not Organisation.objects.filter(source="test").exists()
    assert not Service.objects.filter(source="test").exists()
    assert "Rien n'a été importé" in report.outcome


def test_partial_import_keeps_the_good_records_and_lists_the_bad_ones(gpsea, tmp_path):
    path = write_json(
        tmp_path,
        [structure(), structure("s2", nom="X")],
        [service(), service("sv2", structure_id="s2"), service("sv3", date_maj="2999-01-01")],
    )

    report = run(path, gpsea, partial=True)

    assert report.committed
    assert list(Organisation.objects.filter(source="test").values_list("external_id", flat=True)) == ["s1"]
    assert list(Service.objects.filter(source="test").values_list("external_id", flat=True)) == ["sv1"]
    assert report.counts["structure"]["rejected"] == 1 and report.counts["service"]["rejected"] == 2
    messages = {r.record_id: r.message for r in report.rejections}
    assert messages["sv2"] == "la structure « s2 » de ce service a été rejetée"
    assert messages["sv3"] == "La date de dernière modification ne peut pas être dans le futur."
    assert "Import partiel réussi" in report.outcome


def test_a_simulation_reports_everything_and_writes_nothing(gpsea):
    report = run(DATA / "offre_v1.json", gpsea, dry_run=True)

    assert report.counts["structure"]["created"] == 2 and report.counts["service"]["created"] == 3
    assert not report.committed
    assert not Organisation.objects.filter(source="dora").exists()
    assert not AuditEntry.objects.filter(object_type="partners.offer_import").exists()
    assert report.outcome.startswith("Simulation")


def test_a_service_whose_structure_is_nowhere_is_rejected(gpsea, tmp_path):
    report = run(write_json(tmp_path, [], [service(structure_id="inconnue")]), gpsea)

    assert report.rejections[0].field == "structure_id"
    assert report.rejections[0].message == (
        "structure « inconnue » introuvable : ni dans le fichier, ni parmi les structures du territoire GPSEA"
    )


def test_a_service_may_point_to_a_structure_already_in_the_territory(gpsea, tmp_path):
    run(write_json(tmp_path, [structure()]), gpsea)

    report = run(write_json(tmp_path, [], [service()], "services.json"), gpsea)

    assert report.counts["service"]["created"] == 1
    assert Service.objects.get(external_id="sv1").organisation.external_id == "s1"


def test_services_before_structures_in_the_file_still_find_them(gpsea, tmp_path):
    path = tmp_path / "inverse.json"
    path.write_text(json.dumps({"services": [service()], "structures": [structure()]}), encoding="utf-8")

    report = run(path, gpsea)

    assert report.committed and report.counts["service"]["created"] == 1


def test_duplicate_ids_and_names_are_rejected(gpsea, tmp_path):
    OrganisationFactory(territory=gpsea, name="Déjà là")
    path = write_json(tmp_path, [structure(), structure(), structure("s3", nom="Déjà là")])

    report = run(path, gpsea, partial=True)

    messages = {(r.line, r.field): r.message for r in report.rejections}
    assert messages[(2, "id")] == "identifiant en double dans le fichier (déjà à la ligne 1 de structures)"
    assert messages[(3, "nom")] == "une autre structure du territoire GPSEA porte déjà ce nom"


def test_a_national_list_of_records_is_read_too(gpsea, tmp_path):
    path = tmp_path / "structures-inclusion.json"
    path.write_text(json.dumps([structure(), structure("s2")]), encoding="utf-8")

    report = run(path, gpsea)

    assert report.counts["structure"]["created"] == 2


# -- Older schema ---------------------------------------------------------------------------------


def test_records_of_the_older_schema_are_converted_not_rejected(gpsea):
    report = run(DATA / "offre_v0.json", gpsea)

    assert report.committed, report_lines(report)
    assert report.counts["structure"]["converted"] == 1 and report.counts["service"]["converted"] == 2
    org = Organisation.objects.get(external_id="ml-creteil")
    assert org.networks == ["mission-locale"]
    assert org.kind == "mission-locale"
    assert org.updated_on == date(2024, 6, 1)
    assert org.description.startswith("La Mission Locale accueille")
    sv = Service.objects.get(external_id="ml-creteil-accompagnement")
    assert sv.publics == [
        "jeunes",
        "beneficiaires-des-minimas-sociaux",
        "actifs",
        "personnes-en-situation-de-handicap",
    ]
    assert sv.eligibility_zone == ["94028"]
    assert sv.fees == "payant" and sv.type == "accompagnement"
    assert sv.mobilisation_modes == [
        "envoyer-un-courriel",
        "se-presenter",
        "telephoner",
        "utiliser-lien-mobilisation",
    ]
    assert sv.mobilisation_link == "https://ml-creteil.example.org/rdv"
    mobility = Service.objects.get(external_id="ml-creteil-mobilite")
    assert mobility.eligibility_zone == ["75", "77", "78", "91", "92", "93", "94", "95"]
    assert mobility.publics == ["tous-publics"]
    notes = {c.record_id: c.notes for c in report.conversions}
    assert (
        "zone_diffusion_type=commune + zone_diffusion_code=94028 → zone_eligibilite=[94028]"
        in notes["ml-creteil-accompagnement"]
    )
    assert "services : profils → publics" in report.conversion_kinds
    text = "\n".join(report_lines(report))
    assert "Conversions depuis l'ancien schéma data·inclusion" in text
    # Converted records validate with the official package, as exported.
    for record in export_json(gpsea)["services"]:
        v1.Service.model_validate(record)


# -- Tabular files --------------------------------------------------------------------------------


def _csv_bytes(rows, delimiter=","):
    text = io.StringIO()
    import csv

    csv.writer(text, delimiter=delimiter).writerows(rows)
    return text.getvalue().encode("utf-8")


def test_csv_rows_are_numbered_as_in_a_spreadsheet(gpsea, tmp_path):
    path = tmp_path / "structures.csv"
    path.write_bytes(
        _csv_bytes(
            [
                ["source", "id", "nom", "date_maj", "reseaux_porteurs", "longitude", "latitude"],
                ["test", "s1", "Structure un", "2025-01-10", "mission-locale, plie", "2,46977", "48,7771"],
                ["", "", "", "", "", "", ""],
                ["test", "s2", "Structure deux", "10/01/2025", "", "", ""],
            ],
            delimiter=";",
        )
    )

    report = run(path, gpsea, partial=True)

    assert report.counts["structure"]["created"] == 1
    assert [(r.where, r.line, r.field) for r in report.rejections] == [("structures.csv", 4, "date_maj")]
    assert report.rejections[0].message == "date attendue au format AAAA-MM-JJ"
    org = Organisation.objects.get(external_id="s1")
    assert org.networks == ["mission-locale", "plie"] and org.qpv.code == "QN09405M"


def test_a_zip_of_two_csv_files_imports_structures_then_services(gpsea, tmp_path):
    path = tmp_path / "offre.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("services.csv", _csv_bytes([list(service()), list(service().values())]))
        archive.writestr("structures.csv", _csv_bytes([list(structure()), list(structure().values())]))

    report = run(path, gpsea)

    assert report.committed and report.total("created") == 2


def test_xlsx_rows_are_numbered_as_in_the_sheet(gpsea, tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "services"
    sheet.append(
        ["Source", "Identifiant", "Identifiant de la structure", "Nom", "Description", "Date de mise à jour"]
    )
    sheet.append(["source", "id", "structure_id", "nom", "description", "date_maj"])
    sheet.append(
        ["test", "sv1", "s1", "Un service", "Un service pour tous les habitants.", date(2025, 1, 10)]
    )
    sheet.append(["test", "sv2", "s1", "Un autre service", "Court", "hier"])
    structures = workbook.create_sheet("structures")
    structures.append(["source", "id", "nom", "date_maj", "siret", "code_postal"])
    structures.append(["test", "s1", "Structure un", "2025-01-10", 13003013300016, 94000])
    path = tmp_path / "offre.xlsx"
    workbook.save(path)

    report = run(path, gpsea, partial=True)

    assert report.counts["structure"]["created"] == 1 and report.counts["service"]["created"] == 1
    assert [(r.where, r.line, r.field) for r in report.rejections] == [("services", 4, "date_maj")]
    org = Organisation.objects.get(external_id="s1")
    assert org.siret == "13003013300016" and org.postcode == "94000"


# -- Files that cannot be read: a French message, never an exception -----------------------------


@pytest.mark.parametrize(
    "name,content,expected",
    [
        ("offre.json", b"", "le fichier est vide"),
        ("offre.json", b"source;id;nom\n", "ce n'est pas un fichier JSON data·inclusion"),
        ("offre.json", b'{"structures": [{"source": "a", "id": ', "JSON invalide ligne 1"),
        ("offre.json", b'{"structures": []}', "aucune structure ni aucun service"),
        ("offre.json", b'{"structures": {"a": 1}}', "« structures » doit être une liste"),
        ("structures.csv", "source;id;nom;date_maj\ntest;s1;Crèche;2025-01-10\n".encode("latin-1"), "UTF-8"),
        ("structures.csv", b"", "le fichier est vide"),
        ("services.csv", b"source,id,nom\ntest,a,b\n", "colonnes obligatoires absentes"),
        ("offre.xlsx", b"pas un classeur", "classeur Excel (.xlsx) lisible"),
        ("offre.zip", b"pas une archive", "archive .zip lisible"),
        ("offre.txt", b"texte", "format non reconnu"),
    ],
)
def test_unreadable_files_give_a_french_message(gpsea, tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content)

    report = run(path, gpsea)

    assert not report.committed
    assert report.file_errors and expected in report.file_errors[0]
    assert report.nothing_imported_because_of_errors


def test_a_zip_without_csv_files_says_so(gpsea, tmp_path):
    path = tmp_path / "offre.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("lisez-moi.txt", "rien")

    report = run(path, gpsea)

    assert "structures.csv et/ou services.csv" in report.file_errors[0]


def test_json_is_read_in_chunks(gpsea, tmp_path):
    """Records straddle the reader's chunks: all of them are read, in order."""
    structures = [structure(f"s{i}", description="é" * 300) for i in range(400)]
    path = write_json(tmp_path, structures)

    report = run(path, gpsea)

    assert report.counts["structure"]["created"] == 400


# -- Command line ---------------------------------------------------------------------------------


def test_the_command_prints_a_french_report(gpsea, capsys):
    call_command("import_offer", str(DATA / "offre_v1.json"), "--territory", "gpsea")

    out = capsys.readouterr().out
    assert "Import réussi" in out and "Structures" in out and "territoire" in out


def test_the_command_fails_when_nothing_is_imported(gpsea, tmp_path, capsys):
    path = write_json(tmp_path, [structure(nom="X")])

    with pytest.raises(CommandError, match="Rien n'a été importé"):
        call_command("import_offer", str(path), "--territory", "gpsea")
    assert "nom : texte trop court" in capsys.readouterr().out


def test_a_missing_file_is_said_in_french(gpsea, tmp_path):
    report = run(tmp_path / "absent.json", gpsea)

    assert report.file_errors == ["absent.json : fichier introuvable."]


def test_the_command_names_unknown_territories(db):
    with pytest.raises(CommandError, match="Territoire « nulle-part » inconnu"):
        call_command("import_offer", str(DATA / "offre_v1.json"), "--territory", "nulle-part")


def test_without_territory_the_command_uses_the_first_real_one(gpsea, other_territory, capsys):
    call_command("import_offer", str(DATA / "offre_v1.json"), "--dry-run")

    assert "(gpsea)" in capsys.readouterr().out
