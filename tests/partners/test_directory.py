"""The directory of partners: rows, and the XLSX, CSV and PDF writers."""

import csv
import io

import pytest
from openpyxl import load_workbook

from cite_emploi.partners import directory
from cite_emploi.partners.models import OrganisationKind
from cite_emploi.partners.search import OrganisationFilters, search_organisations
from cite_emploi.partners.services import save_organisation
from tests.partners.factories import ContactFactory, OrganisationFactory, saved_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def orgs(gpsea):
    ml = save_organisation(
        OrganisationFactory.build(
            name="Mission locale Plaine centrale",
            kind=OrganisationKind.MISSION_LOCALE,
            networks=["mission-locale"],
            siret="13002526500013",
            address="12 rue des Écoles",
            postcode="94000",
            phone="01 45 17 00 00",
            email="accueil@ml.example",
            longitude=2.4571,
            latitude=48.8033,
        )
    )
    ContactFactory(
        organisation=ml, function="Accueil jeunes", email="jeunes@ml.example", phone="01 45 17 00 01"
    )
    ContactFactory(organisation=ml, function="Référent entreprises", email="", phone="")
    saved_service(organisation=ml)
    saved_service(organisation=ml)
    tricky = OrganisationFactory(name='=HYPERLINK("http://x") asso', phone="+33 1 45 00 00 00")
    return ml, tricky


def rows(territory):
    return directory.directory_rows(search_organisations(territory, OrganisationFilters()))


def test_rows_carry_address_commune_qpv_networks_contacts_and_service_count(gpsea, orgs):
    ml = next(r for r in rows(gpsea) if r.name.startswith("Mission locale"))
    assert (ml.commune, ml.commune_code, ml.qpv, ml.qpv_code) == (
        "Créteil",
        "94028",
        "Les Bleuets",
        "QN09406I",
    )
    assert ml.networks == ["Mission Locale"]
    assert ml.address == "12 rue des Écoles" and ml.postcode == "94000"
    assert ml.contacts == ["Accueil jeunes : jeunes@ml.example · 01 45 17 00 01", "Référent entreprises"]
    assert ml.service_count == 2
    assert ml.kind == "Mission locale"


def test_rows_take_a_constant_number_of_queries(gpsea, orgs, django_assert_num_queries):
    with django_assert_num_queries(2):
        rows(gpsea)
    for _ in range(10):
        ContactFactory(organisation=OrganisationFactory())
    with django_assert_num_queries(2):
        assert len(rows(gpsea)) == 12


def test_csv_is_utf8_with_bom_and_semicolons_for_french_excel(gpsea, orgs):
    content = directory.to_csv(rows(gpsea))
    assert content.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert lines[0] == list(directory.HEADERS)
    assert lines[0][0] == "Organisation" and "Contacts (fonction)" in lines[0]
    by_name = {line[0]: line for line in lines[1:]}
    assert '\'=HYPERLINK("http://x") asso' in by_name  # a formula is shown, never run
    tricky = by_name['\'=HYPERLINK("http://x") asso']
    assert (
        tricky[directory.HEADERS.index("Téléphone d'accueil")] == "+33 1 45 00 00 00"
    )  # a phone stays as is
    ml = by_name["Mission locale Plaine centrale"]
    assert ml[directory.HEADERS.index("Contacts (fonction)")] == (
        "Accueil jeunes : jeunes@ml.example · 01 45 17 00 01 | Référent entreprises"
    )
    assert ml[directory.HEADERS.index("Nombre de services")] == "2"


def test_xlsx_has_french_headers_and_no_formula(gpsea, orgs):
    workbook = load_workbook(io.BytesIO(directory.to_xlsx(rows(gpsea))))
    sheet = workbook["Annuaire"]
    assert [c.value for c in sheet[1]] == list(directory.HEADERS)
    values = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert set(values) == {"Mission locale Plaine centrale", '=HYPERLINK("http://x") asso'}
    assert sheet.cell(row=2, column=1).data_type == "s" and sheet.cell(row=3, column=1).data_type == "s"
    assert values["Mission locale Plaine centrale"][-1] == 2


def test_safe_cell():
    assert directory.safe_cell("=1+1") == "'=1+1"
    assert directory.safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert directory.safe_cell("-2+3+cmd|' /C calc'!A0") == "'-2+3+cmd|' /C calc'!A0"
    assert directory.safe_cell("+33 1 45 00 00 00") == "+33 1 45 00 00 00"
    assert directory.safe_cell("Normal") == "Normal" and directory.safe_cell(3) == 3


def test_pdf(gpsea, orgs):
    pytest.importorskip("weasyprint")
    pdf = directory.to_pdf(rows(gpsea), territory=gpsea, filters_label="Nature : Mission locale")
    assert pdf.startswith(b"%PDF-") and len(pdf) > 2000


def test_pdf_without_weasyprint_says_so_in_french(gpsea, orgs, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_weasyprint(name, *args, **kwargs):
        if name == "weasyprint":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_weasyprint)
    with pytest.raises(directory.PdfUnavailable, match="WeasyPrint absent"):
        directory.to_pdf(rows(gpsea), territory=gpsea)


def test_export_dispatches_on_the_format(gpsea, orgs):
    assert directory.export([], "csv", territory=gpsea).startswith(b"\xef\xbb\xbf")
    with pytest.raises(ValueError):
        directory.export([], "doc", territory=gpsea)
