"""Reads of the aller-vers: results computed from records (a small hand-made case), secrecy, calendar, map."""

from datetime import date, datetime, time

import pytest
from django.utils import timezone

from cite_emploi.core.secrecy import Figure, protect
from cite_emploi.outreach import queries
from cite_emploi.outreach.models import ActionOrigin, OutreachAction, ReachedCount
from cite_emploi.territory.models import Commune, Territory
from tests.followup.factories import FollowUpFactory
from tests.outreach.factories import OutreachActionFactory, RecruitmentEventFactory, qpv

START, END = date(2025, 1, 1), date(2025, 3, 31)
MONT_MESLY, BLEUETS, CHANTEREINE = "QN09405M", "QN09406I", "QN09404M"


def at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def held(code, day, minutes, reached, contacts, origins, status=OutreachAction.Status.DONE, **fields):
    """An action as its report records it: people reached by (age group, sex), contacts, follow-ups started."""
    action = OutreachActionFactory(
        qpv=qpv(code) if code else None,
        starts_at=at(day),
        duration_minutes=minutes,
        status=status,
        contacts_left=contacts,
        **fields,
    )
    ReachedCount.objects.bulk_create(
        ReachedCount(action=action, age_group=age, sex=sex, count=n) for (age, sex), n in reached.items()
    )
    for _ in range(origins):
        ActionOrigin.objects.create(action=action, follow_up=FollowUpFactory())
    return action


@pytest.fixture
def records(db, other_territory):
    """Four held actions in three QPV, and what must not count: cancelled, unreported, outside the period
    or the territory."""
    held(
        MONT_MESLY,
        date(2025, 1, 15),
        120,
        {("jeunes", "F"): 6, ("jeunes", "M"): 4, ("adultes", "F"): 5},
        7,
        3,
    )
    held(MONT_MESLY, date(2025, 2, 10), 180, {("adultes", "M"): 10, ("", ""): 5}, 3, 2)
    held(BLEUETS, date(2025, 2, 20), 90, {("seniors", "F"): 8}, 1, 1)
    held(CHANTEREINE, date(2025, 3, 20), 60, {("jeunes", "M"): 20}, 4, 6)
    held(BLEUETS, date(2025, 3, 5), 120, {}, 0, 0, status=OutreachAction.Status.CANCELLED)
    held(MONT_MESLY, date(2025, 3, 10), 120, {}, 0, 0, status=OutreachAction.Status.PLANNED)
    held(MONT_MESLY, date(2025, 4, 2), 120, {("jeunes", "F"): 100}, 50, 1)
    held(MONT_MESLY, date(2024, 12, 31), 120, {("jeunes", "F"): 100}, 50, 1)
    held(
        None,
        date(2025, 2, 1),
        60,
        {("adultes", "F"): 40},
        9,
        1,
        territory=Territory.objects.get(pk=other_territory.pk),
    )


def values(row) -> dict:
    return {
        "actions": row.actions,
        "hours": row.hours,
        "reached": row.reached.value,
        "contacts": row.contacts.value,
        "started": row.started.value,
        "age": {k: f.value for k, f in row.by_age.items()},
        "sex": {k: f.value for k, f in row.by_sex.items()},
    }


def test_results_per_qpv_are_computed_from_records(records, gpsea, settings):
    settings.SECRECY_THRESHOLD = 1  # raw figures: secrecy is tested below
    results = queries.results_by_qpv(gpsea, START, END)
    rows = {r.key: r for r in results.rows}
    assert set(rows) == {q.code for q in queries.perimeter_qpvs(gpsea)}  # every QPV, none outside
    assert values(rows[MONT_MESLY]) == {
        "actions": 2,
        "hours": 5.0,
        "reached": 30,
        "contacts": 10,
        "started": 5,
        "age": {"jeunes": 10, "adultes": 15, "seniors": 0, "": 5},
        "sex": {"F": 11, "M": 14, "": 5},
    }
    assert values(rows[BLEUETS])["reached"] == 8 and rows[BLEUETS].actions == 1  # the cancelled one not
    assert values(rows[CHANTEREINE]) == {
        "actions": 1,
        "hours": 1.0,
        "reached": 20,
        "contacts": 4,
        "started": 6,
        "age": {"jeunes": 20, "adultes": 0, "seniors": 0, "": 0},
        "sex": {"F": 0, "M": 20, "": 0},
    }
    assert values(results.total) == {
        "actions": 4,
        "hours": 7.5,
        "reached": 58,
        "contacts": 15,
        "started": 12,
        "age": {"jeunes": 30, "adultes": 15, "seniors": 8, "": 5},
        "sex": {"F": 19, "M": 34, "": 5},
    }
    assert rows[CHANTEREINE].conversion == 30.0 and rows[CHANTEREINE].conversion_label == "30,0 %"
    assert results.total.conversion == 20.7  # 12 follow-ups started for 58 people reached
    assert rows["QN09438N"].conversion_label == "—"  # nobody reached there
    assert (results.without_report, results.cancelled) == (1, 1)


