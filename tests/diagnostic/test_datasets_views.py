"""Pages of imported statistics: who reaches what, import with its error report, detail, deletion."""

import csv
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cite_emploi.diagnostic import forms_datasets, views_datasets
from cite_emploi.diagnostic.models import Dataset, Observation
from tests.accounts.factories import member
from tests.diagnostic.factories import DatasetFactory, ObservationFactory

HEADERS = ["niveau", "code", "indicateur", "libelle_indicateur", "periode", "valeur", "unite"]
LABEL = "Demandeurs d'emploi inscrits en catégories A, B, C"


def line(year=2021, value="120", code="QN09405M"):
    return ["qpv", code, "demandeurs_emploi_abc", LABEL, str(year), value, "personnes"]


def upload(rows, name="stats.csv"):
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows([HEADERS, *rows])
    return SimpleUploadedFile(name, out.getvalue().encode("utf-8"), content_type="text/csv")


def post_import(client, rows, **fields):
    data = {
        "fichier": upload(rows),
        "titre": "Demandeurs d'emploi par QPV",
        "source": "France Travail - Dares",
        "licence": "Licence Ouverte 2.0",
        **fields,
    }
    return client.post(reverse("diagnostic:dataset_import"), data)


@pytest.fixture
def coordinator(db):
    return member("coordinator")


@pytest.fixture
def coordinator_client(client, coordinator):
    client.force_login(coordinator)
    return client


# --- who reaches what ---------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "answer"), [("coordinator", 200), ("elected", 200), ("funder", 200),
                                              ("counsellor", 403), ("employer", 403)])  # fmt: skip
def test_public_statistics_are_read_by_the_coordination_elected_members_and_funders(client, db, role, answer):
    dataset = DatasetFactory()
    client.force_login(member(role))
    assert client.get(reverse("diagnostic:datasets")).status_code == answer
    assert client.get(reverse("diagnostic:dataset", args=[dataset.pk])).status_code == answer


@pytest.mark.parametrize("role", ["elected", "funder", "counsellor"])
def test_only_the_coordination_imports_and_deletes(client, db, role):
    dataset = DatasetFactory()
    client.force_login(member(role))
    for name, args in (("dataset_import", []), ("dataset_delete", [dataset.pk]), ("dataset_template", ["csv"]),
                       ("dataset_import_errors", [])):  # fmt: skip
        assert client.get(reverse(f"diagnostic:{name}", args=args)).status_code == 403, name
    assert client.post(reverse("diagnostic:dataset_delete", args=[dataset.pk])).status_code == 403
    assert Dataset.objects.filter(pk=dataset.pk).exists()


def test_the_import_button_is_for_the_coordination(client, db):
    DatasetFactory()
    client.force_login(member("elected"))
    body = client.get(reverse("diagnostic:datasets")).content.decode()
    assert reverse("diagnostic:dataset_import") not in body
    client.force_login(member("coordinator"))
    assert reverse("diagnostic:dataset_import") in client.get(reverse("diagnostic:datasets")).content.decode()


def test_a_dataset_of_another_territory_is_not_found(client, other_territory):
    dataset = DatasetFactory()
    client.force_login(member("coordinator", territory=other_territory))
    for name in ("dataset", "dataset_delete"):
        assert client.get(reverse(f"diagnostic:{name}", args=[dataset.pk])).status_code == 404, name
    assert client.post(reverse("diagnostic:dataset_delete", args=[dataset.pk])).status_code == 404
    assert dataset.title not in client.get(reverse("diagnostic:datasets")).content.decode()
    assert Dataset.objects.filter(pk=dataset.pk).exists()


def test_anonymous_visitors_go_to_the_login_page(client, db):
    response = client.get(reverse("diagnostic:datasets"))
    assert response.status_code == 302 and "connexion" in response.url


# --- list ---------------------------------------------------------------------------------------


def test_the_list_shows_counts_period_range_importer_and_demo_badge(coordinator_client, coordinator):
    dataset = DatasetFactory(title="Chômage par commune", imported_by=coordinator, is_demo=True)
    ObservationFactory(dataset=dataset, period="2019")
    ObservationFactory(dataset=dataset, period="2021-T3")
    body = coordinator_client.get(reverse("diagnostic:datasets")).content.decode()
    assert "Chômage par commune" in body and "Fictif" in body
    assert "du 01/01/2019 au 30/09/2021" in body
    assert coordinator.get_full_name() in body
    assert '<td class="fr-cell--right">2</td>' in body


def test_the_list_runs_the_same_queries_for_2_and_20_datasets(
    client, coordinator, django_assert_max_num_queries
):
    def datasets(n):
        for _ in range(n):
            ObservationFactory(dataset=DatasetFactory(imported_by=member("coordinator")))

    client.force_login(coordinator)
    datasets(2)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("diagnostic:datasets")).status_code == 200
    datasets(18)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("diagnostic:datasets"))
    assert response.context["page_obj"].paginator.count == 20


