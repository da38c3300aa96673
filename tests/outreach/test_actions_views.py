"""Pages of the aller-vers: who reaches what, forms that call the services, names only to members."""

from datetime import date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cite_emploi.core.models import AuditEntry
from cite_emploi.outreach import services
from cite_emploi.outreach.models import ActionOrigin, OutreachAction, OutreachSeries
from cite_emploi.territory.models import Territory
from tests.accounts.factories import member
from tests.followup.factories import followed_by, organisation_of
from tests.outreach.factories import (
    OutreachActionFactory,
    OutreachSeriesFactory,
    ReachedCountFactory,
    RecruitmentEventFactory,
    qpv,
)


@pytest.fixture
def counsellor(db):
    return member("counsellor")


@pytest.fixture
def coordinator(db):
    return member("coordinator")


def page(client, name, *args, **params):
    return client.get(reverse(f"outreach:{name}", args=args), params)


def my_action(user, **fields) -> OutreachAction:
    action = OutreachActionFactory(created_by=user, **fields)
    action.organisations.add(organisation_of(user))
    return action


# --- who reaches what ---------------------------------------------------------------------------


def test_an_employer_lands_on_the_recruitment_operations(client, db):
    client.force_login(member("employer"))
    response = page(client, "actions")
    assert response.status_code == 302 and response.url == reverse("outreach:events")
    for name in ("calendar", "map", "results", "results_export", "action_create", "series_create"):
        assert page(client, name).status_code == 403, name


def test_elected_and_funders_are_refused(client, db):
    for role in ("elected", "funder"):
        client.force_login(member(role))
        for name in ("actions", "calendar", "map", "results"):
            assert page(client, name).status_code == 403, (role, name)


def test_objects_of_another_territory_are_not_found(client, other_territory):
    action = OutreachActionFactory()
    series = OutreachSeriesFactory()
    client.force_login(member("coordinator", territory=other_territory))
    for name, pk in (("action", action.pk), ("action_edit", action.pk), ("action_report", action.pk)):
        assert page(client, name, pk).status_code == 404, name
    for name in ("series", "series_edit"):
        assert page(client, name, series.pk).status_code == 404, name
    body = page(client, "actions").content.decode()
    assert action.title not in body
    assert (
        page(client, "calendar", mois=timezone.localdate().strftime("%Y-%m"))
        .content.decode()
        .count(action.title)
        == 0
    )


def test_professionals_open_every_page(client, counsellor):
    action = my_action(counsellor, starts_at=timezone.now() - timedelta(days=3))
    ReachedCountFactory(action=action, count=9)
    series = OutreachSeriesFactory(created_by=counsellor)
    RecruitmentEventFactory(starts_at=timezone.now())
    client.force_login(counsellor)
    month = timezone.localdate().strftime("%Y-%m")
    for name, args, params in (
        ("actions", (), {}),
        ("actions", (), {"statut": "realisee", "quartier": qpv().pk, "du": "2020-01-01"}),
        ("calendar", (), {"mois": month}),
        ("calendar", (), {"mois": "n'importe quoi"}),
        ("map", (), {}),
        ("results", (), {}),
        ("results", (), {"du": "2025-01-01", "au": "2025-06-30"}),
        ("action", (action.pk,), {}),
        ("action_create", (), {}),
        ("action_edit", (action.pk,), {}),
        ("action_report", (action.pk,), {}),
        ("series_create", (), {}),
        ("series", (series.pk,), {}),
    ):
        assert page(client, name, *args, **params).status_code == 200, name
    assert "Stand emploi au marché" in page(client, "map").content.decode()


def test_a_counsellor_reads_but_does_not_edit_an_action_of_others(client, counsellor, coordinator):
    action = my_action(member("counsellor"))
    client.force_login(counsellor)
    body = page(client, "action", action.pk).content.decode()
    assert reverse("outreach:action_edit", args=[action.pk]) not in body
    assert page(client, "action_edit", action.pk).status_code == 403
    assert page(client, "action_report", action.pk).status_code == 403
    client.force_login(coordinator)
    assert page(client, "action_edit", action.pk).status_code == 200


