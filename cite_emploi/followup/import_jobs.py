"""The web import of beneficiaries as a job: upload, column mapping, dry run, import, report.

Writes of ``BeneficiaryImport`` live here (the views only call these functions); the import itself
is ``beneficiary_import.import_beneficiaries``, run by the background task ``tasks_import``.

The uploaded file is stored in ``storage_dir()`` (``settings.BENEFICIARY_IMPORT_DIR``, by default
``var/private/imports``: outside MEDIA_ROOT, never served) under a random name, and deleted when the
import ends, when the job is abandoned, or after ``STALE_AFTER`` for a job left half-way. While a run
goes on, its progress is written to a small JSON file beside the upload: the run holds one database
transaction (all or nothing), so a progress counter in the database would stay invisible to the page
until the end.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from cite_emploi.core.statistics import refresh_statistics

from . import beneficiary_files as files
from .beneficiary_files import ImportFileError, ImportSource
from .beneficiary_import import MAX_UPLOAD_BYTES, import_beneficiaries
from .beneficiary_mapping import check_mapping
from .models import BeneficiaryImport

logger = logging.getLogger(__name__)
STALE_AFTER = timedelta(days=2)
EXTENSIONS = (".csv", ".txt", ".xlsx")


class ImportJobError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def storage_dir() -> Path:
    path = Path(settings.BENEFICIARY_IMPORT_DIR)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _stored(job: BeneficiaryImport) -> Path:
    return storage_dir() / job.stored_name


def _progress_path(job: BeneficiaryImport) -> Path:
    return storage_dir() / f"{job.stored_name or job.pk}.progress.json"


def source_of(job: BeneficiaryImport) -> ImportSource:
    path = _stored(job)
    return ImportSource(job.filename, lambda: open(path, "rb"))


def _info(job: BeneficiaryImport) -> files.FileInfo:
    return files.FileInfo(**job.file_info)


def create_job(upload, *, organisation, by) -> BeneficiaryImport:
    """Store the upload privately, read its headers; ``ImportJobError`` (French) if it cannot be used."""
    purge_stale()
    name = Path(upload.name or "fichier").name[:200]
    if not name.lower().endswith(EXTENSIONS):
        raise ImportJobError("Format non reconnu : déposez un fichier .csv ou .xlsx.")
    if upload.size > MAX_UPLOAD_BYTES:
        raise ImportJobError(
            f"Le fichier dépasse {MAX_UPLOAD_BYTES // 2**20} Mo : découpez-le, ou faites l'import en ligne "
            "de commande (cite-emploi import-beneficiaries)."
        )
    stored_name = secrets.token_hex(16)
    path = storage_dir() / stored_name
    with open(path, "wb") as out:
        os.chmod(path, 0o600)
        for chunk in upload.chunks():
            out.write(chunk)
    try:
        info = files.inspect(ImportSource.from_path(path, name))
    except ImportFileError as exc:
        path.unlink(missing_ok=True)
        raise ImportJobError(str(exc)) from None
    except Exception:  # a file broken in a way no reader foresaw: refused, never a 500
        logger.exception("Unreadable beneficiary import file")
        path.unlink(missing_ok=True)
        raise ImportJobError(f"{name} : fichier illisible. Exportez-le à nouveau en CSV ou .xlsx.") from None
    return BeneficiaryImport.objects.create(
        territory=organisation.territory,
        organisation=organisation,
        created_by=by,
        filename=name,
        stored_name=stored_name,
        file_format=info.format,
        headers=info.headers,
        file_info=info.__dict__,
        total_rows=info.total_rows,
    )


def save_mapping(job: BeneficiaryImport, mapping: dict[str, str], *, geocode: bool) -> BeneficiaryImport:
    """Keep the mapping chosen (``MappingError`` if incomplete) and start the dry run."""
    _require_file(job)
    if job.is_running:
        raise ImportJobError("Une vérification ou un import de ce fichier est déjà en cours.")
    check_mapping(mapping, job.headers)
    job.mapping = {name: header for name, header in mapping.items() if header}
    job.geocode = geocode
    job.partial = False
    job.save(update_fields=["mapping", "geocode", "partial"])
    return _enqueue(job, dry_run=True)


def confirm(job: BeneficiaryImport, *, partial: bool) -> BeneficiaryImport:
    """The user read the dry run's report and confirms: import in the background."""
    if job.status == BeneficiaryImport.Status.DONE:
        raise ImportJobError("Ce fichier a déjà été importé.")
    _require_file(job)
    if job.status != BeneficiaryImport.Status.CHECKED:
        raise ImportJobError("Vérifiez d'abord le fichier (simulation) avant de l'importer.")
    report = job.report or {}
    if report.get("file_errors"):
        raise ImportJobError("Ce fichier a été refusé : corrigez-le puis déposez-le à nouveau.")
    counts = report.get("counts", {})
    if counts.get("rejected") and not partial:
        raise ImportJobError(
            "Le fichier contient des lignes en erreur : corrigez-le, ou cochez « accepter un import partiel »."
        )
    job.partial = partial
    job.save(update_fields=["partial"])
    return _enqueue(job, dry_run=False)


