"""The beneficiary import pages, as a counsellor uses them: upload, columns, check, import, report."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cite_emploi.core.models import AuditEntry
from cite_emploi.followup import import_jobs
from cite_emploi.followup.models import Beneficiary, BeneficiaryImport
from tests.accounts.factories import MembershipFactory, member
from tests.followup.factories import organisation_of
from tests.followup.test_beneficiary_import import GOOD, HEADERS, csv_bytes, xlsx_bytes

START = reverse("followup:import_start")


@pytest.fixture(autouse=True)
def private_dir(settings, tmp_path):
    settings.BENEFICIARY_IMPORT_DIR = tmp_path / "imports"
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.BENEFICIARY_IMPORT_DIR


@pytest.fixture
def counsellor(db, client):
    user = member("counsellor")
    client.force_login(user)
    return user


def upload(client, content: bytes, name="liste.csv", **data):
    return client.post(START, {"fichier": SimpleUploadedFile(name, content), **data})


def url(name, job):
    return reverse(f"followup:{name}", args=[job.pk])


MAPPING_POST = {"last_name": "Nom", "first_name": "Prénom", "birth_date": "Date de naissance", "sex": "Sexe"}


def test_the_list_of_beneficiaries_links_to_the_import(client, counsellor):
    assert START in client.get(reverse("followup:beneficiaries")).content.decode()
    page = client.get(START).content.decode()
    assert "Importer des bénéficiaires" in page and organisation_of(counsellor).name in page


def test_the_whole_flow_with_a_partial_import(client, counsellor, private_dir):
    content = csv_bytes([*GOOD, ["Martin", "Léa", "31/02/2000", "F"]])
    response = upload(client, content)
    job = BeneficiaryImport.objects.get()
    assert response.url == url("import_mapping", job)
    assert job.created_by == counsellor and job.organisation == organisation_of(counsellor)
    # The file is kept privately, under a random name, and never under MEDIA.
    [stored] = private_dir.iterdir()
    assert stored.read_bytes() == content and "liste" not in stored.name

    page = client.get(url("import_mapping", job)).content.decode()
    for header in HEADERS:
        assert f'<option value="{header}" selected>' in page
    assert '<label for="id_birth_date" class="fr-label">' in page

    response = client.post(url("import_mapping", job), MAPPING_POST)
    assert response.url == url("import_job", job)
    job.refresh_from_db()
    assert job.status == "checked" and not Beneficiary.objects.exists()
    page = client.get(url("import_job", job)).content.decode()
    assert "Compte rendu de la vérification" in page
    assert '<th scope="col">Ligne</th><th scope="col">Colonne</th><th scope="col">Message</th>' in page
    assert "<caption>Détail, ligne par ligne" in page
    assert "cette date n&#x27;existe pas" in page
    assert "Accepter un import partiel" in page

    # Without the box, nothing is imported.
    response = client.post(url("import_confirm", job), follow=True)
    assert "cochez « accepter un import partiel »" in response.content.decode()
    assert not Beneficiary.objects.exists()

    client.post(url("import_confirm", job), {"partiel": "on"})
    job.refresh_from_db()
    assert job.status == "done" and job.partial and job.stored_name == ""
    assert Beneficiary.objects.count() == 3
    assert list(private_dir.iterdir()) == []
    page = client.get(url("import_job", job)).content.decode()
    assert "Import partiel réussi : 3 personnes créées" in page
    assert "Voir mes bénéficiaires" in page
    assert AuditEntry.objects.filter(object_type="followup.beneficiary_import").count() == 1


def test_a_clean_file_is_imported_without_the_partial_box(client, counsellor):
    upload(client, xlsx_bytes(GOOD), name="liste.xlsx")
    job = BeneficiaryImport.objects.get()
    assert job.file_format == "xlsx"
    client.post(url("import_mapping", job), MAPPING_POST)
    page = client.get(url("import_job", job)).content.decode()
    assert "Accepter un import partiel" not in page
    assert "L&#x27;import donnerait : 3 personnes seraient créées" in page
    client.post(url("import_confirm", job))
    job.refresh_from_db()
    assert job.status == "done" and Beneficiary.objects.count() == 3


def test_the_progress_bar_while_a_run_goes_on(client, counsellor):
    upload(client, csv_bytes(GOOD))
    job = BeneficiaryImport.objects.get()
    job.status = "importing"
    job.save()
    import_jobs.write_progress(job, 250, 1000)
    page = client.get(url("import_job", job)).content.decode()
    assert '<progress id="barre-progression" class="cite-progress" max="100" value="25">' in page
    assert '<label class="fr-label" for="barre-progression">Import en cours</label>' in page
    assert "250 lignes traitées sur 1000 environ (25 %)" in page
    fragment = client.get(url("import_job", job), headers={"HX-Request": "true"})
    assert 'hx-trigger="every 1s"' in fragment.content.decode() and "<html" not in fragment.content.decode()
    job.status = "done"
    job.save()
    ended = client.get(url("import_job", job), headers={"HX-Request": "true"})
    assert ended.status_code == 204 and ended["HX-Refresh"] == "true"


def test_the_mapping_page_refuses_an_incomplete_mapping(client, counsellor):
    upload(client, csv_bytes(GOOD))
    job = BeneficiaryImport.objects.get()
    response = client.post(url("import_mapping", job), {**MAPPING_POST, "sex": "", "email": "Nom"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "colonnes obligatoires non choisies : Sexe" in page
    assert "la colonne « Nom » est choisie à la fois pour Nom et Courriel" in page
    job.refresh_from_db()
    assert job.status == "uploaded"


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "vide.csv", "Le fichier soumis est vide"),
        (b"\x00\x01binaire\x00" * 100, "liste.csv", "ni un fichier CSV ni un classeur Excel"),
        (b"PK\x03\x04abime", "liste.xlsx", "pas un classeur Excel (.xlsx) lisible"),
        (b"%PDF-1.4", "liste.pdf", "Format non reconnu : déposez un fichier .csv ou .xlsx."),
        (b"\xd0\xcf\x11\xe0" + b"\x00" * 64, "liste.csv", "ancien format Excel (.xls)"),
    ],
)
def test_a_broken_file_gets_a_french_message_not_a_500(
    client, counsellor, private_dir, content, name, message
):
    response = upload(client, content, name=name)
    assert response.status_code == 200
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not BeneficiaryImport.objects.exists()
    assert not private_dir.exists() or list(private_dir.iterdir()) == []


def test_a_file_with_only_headers_is_refused_at_the_check(client, counsellor):
    upload(client, csv_bytes([]))
    job = BeneficiaryImport.objects.get()
    client.post(url("import_mapping", job), MAPPING_POST)
    job.refresh_from_db()
    assert job.status == "failed" and job.stored_name == ""
    assert "aucune ligne de données" in client.get(url("import_job", job)).content.decode()


def test_abandoning_deletes_the_file(client, counsellor, private_dir):
    upload(client, csv_bytes(GOOD))
    job = BeneficiaryImport.objects.get()
    response = client.post(url("import_cancel", job))
    assert response.url == START
    job.refresh_from_db()
    assert job.status == "cancelled" and list(private_dir.iterdir()) == []
    assert client.get(url("import_mapping", job)).url == url("import_job", job)


def test_a_job_is_seen_by_its_author_only(client, counsellor):
    upload(client, csv_bytes(GOOD))
    job = BeneficiaryImport.objects.get()
    colleague = MembershipFactory(organisation=organisation_of(counsellor), role="counsellor").user
    client.force_login(colleague)
    for name in ("import_job", "import_mapping"):
        assert client.get(url(name, job)).status_code == 404
    for name in ("import_confirm", "import_cancel", "import_mapping"):
        assert client.post(url(name, job), MAPPING_POST).status_code == 404
    client.force_login(member("elected"))
    assert client.get(START).status_code == 403
    assert client.get(url("import_job", job)).status_code == 403


def test_a_job_of_another_territory_is_404(client, counsellor, other_territory):
    upload(client, csv_bytes(GOOD))
    job = BeneficiaryImport.objects.get()
    client.force_login(member("counsellor", territory=other_territory))
    assert client.get(url("import_job", job)).status_code == 404


def test_a_professional_of_two_organisations_chooses_one(client, counsellor):
    second = MembershipFactory(user=counsellor, role="coordinator").organisation
    page = client.get(START).content.decode()
    assert 'name="organisation"' in page and second.name in page
    upload(client, csv_bytes(GOOD), organisation=second.pk)
    job = BeneficiaryImport.objects.get()
    assert job.organisation == second
    client.post(url("import_mapping", job), MAPPING_POST)
    client.post(url("import_confirm", job))
    assert set(Beneficiary.objects.values_list("created_by_organisation", flat=True)) == {second.pk}


def test_confirming_twice_does_not_import_twice(client, counsellor):
    upload(client, csv_bytes(GOOD))
    job = BeneficiaryImport.objects.get()
    client.post(url("import_mapping", job), MAPPING_POST)
    client.post(url("import_confirm", job))
    response = client.post(url("import_confirm", job), follow=True)
    assert "Ce fichier a déjà été importé." in response.content.decode()
    assert Beneficiary.objects.count() == 3


def test_stale_files_are_purged(client, counsellor, private_dir):
    from datetime import timedelta

    from django.utils import timezone

    upload(client, csv_bytes(GOOD))
    job = BeneficiaryImport.objects.get()
    BeneficiaryImport.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(days=3))
    assert import_jobs.purge_stale() == 1
    job.refresh_from_db()
    assert job.status == "cancelled" and list(private_dir.iterdir()) == []


def test_the_user_guide_is_listed_in_the_help(client, db):
    assert "/aide/import-beneficiaires/" in client.get(reverse("core:help")).content.decode()
    page = client.get(reverse("core:help_page", args=["import-beneficiaires"])).content.decode()
    assert "Importer des bénéficiaires depuis un tableur" in page
