"""« Mes bénéficiaires » and a person's page run the same SQL queries for 3 people or 30, 3 events or 30.

The speed goal (200,000 people, 2,000,000 timeline events, p95 under 150 ms) is measured by
``bench/followup.py``; these tests keep its first condition: no query per row.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cite_emploi.followup import services
from cite_emploi.followup.models import TimelineEvent
from cite_emploi.territory.models import QPV
from tests.accounts.factories import member
from tests.followup.factories import add_member, followed_by

THEMES = (
    "sante--acces-aux-soins",
    "mobilite--preparer-un-permis",
    "numerique--acceder-a-des-services-en-ligne",
)


@pytest.fixture
def counsellor(db):
    return member("counsellor")


def _queries(client, url, params=None) -> list[str]:
    client.get(url, params)  # warm the session and the per-process caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries]


def _people(counsellor, colleague, count: int) -> list:
    """People as a list row shows them: in a QPV or not, with barriers, contacts and another member."""
    mont_mesly = QPV.objects.get(code="QN09405M", geography_year=2024)
    people = []
    for i in range(count):
        b = followed_by(counsellor, last_name=f"Nom{i:02d}", qpv=mont_mesly if i % 2 else None)
        add_member(b, colleague)
        for theme in THEMES[: 1 + i % 3]:
            services.add_barrier(b.follow_up, thematique=theme, by=counsellor)
        services.add_entry(
            b.follow_up, kind="contact", text="", by=counsellor, at=timezone.now() - timedelta(days=i)
        )
        people.append(b)
    return people


LIST_FILTERS = [
    {},
    {"statut": "tous", "qpv": "QN09405M", "age": "adultes"},
    {"frein": "sante", "contact": "2"},
    {"q": "nom0", "statut": "tous"},
]


@pytest.mark.parametrize("params", LIST_FILTERS)
def test_the_list_runs_the_same_queries_for_3_or_30_people(client, counsellor, params):
    colleague = member("counsellor")
    _people(counsellor, colleague, 3)
    client.force_login(counsellor)
    url = reverse("followup:beneficiaries")
    few = _queries(client, url, params)
    _people(counsellor, colleague, 27)
    many = _queries(client, url, params)
    assert len(many) == len(few), "\n".join(many)


def test_the_list_columns_come_from_one_query_for_the_page(client, counsellor):
    colleague = member("counsellor")
    people = _people(counsellor, colleague, 3)
    services.transfer_referent(
        people[0].follow_up,
        to=people[0].follow_up.members.get(user=colleague),
        by=counsellor,
    )
    services.change_barrier_status(people[1].follow_up.barriers.first(), "in_progress", by=counsellor)
    client.force_login(counsellor)
    rows = {b.pk: b for b in client.get(reverse("followup:beneficiaries")).context["rows"]}
    first, second, third = (rows[b.pk] for b in people)
    assert (
        not first.is_mine
        and first.referent_organisation == people[0].follow_up.members.get(user=colleague).organisation.name
    )
    assert second.is_mine and third.is_mine
    assert (first.open_barriers, second.open_barriers, third.open_barriers) == (1, 2, 3)
    latest = TimelineEvent.objects.filter(follow_up=people[2].follow_up, kind="contact").latest("at").at
    assert third.last_contact_at == latest


def _detail(counsellor, colleague, events: int):
    b = followed_by(counsellor)
    add_member(b, colleague)
    for theme in THEMES[: 1 + events // 10]:
        services.add_barrier(b.follow_up, thematique=theme, by=counsellor)
    for i in range(events):
        services.add_entry(
            b.follow_up,
            kind=("note", "rdv", "contact")[i % 3],
            text=f"Ligne {i}",
            by=counsellor if i % 2 else colleague,
            visibility="organisation" if i % 5 == 0 else "membres",
            at=timezone.now() - timedelta(hours=i),
        )
    services.record_outcome(b.follow_up, kind="formation", occurred_on=timezone.localdate(), by=counsellor)
    return b


def test_a_person_page_runs_the_same_queries_for_3_or_30_events(client, counsellor):
    colleague = member("counsellor")
    small, large = _detail(counsellor, colleague, 3), _detail(counsellor, colleague, 30)
    client.force_login(counsellor)
    few = _queries(client, reverse("followup:beneficiary", args=[small.pk]))
    many = _queries(client, reverse("followup:beneficiary", args=[large.pk]))
    assert len(many) == len(few), "\n".join(many)
