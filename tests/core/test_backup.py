"""Backup and restore round trips, on the engine under test (SQLite or PostgreSQL).

The round trip replaces the whole test database, so it runs as a transactional test: Django
flushes every table afterwards, the reference data included. ``reference_data`` loads it again
when a flush removed it, and once more after the last test of this module, for the tests after.
"""

import io
import json
import tarfile
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import connection

from cite_emploi.core import backup
from cite_emploi.followup.models import Beneficiary, Consent
from cite_emploi.partners.models import Organisation, Service
from cite_emploi.territory.models import Territory
from tests.accounts.factories import member
from tests.followup.factories import followed_by
from tests.partners.factories import saved_service

SCAN = b"%PDF-1.4 formulaire signe\n" + bytes(range(256))


@pytest.fixture(scope="module", autouse=True)
def reference_after_module(django_db_blocker):
    yield
    with django_db_blocker.unblock():
        if not Territory.objects.filter(slug="gpsea").exists():
            from cite_emploi.territory.services import load_reference

            load_reference()


@pytest.fixture
def reference_data(transactional_db):
    if not Territory.objects.filter(slug="gpsea").exists():
        from cite_emploi.territory.services import load_reference

        load_reference()


@pytest.fixture(autouse=True)
def file_roots(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.BENEFICIARY_IMPORT_DIR = tmp_path / "imports"
    settings.BENEFICIARY_IMPORT_DIR.mkdir()
    return settings


def row_counts() -> dict[str, int]:
    counts = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy:
            counts[model._meta.db_table] = model._default_manager.count()
    return counts


def test_round_trip_loses_nothing(reference_data, tmp_path, settings, monkeypatch):
    counsellor = member("counsellor", name="Mission locale Plaine centrale")
    person = followed_by(counsellor, last_name="Dupont-Éluard", first_name="Inès")
    consent = person.consents.get()
    consent.document.save("scan.pdf", ContentFile(SCAN))
    service = saved_service(name="Atelier CV du mardi")
    (settings.BENEFICIARY_IMPORT_DIR / "abc123").write_bytes(b"nom;prenom\nMartin;Lou\n")
    before = row_counts()
    assert before["followup_beneficiary"] == 1 and before["territory_qpv"] > 1000
    archive = tmp_path / "sauvegarde.tar.gz"

    out = io.StringIO()
    call_command("backup", "-o", str(archive), stdout=out)
    assert "Sauvegarde écrite" in out.getvalue()
    manifest = backup.read_manifest(archive)
    assert manifest.engine == connection.vendor
    assert manifest.files == {"media": 1, "imports": 1}
    assert "0001_initial" in manifest.migrations["followup"]

    # Everything changes after the backup: rows deleted, renamed, added; files deleted and added.
    Beneficiary.objects.all().delete()
    Service.objects.filter(pk=service.pk).update(name="Renommé")
    member("counsellor", name="Organisation créée après la sauvegarde")
    Path(settings.MEDIA_ROOT, consent.document.name).unlink()
    (Path(settings.MEDIA_ROOT) / "apres.txt").write_text("créé après")
    assert row_counts() != before

    monkeypatch.setattr("sys.stdin", io.StringIO())  # not a terminal: nobody to ask
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(archive))
    call_command("restore", str(archive), "--yes", stdout=io.StringIO())

    assert row_counts() == before
    restored = Beneficiary.objects.get()
    assert (restored.pk, restored.last_name, restored.first_name) == (person.pk, "Dupont-Éluard", "Inès")
    assert Service.objects.get(pk=service.pk).name == "Atelier CV du mardi"
    assert not Organisation.objects.filter(name="Organisation créée après la sauvegarde").exists()
    document = Consent.objects.get().document
    assert Path(settings.MEDIA_ROOT, document.name).read_bytes() == SCAN
    assert not (Path(settings.MEDIA_ROOT) / "apres.txt").exists()
    assert (settings.BENEFICIARY_IMPORT_DIR / "abc123").read_bytes() == b"nom;prenom\nMartin;Lou\n"
    # The database still works for writes after the restore (sequences restored too).
    assert member("counsellor").pk


def fake_archive(path: Path, **manifest) -> Path:
    data = {
        "engine": connection.vendor,
        "created_at": "2026-01-01T00:00:00+00:00",
        "app_version": "9.9.9",
        "django_version": "5.2",
        "migrations": backup.applied_migrations(),
        "files": {},
        "format": 1,
    } | manifest
    with tarfile.open(path, "w:gz") as archive:
        body = json.dumps(data).encode()
        info = tarfile.TarInfo(backup.MANIFEST)
        info.size = len(body)
        archive.addfile(info, io.BytesIO(body))
    return path


@pytest.mark.django_db
def test_restore_refuses_an_archive_of_the_other_engine(tmp_path):
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    archive = fake_archive(tmp_path / "a.tar.gz", engine=other)
    with pytest.raises(CommandError, match="même moteur"):
        call_command("restore", str(archive), "--yes")


@pytest.mark.django_db
def test_restore_refuses_an_archive_with_newer_migrations(tmp_path):
    migrations = backup.applied_migrations()
    migrations["followup"] = [*migrations["followup"], "9999_du_futur"]
    archive = fake_archive(tmp_path / "a.tar.gz", migrations=migrations)
    with pytest.raises(CommandError, match=r"plus récente.*followup\.9999_du_futur"):
        call_command("restore", str(archive), "--yes")


@pytest.mark.django_db
def test_restore_refuses_what_is_not_an_archive(tmp_path):
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"pas une archive")
    with pytest.raises(CommandError, match="n'est pas une archive"):
        call_command("restore", str(junk), "--yes")
    with pytest.raises(CommandError, match="introuvable"):
        call_command("restore", str(tmp_path / "absent.tar.gz"), "--yes")


@pytest.mark.django_db
def test_postgresql_backup_without_client_tools_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(backup.shutil, "which", lambda name: None)
    with pytest.raises(backup.BackupError, match="postgresql-client"):
        backup._pg_tool("pg_dump")


@pytest.mark.django_db
def test_a_migrated_database_without_data_counts_as_empty(monkeypatch):
    # The test database holds the reference data: not empty.
    assert not backup.database_is_empty()