def test_results_per_month_cover_every_month_of_the_period(records, gpsea, settings):
    settings.SECRECY_THRESHOLD = 1
    results = queries.results_by_month(gpsea, START, END)
    assert [r.label for r in results.rows] == ["janvier 2025", "février 2025", "mars 2025"]
    january, february, march = results.rows
    assert (january.actions, january.hours, january.reached.value, january.started.value) == (1, 2.0, 15, 3)
    assert (february.actions, february.hours, february.reached.value, february.contacts.value) == (
        2,
        4.5,
        23,
        4,
    )
    assert (march.actions, march.reached.value, march.started.value) == (1, 20, 6)
    assert values(results.total) == values(queries.results_by_qpv(gpsea, START, END).total)


def test_an_action_just_after_midnight_counts_in_its_local_month(db, gpsea, settings):
    settings.SECRECY_THRESHOLD = 1
    # 00:30 on 1 March in Paris is still 28 February in UTC: the action belongs to March.
    action = OutreachActionFactory(starts_at=timezone.make_aware(datetime(2025, 3, 1, 0, 30)))
    ReachedCount.objects.create(action=action, count=7)
    _january, february, march = queries.results_by_month(gpsea, START, END).rows
    assert (february.reached.value, march.reached.value) == (0, 7)


def test_results_filter_by_commune_and_qpv(records, gpsea, settings):
    settings.SECRECY_THRESHOLD = 1
    alfortville = Commune.objects.get(name="Alfortville")
    results = queries.results_by_qpv(gpsea, START, END, commune_ids=[alfortville.pk])
    assert {r.key for r in results.rows} == {CHANTEREINE, "QN09439N"}
    assert results.total.reached.value == 20
    only = queries.results_by_qpv(gpsea, START, END, qpv_ids=[qpv(BLEUETS).pk])
    assert [r.key for r in only.rows] == [BLEUETS]
    assert (only.total.reached.value, only.cancelled) == (8, 1)


def test_an_action_outside_any_qpv_gets_its_own_row(db, gpsea, settings):
    settings.SECRECY_THRESHOLD = 1
    held(
        None, date(2025, 2, 1), 60, {("adultes", "F"): 12}, 2, 0, commune=Commune.objects.get(name="Créteil")
    )
    rows = queries.results_by_qpv(gpsea, START, END).rows
    assert rows[-1].label == "Hors quartier prioritaire" and rows[-1].reached.value == 12


def test_results_apply_statistical_secrecy(records, gpsea):
    """Threshold 5: small counts of people read « secret », and one more wherever a total would reveal them."""
    results = queries.results_by_qpv(gpsea, START, END)
    rows = {r.key: r for r in results.rows}
    mont_mesly, bleuets, chantereine, total = (
        rows[MONT_MESLY],
        rows[BLEUETS],
        rows[CHANTEREINE],
        results.total,
    )
    # Contacts: 1 and 4 are under the threshold; the total 15 cannot reveal either alone.
    assert [str(r.contacts) for r in (mont_mesly, bleuets, chantereine, total)] == [
        "10",
        "secret",
        "secret",
        "15",
    ]
    # Follow-ups started: 1 is hidden, so the smallest other (5) is hidden too, or 12 − 6 − 5 would give it.
    assert [str(r.started) for r in (mont_mesly, bleuets, chantereine, total)] == [
        "secret",
        "secret",
        "6",
        "12",
    ]
    assert mont_mesly.conversion_label == "non diffusé" and mont_mesly.conversion is None
    assert chantereine.conversion_label == "30,0 %"
    assert total.conversion_label == "20,7 %"
    # Counts at or above the threshold are shown; zeros too.
    assert str(mont_mesly.by_age[""]) == "5" and str(mont_mesly.by_age["seniors"]) == "0"
    for row in [*results.rows, total]:
        for figure in row.people():
            assert figure.hidden or figure.value == 0 or figure.value >= 5


