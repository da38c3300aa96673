"""Writes of the aller-vers: actions, their report, weekly permanences, and the follow-ups they started."""

from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from cite_emploi.core.models import AuditEntry
from cite_emploi.followup.models import TimelineEvent
from cite_emploi.outreach import services
from cite_emploi.outreach.models import ActionOrigin, OutreachAction, ReachedCount
from cite_emploi.outreach.services import ActionInput, OutreachError, PlaceInput, ReportInput, SeriesInput
from cite_emploi.territory.models import Commune
from tests.accounts.factories import member
from tests.followup.factories import add_member, followed_by, organisation_of
from tests.outreach.factories import OutreachActionFactory, ReachedCountFactory, qpv
from tests.partners.factories import OrganisationFactory


@pytest.fixture
def counsellor(db):
    return member("counsellor")


@pytest.fixture
def coordinator(db):
    return member("coordinator")


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def action_input(**changes) -> ActionInput:
    fields = {
        "kind": "stand-marche",
        "title": "Stand emploi au marché",
        "starts_at": timezone.now() - timedelta(days=2),
        "duration_minutes": 120,
        "place": PlaceInput(qpv=qpv()),
    }
    return ActionInput(**{**fields, **changes})


def series_input(**changes) -> SeriesInput:
    today = timezone.localdate()
    fields = {
        "kind": "permanence",
        "title": "Permanence emploi des Bleuets",
        "weekday": 1,
        "start_time": time(9, 30),
        "duration_minutes": 180,
        "every_weeks": 1,
        "starts_on": today - timedelta(days=28),
        "ends_on": today + timedelta(days=28),
        "place": PlaceInput(qpv=qpv("QN09406I"), place_label="Centre social"),
    }
    return SeriesInput(**{**fields, **changes})


# --- actions ------------------------------------------------------------------------------------


def test_a_counsellor_creates_an_action_in_a_qpv_and_its_commune_is_deduced(counsellor, gpsea):
    organisation = organisation_of(counsellor)
    action = services.create_action(
        gpsea, by=counsellor, data=action_input(), organisations=[organisation], staff=[counsellor]
    )
    assert action.status == OutreachAction.Status.PLANNED
    assert action.qpv.code == "QN09405M"
    assert action.commune.name == "Créteil"
    assert list(action.organisations.all()) == [organisation]
    assert list(action.staff.all()) == [counsellor]
    assert action.created_by == counsellor


def test_a_point_on_the_map_gives_the_qpv_it_falls_in(counsellor, gpsea):
    from cite_emploi.outreach.queries import qpv_centres

    latitude, longitude = qpv_centres([qpv().pk])[qpv().pk]
    action = services.create_action(
        gpsea,
        by=counsellor,
        data=action_input(place=PlaceInput(latitude=latitude, longitude=longitude)),
        organisations=[organisation_of(counsellor)],
    )
    assert action.qpv.code == "QN09405M"
    assert action.commune.code == "94028"
    assert (action.latitude, action.longitude) == (latitude, longitude)


@pytest.mark.parametrize(
    "place, message",
    [
        (PlaceInput(), "Indiquez où l'action a lieu"),
        (PlaceInput(latitude=48.78), "latitude et la longitude, ou aucune"),
        (PlaceInput(latitude=40.0, longitude=-40.0), "pas en France"),
    ],
)
def test_an_action_needs_a_place(counsellor, gpsea, place, message):
    with pytest.raises(OutreachError, match=message):
        services.create_action(
            gpsea, by=counsellor, data=action_input(place=place), organisations=[organisation_of(counsellor)]
        )


def test_a_qpv_outside_the_perimeter_is_refused(counsellor, gpsea):
    from cite_emploi.territory.models import QPV

    elsewhere = QPV.objects.filter(geography_year=2024).exclude(code__startswith="QN094").first()
    with pytest.raises(OutreachError, match="périmètre"):
        services.create_action(
            gpsea,
            by=counsellor,
            data=action_input(place=PlaceInput(qpv=elsewhere)),
            organisations=[organisation_of(counsellor)],
        )


