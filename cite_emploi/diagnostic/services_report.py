"""Writes of the diagnostic report: saving a version and sharing it with the mayors and partners.

Rules:

* **A version is frozen**: ``save_version`` computes ``content.snapshot`` at ``as_of`` and stores it
  with the coordinator's written sections. The figures of a version never change afterwards, whatever
  happens to the data: it reads the same in a year, and two versions compare figure by figure.
* **Numbers** run 1, 2, 3… per territory, with no gap created by this code. The next number is read
  and written under a lock on the territory's row (``SELECT … FOR UPDATE`` on PostgreSQL); SQLite has
  no row lock but takes one writer at a time, so two concurrent saves there may still read the same
  last number: the unique constraint refuses the second, which retries with the next number.
  The snapshot is computed before the lock, so a slow computation never holds it.
* **Checks**: a title (200 characters at most) and a date that is not in the future; errors are
  ``ReportError`` with a French message.
* **Sharing**: only a shared version is readable by elected members; the coordinator shares and
  unshares (``share_version``).
* **Audit**: one entry per save and per change of sharing. The audit log's action is one of its
  fixed actions (``create`` / ``update``, 16 characters at most in the table); the detail names the
  event (``diagnostic.report_saved``, ``diagnostic.report_shared``, ``diagnostic.report_unshared``).
  The report holds no personal data, so these entries only say who published what.
"""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from cite_emploi.core import audit
from cite_emploi.territory.models import Territory

from . import content
from .models import ReportVersion

TITLE_MAX = 200
NUMBER_ATTEMPTS = 5


class ReportError(Exception):
    """A save or share a user asked for and that cannot be done; the message is French."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _check(as_of: date, title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise ReportError("Donnez un titre à la version du diagnostic.")
    if len(title) > TITLE_MAX:
        raise ReportError(f"Le titre ne doit pas dépasser {TITLE_MAX} caractères.")
    if as_of > timezone.localdate():
        raise ReportError("La date d'arrêt des données ne peut pas être dans le futur.")
    return title


def _next_number(territory: Territory) -> int:
    # The row lock serialises concurrent saves of one territory on PostgreSQL (a no-op on SQLite).
    list(Territory.objects.select_for_update().filter(pk=territory.pk).values_list("pk", flat=True))
    last = ReportVersion.objects.filter(territory=territory).aggregate(last=Max("number"))["last"]
    return (last or 0) + 1


def save_version(
    territory: Territory,
    *,
    as_of: date,
    title: str,
    analysis: str,
    action_contours: str,
    is_shared: bool,
    by,
) -> ReportVersion:
    """Freeze the diagnostic at ``as_of`` with the coordinator's written sections, as the next version."""
    title = _check(as_of, title)
    frozen = content.snapshot(territory, as_of)
    attempts = NUMBER_ATTEMPTS
    while True:
        try:
            with transaction.atomic():
                return _create(territory, frozen, as_of, title, analysis, action_contours, is_shared, by)
        except IntegrityError:
            # Another save took this number between our read and our write (SQLite): take the next one.
            attempts -= 1
            if not attempts:
                raise ReportError(
                    "Plusieurs versions sont enregistrées en même temps : réessayez dans un instant."
                ) from None


def _create(territory, frozen, as_of, title, analysis, action_contours, is_shared, by) -> ReportVersion:
    version = ReportVersion.objects.create(
        territory=territory,
        number=_next_number(territory),
        as_of=as_of,
        title=title,
        analysis=(analysis or "").strip(),
        action_contours=(action_contours or "").strip(),
        snapshot=frozen,
        is_shared=is_shared,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    audit.record(
        "create",
        actor=by,
        obj=version,
        territory_id=territory.pk,
        event="diagnostic.report_saved",
        number=version.number,
        as_of=as_of.isoformat(),
        shared=is_shared,
    )
    return version


@transaction.atomic
def share_version(version: ReportVersion, *, shared: bool, by) -> ReportVersion:
    """Share a version with elected members and partners, or take it back to a working document."""
    if version.is_shared == shared:
        return version
    version.is_shared = shared
    version.save(update_fields=["is_shared"])
    audit.record(
        "update",
        actor=by,
        obj=version,
        territory_id=version.territory_id,
        event="diagnostic.report_shared" if shared else "diagnostic.report_unshared",
        number=version.number,
    )
    return version
