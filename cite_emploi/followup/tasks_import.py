"""Background task of the web import of beneficiaries (django-tasks; see ``import_jobs``)."""

from django_tasks import task

from . import import_jobs


@task()
def run_beneficiary_import(job_id: int, dry_run: bool) -> None:
    """Dry run (``dry_run``) or import of the file of job ``job_id``; the report goes to the job."""
    import_jobs.run(job_id, dry_run)
