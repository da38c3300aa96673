"""The governance pages: who reaches them, the forms (and what they keep on error), the list of
decisions to follow, its CSV, and queries that do not grow with the number of rows."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cite_emploi.steering.models import Committee, Decision, Meeting
from tests.accounts.factories import member
from tests.partners.factories import OrganisationFactory
from tests.steering.factories import CommitteeFactory, DecisionFactory, MeetingFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
LAST_MONTH = TODAY - timedelta(days=30)


@pytest.fixture
def meeting(gpsea):
    copil = CommitteeFactory(territory=gpsea, name="COPIL de la Cité")
    return MeetingFactory(committee=copil, held_on=LAST_MONTH, agenda="Bilan de l'année")


@pytest.fixture
def decision(meeting):
    return DecisionFactory(meeting=meeting, text="Ouvrir une permanence au Bois l'Abbé", due_on=TODAY)


def login(client, role: str, **org):
    user = member(role, **org)
    client.force_login(user)
    return user


def pages(meeting, decision) -> list[str]:
    committee = meeting.committee
    return [
        reverse("steering:committees"),
        reverse("steering:committee", args=[committee.pk]),
        reverse("steering:meeting", args=[meeting.pk]),
        reverse("steering:meeting_pack_preview", args=[meeting.pk]),
        reverse("steering:decisions"),
        reverse("steering:decisions_csv"),
    ]


def edit_pages(meeting, decision) -> list[str]:
    committee = meeting.committee
    return [
        reverse("steering:committee_create"),
        reverse("steering:committee_edit", args=[committee.pk]),
        reverse("steering:meeting_create", args=[committee.pk]),
        reverse("steering:meeting_edit", args=[meeting.pk]),
        reverse("steering:decision_create", args=[meeting.pk]),
        reverse("steering:decision_edit", args=[decision.pk]),
    ]


# --- who reaches what -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["elected", "funder"])
def test_elected_members_and_the_state_read_but_do_not_write(client, role, meeting, decision):
    login(client, role)
    for url in pages(meeting, decision):
        assert client.get(url).status_code == 200, url
    for url in edit_pages(meeting, decision):
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"text": "x", "name": "x", "kind": "copil"}).status_code == 403, url
    assert Committee.objects.count() == 1 and Decision.objects.get().text == decision.text


@pytest.mark.parametrize("role", ["counsellor", "employer"])
def test_counsellors_and_employers_have_no_page_here(client, role, meeting, decision):
    login(client, role)
    for url in [*pages(meeting, decision), *edit_pages(meeting, decision)]:
        assert client.get(url).status_code == 403, url


def test_the_coordination_reaches_every_page(client, meeting, decision):
    login(client, "coordinator")
    for url in [*pages(meeting, decision), *edit_pages(meeting, decision)]:
        assert client.get(url).status_code == 200, url


def test_another_territory_is_a_404(client, other_territory, meeting, decision):
    login(client, "coordinator", territory=other_territory)
    for url in [*pages(meeting, decision)[1:4], *edit_pages(meeting, decision)[1:]]:
        assert client.get(url).status_code == 404, url
    for name, pk in [("meeting_pack", meeting.pk), ("committee_pack", meeting.committee_id)]:
        assert client.get(reverse(f"steering:{name}", args=[pk])).status_code == 404
    response = client.get(reverse("steering:decisions"))
    assert decision.text not in response.content.decode()


def test_anonymous_visitors_go_to_the_login_page(client, meeting, decision):
    response = client.get(reverse("steering:committees"))
    assert response.status_code == 302
    assert "next=/pilotage/comites/" in response["Location"]


# --- forms ------------------------------------------------------------------------------------------


def test_create_a_committee_then_a_meeting_then_a_decision(client, gpsea):
    login(client, "coordinator")
    prefecture = OrganisationFactory(name="Préfecture du Val-de-Marne")
    response = client.post(
        reverse("steering:committee_create"),
        {"kind": "copil", "name": "COPIL", "chairs": "Le préfet et le président", "members": [prefecture.pk]},
    )
    committee = Committee.objects.get(territory=gpsea)
    assert response.status_code == 302 and response["Location"] == reverse(
        "steering:committee", args=[committee.pk]
    )
    assert list(committee.members.all()) == [prefecture]

    response = client.post(
        reverse("steering:meeting_create", args=[committee.pk]),
        {
            "held_on": LAST_MONTH.isoformat(),
            "place": "Créteil",
            "agenda": "Budget",
            "attendees": "",
            "minutes": "",
        },
    )
    meeting = Meeting.objects.get(committee=committee)
    assert response["Location"] == reverse("steering:meeting", args=[meeting.pk])

    response = client.post(
        reverse("steering:decision_create", args=[meeting.pk]),
        {
            "text": "Lancer l'appel à projets",
            "owner_organisation": prefecture.pk,
            "due_on": TODAY.isoformat(),
        },
    )
    assert response["Location"] == reverse("steering:meeting", args=[meeting.pk])
    decision = Decision.objects.get(meeting=meeting)
    assert (decision.owner_organisation, decision.due_on) == (prefecture, TODAY)

    page = client.get(reverse("steering:meeting", args=[meeting.pk])).content.decode()
    assert "Lancer l&#x27;appel à projets" in page and "Préfecture du Val-de-Marne" in page


def test_forms_keep_the_input_on_a_domain_error(client, gpsea, meeting):
    login(client, "coordinator")
    response = client.post(
        reverse("steering:committee_create"),
        {"kind": "copil", "name": "copil de la cité", "chairs": "Présidence à garder"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "déjà un comité nommé" in page and "Présidence à garder" in page
    assert Committee.objects.count() == 1

    response = client.post(
        reverse("steering:decision_create", args=[meeting.pk]),
        {"text": "Une décision sans responsable", "owner": "", "due_on": TODAY.isoformat()},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Indiquez qui porte la décision" in page and "Une décision sans responsable" in page
    assert not Decision.objects.exists()

    response = client.post(
        reverse("steering:meeting_create", args=[meeting.committee_id]),
        {"held_on": "31/02/2024", "place": "Lieu à garder"},
    )
    assert response.status_code == 200 and "Lieu à garder" in response.content.decode()
    assert Meeting.objects.count() == 1


def test_follow_a_decision_from_the_list(client, decision):
    login(client, "coordinator")
    back = reverse("steering:decisions") + "?statut=a-faire"
    url = reverse("steering:decision_edit", args=[decision.pk])
    assert f'value="{back}"' in client.get(url, {"next": back}).content.decode().replace("&amp;", "&")
    response = client.post(
        url,
        {
            "text": decision.text,
            "owner": decision.owner,
            "due_on": decision.due_on.isoformat(),
            "status": "faite",
            "note": "Permanence ouverte le mardi.",
            "next": back,
        },
    )
    assert response.status_code == 302 and response["Location"] == back
    decision.refresh_from_db()
    assert (decision.status, decision.done_on) == ("faite", TODAY)
    assert decision.follow_up.endswith("Permanence ouverte le mardi.")


def test_the_edit_page_never_sends_elsewhere(client, decision):
    login(client, "coordinator")
    response = client.post(
        reverse("steering:decision_edit", args=[decision.pk]),
        {"text": decision.text, "owner": decision.owner, "status": "a-faire", "next": "https://exemple.org/"},
    )
    assert response["Location"] == reverse("steering:meeting", args=[decision.meeting_id])


def test_the_committee_pack_of_a_committee_without_meeting(client, gpsea):
    login(client, "coordinator")
    committee = CommitteeFactory(territory=gpsea)
    response = client.get(reverse("steering:committee_pack", args=[committee.pk]), follow=True)
    assert "aucune réunion" in response.content.decode()


def test_the_committee_pack_is_the_next_meetings(client, meeting):
    login(client, "elected")
    coming = MeetingFactory(committee=meeting.committee, held_on=TODAY + timedelta(days=15))
    response = client.get(reverse("steering:committee_pack", args=[meeting.committee_id]))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert f"dossier-copil-{coming.held_on:%Y-%m-%d}.pdf" in response["Content-Disposition"]


# --- lists ------------------------------------------------------------------------------------------


def test_the_decisions_list_filters_and_exports(client, gpsea, meeting):
    login(client, "funder")
    owner = OrganisationFactory(name="Mission locale")
    late = DecisionFactory(
        meeting=meeting, text="En retard", owner_organisation=owner, due_on=TODAY - timedelta(days=2)
    )
    DecisionFactory(meeting=meeting, text="Plus tard", due_on=TODAY + timedelta(days=9))
    DecisionFactory(meeting=meeting, text="Déjà faite", status="faite", done_on=TODAY)
    page = client.get(reverse("steering:decisions")).content.decode()
    assert page.index("En retard") < page.index("Plus tard")
    assert "Déjà faite" not in page
    page = client.get(reverse("steering:decisions"), {"statut": ""}).content.decode()
    assert "Déjà faite" in page
    page = client.get(reverse("steering:decisions"), {"structure": owner.pk}).content.decode()
    assert "En retard" in page and "Plus tard" not in page
    response = client.get(reverse("steering:decisions_csv"), {"structure": owner.pk})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = response.content.decode("utf-8-sig")
    assert late.text in body and "Plus tard" not in body
    # A filter that does not parse shows the open decisions, not an error page.
    response = client.get(reverse("steering:decisions"), {"comite": "abc"})
    assert response.status_code == 200 and "Plus tard" in response.content.decode()


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as run:
        assert client.get(url).status_code == 200
    return len(run)


def _grow(gpsea, meeting, n: int) -> None:
    for i in range(n):
        committee = CommitteeFactory(territory=gpsea, kind="cotech" if i % 2 else "autre")
        committee.members.add(OrganisationFactory())
        other = MeetingFactory(committee=committee, held_on=LAST_MONTH - timedelta(days=i))
        MeetingFactory(committee=meeting.committee, held_on=TODAY + timedelta(days=i + 1))
        DecisionFactory(
            meeting=other, owner_organisation=OrganisationFactory(), due_on=TODAY - timedelta(days=i)
        )
        DecisionFactory(meeting=meeting, due_on=None)


def test_list_queries_do_not_grow_with_their_rows(client, gpsea, meeting, decision):
    login(client, "coordinator")
    urls = [
        reverse("steering:committees"),
        reverse("steering:committee", args=[meeting.committee_id]),
        reverse("steering:meeting", args=[meeting.pk]),
        reverse("steering:decisions"),
        reverse("steering:decisions") + "?statut=",
        reverse("steering:decisions_csv"),
    ]
    for url in urls:
        _queries(client, url)  # warm the session and the caches
    before = {url: _queries(client, url) for url in urls}
    _grow(gpsea, meeting, 12)
    after = {url: _queries(client, url) for url in urls}
    assert after == before