def test_an_action_needs_an_organisation_of_the_territory(counsellor, gpsea, other_territory):
    with pytest.raises(OutreachError, match="au moins une structure"):
        services.create_action(gpsea, by=counsellor, data=action_input(), organisations=[])
    with pytest.raises(OutreachError, match="n'appartient pas au territoire"):
        services.create_action(
            gpsea,
            by=counsellor,
            data=action_input(),
            organisations=[OrganisationFactory(territory=other_territory)],
        )


def test_staff_must_work_in_the_territory(counsellor, gpsea, other_territory):
    stranger = member("counsellor", territory=other_territory)
    employer = member("employer")
    for person in (stranger, employer):
        with pytest.raises(OutreachError, match="ne travaille pas"):
            services.create_action(
                gpsea,
                by=counsellor,
                data=action_input(),
                organisations=[organisation_of(counsellor)],
                staff=[person],
            )


def test_elected_and_employers_record_no_action(gpsea):
    for role in ("elected", "employer", "funder"):
        user = member(role)
        with pytest.raises(OutreachError, match="Seuls la coordination"):
            services.create_action(gpsea, by=user, data=action_input(), organisations=[organisation_of(user)])


def test_who_may_edit_an_action(counsellor, coordinator, gpsea):
    author = member("counsellor")
    colleague_org = OrganisationFactory()
    action = services.create_action(gpsea, by=author, data=action_input(), organisations=[colleague_org])
    present = member("counsellor")
    from tests.accounts.factories import MembershipFactory

    MembershipFactory(user=present, organisation=colleague_org)
    assert services.can_edit(action, author)
    assert services.can_edit(action, coordinator)
    assert services.can_edit(action, present)
    assert not services.can_edit(action, counsellor)
    assert not services.can_edit(action, member("elected"))
    with pytest.raises(OutreachError, match="peuvent modifier"):
        services.update_action(
            action, by=counsellor, data=action_input(title="Autre"), organisations=[colleague_org]
        )
    services.update_action(
        action, by=present, data=action_input(title="Stand du samedi"), organisations=[colleague_org]
    )
    action.refresh_from_db()
    assert action.title == "Stand du samedi"


# --- report -------------------------------------------------------------------------------------


def test_the_report_stores_reached_people_by_age_group_and_sex(counsellor, gpsea):
    action = services.create_action(
        gpsea, by=counsellor, data=action_input(), organisations=[organisation_of(counsellor)]
    )
    report = ReportInput(
        status=OutreachAction.Status.DONE,
        reached={("jeunes", "F"): 6, ("jeunes", "M"): 4, ("", ""): 3, ("seniors", "F"): 0},
        contacts_left=5,
        notes="Beaucoup de questions sur la garde d'enfants.",
    )
    services.record_report(action, by=counsellor, report=report)
    action.refresh_from_db()
    assert action.status == OutreachAction.Status.DONE
    assert action.contacts_left == 5
    assert action.notes.startswith("Beaucoup")
    rows = {(r.age_group, r.sex): r.count for r in ReachedCount.objects.filter(action=action)}
    assert rows == {("jeunes", "F"): 6, ("jeunes", "M"): 4, ("", ""): 3}

    # A second report replaces the first: nothing is added twice.
    report.reached = {("adultes", "M"): 2}
    report.contacts_left = 1
    services.record_report(action, by=counsellor, report=report)
    assert {(r.age_group, r.sex): r.count for r in action.reached.all()} == {("adultes", "M"): 2}


@pytest.mark.parametrize(
    "status, reached, contacts, starts_in_days, message",
    [
        ("realisee", {("jeunes", "F"): 2}, 3, -1, "ne peut pas dépasser"),
        ("annulee", {("jeunes", "F"): 2}, 0, -1, "annulée n'a rencontré personne"),
        ("realisee", {("jeunes", "F"): 2}, 0, 3, "pas encore commencé"),
        ("prevue", {}, 0, -1, "réalisée ou annulée"),
        ("realisee", {("bebes", "F"): 2}, 0, -1, "inconnu"),
        ("realisee", {("jeunes", "F"): -2}, 0, -1, "positifs ou nuls"),
    ],
)
def test_report_rules(counsellor, gpsea, status, reached, contacts, starts_in_days, message):
    action = OutreachActionFactory(
        created_by=counsellor, starts_at=timezone.now() + timedelta(days=starts_in_days)
    )
    with pytest.raises(OutreachError, match=message):
        services.record_report(
            action, by=counsellor, report=ReportInput(status=status, reached=reached, contacts_left=contacts)
        )


