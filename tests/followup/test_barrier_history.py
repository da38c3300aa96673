"""The barriers' status history: written by the services, and made up for the barriers recorded
before it existed (migration 0006), on both engines."""

from datetime import date
from importlib import import_module

import pytest
from django.db import connection

from cite_emploi.followup import services
from cite_emploi.followup.models import Barrier, BarrierStatusChange
from tests.followup.factories import BarrierFactory, FollowUpMemberFactory

MIGRATION = import_module("cite_emploi.followup.migrations.0006_barrier_status_history").Migration
BACKFILL = MIGRATION.operations[-1]

VEHICLE = "mobilite--acceder-a-un-vehicule"


def history(barrier):
    return list(barrier.status_changes.order_by("changed_on", "pk").values_list("status", "changed_on"))


def test_every_status_a_barrier_takes_is_kept_with_its_day(db):
    member = FollowUpMemberFactory()
    barrier = services.add_barrier(
        member.follow_up, thematique=VEHICLE, by=member.user, identified_on=date(2025, 1, 6)
    )
    services.change_barrier_status(barrier, "in_progress", by=member.user, on=date(2025, 2, 3))
    services.change_barrier_status(barrier, "not_lifted", by=member.user, on=date(2025, 2, 3))
    services.change_barrier_status(barrier, "in_progress", by=member.user, on=date(2025, 3, 10))
    assert history(barrier) == [
        ("identified", date(2025, 1, 6)),
        ("in_progress", date(2025, 2, 3)),
        ("not_lifted", date(2025, 2, 3)),
        ("in_progress", date(2025, 3, 10)),
    ]


def test_a_refused_move_leaves_no_line(db):
    member = FollowUpMemberFactory()
    barrier = services.add_barrier(member.follow_up, thematique=VEHICLE, by=member.user)
    with pytest.raises(services.InvalidTransition):
        services.change_barrier_status(barrier, "lifted", by=member.user)  # not from « identifié »
    assert [status for status, _ in history(barrier)] == ["identified"]


def test_the_history_goes_with_the_barrier(db):
    member = FollowUpMemberFactory()
    barrier = services.add_barrier(member.follow_up, thematique=VEHICLE, by=member.user)
    services.delete_barrier(barrier, by=member.user)
    assert not BarrierStatusChange.objects.exists()


def test_barriers_recorded_before_the_history_get_what_their_dates_say(db):
    waiting = BarrierFactory(identified_on=date(2024, 3, 1))
    lifted = BarrierFactory(
        status=Barrier.Status.LIFTED, identified_on=date(2024, 3, 1), status_changed_on=date(2024, 9, 2)
    )
    BarrierStatusChange.objects.all().delete()  # as they were before migration 0006
    with connection.cursor() as cursor:
        for statement in BACKFILL.sql:
            cursor.execute(statement)
    assert history(waiting) == [("identified", date(2024, 3, 1))]
    assert history(lifted) == [("identified", date(2024, 3, 1)), ("lifted", date(2024, 9, 2))]
