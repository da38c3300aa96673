"""Backup and restore of the whole platform: the database and the uploaded files, in one archive.

The archive is a ``.tar.gz`` holding:

* ``manifest.json``: format, engine, date, application and Django versions, applied migrations;
* ``database.sqlite3`` (a consistent copy made with SQLite's online backup API) or
  ``database.pgdump`` (``pg_dump --format=custom``);
* ``files/<root>/…``: every file under each root of ``file_roots()`` (consent scans in MEDIA_ROOT,
  the private directory of beneficiary imports).

A restore goes back to the exact state of the backup: the database is replaced whole and each
file root is emptied before the archive's files are put back. It refuses an archive of the other
engine, or one made by a newer version of the platform (migrations unknown here), because either
would leave a database the code cannot run on.
"""

import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import django
from django.conf import settings
from django.db import connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from cite_emploi.core.statistics import refresh_statistics

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PGDUMP_FILE = "database.pgdump"
FILES_DIR = "files"
# Filled by ``migrate`` itself: a freshly migrated database is still « empty ».
TABLES_FILLED_BY_MIGRATE = {"django_migrations", "django_content_type", "auth_permission"}


class BackupError(Exception):
    """A backup or a restore that cannot be done; the message is French and tells what to do."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Manifest:
    engine: str
    created_at: str
    app_version: str
    django_version: str
    migrations: dict[str, list[str]]
    files: dict[str, int] = field(default_factory=dict)
    format: int = FORMAT

    @classmethod
    def from_json(cls, data: dict) -> "Manifest":
        known = set(cls.__dataclass_fields__)
        return cls(**{key: value for key, value in data.items() if key in known})


def file_roots() -> dict[str, Path]:
    """Directories whose files belong to the platform's data, by their name inside the archive."""
    return {"media": Path(settings.MEDIA_ROOT), "imports": Path(settings.BENEFICIARY_IMPORT_DIR)}