# --- forms call the services --------------------------------------------------------------------


def test_creating_an_action(client, counsellor):
    client.force_login(counsellor)
    organisation = organisation_of(counsellor)
    response = client.post(
        reverse("outreach:action_create"),
        {
            "kind": "porte-a-porte",
            "title": "Porte-à-porte rue Juliette-Savar",
            "day": "2025-05-14",
            "at": "14:00",
            "duration_minutes": "150",
            "qpv": qpv().pk,
            "place_label": "Rue Juliette-Savar",
            "organisations": [organisation.pk],
            "staff": [counsellor.pk],
        },
    )
    action = OutreachAction.objects.get(title="Porte-à-porte rue Juliette-Savar")
    assert response.status_code == 302 and response.url == reverse("outreach:action", args=[action.pk])
    assert timezone.localtime(action.starts_at) == timezone.make_aware(datetime(2025, 5, 14, 14, 0))
    assert (action.duration_minutes, action.qpv.code, action.created_by) == (150, "QN09405M", counsellor)


def test_an_action_without_a_place_is_a_form_error_not_a_crash(client, counsellor):
    client.force_login(counsellor)
    response = client.post(
        reverse("outreach:action_create"),
        {
            "kind": "stand-marche",
            "title": "Stand",
            "day": "2025-05-14",
            "at": "10:00",
            "duration_minutes": "60",
            "organisations": [organisation_of(counsellor).pk],
        },
    )
    assert response.status_code == 200
    assert "Indiquez où l&#x27;action a lieu" in response.content.decode()
    assert not OutreachAction.objects.exists()


def test_recording_a_report_with_the_grid(client, counsellor):
    action = my_action(counsellor)
    client.force_login(counsellor)
    data = {
        "status": "realisee",
        "rencontres_jeunes_F": "4",
        "rencontres_adultes_M": "3",
        "rencontres_na_na": "2",
        "contacts_left": "5",
        "organisations": [organisation_of(counsellor).pk],
        "notes": "Demandes de formation en logistique.",
    }
    response = client.post(reverse("outreach:action_report", args=[action.pk]), data)
    assert response.status_code == 302
    assert {(r.age_group, r.sex): r.count for r in action.reached.all()} == {
        ("jeunes", "F"): 4,
        ("adultes", "M"): 3,
        ("", ""): 2,
    }
    body = page(client, "action", action.pk).content.decode()
    assert "Personnes rencontrées (9)" in body

    data["contacts_left"] = "12"
    response = client.post(reverse("outreach:action_report", args=[action.pk]), data)
    assert response.status_code == 200
    assert "ne peut pas dépasser" in response.content.decode()


def test_creating_and_editing_a_weekly_permanence(client, counsellor):
    client.force_login(counsellor)
    today = timezone.localdate()
    fields = {
        "kind": "permanence",
        "title": "Permanence emploi de la Haie Griselle",
        "weekday": "3",
        "start_time": "09:00",
        "duration_minutes": "180",
        "every_weeks": "2",
        "starts_on": (today + timedelta(days=1)).isoformat(),
        "ends_on": (today + timedelta(weeks=12)).isoformat(),
        "qpv": qpv("QN09403M").pk,
        "organisations": [organisation_of(counsellor).pk],
    }
    response = client.post(reverse("outreach:series_create"), fields)
    series = OutreachSeries.objects.get()
    assert response.status_code == 302 and response.url == reverse("outreach:series", args=[series.pk])
    assert series.occurrences.count() == 6
    response = client.post(reverse("outreach:series_edit", args=[series.pk]), {**fields, "every_weeks": "1"})
    assert response.status_code == 302
    assert series.occurrences.count() == 12
    assert "12 prévues ou sans bilan" in page(client, "series", series.pk).content.decode()


# --- follow-ups started from an action ----------------------------------------------------------