def cancel(job: BeneficiaryImport) -> None:
    if job.is_running:
        raise ImportJobError("L'import est en cours : il ne peut plus être abandonné.")
    if job.status in (BeneficiaryImport.Status.DONE, BeneficiaryImport.Status.CANCELLED):
        return
    _delete_file(job)
    job.status = BeneficiaryImport.Status.CANCELLED
    job.save(update_fields=["status", "stored_name"])


def _require_file(job: BeneficiaryImport) -> None:
    if not job.stored_name or not _stored(job).exists():
        raise ImportJobError("Le fichier de cet import n'est plus disponible : déposez-le à nouveau.")


def _enqueue(job: BeneficiaryImport, *, dry_run: bool) -> BeneficiaryImport:
    from .tasks_import import run_beneficiary_import

    job.status = BeneficiaryImport.Status.CHECKING if dry_run else BeneficiaryImport.Status.IMPORTING
    job.started_at, job.finished_at = timezone.now(), None
    job.save(update_fields=["status", "started_at", "finished_at"])
    write_progress(job, 0, job.total_rows)
    run_beneficiary_import.enqueue(job.pk, dry_run)
    job.refresh_from_db()
    return job


def run(job_id: int, dry_run: bool) -> None:
    """The body of the background task."""
    job = (
        BeneficiaryImport.objects.select_related("organisation__territory", "created_by")
        .filter(pk=job_id)
        .first()
    )
    if job is None or not job.stored_name:
        return
    last = [0.0]

    def progress(done: int, total: int | None) -> None:
        # At most twice a second: the page polls every second or so.
        now = time.monotonic()
        if now - last[0] >= 0.5 or done == total:
            last[0] = now
            write_progress(job, done, total)

    try:
        report = import_beneficiaries(
            source_of(job),
            organisation=job.organisation,
            by=job.created_by,
            mapping=job.mapping,
            dry_run=dry_run,
            partial=job.partial,
            geocode=job.geocode,
            info=_info(job),
            progress=progress,
            run_id=f"{job.pk}"[:12],
        )
        result = report.as_dict()
    except Exception:  # the job must end, whatever happened, so the page stops waiting
        logger.exception("Beneficiary import job %s failed", job_id)
        result = {
            "file_errors": [
                "Erreur inattendue pendant l'import : rien n'a été importé. Réessayez plus tard."
            ],
            "counts": {},
            "lines": [],
            "refused": True,
            "outcome": "Fichier refusé : rien n'a été importé.",
        }
    job.report = result
    job.finished_at = timezone.now()
    if dry_run:
        job.status = (
            BeneficiaryImport.Status.FAILED if result.get("file_errors") else BeneficiaryImport.Status.CHECKED
        )
    else:
        job.status = (
            BeneficiaryImport.Status.DONE if result.get("committed") else BeneficiaryImport.Status.FAILED
        )
    job.run_id = str(job.pk)
    fields = ["report", "finished_at", "status", "run_id"]
    if not dry_run or result.get("file_errors"):
        _delete_file(job)
        fields.append("stored_name")
    job.save(update_fields=fields)
    if not dry_run and result.get("committed"):
        refresh_statistics()  # a large load changes the planner's picture of the tables


def write_progress(job: BeneficiaryImport, done: int, total: int | None) -> None:
    path = _progress_path(job)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps({"done": done, "total": total}))
    os.replace(temporary, path)


def progress_of(job: BeneficiaryImport) -> tuple[int, int | None]:
    """(lines done, lines in all) of the run in progress."""
    try:
        data = json.loads(_progress_path(job).read_text())
        return int(data.get("done") or 0), data.get("total") or job.total_rows
    except (OSError, ValueError):
        return 0, job.total_rows


def _delete_file(job: BeneficiaryImport) -> None:
    for path in (_progress_path(job), _stored(job) if job.stored_name else None):
        if path is not None:
            path.unlink(missing_ok=True)
    job.stored_name = ""


def purge_stale() -> int:
    """Delete the files of jobs left half-way for more than ``STALE_AFTER``."""
    stale = BeneficiaryImport.objects.filter(created_at__lt=timezone.now() - STALE_AFTER).exclude(
        stored_name=""
    )
    count = 0
    for job in stale:
        _delete_file(job)
        if not job.is_running:
            job.status = BeneficiaryImport.Status.CANCELLED
        job.save(update_fields=["stored_name", "status"])
        count += 1
    return count
