"""A throw-away database of the engine under test, for the benchmarks.

With ``DATABASE_URL`` pointing at PostgreSQL, a database named after the benchmark and the
process is created next to it and dropped afterwards; otherwise a SQLite file in ``workdir``.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


class ScratchDatabase:
    def __init__(self, workdir: Path, name: str):
        url = os.environ.get("DATABASE_URL", "")
        self.scratch = None
        if url.startswith(("postgres://", "postgresql://")):
            parts = urlsplit(url)
            self.scratch = f"{name}_{os.getpid()}"
            self.admin = urlunsplit(parts._replace(path="/postgres"))
            self.url = urlunsplit(parts._replace(path=f"/{self.scratch}"))
            self._sql(f'CREATE DATABASE "{self.scratch}"')
            self.engine = "PostgreSQL"
        else:
            self.url = f"sqlite:///{workdir / 'bench.sqlite3'}"
            self.engine = "SQLite"

    def _sql(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.admin, autocommit=True) as connection:
            connection.execute(statement)

    def drop(self) -> None:
        if self.scratch:
            self._sql(f'DROP DATABASE IF EXISTS "{self.scratch}" WITH (FORCE)')


def point_django_at(url: str, workdir: str) -> None:
    """The environment of a benchmark run: its database, its own var directory, plain HTTP."""
    (Path(workdir) / "staticfiles").mkdir(exist_ok=True)
    os.environ.update(
        {
            "DATABASE_URL": url,
            "HTTPS": "off",
            "DEBUG": "off",
            "ALLOWED_HOSTS": "testserver",
            "CITE_EMPLOI_VAR_DIR": workdir,
            "DJANGO_SETTINGS_MODULE": "cite_emploi.settings",
        }
    )


def add_reuse_arguments(parser) -> None:
    """--random-page-cost, --keep and --reuse: generating 100,000 rows costs minutes, measuring seconds."""
    parser.add_argument(
        "--random-page-cost",
        type=float,
        default=1.1,
        help="PostgreSQL : random_page_cost de la base mesurée (1,1 : réglage conseillé sur SSD, "
        "docs/deploiement.md ; 0 : valeur du serveur)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="garder la base générée (son adresse est affichée) pour --reuse"
    )
    parser.add_argument("--reuse", metavar="DATABASE_URL", help="mesurer sur une base gardée par --keep")


def run_on_scratch(options, name: str, run) -> None:
    """``run(options, engine)`` on the database kept earlier (``--reuse``) or on a new scratch one,
    dropped afterwards unless ``--keep``."""
    import shutil
    import tempfile

    if options.reuse:
        with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as workdir:
            point_django_at(options.reuse, workdir)
            run(options, "PostgreSQL" if options.reuse.startswith("postgres") else "SQLite")
        return
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
    database = ScratchDatabase(workdir, f"cite_emploi_bench_{name}")
    point_django_at(database.url, str(workdir))
    try:
        run(options, database.engine)
    finally:
        from django.db import connections

        connections.close_all()  # PostgreSQL refuses to drop a database still in use
        if options.keep:
            print(f"Base gardée : --reuse {database.url}")
        else:
            database.drop()
            shutil.rmtree(workdir, ignore_errors=True)