# --- import -------------------------------------------------------------------------------------


def test_the_import_form_offers_the_templates(coordinator_client):
    body = coordinator_client.get(reverse("diagnostic:dataset_import")).content.decode()
    assert reverse("diagnostic:dataset_template", args=["xlsx"]) in body
    assert "Importer les lignes valides et écarter les autres" in body
    for field in ("fichier", "titre", "source", "licence", "url", "description", "partiel"):
        assert f'for="id_{field}"' in body, field


def test_a_valid_file_is_imported_and_opens_its_page(coordinator_client):
    response = post_import(coordinator_client, [line(2020), line(2021)], url="https://www.insee.fr/")
    dataset = Dataset.objects.get()
    assert response.status_code == 302 and response.url == reverse("diagnostic:dataset", args=[dataset.pk])
    assert (dataset.observations.count(), dataset.url, dataset.file_name) == (
        2,
        "https://www.insee.fr/",
        "stats.csv",
    )
    page = coordinator_client.get(response.url).content.decode()
    assert "2 observations importées." in page


def test_a_rejected_file_shows_its_errors_keeps_the_fields_and_writes_nothing(coordinator_client):
    response = post_import(coordinator_client, [line(2020), line(2021, "s"), line(2022, "douze")])
    assert response.status_code == 200
    body = response.content.decode()
    assert "2 lignes en erreur sur 3 : rien n&#x27;a été importé" in body
    assert "valeur non diffusée par le producteur" in body and "<code>douze</code>" in body
    assert 'value="France Travail - Dares"' in body
    assert not Dataset.objects.exists() and not Observation.objects.exists()
    report = coordinator_client.get(reverse("diagnostic:dataset_import_errors"))
    assert (
        report.status_code == 200
        and report["Content-Disposition"] == 'attachment; filename="erreurs-stats.csv"'
    )
    rows = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["ligne", "colonne", "valeur", "message"]
    assert [r[:3] for r in rows[1:]] == [["3", "valeur", "s"], ["4", "valeur", "douze"]]