def test_an_action_with_a_follow_up_started_there_cannot_be_cancelled(counsellor, gpsea):
    action = OutreachActionFactory(created_by=counsellor)
    person = followed_by(counsellor)
    services.link_origin(action, person.follow_up, by=counsellor)
    with pytest.raises(OutreachError, match="retirez ces rattachements"):
        services.record_report(action, by=counsellor, report=ReportInput(status="annulee", reached={}))


# --- series -------------------------------------------------------------------------------------


def test_series_dates_start_on_the_right_weekday_and_follow_the_rhythm():
    # 1 January 2025 is a Wednesday.
    weekly = services.series_dates(1, 1, date(2025, 1, 1), date(2025, 1, 31))
    assert weekly == [date(2025, 1, 7), date(2025, 1, 14), date(2025, 1, 21), date(2025, 1, 28)]
    fortnightly = services.series_dates(2, 2, date(2025, 1, 1), date(2025, 2, 12))
    assert fortnightly == [date(2025, 1, 1), date(2025, 1, 15), date(2025, 1, 29), date(2025, 2, 12)]
    assert services.series_dates(0, 1, date(2025, 1, 7), date(2025, 1, 12)) == []


def test_a_series_creates_its_occurrences_as_actions(counsellor, gpsea):
    organisation = organisation_of(counsellor)
    data = series_input(starts_on=date(2025, 1, 1), ends_on=date(2025, 4, 30), every_weeks=2, weekday=3)
    series = services.create_series(gpsea, by=counsellor, data=data, organisations=[organisation])
    occurrences = list(series.occurrences.order_by("starts_at"))
    assert [timezone.localdate(a.starts_at) for a in occurrences] == services.series_dates(
        3, 2, date(2025, 1, 1), date(2025, 4, 30)
    )
    assert len(occurrences) == 9
    first = occurrences[0]
    assert timezone.localtime(first.starts_at).time() == time(9, 30)
    assert timezone.localtime(occurrences[-1].starts_at).time() == time(9, 30)  # after the change of hour
    assert (first.kind, first.title, first.duration_minutes) == ("permanence", series.title, 180)
    assert first.qpv.code == "QN09406I" and first.place_label == "Centre social"
    assert first.status == OutreachAction.Status.PLANNED
    assert all(list(a.organisations.all()) == [organisation] for a in occurrences)


def test_a_series_too_long_or_without_any_day_is_refused(counsellor, gpsea):
    organisation = organisation_of(counsellor)
    with pytest.raises(OutreachError, match="raccourcissez"):
        services.create_series(
            gpsea,
            by=counsellor,
            data=series_input(starts_on=date(2020, 1, 1), ends_on=date(2025, 1, 1)),
            organisations=[organisation],
        )
    with pytest.raises(OutreachError, match="Aucune séance"):
        services.create_series(
            gpsea,
            by=counsellor,
            data=series_input(starts_on=date(2025, 1, 1), ends_on=date(2025, 1, 2), weekday=4),
            organisations=[organisation],
        )
    with pytest.raises(OutreachError, match="précéder"):
        services.create_series(
            gpsea,
            by=counsellor,
            data=series_input(starts_on=date(2025, 2, 1), ends_on=date(2025, 1, 1)),
            organisations=[organisation],
        )