def test_names_of_people_are_shown_only_to_members_of_their_follow_up(client, counsellor):
    action = OutreachActionFactory(starts_at=timezone.now() - timedelta(days=4))
    mine = followed_by(counsellor, first_name="Inès", last_name="Benali")
    colleague = member("counsellor")
    theirs = followed_by(colleague, first_name="Yanis", last_name="Morel")
    services.link_origin(action, mine.follow_up, by=counsellor)
    services.link_origin(action, theirs.follow_up, by=colleague)
    client.force_login(counsellor)
    body = page(client, "action", action.pk).content.decode()
    assert "Inès Benali" in body and "Yanis Morel" not in body
    assert "&lt; 5" in body  # two follow-ups started: a lone count under the threshold
    assert AuditEntry.objects.filter(
        object_id=str(mine.pk), action="read", detail__what="action d'aller-vers"
    ).exists()
    assert not AuditEntry.objects.filter(object_id=str(theirs.pk), action="read").exists()
    client.force_login(member("coordinator"))
    body = page(client, "action", action.pk).content.decode()
    assert "Inès" not in body and "Yanis" not in body


def test_linking_from_the_action_page(client, counsellor):
    action = OutreachActionFactory(starts_at=timezone.now() - timedelta(days=4))
    person = followed_by(counsellor)
    stranger = followed_by(member("counsellor"))
    client.force_login(counsellor)
    body = page(client, "action", action.pk).content.decode()
    assert str(person.last_name).upper() in body and str(stranger.last_name).upper() not in body
    url = reverse("outreach:action_origin_add", args=[action.pk])
    client.post(url, {"beneficiary": stranger.pk})
    assert not ActionOrigin.objects.exists()
    response = client.post(url, {"beneficiary": person.pk})
    assert response.status_code == 302
    assert ActionOrigin.objects.get().follow_up == person.follow_up


def test_the_person_page_offers_recent_actions_then_shows_the_origin(client, counsellor):
    person = followed_by(counsellor)
    recent = OutreachActionFactory(
        title="Stand du marché des Bleuets", starts_at=timezone.now() - timedelta(days=10)
    )
    OutreachActionFactory(title="Stand trop ancien", starts_at=timezone.now() - timedelta(days=200))
    OutreachActionFactory(title="Stand annulé", status="annulee")
    client.force_login(counsellor)
    person_url = reverse("followup:beneficiary", args=[person.pk])
    choose_url = reverse("outreach:action_origin_for_person", args=[person.pk])
    # The person's page offers to say which action, and lists the actions only when asked.
    body = client.get(person_url).content.decode()
    assert "Stand du marché des Bleuets" not in body
    assert f'href="{choose_url}" hx-get="{choose_url}"' in body and "Indiquer l'action d'aller-vers" in body
    reads = AuditEntry.objects.filter(
        object_id=str(person.pk), action="read", detail__what="action d'aller-vers d'origine"
    )
    response = client.get(choose_url, HTTP_HX_REQUEST="true")
    fragment = response.content.decode()
    assert "<html" not in fragment and "HX-Request" in response["Vary"]
    assert "Stand du marché des Bleuets" in fragment and "autofocus" in fragment
    assert "Stand trop ancien" not in fragment and "Stand annulé" not in fragment
    page = client.get(choose_url).content.decode()  # without JavaScript: a page of its own
    assert "<h1>Action d'aller-vers d'origine</h1>" in page and "Stand du marché des Bleuets" in page
    assert "Revenir à la fiche" in page
    assert reads.count() == 2

    response = client.post(
        reverse("outreach:action_origin_for_person", args=[person.pk]), {"action": recent.pk}
    )
    assert response.status_code == 302 and response.url == person_url
    body = client.get(person_url).content.decode()
    assert "Entrée dans le suivi depuis" in body and "Stand du marché des Bleuets" in body

    origin = ActionOrigin.objects.get()
    response = client.post(
        reverse("outreach:action_origin_remove", args=[recent.pk, origin.pk]), {"next": person_url}
    )
    assert response.status_code == 302 and response.url == person_url
    assert not ActionOrigin.objects.exists()