def test_secondary_secrecy_never_leaves_a_single_hidden_cell_under_a_shown_total():
    def row(key, reached_f, reached_m):
        r = queries.ResultRow(key=key, label=key)
        r.by_sex["F"].value, r.by_sex["M"].value = reached_f, reached_m
        r.reached.value = reached_f + reached_m
        return r

    rows = [row("a", 11, 4), row("b", 8, 10), row("c", 0, 20)]
    total = queries._totals(rows)
    queries.apply_secrecy(rows, total)
    groups = [(r.reached, [r.by_sex[s] for s in ("F", "M", "")]) for r in [*rows, total]]
    groups += [(total.by_sex[s], [r.by_sex[s] for r in rows]) for s in ("F", "M")]
    for parent, cells in groups:
        hidden = [c for c in cells if c.hidden]
        assert parent.hidden or len(hidden) != 1
    assert rows[0].by_sex["M"].hidden and rows[0].by_sex["F"].hidden  # 4, then 11 so that 15 − 11 is not 4


def test_a_lone_hidden_cell_beside_zeros_hides_the_total():
    total, cells = Figure(3), [Figure(3, hidden=True), Figure(0), Figure(0)]
    protect([(total, cells)])
    assert total.hidden and not cells[1].hidden


def test_the_calendar_shows_actions_and_recruitment_events_of_the_month(db, gpsea, other_territory):
    action = OutreachActionFactory(title="Permanence du mardi", starts_at=at(date(2025, 3, 4), 9))
    event = RecruitmentEventFactory(title="Job dating logistique", starts_at=at(date(2025, 3, 4), 14))
    OutreachActionFactory(title="Avril", starts_at=at(date(2025, 4, 1)))
    OutreachActionFactory(
        title="Ailleurs",
        starts_at=at(date(2025, 3, 4)),
        territory=Territory.objects.get(pk=other_territory.pk),
    )
    weeks = queries.month_calendar(gpsea, 2025, 3)
    assert weeks[0][0].day == date(2025, 2, 24) and not weeks[0][0].in_month  # Monday first
    day = next(d for week in weeks for d in week if d.day == date(2025, 3, 4))
    assert [(i.kind, i.pk) for i in day.items] == [("action", action.pk), ("event", event.pk)]
    assert all(i.title not in ("Avril", "Ailleurs") for week in weeks for d in week for i in d.items)
    only_events = queries.month_calendar(gpsea, 2025, 3, show="operations")
    day = next(d for week in only_events for d in week if d.day == date(2025, 3, 4))
    assert [i.kind for i in day.items] == ["event"]


def test_the_map_places_an_action_at_its_point_else_its_qpv_else_its_commune(db, gpsea):
    at_point = OutreachActionFactory(latitude=48.79, longitude=2.45, qpv=qpv())
    in_qpv = OutreachActionFactory()
    in_commune = OutreachActionFactory(qpv=None, commune=Commune.objects.get(name="Sucy-en-Brie"))
    rows, truncated = queries.map_rows(gpsea, queries.ActionFilters())
    by_pk = {r.action.pk: r for r in rows}
    assert not truncated
    assert (by_pk[at_point.pk].latitude, by_pk[at_point.pk].located) == (48.79, "point")
    assert by_pk[in_qpv.pk].located == "quartier"
    assert (by_pk[in_qpv.pk].latitude, by_pk[in_qpv.pk].longitude) == queries.qpv_centres([qpv().pk])[
        qpv().pk
    ]
    assert by_pk[in_commune.pk].located == "commune"
    assert 48.7 < by_pk[in_commune.pk].latitude < 48.8


def test_the_list_counts_people_reached_and_follow_ups_started_per_action(db, gpsea):
    action = held(MONT_MESLY, date(2025, 1, 15), 120, {("jeunes", "F"): 6, ("jeunes", "M"): 4}, 2, 3)
    other = held(BLEUETS, date(2025, 1, 16), 120, {}, 0, 0)
    found = {a.pk: a for a in queries.actions(gpsea)}
    assert (found[action.pk].reached_total, found[action.pk].origin_count) == (10, 3)
    assert (found[other.pk].reached_total, found[other.pk].origin_count) == (0, 0)
    filtered = queries.actions(gpsea, queries.ActionFilters(qpv_id=qpv(BLEUETS).pk))
    assert [a.pk for a in filtered] == [other.pk]
