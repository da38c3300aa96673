"""Writes of imported statistics: a file becomes a ``Dataset`` and its ``Observation`` rows, or nothing.

Rules:

* **All or nothing** by default: one bad line (a secret value included) and nothing is written;
  ``DatasetRejected`` carries the errors and the number of good lines, so the page can offer the
  partial import. With ``partial`` the good lines are written and the dataset records how many
  lines were left out (``rejected_lines``). A file without any good line is always rejected.
* **Metadata**: title, source and licence are required (they are shown with every figure taken from
  the dataset); an observation without its own source or licence takes the dataset's.
* **Audit**: one entry per import and per deletion, with the counts. The log's ``action`` column
  holds the platform's short verbs (16 characters at most), so the entry is a « create » /
  « delete » of the object ``diagnostic.dataset`` and names its event in ``detail["event"]``
  (``diagnostic.dataset_imported`` / ``diagnostic.dataset_deleted``). Public statistics are not
  personal data: no entry per observation.
* Observations are written with ``bulk_create`` in batches, in the import's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction

from cite_emploi.core import audit
from cite_emploi.core.models import AuditEntry
from cite_emploi.territory.models import Territory

from . import datasets
from .datasets import LineError
from .models import Dataset, Observation

BATCH_SIZE = 2000
IMPORTED, DELETED = "diagnostic.dataset_imported", "diagnostic.dataset_deleted"
AUDIT_WHAT = "jeu de données statistiques"
TITLE_MAX, URL_MAX, FILE_NAME_MAX = 200, 200, 255


class DatasetError(Exception):
    """An import or deletion a user asked for and that cannot be done; the message is French."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class DatasetRejected(DatasetError):
    """Nothing was written: the file is unreadable, or has bad lines and the import was not partial."""

    def __init__(
        self,
        message: str,
        *,
        errors: list[LineError] | None = None,
        error_count: int = 0,
        error_lines: int = 0,
        valid_lines: int = 0,
    ):
        super().__init__(message)
        self.errors = errors or []
        self.error_count = error_count
        self.error_lines = error_lines
        self.valid_lines = valid_lines

    @property
    def hidden_errors(self) -> int:
        return self.error_count - len(self.errors)


@dataclass
class ImportOutcome:
    dataset: Dataset
    imported: int
    rejected_lines: int = 0
    errors: list[LineError] = field(default_factory=list)
    error_count: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def hidden_errors(self) -> int:
        return self.error_count - len(self.errors)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count > 1 else ''}"


def _check_metadata(title: str, source: str, licence: str, url: str) -> None:
    for value, what, limit in (
        (title, "L'intitulé", TITLE_MAX),
        (source, "La source", datasets.SOURCE_MAX),
        (licence, "La licence", datasets.LICENCE_MAX),
    ):
        if not value.strip():
            raise DatasetError(f"{what} du jeu de données est obligatoire.")
        if len(value) > limit:
            raise DatasetError(f"{what} du jeu de données dépasse {limit} caractères.")
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise DatasetError(
                "L'adresse de la source n'est pas une adresse web valide (https://…)."
            ) from None
        if len(url) > URL_MAX:
            raise DatasetError(f"L'adresse de la source dépasse {URL_MAX} caractères.")


def import_dataset(
    territory: Territory,
    *,
    file_name: str,
    data: bytes,
    title: str,
    source: str,
    licence: str,
    url: str = "",
    description: str = "",
    by,
    partial: bool = False,
    is_demo: bool = False,
) -> ImportOutcome:
    """Read, check and store one file of statistics for ``territory``; ``DatasetRejected`` if nothing is stored."""
    title, source, licence, url = title.strip(), source.strip(), licence.strip(), url.strip()
    _check_metadata(title, source, licence, url)
    try:
        parsed = datasets.read_dataset(file_name, data, territory)
    except datasets.DatasetFileError as exc:
        raise DatasetRejected(exc.message) from None
    report = {
        "errors": parsed.errors,
        "error_count": parsed.error_count,
        "error_lines": parsed.error_lines,
        "valid_lines": len(parsed.rows),
    }
    if not parsed.rows:
        raise DatasetRejected(
            f"Aucune ligne valide sur {_plural(parsed.lines, 'ligne')} : rien n'a été importé.", **report
        )
    if parsed.error_lines and not partial:
        raise DatasetRejected(
            f"{_plural(parsed.error_lines, 'ligne')} en erreur sur {parsed.lines} : rien n'a été importé. "
            f"Corrigez le fichier, ou cochez « Importer les lignes valides et écarter les autres » pour "
            f"importer les {_plural(len(parsed.rows), 'ligne')} valide{'s' if len(parsed.rows) > 1 else ''}.",
            **report,
        )
    with transaction.atomic():
        dataset = Dataset.objects.create(
            territory=territory,
            title=title,
            source=source,
            licence=licence,
            url=url,
            description=description.strip(),
            file_name=file_name[-FILE_NAME_MAX:],
            rejected_lines=parsed.error_lines,
            imported_by=by if getattr(by, "is_authenticated", False) else None,
            is_demo=is_demo,
        )
        rows = parsed.rows
        for start in range(0, len(rows), BATCH_SIZE):
            Observation.objects.bulk_create(
                [
                    Observation(
                        dataset=dataset,
                        indicator=r.indicator,
                        indicator_label=r.indicator_label,
                        level=r.level,
                        geo_code=r.geo_code,
                        age_group=r.age_group,
                        sex=r.sex,
                        period=r.period,
                        period_start=r.period_start,
                        period_end=r.period_end,
                        value=r.value,
                        unit=r.unit,
                        source=r.source or source,
                        licence=r.licence or licence,
                    )
                    for r in rows[start : start + BATCH_SIZE]
                ]
            )
        audit.record(
            AuditEntry.Action.CREATE,
            actor=by,
            obj=dataset,
            territory_id=territory.pk,
            event=IMPORTED,
            what=AUDIT_WHAT,
            file_name=dataset.file_name,
            observations=len(rows),
            rejected_lines=parsed.error_lines,
        )
    return ImportOutcome(
        dataset=dataset,
        imported=len(rows),
        rejected_lines=parsed.error_lines,
        errors=parsed.errors,
        error_count=parsed.error_count,
        warnings=parsed.warnings,
    )


@transaction.atomic
def delete_dataset(dataset: Dataset, *, by) -> None:
    """Remove a dataset and its observations; the audit entry keeps what it was."""
    audit.record(
        AuditEntry.Action.DELETE,
        actor=by,
        obj=dataset,
        territory_id=dataset.territory_id,
        event=DELETED,
        what=AUDIT_WHAT,
        title=dataset.title,
        file_name=dataset.file_name,
        observations=dataset.observations.count(),
    )
    dataset.delete()