def engine_of(alias: str = "default") -> str:
    vendor = connections[alias].vendor
    if vendor not in {"sqlite", "postgresql"}:
        raise BackupError(f"Moteur de base de données non pris en charge : {vendor}.")
    return vendor


ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def applied_migrations(alias: str = "default") -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in sorted(MigrationRecorder(connections[alias]).applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


def _app_version() -> str:
    try:
        return metadata.version("cite-emploi")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "inconnue"


# --- backup -------------------------------------------------------------------------------


def create_backup(output: Path, *, alias: str = "default") -> Manifest:
    """Write the archive to ``output`` (through a temporary file, so a failure leaves no half archive)."""
    output = Path(output)
    engine = engine_of(alias)
    manifest = Manifest(
        engine=engine,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        app_version=_app_version(),
        django_version=django.get_version(),
        migrations=applied_migrations(alias),
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cite-emploi-backup-") as tmp:
        work = Path(tmp)
        if engine == "sqlite":
            database = work / SQLITE_FILE
            _sqlite_copy(alias, database)
        else:
            database = work / PGDUMP_FILE
            _pg_dump(alias, database)
        partial = output.with_name(output.name + ".partiel")
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(database, arcname=database.name)
            for name, root in file_roots().items():
                manifest.files[name] = _add_tree(archive, root, f"{FILES_DIR}/{name}")
            # Written last, once the file counts are known; read first on restore (tar keeps order
            # only for writing, so the restore looks it up by name).
            _add_bytes(archive, MANIFEST, json.dumps(manifest.__dict__, indent=2, ensure_ascii=False))
        os.chmod(partial, 0o600)  # the archive holds personal data
        partial.replace(output)
    return manifest


def _sqlite_copy(alias: str, target: Path) -> None:
    connection = connections[alias]
    connection.ensure_connection()
    destination = sqlite3.connect(target)
    try:
        # The online backup API copies a consistent snapshot even while the app writes (WAL).
        connection.connection.backup(destination)
    finally:
        destination.close()


def _add_tree(archive: tarfile.TarFile, root: Path, arcname: str) -> int:
    count = 0
    if not root.is_dir():
        return count
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            archive.add(path, arcname=f"{arcname}/{path.relative_to(root).as_posix()}")
            count += 1
    return count


def _add_bytes(archive: tarfile.TarFile, name: str, text: str) -> None:
    data = text.encode()
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.now(UTC).timestamp())
    info.mode = 0o600
    archive.addfile(info, io.BytesIO(data))


# --- PostgreSQL client tools -----------------------------------------------------------------


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise BackupError(
            f"La commande {name} est introuvable : installez les outils clients de PostgreSQL "
            "(paquet postgresql-client, même version majeure que le serveur ou plus récente)."
        )
    return path


def _pg_env(alias: str) -> tuple[dict[str, str], str]:
    """Connection settings for the client tools, passed through libpq's variables (no password on argv)."""
    db = connections[alias].settings_dict
    env = dict(os.environ)
    for variable, key in (
        ("PGHOST", "HOST"),
        ("PGPORT", "PORT"),
        ("PGUSER", "USER"),
        ("PGPASSWORD", "PASSWORD"),
    ):
        if db.get(key):
            env[variable] = str(db[key])
    if sslmode := (db.get("OPTIONS") or {}).get("sslmode"):
        env["PGSSLMODE"] = sslmode
    return env, db["NAME"]


def _run(command: list[str], env: dict[str, str], what: str) -> subprocess.CompletedProcess:
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()[-5:]
        raise BackupError(f"Échec de {what} :\n" + "\n".join(detail))
    return result


def _pg_dump(alias: str, target: Path) -> None:
    env, name = _pg_env(alias)
    # No owner nor privileges: the archive restores under whichever role the platform uses there.
    _run(
        [
            _pg_tool("pg_dump"),
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            "--file",
            str(target),
            name,
        ],
        env,
        "pg_dump",
    )


# --- restore -------------------------------------------------------------------------------


def read_manifest(archive_path: Path) -> Manifest:
    archive_path = Path(archive_path)
    if not archive_path.is_file():
        raise BackupError(f"Archive introuvable : {archive_path}")
    try:
        with tarfile.open(archive_path, "r:gz") as archive:
            member = archive.extractfile(MANIFEST)
            data = json.load(member)
    except (tarfile.TarError, KeyError, OSError, ValueError, TypeError, AttributeError):
        raise BackupError(
            f"{archive_path} n'est pas une archive de sauvegarde de la plateforme (manifeste illisible)."
        ) from None
    try:
        return Manifest.from_json(data)
    except TypeError:
        raise BackupError(f"{archive_path} : manifeste incomplet.") from None


def check_restorable(manifest: Manifest, *, alias: str = "default") -> None:
    """Refuse what the code here could not run on; French messages."""
    engine = engine_of(alias)
    if manifest.format > FORMAT:
        raise BackupError("Archive d'un format plus récent : mettez la plateforme à jour avant de restaurer.")
    if manifest.engine != engine:
        raise BackupError(
            f"Cette archive vient d'une base {ENGINE_NAMES.get(manifest.engine, manifest.engine)}, "
            f"la base configurée est {ENGINE_NAMES[engine]} : restaurez-la sur le même moteur "
            "(DATABASE_URL)."
        )
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    unknown = [
        f"{app}.{name}"
        for app, names in manifest.migrations.items()
        for name in names
        if (app, name) not in known
    ]
    if unknown:
        listed = ", ".join(unknown[:5]) + (" …" if len(unknown) > 5 else "")
        raise BackupError(
            f"Cette archive a été faite par une version plus récente de la plateforme "
            f"({manifest.app_version}) : migrations inconnues ici ({listed}). "
            "Installez cette version ou une plus récente avant de restaurer."
        )


def database_is_empty(alias: str = "default") -> bool:
    connection = connections[alias]
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            if table in TABLES_FILLED_BY_MIGRATE:
                continue
            cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT 1")
            if cursor.fetchone():
                return False
    return True


def restore_backup(archive_path: Path, *, alias: str = "default") -> Manifest:
    """Replace the database and the file roots with the archive's. The caller has asked for consent."""
    manifest = read_manifest(archive_path)
    check_restorable(manifest, alias=alias)
    with tempfile.TemporaryDirectory(prefix="cite-emploi-restore-") as tmp:
        work = Path(tmp)
        with tarfile.open(archive_path, "r:gz") as archive:
            # The « data » filter refuses absolute paths, « .. », links out of the tree and devices.
            archive.extractall(work, filter="data")
        if manifest.engine == "sqlite":
            _sqlite_restore(alias, work / SQLITE_FILE)
        else:
            _pg_restore(alias, work / PGDUMP_FILE)
        for name, root in file_roots().items():
            _replace_tree(work / FILES_DIR / name, root)
    return manifest


def _sqlite_restore(alias: str, source: Path) -> None:
    if not source.is_file():
        raise BackupError("Archive incomplète : la copie de la base SQLite manque.")
    connection = connections[alias]
    connection.ensure_connection()
    origin = sqlite3.connect(source)
    try:
        # Page by page into the live database: the same API as the backup, the other way round.
        origin.backup(connection.connection)
    finally:
        origin.close()


def _archive_tables(pg_restore: str, dump: Path, env: dict[str, str]) -> set[str]:
    listing = _run([pg_restore, "--list", str(dump)], env, "pg_restore --list").stdout
    tables = set()
    for line in listing.splitlines():
        # « 215; 1259 16390 TABLE public accounts_user postgres »
        parts = line.split()
        if not line.startswith(";") and len(parts) >= 6 and parts[3] == "TABLE":
            tables.add(parts[5])
    return tables


def _pg_restore(alias: str, dump: Path) -> None:
    if not dump.is_file():
        raise BackupError("Archive incomplète : le fichier pg_dump manque.")
    pg_restore = _pg_tool("pg_restore")
    env, name = _pg_env(alias)
    connection = connections[alias]
    with connection.cursor() as cursor:
        before = set(connection.introspection.table_names(cursor))
    connection.close()  # pg_restore drops the tables: hold no lock on them
    in_archive = _archive_tables(pg_restore, dump, env)
    _run(
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--dbname",
            name,
            str(dump),
        ],
        env,
        "pg_restore",
    )
    # Tables of migrations newer than the archive are not in the dump: they would make the next
    # « migrate » fail on « already exists ». The restore is complete, so they go.
    leftovers = sorted(before - in_archive)
    with connection.cursor() as cursor:
        for table in leftovers:
            cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(table)} CASCADE")
    # pg_restore brings rows, not the planner's statistics: without them every table looks
    # empty and the pages' queries run as nested loops until autovacuum gets there.
    refresh_statistics(alias)


def _replace_tree(source: Path, root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for child in root.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    if source.is_dir():
        for child in source.iterdir():
            shutil.move(str(child), root / child.name)