def test_editing_a_series_regenerates_only_future_planned_occurrences(counsellor, gpsea):
    organisation = organisation_of(counsellor)
    today = timezone.localdate()
    series = services.create_series(
        gpsea,
        by=counsellor,
        data=series_input(
            weekday=today.weekday(), starts_on=today - timedelta(weeks=3), ends_on=today + timedelta(weeks=4)
        ),
        organisations=[organisation],
    )
    now = timezone.now()
    past = list(series.occurrences.filter(starts_at__lt=now).order_by("starts_at"))
    future = list(series.occurrences.filter(starts_at__gt=now).order_by("starts_at"))
    assert len(past) >= 3 and len(future) >= 4
    held, forgotten = past[0], past[1]
    services.record_report(
        held, by=counsellor, report=ReportInput(status="realisee", reached={("jeunes", "F"): 3})
    )
    reported_ahead = future[-1]
    ReachedCountFactory(action=reported_ahead, count=1)  # a future occurrence already carrying a record
    cancelled_ahead = future[0]
    cancelled_ahead.status = OutreachAction.Status.CANCELLED
    cancelled_ahead.save()

    new_weekday = (today.weekday() + 2) % 7
    services.update_series(
        series,
        by=counsellor,
        data=series_input(
            title="Permanence emploi — nouveau créneau",
            weekday=new_weekday,
            start_time=time(14, 0),
            starts_on=today - timedelta(weeks=3),
            ends_on=today + timedelta(weeks=4),
        ),
        organisations=[organisation],
    )
    remaining = {a.pk: a for a in series.occurrences.all()}
    # Past occurrences stay as they were, held or not; so do future ones with a record or a status.
    for kept in (held, forgotten, cancelled_ahead, reported_ahead):
        assert kept.pk in remaining
        assert remaining[kept.pk].title == "Permanence emploi des Bleuets"
    # The other future occurrences are replaced by the new rhythm, from now on only.
    new = [a for a in remaining.values() if a.title.endswith("nouveau créneau")]
    assert new, "the new schedule has occurrences"
    assert all(a.starts_at > now for a in new)
    assert all(timezone.localtime(a.starts_at).weekday() == new_weekday for a in new)
    assert all(timezone.localtime(a.starts_at).time() == time(14, 0) for a in new)
    assert not any(pk in remaining for pk in (f.pk for f in future[1:-1]))
    expected = [
        d
        for d in services.series_dates(new_weekday, 1, today - timedelta(weeks=3), today + timedelta(weeks=4))
        if at(d, 14) > now
        and d != timezone.localdate(reported_ahead.starts_at)
        and d != timezone.localdate(cancelled_ahead.starts_at)
    ]
    assert sorted(timezone.localdate(a.starts_at) for a in new) == expected


def test_only_editors_change_a_series(counsellor, gpsea):
    author = member("counsellor")
    series = services.create_series(
        gpsea, by=author, data=series_input(), organisations=[organisation_of(author)]
    )
    with pytest.raises(OutreachError, match="peuvent modifier"):
        services.update_series(
            series, by=counsellor, data=series_input(), organisations=[organisation_of(author)]
        )


# --- origins ------------------------------------------------------------------------------------


def test_a_member_links_the_follow_up_to_the_action_it_started_from(counsellor, gpsea):
    action = OutreachActionFactory(starts_at=timezone.now() - timedelta(days=5))
    person = followed_by(counsellor)
    origin = services.link_origin(action, person.follow_up, by=counsellor)
    assert origin.action == action and origin.recorded_by == counsellor
    event = person.follow_up.events.get(kind=TimelineEvent.Kind.OUTREACH)
    assert action.title in event.text
    entry = AuditEntry.objects.get(object_id=str(person.pk), detail__what="origine aller-vers")
    assert (
        entry.action == "create"
        and entry.actor == counsellor
        and entry.detail["outreach_action"] == action.pk
    )


def test_a_follow_up_has_one_origin_only(counsellor, gpsea):
    first = OutreachActionFactory(
        title="Porte-à-porte des Bleuets", starts_at=timezone.now() - timedelta(days=5)
    )
    second = OutreachActionFactory(starts_at=timezone.now() - timedelta(days=3))
    person = followed_by(counsellor)
    services.link_origin(first, person.follow_up, by=counsellor)
    with pytest.raises(OutreachError, match="déjà rattaché à l'action « Porte-à-porte des Bleuets »"):
        services.link_origin(second, person.follow_up, by=counsellor)
    assert ActionOrigin.objects.get(follow_up=person.follow_up).action == first


