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