def test_without_a_recent_action_the_choice_says_so(client, counsellor):
    person = followed_by(counsellor)
    OutreachActionFactory(title="Stand trop ancien", starts_at=timezone.now() - timedelta(days=200))
    client.force_login(counsellor)
    url = reverse("outreach:action_origin_for_person", args=[person.pk])
    fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "Aucune action d'aller-vers n'a eu lieu" in fragment and "<select" not in fragment
    assert 'tabindex="-1" autofocus' in fragment


def test_a_non_member_cannot_link_or_unlink_a_follow_up(client, counsellor):
    action = OutreachActionFactory()
    person = followed_by(member("counsellor"))
    client.force_login(counsellor)
    assert client.get(reverse("outreach:action_origin_for_person", args=[person.pk])).status_code == 404
    response = client.post(
        reverse("outreach:action_origin_for_person", args=[person.pk]), {"action": action.pk}
    )
    assert response.status_code == 404
    origin = ActionOrigin.objects.create(action=action, follow_up=person.follow_up)
    response = client.post(reverse("outreach:action_origin_remove", args=[action.pk, origin.pk]))
    assert response.status_code == 404
    assert ActionOrigin.objects.filter(pk=origin.pk).exists()


def test_an_unsafe_next_is_ignored(client, counsellor):
    action = OutreachActionFactory()
    person = followed_by(counsellor)
    origin = ActionOrigin.objects.create(action=action, follow_up=person.follow_up)
    client.force_login(counsellor)
    response = client.post(
        reverse("outreach:action_origin_remove", args=[action.pk, origin.pk]),
        {"next": "https://ailleurs.example/"},
    )
    assert response.url == reverse("outreach:action", args=[action.pk])


# --- results export -----------------------------------------------------------------------------


def test_the_results_export_is_a_french_csv_under_secrecy(client, counsellor):
    day = date(2025, 2, 12)
    action = OutreachActionFactory(
        starts_at=timezone.make_aware(datetime.combine(day, time(10))), contacts_left=2, duration_minutes=90
    )
    ReachedCountFactory(action=action, age_group="jeunes", sex="F", count=12)
    client.force_login(counsellor)
    response = page(client, "results_export", du="2025-01-01", au="2025-03-31")
    assert response["Content-Type"].startswith("text/csv")
    assert "aller-vers-gpsea-2025-01-01-2025-03-31.csv" in response["Content-Disposition"]
    lines = response.content.decode("utf-8-sig").splitlines()
    header = lines[0].split(";")
    assert header[:6] == [
        "Regroupement",
        "Code",
        "Libellé",
        "Actions réalisées",
        "Heures de présence",
        "Personnes rencontrées",
    ]
    assert header[-1] == "Taux repérés → accompagnés (%)"
    mont_mesly = next(line.split(";") for line in lines if "QN09405M" in line)
    assert mont_mesly[3:6] == ["1", "1,5", "12"]
    assert mont_mesly[header.index("Personnes ayant laissé leurs coordonnées")] == "secret"
    february = next(line.split(";") for line in lines if line.startswith("Mois;2025-02"))
    assert february[2] == "février 2025" and february[5] == "12"


# --- query counts -------------------------------------------------------------------------------


def _queries(client, url, params=None) -> int:
    client.get(url, params)  # warm the session and the per-process caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(captured.captured_queries)


def _actions(user, count: int) -> None:
    gpsea = Territory.objects.get(slug="gpsea")
    codes = ("QN09405M", "QN09406I", "QN09404M")
    for i in range(count):
        action = OutreachActionFactory(
            territory=gpsea,
            title=f"Action {i}",
            qpv=qpv(codes[i % 3]) if i % 4 else None,
            latitude=48.78 if i % 5 == 0 else None,
            longitude=2.46 if i % 5 == 0 else None,
            starts_at=timezone.now() - timedelta(days=i % 20),
            created_by=user,
        )
        action.organisations.add(organisation_of(user))
        action.staff.add(user)
        ReachedCountFactory(action=action, count=i + 1)
        if i % 3 == 0:
            ActionOrigin.objects.create(action=action, follow_up=followed_by(user).follow_up)
        RecruitmentEventFactory(territory=gpsea, starts_at=timezone.now() - timedelta(days=i % 20))