def test_only_a_member_of_the_follow_up_links_it(counsellor, coordinator, gpsea):
    action = OutreachActionFactory()
    person = followed_by(counsellor)
    for outsider in (coordinator, member("counsellor"), member("employer")):
        with pytest.raises(OutreachError, match="Seuls les membres du suivi"):
            services.link_origin(action, person.follow_up, by=outsider)
    assert not ActionOrigin.objects.exists()
    add_member(person, coordinator)
    services.link_origin(action, person.follow_up, by=coordinator)


@pytest.mark.parametrize(
    "status, days_before_entry, message",
    [
        ("annulee", 5, "annulée"),
        ("prevue", -3, "pas encore eu lieu"),
        ("realisee", 200, "plus de 120 jours"),
    ],
)
def test_the_action_must_be_held_shortly_before_the_entry(
    counsellor, gpsea, status, days_before_entry, message
):
    action = OutreachActionFactory(
        status=status, starts_at=timezone.now() - timedelta(days=days_before_entry)
    )
    person = followed_by(counsellor)
    with pytest.raises(OutreachError, match=message):
        services.link_origin(action, person.follow_up, by=counsellor)


def test_an_action_after_the_entry_did_not_start_the_follow_up(counsellor, gpsea):
    action = OutreachActionFactory(starts_at=timezone.now() - timedelta(days=2))
    person = followed_by(counsellor)
    person.follow_up.opened_on = timezone.localdate() - timedelta(days=10)
    person.follow_up.save()
    with pytest.raises(OutreachError, match="avant cette action"):
        services.link_origin(action, person.follow_up, by=counsellor)


def test_an_action_of_another_territory_is_refused(counsellor, gpsea, other_territory):
    from cite_emploi.territory.models import Territory

    action = OutreachActionFactory(territory=Territory.objects.get(pk=other_territory.pk), qpv=None)
    with pytest.raises(OutreachError, match="territoire de la personne"):
        services.link_origin(action, followed_by(counsellor).follow_up, by=counsellor)


def test_unlinking_is_for_members_and_audited(counsellor, gpsea):
    action = OutreachActionFactory()
    person = followed_by(counsellor)
    origin = services.link_origin(action, person.follow_up, by=counsellor)
    with pytest.raises(OutreachError, match="Seuls les membres du suivi"):
        services.unlink_origin(origin, by=member("counsellor"))
    services.unlink_origin(origin, by=counsellor)
    assert not ActionOrigin.objects.exists()
    assert AuditEntry.objects.filter(
        object_id=str(person.pk), action="delete", detail__what="origine aller-vers"
    ).exists()
    assert person.follow_up.events.filter(kind=TimelineEvent.Kind.OUTREACH, text__contains="retiré").exists()


def test_commune_of_a_qpv_spanning_two_communes_is_left_to_choose(counsellor, gpsea):
    haie_griselle = qpv("QN09403M")
    action = services.create_action(
        gpsea,
        by=counsellor,
        data=action_input(place=PlaceInput(qpv=haie_griselle)),
        organisations=[organisation_of(counsellor)],
    )
    assert action.commune is None
    boissy = Commune.objects.get(name="Boissy-Saint-Léger")
    services.update_action(
        action,
        by=counsellor,
        data=action_input(place=PlaceInput(qpv=haie_griselle, commune=boissy)),
        organisations=[organisation_of(counsellor)],
    )
    action.refresh_from_db()
    assert action.commune == boissy


def test_only_an_action_without_any_record_can_be_deleted(counsellor, gpsea):
    planned = OutreachActionFactory(
        status="prevue", created_by=counsellor, starts_at=timezone.now() + timedelta(days=2)
    )
    held = OutreachActionFactory(created_by=counsellor)
    linked = OutreachActionFactory(status="prevue", created_by=counsellor)
    ActionOrigin.objects.create(action=linked, follow_up=followed_by(counsellor).follow_up)
    with pytest.raises(OutreachError, match="peuvent modifier"):
        services.delete_action(planned, by=member("counsellor"))
    with pytest.raises(OutreachError, match="seulement annulée"):
        services.delete_action(held, by=counsellor)
    with pytest.raises(OutreachError, match="Des suivis sont rattachés"):
        services.delete_action(linked, by=counsellor)
    services.delete_action(planned, by=counsellor)
    assert not OutreachAction.objects.filter(pk=planned.pk).exists()
