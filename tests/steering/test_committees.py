"""Committees, meetings and decisions: the services' rules and errors, the follow-up of a decision,
the order of the decisions to follow, the committee list's figures and the audit."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.utils import timezone

from cite_emploi.core.models import AuditEntry
from cite_emploi.steering import queries_committees as queries
from cite_emploi.steering import services_committees as services
from cite_emploi.steering.models import Committee, Decision
from cite_emploi.steering.services_committees import CommitteeError
from tests.accounts.factories import member
from tests.partners.factories import OrganisationFactory
from tests.steering.factories import (
    ActionFactory,
    ActionPlanFactory,
    CommitteeFactory,
    DecisionFactory,
    MeetingFactory,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
LAST_MONTH = TODAY - timedelta(days=30)


@pytest.fixture
def coordinator(gpsea):
    return member("coordinator")


@pytest.fixture
def meeting(gpsea):
    return MeetingFactory(committee=CommitteeFactory(territory=gpsea), held_on=LAST_MONTH)


def audit_of(obj) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)).order_by("at")
    )


def decision_fields(**fields):
    return {
        "text": "Organiser un forum de l'emploi à Mont-Mesly.",
        "owner": "Chargée de mission emploi",
        **fields,
    }


# --- committees -------------------------------------------------------------------------------------


def test_create_a_copil_with_its_members(gpsea, coordinator):
    prefecture, france_travail = (
        OrganisationFactory(name="Préfecture"),
        OrganisationFactory(name="France Travail"),
    )
    committee = services.create_committee(
        gpsea,
        by=coordinator,
        kind=Committee.Kind.COPIL,
        name="  Comité de pilotage de la Cité  ",
        chairs="Le préfet et le président du territoire",
        members=[prefecture, france_travail],
    )
    assert committee.name == "Comité de pilotage de la Cité"
    assert set(committee.members.all()) == {prefecture, france_travail}
    (entry,) = audit_of(committee)
    assert entry.action == "create"
    assert entry.actor == coordinator
    assert entry.territory_id == gpsea.pk
    assert entry.detail["event"] == "steering.committee_created"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "pleniere", "name": "Plénière"}, "Choisissez la nature du comité"),
        ({"kind": "copil", "name": "  "}, "Indiquez le nom du comité"),
        ({"kind": "copil", "name": "x" * 201}, "dépasse 200 caractères"),
        ({"kind": "copil", "name": "COPIL", "chairs": "y" * 301}, "La présidence dépasse 300 caractères"),
    ],
)
def test_a_committee_needs_a_nature_and_a_name(gpsea, coordinator, fields, message):
    with pytest.raises(CommitteeError, match=message):
        services.create_committee(gpsea, by=coordinator, **fields)
    assert not Committee.objects.filter(territory=gpsea).exists()


def test_two_committees_of_a_territory_cannot_share_a_name(gpsea, other_territory, coordinator):
    CommitteeFactory(territory=gpsea, name="COPIL de la Cité")
    with pytest.raises(CommitteeError, match="déjà un comité nommé"):
        services.create_committee(gpsea, by=coordinator, kind="copil", name="copil de la cité")
    # Another territory may use it.
    services.create_committee(other_territory, by=coordinator, kind="copil", name="COPIL de la Cité")


def test_members_must_belong_to_the_territory(gpsea, other_territory, coordinator):
    stranger = OrganisationFactory(territory=other_territory)
    with pytest.raises(CommitteeError, match="n'appartient pas au territoire"):
        services.create_committee(gpsea, by=coordinator, kind="cotech", name="COTECH", members=[stranger])
    assert not Committee.objects.filter(territory=gpsea).exists()


def test_update_a_committee(gpsea, coordinator):
    committee = CommitteeFactory(territory=gpsea, name="COTECH")
    keeper, newcomer = OrganisationFactory(), OrganisationFactory()
    committee.members.set([keeper])
    services.update_committee(
        committee, by=coordinator, kind="cotech", name="Comité technique", members=[keeper, newcomer]
    )
    committee.refresh_from_db()
    assert committee.name == "Comité technique"
    assert set(committee.members.all()) == {keeper, newcomer}
    (entry,) = audit_of(committee)
    assert (entry.action, entry.detail["event"]) == ("update", "steering.committee_updated")
    assert set(entry.detail["fields"]) == {"name", "kind", "chairs", "members"}
    # Keeping its own name is no duplicate.
    services.update_committee(committee, by=coordinator, kind="cotech", name="Comité technique")


# --- meetings ---------------------------------------------------------------------------------------


def test_create_a_meeting(gpsea, coordinator):
    committee = CommitteeFactory(territory=gpsea)
    meeting = services.create_meeting(
        committee,
        by=coordinator,
        held_on=TODAY + timedelta(days=20),
        place="Hôtel de territoire",
        agenda="1. Avancement du plan\n2. Budget",
        attendees="M. le préfet\nMme la maire de Créteil",
    )
    assert meeting.created_by == coordinator
    assert meeting.agenda.startswith("1. Avancement")
    (entry,) = audit_of(meeting)
    assert entry.detail["event"] == "steering.meeting_created"
    assert entry.detail["committee"] == committee.pk


def test_a_meeting_rules(gpsea, coordinator):
    committee = CommitteeFactory(territory=gpsea)
    MeetingFactory(committee=committee, held_on=LAST_MONTH)
    with pytest.raises(CommitteeError, match="Indiquez la date de la réunion"):
        services.create_meeting(committee, by=coordinator, held_on=None)
    with pytest.raises(CommitteeError, match="entre l'an 2000 et l'an 2100"):
        services.create_meeting(committee, by=coordinator, held_on=date(1999, 12, 31))
    with pytest.raises(CommitteeError, match="déjà une réunion le"):
        services.create_meeting(committee, by=coordinator, held_on=LAST_MONTH)
    with pytest.raises(CommitteeError, match="Le compte rendu s'écrit une fois la réunion tenue"):
        services.create_meeting(
            committee, by=coordinator, held_on=TODAY + timedelta(days=1), minutes="Tout s'est bien passé."
        )
    assert committee.meetings.count() == 1
    # Another committee meets the same day.
    services.create_meeting(CommitteeFactory(territory=gpsea), by=coordinator, held_on=LAST_MONTH)


def test_a_meeting_with_decisions_keeps_its_date_consistent(coordinator, meeting):
    DecisionFactory(meeting=meeting, due_on=LAST_MONTH + timedelta(days=5))
    fields = {"place": meeting.place, "agenda": meeting.agenda}
    with pytest.raises(CommitteeError, match="ne peut pas être déplacée dans le futur"):
        services.update_meeting(meeting, by=coordinator, held_on=TODAY + timedelta(days=3), **fields)
    with pytest.raises(CommitteeError, match="arrive à échéance le"):
        services.update_meeting(meeting, by=coordinator, held_on=LAST_MONTH + timedelta(days=6), **fields)
    services.update_meeting(
        meeting,
        by=coordinator,
        held_on=LAST_MONTH - timedelta(days=1),
        minutes="Compte rendu validé.",
        **fields,
    )
    meeting.refresh_from_db()
    assert (meeting.held_on, meeting.minutes) == (LAST_MONTH - timedelta(days=1), "Compte rendu validé.")
    (entry,) = audit_of(meeting)
    assert entry.detail["event"] == "steering.meeting_updated"
    assert set(entry.detail["fields"]) >= {"held_on", "minutes"}


# --- decisions --------------------------------------------------------------------------------------


def test_create_a_decision_linked_to_an_action(gpsea, coordinator, meeting):
    action = ActionFactory(plan=ActionPlanFactory(territory=gpsea))
    owner = OrganisationFactory(name="Mission locale")
    decision = services.create_decision(
        meeting,
        by=coordinator,
        **decision_fields(owner_organisation=owner, action=action, due_on=TODAY + timedelta(days=60)),
    )
    assert (decision.status, decision.action, decision.owner_organisation) == (
        Decision.Status.OPEN,
        action,
        owner,
    )
    (entry,) = audit_of(decision)
    assert (entry.action, entry.detail["event"]) == ("create", "steering.decision_created")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"text": ""}, "Indiquez la décision"),
        ({"owner": ""}, "Indiquez qui porte la décision"),
        ({"owner": "z" * 201}, "Le nom du responsable dépasse 200 caractères"),
        ({"due_on": LAST_MONTH - timedelta(days=1)}, "L'échéance ne peut pas précéder la réunion"),
    ],
)
def test_a_decision_rules(coordinator, meeting, fields, message):
    with pytest.raises(CommitteeError, match=message):
        services.create_decision(meeting, by=coordinator, **decision_fields(**fields))
    assert not meeting.decisions.exists()


def test_a_decision_is_owned_within_the_territory(gpsea, other_territory, coordinator, meeting):
    with pytest.raises(CommitteeError, match="La structure responsable n'appartient pas au territoire"):
        services.create_decision(
            meeting,
            by=coordinator,
            **decision_fields(owner_organisation=OrganisationFactory(territory=other_territory)),
        )
    foreign_action = ActionFactory(plan=ActionPlanFactory(territory=other_territory))
    with pytest.raises(CommitteeError, match="n'appartient à aucun plan d'actions du territoire"):
        services.create_decision(meeting, by=coordinator, **decision_fields(action=foreign_action))
    # An action of an older plan of the territory is fine.
    old = ActionFactory(
        plan=ActionPlanFactory(territory=gpsea, starts_on=date(2019, 1, 1), ends_on=date(2020, 12, 31))
    )
    assert services.create_decision(meeting, by=coordinator, **decision_fields(action=old)).action == old


def test_decisions_wait_for_the_meeting(gpsea, coordinator):
    upcoming = MeetingFactory(committee=CommitteeFactory(territory=gpsea), held_on=TODAY + timedelta(days=2))
    with pytest.raises(CommitteeError, match="n'a pas encore eu lieu"):
        services.create_decision(upcoming, by=coordinator, **decision_fields())
    today = MeetingFactory(committee=upcoming.committee, held_on=TODAY)
    assert services.create_decision(today, by=coordinator, **decision_fields()).meeting == today


def test_follow_a_decision_until_it_is_done(coordinator, meeting):
    decision = DecisionFactory(meeting=meeting, due_on=TODAY + timedelta(days=10))
    fields = decision_fields(text=decision.text, owner=decision.owner, due_on=decision.due_on)
    services.update_decision(decision, by=coordinator, note="Salle réservée à la Maison pour tous.", **fields)
    decision.refresh_from_db()
    assert decision.status == Decision.Status.OPEN
    assert decision.follow_up == f"{TODAY:%d/%m/%Y} : Salle réservée à la Maison pour tous."

    services.update_decision(
        decision, by=coordinator, status=Decision.Status.DONE, note="Forum tenu.", **fields
    )
    decision.refresh_from_db()
    assert (decision.status, decision.done_on) == (Decision.Status.DONE, TODAY)  # today by default
    assert decision.follow_up.splitlines() == [
        f"{TODAY:%d/%m/%Y} : Salle réservée à la Maison pour tous.",
        f"{TODAY:%d/%m/%Y} (réalisée) : Forum tenu.",
    ]
    entries = audit_of(decision)
    assert [e.detail["event"] for e in entries] == ["steering.decision_updated"] * 2
    assert (entries[-1].detail["status_from"], entries[-1].detail["status_to"]) == ("a-faire", "faite")

    # Reopened: the realisation date goes, the history stays.
    services.update_decision(decision, by=coordinator, status=Decision.Status.OPEN, **fields)
    decision.refresh_from_db()
    assert (decision.status, decision.done_on) == (Decision.Status.OPEN, None)
    assert decision.follow_up.splitlines()[-1] == f"{TODAY:%d/%m/%Y} : décision passée à « À faire »."


def test_the_realisation_date_is_checked(coordinator, meeting):
    decision = DecisionFactory(meeting=meeting, due_on=None)
    fields = decision_fields(text=decision.text, owner=decision.owner)
    with pytest.raises(CommitteeError, match="ne peut pas être dans le futur"):
        services.update_decision(
            decision, by=coordinator, status="faite", done_on=TODAY + timedelta(days=1), **fields
        )
    with pytest.raises(CommitteeError, match="avant la réunion où elle a été prise"):
        services.update_decision(
            decision, by=coordinator, status="faite", done_on=LAST_MONTH - timedelta(days=1), **fields
        )
    services.update_decision(
        decision, by=coordinator, status="faite", done_on=LAST_MONTH + timedelta(days=3), **fields
    )
    decision.refresh_from_db()
    assert decision.done_on == LAST_MONTH + timedelta(days=3)


def test_abandoning_a_decision_needs_a_reason(coordinator, meeting):
    decision = DecisionFactory(meeting=meeting)
    fields = decision_fields(text=decision.text, owner=decision.owner, due_on=decision.due_on)
    with pytest.raises(CommitteeError, match="pourquoi la décision est abandonnée"):
        services.update_decision(decision, by=coordinator, status="abandonnee", **fields)
    decision.refresh_from_db()
    assert (decision.status, decision.follow_up) == (Decision.Status.OPEN, "")
    services.update_decision(
        decision, by=coordinator, status="abandonnee", note="Remplacée par le forum départemental.", **fields
    )
    decision.refresh_from_db()
    assert decision.status == Decision.Status.CANCELLED
    assert decision.follow_up == f"{TODAY:%d/%m/%Y} (abandonnée) : Remplacée par le forum départemental."


def test_a_failed_update_writes_nothing(coordinator, meeting):
    decision = DecisionFactory(meeting=meeting, text="Texte d'origine")
    with pytest.raises(CommitteeError):
        services.update_decision(
            decision, by=coordinator, status="faite", note="Note", **decision_fields(text="Nouveau", owner="")
        )
    decision.refresh_from_db()
    assert (decision.text, decision.status, decision.follow_up) == ("Texte d'origine", "a-faire", "")
    assert audit_of(decision) == []


# --- reads ------------------------------------------------------------------------------------------


def test_decisions_to_follow_come_overdue_first_then_by_due_date(gpsea, meeting):
    other = MeetingFactory(committee=CommitteeFactory(territory=gpsea, kind="cotech"), held_on=LAST_MONTH)
    soon = DecisionFactory(meeting=meeting, due_on=TODAY + timedelta(days=3))
    undated = DecisionFactory(meeting=meeting, due_on=None)
    very_late = DecisionFactory(meeting=other, due_on=TODAY - timedelta(days=20))
    late = DecisionFactory(meeting=meeting, due_on=TODAY - timedelta(days=1))
    due_today = DecisionFactory(meeting=other, due_on=TODAY)
    done = DecisionFactory(meeting=meeting, due_on=TODAY - timedelta(days=25), status="faite", done_on=TODAY)
    cancelled = DecisionFactory(meeting=meeting, due_on=TODAY - timedelta(days=25), status="abandonnee")

    found = list(queries.decisions_to_follow(gpsea))
    assert found == [very_late, late, due_today, soon, undated]
    assert [d.is_overdue for d in found] == [True, True, False, False, False]

    everything = list(queries.decisions_to_follow(gpsea, status=None))
    assert everything[-2:] == [done, cancelled]
    assert list(queries.decisions_to_follow(gpsea, status="faite")) == [done]
    assert list(queries.decisions_to_follow(gpsea, committee=other.committee)) == [very_late, due_today]


def test_decisions_filtered_by_owner_organisation(gpsea, meeting):
    mission_locale = OrganisationFactory(name="Mission locale")
    mine = DecisionFactory(meeting=meeting, owner_organisation=mission_locale)
    DecisionFactory(meeting=meeting)
    assert list(queries.decisions_to_follow(gpsea, owner_organisation=mission_locale)) == [mine]
    assert list(queries.owner_organisations(gpsea)) == [mission_locale]


def test_decisions_of_another_territory_are_never_listed(gpsea, other_territory, meeting):
    DecisionFactory(meeting=MeetingFactory(committee=CommitteeFactory(territory=other_territory)))
    mine = DecisionFactory(meeting=meeting)
    assert list(queries.decisions_to_follow(gpsea)) == [mine]


def test_committees_list_copil_first_with_their_meetings_and_open_decisions(gpsea, other_territory):
    cotech = CommitteeFactory(territory=gpsea, kind="cotech", name="A — comité technique")
    copil = CommitteeFactory(territory=gpsea, kind="copil", name="Z — comité de pilotage")
    other = CommitteeFactory(territory=gpsea, kind="autre", name="B — comité des financeurs")
    CommitteeFactory(territory=other_territory)
    past = MeetingFactory(committee=copil, held_on=TODAY - timedelta(days=90))
    last = MeetingFactory(committee=copil, held_on=TODAY - timedelta(days=10))
    MeetingFactory(committee=copil, held_on=TODAY + timedelta(days=60))
    upcoming = MeetingFactory(committee=copil, held_on=TODAY + timedelta(days=30))
    DecisionFactory(meeting=past, due_on=TODAY - timedelta(days=1))
    DecisionFactory(meeting=past, due_on=TODAY + timedelta(days=1))
    DecisionFactory(meeting=last, due_on=None)
    DecisionFactory(meeting=last, status="faite", done_on=TODAY)

    found = list(queries.committees(gpsea))
    assert found == [copil, cotech, other]
    first = found[0]
    assert (first.next_meeting_id, first.next_meeting_on) == (upcoming.pk, upcoming.held_on)
    assert (first.last_meeting_id, first.last_meeting_on) == (last.pk, last.held_on)
    assert (first.meeting_count, first.open_decisions, first.overdue_decisions) == (4, 3, 1)
    assert (found[1].next_meeting_id, found[1].open_decisions, found[1].meeting_count) == (None, 0, 0)


def test_next_and_previous_meetings(gpsea):
    committee = CommitteeFactory(territory=gpsea)
    assert queries.next_meeting(committee) is None
    first = MeetingFactory(committee=committee, held_on=TODAY - timedelta(days=100))
    second = MeetingFactory(committee=committee, held_on=TODAY - timedelta(days=10))
    assert queries.next_meeting(committee) == second  # none planned: the latest
    third = MeetingFactory(committee=committee, held_on=TODAY + timedelta(days=80))
    coming = MeetingFactory(committee=committee, held_on=TODAY)
    assert queries.next_meeting(committee) == coming
    assert queries.previous_meeting(third) == coming
    assert queries.previous_meeting(second) == first
    assert queries.previous_meeting(first) is None


def test_action_choices_put_the_plan_in_force_first(gpsea):
    old = ActionPlanFactory(
        territory=gpsea, starts_on=date(2019, 1, 1), ends_on=date(2020, 12, 31), status="adopte"
    )
    current = ActionPlanFactory(
        territory=gpsea,
        starts_on=date(TODAY.year, 1, 1),
        ends_on=date(TODAY.year + 1, 12, 31),
        status="adopte",
    )
    ActionFactory(plan=old, number=1)
    second, first = ActionFactory(plan=current, number=2), ActionFactory(plan=current, number=1)
    groups = queries.action_choices(gpsea)
    assert [plan for plan, _ in groups] == [current, old]
    assert groups[0][1] == [first, second]


def test_the_decisions_csv(gpsea, meeting):
    DecisionFactory(
        meeting=meeting,
        text='=HYPERLINK("http://exemple.fr")',
        owner="Responsable emploi",
        due_on=TODAY - timedelta(days=2),
    )
    body = queries.decisions_csv(queries.decisions_to_follow(gpsea)).decode("utf-8-sig")
    header, cells = csv.reader(io.StringIO(body), delimiter=";")
    assert header[:5] == ["Comité", "Réunion du", "Décision", "Action", "Responsable"]
    assert cells[2].startswith("'=HYPERLINK")  # a formula is shown, never run
    assert cells[8] == "oui"


def test_meeting_belongs_to_its_territory(gpsea, other_territory):
    from django.http import Http404

    foreign = MeetingFactory(committee=CommitteeFactory(territory=other_territory))
    with pytest.raises(Http404):
        queries.get_meeting(gpsea, foreign.pk)
    with pytest.raises(Http404):
        queries.get_committee(gpsea, foreign.committee_id)
    with pytest.raises(Http404):
        queries.get_decision(gpsea, DecisionFactory(meeting=foreign).pk)