PAGES = [
    ("outreach:actions", {}),
    ("outreach:actions", {"statut": "realisee", "quartier": "", "du": "2020-01-01"}),
    ("outreach:calendar", {}),
    ("outreach:map", {}),
    ("outreach:results", {}),
    ("outreach:results_export", {}),
]


@pytest.mark.parametrize("name, params", PAGES)
def test_list_pages_run_the_same_queries_for_3_or_30_actions(client, counsellor, name, params):
    client.force_login(counsellor)
    _actions(counsellor, 3)
    few = _queries(client, reverse(name), params)
    _actions(counsellor, 27)
    assert _queries(client, reverse(name), params) == few


def test_an_action_and_a_series_pages_run_a_fixed_number_of_queries(
    client, counsellor, django_assert_max_num_queries
):
    series = services.create_series(
        Territory.objects.get(slug="gpsea"),
        by=counsellor,
        data=services.SeriesInput(
            kind="permanence",
            title="Permanence",
            weekday=0,
            start_time=time(9),
            duration_minutes=120,
            every_weeks=1,
            starts_on=timezone.localdate() - timedelta(weeks=30),
            ends_on=timezone.localdate() + timedelta(weeks=4),
            place=services.PlaceInput(qpv=qpv()),
        ),
        organisations=[organisation_of(counsellor)],
    )
    action = series.occurrences.order_by("starts_at").first()
    for occurrence in series.occurrences.filter(starts_at__lt=timezone.now()):
        ReachedCountFactory(action=occurrence, count=3)
    for _ in range(6):
        ActionOrigin.objects.create(action=action, follow_up=followed_by(counsellor).follow_up)
    client.force_login(counsellor)
    with django_assert_max_num_queries(25):
        assert page(client, "series", series.pk).status_code == 200
    with django_assert_max_num_queries(30):
        assert page(client, "action", action.pk).status_code == 200


def test_the_person_page_panel_does_not_grow_with_the_actions(client, counsellor):
    person = followed_by(counsellor)
    url = reverse("followup:beneficiary", args=[person.pk])
    client.force_login(counsellor)
    _actions(member("counsellor"), 3)
    few = _queries(client, url)
    _actions(member("counsellor"), 27)
    assert _queries(client, url) == few


def test_deleting_an_action_entered_by_mistake(client, counsellor):
    mistake = my_action(counsellor, status="prevue", starts_at=timezone.now() + timedelta(days=3))
    held = my_action(counsellor)
    client.force_login(counsellor)
    assert page(client, "action_delete", mistake.pk).status_code == 200
    response = client.post(reverse("outreach:action_delete", args=[mistake.pk]))
    assert response.status_code == 302 and not OutreachAction.objects.filter(pk=mistake.pk).exists()
    response = client.post(reverse("outreach:action_delete", args=[held.pk]))
    assert response.status_code == 200 and "seulement annulée" in response.content.decode()
    assert OutreachAction.objects.filter(pk=held.pk).exists()


def test_the_admin_lists_every_outreach_model_without_naming_anyone(client, db):
    from tests.accounts.factories import UserFactory

    action = OutreachActionFactory()
    person = followed_by(member("counsellor"), first_name="Zélie", last_name="Confidentiel")
    ActionOrigin.objects.create(action=action, follow_up=person.follow_up)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    for model in (
        "outreachseries",
        "outreachaction",
        "actionorigin",
        "recruitmentevent",
        "eventemployer",
        "eventoffer",
        "eventcandidate",
        "interview",
    ):
        response = client.get(f"/administration/outreach/{model}/")
        assert response.status_code == 200, model
        assert "Confidentiel" not in response.content.decode()
    response = client.get(f"/administration/outreach/actionorigin/{ActionOrigin.objects.get().pk}/change/")
    assert response.status_code == 200 and "Confidentiel" not in response.content.decode()