def test_a_file_error_is_shown_without_report(coordinator_client):
    response = coordinator_client.post(
        reverse("diagnostic:dataset_import"),
        {"fichier": SimpleUploadedFile("vieux.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 64), "titre": "T",
         "source": "S", "licence": "L"},
    )  # fmt: skip
    assert "ancien format Excel (.xls) non pris en charge" in response.content.decode()
    assert coordinator_client.get(reverse("diagnostic:dataset_import_errors")).status_code == 302


def test_only_the_first_200_errors_are_shown_but_all_are_counted(coordinator_client):
    rows = [line(f"{2000 + n // 12}-{n % 12 + 1:02d}", "?") for n in range(206)] + [line(2030)]
    response = post_import(coordinator_client, rows)
    assert len(response.context["shown_errors"]) == 200
    assert "Les 200 premières erreurs sur 206" in response.content.decode()
    report = coordinator_client.get(reverse("diagnostic:dataset_import_errors")).content.decode("utf-8-sig")
    assert len(report.splitlines()) == 207  # the header and every error


def test_the_report_kept_in_the_session_is_capped(coordinator_client, monkeypatch):
    monkeypatch.setattr(views_datasets, "REPORT_MAX_CHARS", 1200)
    monkeypatch.setattr(views_datasets, "SHOWN_ERRORS", 10)
    rows = [line(1900 + n, f"mauvais-{n * 7919 % 10007}") for n in range(200)]
    post_import(coordinator_client, rows)
    stored = coordinator_client.session[views_datasets.REPORT_KEY]
    assert len(stored["csv"]) <= 1200 and len(stored["shown"]) == 10
    report = coordinator_client.get(reverse("diagnostic:dataset_import_errors")).content.decode("utf-8-sig")
    assert report.splitlines()[-1].startswith(";;;… et ") and "autres erreurs non listées ici." in report


def test_a_partial_import_keeps_the_good_lines_and_shows_the_others_on_the_dataset_page(coordinator_client):
    response = post_import(coordinator_client, [line(2020), line(2021, "nd"), line(2022)], partiel="on")
    dataset = Dataset.objects.get()
    assert (dataset.observations.count(), dataset.rejected_lines) == (2, 1)
    page = coordinator_client.get(response.url).content.decode()
    assert "1 ligne en erreur écartée" in page and "Lignes écartées à l'import" in page
    assert "valeur non diffusée par le producteur" in page
    report = coordinator_client.get(reverse("diagnostic:dataset_import_errors")).content.decode("utf-8-sig")
    assert "3;valeur;nd;" in report


def test_a_file_too_big_is_refused_by_the_form(coordinator_client, monkeypatch):
    monkeypatch.setattr(forms_datasets, "MAX_UPLOAD_BYTES", 10)
    response = post_import(coordinator_client, [line()])
    assert response.status_code == 200 and "Le fichier dépasse" in response.content.decode()
    assert not Dataset.objects.exists()


def test_the_form_requires_the_metadata(coordinator_client):
    response = post_import(coordinator_client, [line()], titre="", source="", url="pas une adresse")
    form = response.context["form"]
    assert set(form.errors) == {"titre", "source", "url"}
    assert not Dataset.objects.exists()


def test_the_error_report_without_an_import_sends_back_to_the_form(coordinator_client):
    response = coordinator_client.get(reverse("diagnostic:dataset_import_errors"))
    assert response.status_code == 302 and response.url == reverse("diagnostic:dataset_import")


# --- detail and deletion ------------------------------------------------------------------------


def test_the_detail_lists_indicators_and_the_first_observations(coordinator_client, monkeypatch):
    from cite_emploi.diagnostic import queries_datasets

    monkeypatch.setattr(queries_datasets, "SAMPLE_SIZE", 3)
    dataset = DatasetFactory(title="Statistiques du Mont-Mesly")
    for year in (2019, 2020, 2021):
        ObservationFactory(dataset=dataset, period=str(year), value=1234.5)
    ObservationFactory(dataset=dataset, indicator="population", indicator_label="Population municipale",
                       level="commune", geo_code="94028", period="2021")  # fmt: skip
    response = coordinator_client.get(reverse("diagnostic:dataset", args=[dataset.pk]))
    body = response.content.decode()
    assert [i.indicator for i in response.context["indicators"]] == ["demandeurs_emploi_abc", "population"]
    summary = response.context["indicators"][0]
    assert (summary.count, summary.periods, summary.levels) == (3, 3, ["Quartier prioritaire (code QPV)"])
    assert "Les 3 premières observations sur 4" in body
    assert "1\u202f234,5" in body and "QN09405M — " in body
    assert reverse("diagnostic:dataset_delete", args=[dataset.pk]) in body


def test_the_detail_runs_a_fixed_number_of_queries(coordinator_client, django_assert_max_num_queries):
    dataset = DatasetFactory()
    for year in range(2000, 2030):
        ObservationFactory(dataset=dataset, period=str(year))
        ObservationFactory(dataset=dataset, period=str(year), level="commune", geo_code="94028")
    with django_assert_max_num_queries(15):
        assert coordinator_client.get(reverse("diagnostic:dataset", args=[dataset.pk])).status_code == 200


def test_deleting_asks_then_removes_the_dataset(coordinator_client):
    dataset = DatasetFactory(title="À supprimer")
    ObservationFactory(dataset=dataset)
    url = reverse("diagnostic:dataset_delete", args=[dataset.pk])
    assert "et ses 1 observation" in coordinator_client.get(url).content.decode()
    response = coordinator_client.post(url)
    assert response.status_code == 302 and response.url == reverse("diagnostic:datasets")
    assert not Dataset.objects.exists() and not Observation.objects.exists()


# --- templates ----------------------------------------------------------------------------------


def test_the_templates_download(coordinator_client):
    csv_response = coordinator_client.get(reverse("diagnostic:dataset_template", args=["csv"]))
    assert csv_response["Content-Type"] == "text/csv; charset=utf-8"
    assert csv_response.content.decode("utf-8-sig").startswith("niveau;code;indicateur;libelle_indicateur")
    xlsx = coordinator_client.get(reverse("diagnostic:dataset_template", args=["xlsx"]))
    assert xlsx["Content-Disposition"] == 'attachment; filename="modele-statistiques.xlsx"'
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    assert workbook.active["A1"].value == "niveau"
    assert coordinator_client.get("/diagnostic/donnees/modele.pdf").status_code == 404


# --- the route list for the access matrix -------------------------------------------------------


@pytest.mark.parametrize("role", [None, "coordinator", "counsellor", "elected", "funder", "employer"])
def test_the_access_list_holds_for_each_visitor(client, db, role):
    from tests.diagnostic import access_datasets

    ids = access_datasets.objects()
    if role:
        client.force_login(member(role))
    for name, (path, anonymous, answer, *overrides) in access_datasets.ROUTES.items():
        expected = anonymous if role is None else (overrides[0] if overrides else {}).get(role, answer)
        assert client.get(path.format(**ids)).status_code == expected, name


def test_the_access_list_names_every_route_of_the_datasets():
    from django.urls import get_resolver

    from tests.diagnostic import access_datasets

    names = {
        f"diagnostic:{name}"
        for name in get_resolver().namespace_dict["diagnostic"][1].reverse_dict
        if isinstance(name, str)
    }
    datasets_names = {n for n in names if "dataset" in n}
    assert datasets_names == set(access_datasets.ROUTES)


def test_the_guide_is_served_by_the_help_pages(client, db):
    response = client.get(reverse("core:help_page", args=["diagnostic-donnees"]))
    assert response.status_code == 200
    assert "Diagnostic : importer des statistiques" in response.content.decode()
