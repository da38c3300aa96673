"""Fast batched inserts for the beneficiary import: tuples in, rows out, no model instances.

``bulk_create`` spends most of its time building model instances and compiling each value of each
row (about 0.4 ms a person over the five tables: more than half of the 60 s budget at 100,000
lines). Here rows are tuples of field values, adapted once per column with the backend's own
``adapt_*`` functions, and written with ``executemany`` (SQLite: a loop in C) or ``COPY``
(PostgreSQL). Every column not given takes the field's default, computed once per batch
(``auto_now``/``auto_now_add`` fields get the batch's timestamp), so a field added to a model later
keeps working.

The ids of new beneficiaries and follow-ups are needed for the rows that point to them: they are
reserved before the insert — ``nextval`` of the column's sequence on PostgreSQL (safe with
concurrent writers), the next ids after ``MAX(id)`` and ``sqlite_sequence`` on SQLite, where the
import's ``BEGIN IMMEDIATE`` transaction (settings: ``transaction_mode``) holds the only write lock.
"""

from __future__ import annotations

from django.db import connection
from django.utils import timezone


class Table:
    """Inserts of ``model`` rows giving values for ``names`` (attnames, in order); the rest are defaults."""

    def __init__(self, model, names: list[str], *, with_id: bool = False):
        self.model = model
        self.with_id = with_id
        fields = [f for f in model._meta.concrete_fields if with_id or not f.primary_key]
        self.fields = fields
        position = {f.attname: i for i, f in enumerate(fields)}
        self.positions = [position[name] for name in names]
        self.columns = [f.column for f in fields]
        ops = connection.ops
        self.adapters = []
        for i, f in enumerate(fields):
            kind = f.get_internal_type()
            if kind == "JSONField":
                self.adapters.append(
                    (i, lambda v, f=f: None if v is None else ops.adapt_json_value(v, f.encoder))
                )
            elif kind == "DateField":
                self.adapters.append((i, ops.adapt_datefield_value))
            elif kind == "DateTimeField":
                self.adapters.append((i, ops.adapt_datetimefield_value))

    def _template(self) -> list:
        now = timezone.now()
        values = []
        for f in self.fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                values.append(now)
            elif f.primary_key:
                values.append(None)
            else:
                values.append(f.get_default())
        return values

    def insert(self, rows: list[tuple]) -> None:
        if not rows:
            return
        template = self._template()
        given = set(self.positions)
        # Defaults are adapted once; only the values given, row by row.
        for position, adapt in self.adapters:
            if position not in given:
                template[position] = adapt(template[position])
        adapters = [
            (i, position, adapt)
            for i, position in enumerate(self.positions)
            for p, adapt in self.adapters
            if p == position
        ]
        positions = self.positions
        out = []
        for values in rows:
            row = list(template)
            for position, value in zip(positions, values, strict=True):
                row[position] = value
            for i, position, adapt in adapters:
                row[position] = adapt(values[i])
            out.append(row)
        insert_rows(self.model._meta.db_table, self.columns, out)

    def reserve_ids(self, count: int) -> list[int]:
        return reserve_ids(self.model, count)


def reserve_ids(model, count: int) -> list[int]:
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, column, count],
            )
            return [row[0] for row in cursor.fetchall()]
        quote = connection.ops.quote_name
        cursor.execute(f"SELECT COALESCE(MAX({quote(column)}), 0) FROM {quote(table)}")
        highest = cursor.fetchone()[0]
        cursor.execute("SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = %s", [table])
        start = max(highest, cursor.fetchone()[0]) + 1
    return list(range(start, start + count))


def insert_rows(table: str, columns: list[str], rows: list[list]) -> None:
    """``COPY`` on PostgreSQL, ``executemany`` elsewhere."""
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(
                f"INSERT INTO {quote(table)} ({names}) VALUES ({', '.join(['%s'] * len(columns))})", rows
            )
