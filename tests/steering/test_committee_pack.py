"""The committee pack on hand-built data: the actions' progress, the money, the key figures, the
decisions due and those of the previous meeting; the PDF; never a beneficiary's name; a fixed
number of queries."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext

from cite_emploi.steering import money
from cite_emploi.steering import queries_committees as queries
from cite_emploi.steering.models import Action, ActionPlan, Axis, Decision, ManualReading
from cite_emploi.territory.models import QPV, Commune
from tests.followup.factories import BeneficiaryFactory, FollowUpFactory
from tests.partners.factories import OrganisationFactory
from tests.steering.factories import (
    ActionFactory,
    ActionPlanFactory,
    BudgetLineFactory,
    CommitteeFactory,
    DecisionFactory,
    ExpenseFactory,
    FundingFactory,
    IndicatorTargetFactory,
    MeetingFactory,
    MilestoneFactory,
)

pytestmark = pytest.mark.django_db

HELD_ON = date(2024, 6, 30)
NAME = ("Zéphyrine", "Quasimodo-Tartempion")
CRETEIL, MONT_MESLY = "94028", "QN09405M"


def euros(amount) -> str:
    return money.format_euros(Decimal(amount))


@pytest.fixture
def raw_counts(settings):
    settings.SECRECY_THRESHOLD = 1


@pytest.fixture
def people(gpsea):
    """Three people of Créteil entered on 1 February 2024, one of them with a memorable name."""
    created = []
    for i in range(3):
        names = {"first_name": NAME[0], "last_name": NAME[1]} if i == 0 else {}
        beneficiary = BeneficiaryFactory(
            commune=Commune.objects.get(code=CRETEIL),
            qpv=QPV.objects.get(code=MONT_MESLY, geography_year=2024),
            **names,
        )
        created.append(FollowUpFactory(beneficiary=beneficiary, opened_on=date(2024, 2, 1)))
    return created


@pytest.fixture
def plan(gpsea):
    """The adopted 2024–2025 plan, two actions, the Cité subsidy and a commune's co-funding.

    Planned: A1 30 000 (subsidy 2024) + 10 000 (commune 2024); A2 20 000 (subsidy 2024) + 20 000
    (subsidy 2025): 80 000 in all. Spent: A1 12 000, A2 2 000 (subsidy, 2024): 14 000.
    """
    adopted = ActionPlanFactory(
        territory=gpsea,
        title="Plan d'actions 2024–2025",
        starts_on=date(2024, 1, 1),
        ends_on=date(2025, 12, 31),
        status=ActionPlan.Status.ADOPTED,
        adopted_on=date(2023, 12, 1),
    )
    common = {"plan": adopted, "starts_on": date(2024, 1, 1), "ends_on": date(2025, 12, 31)}
    jobs = ActionFactory(
        number=1,
        title="Job datings au pied des immeubles",
        axis=Axis.RECRUITMENT,
        lead_organisation=OrganisationFactory(name="France Travail Créteil"),
        **common,
    )
    barriers = ActionFactory(
        number=2, title="Ateliers mobilité", axis=Axis.BARRIERS, status=Action.Status.PLANNED, **common
    )
    MilestoneFactory(action=jobs, title="Première session", due_on=date(2024, 3, 1), done_on=date(2024, 3, 2))
    MilestoneFactory(action=jobs, title="Deuxième session", due_on=date(2024, 5, 1))
    MilestoneFactory(action=barriers, title="Recrutement du formateur", due_on=date(2024, 9, 1))
    IndicatorTargetFactory(
        action=jobs,
        label="Entrées dans le suivi",
        indicator="entrees_suivi",
        target=Decimal(6),
        starts_on=date(2024, 1, 1),
        ends_on=date(2024, 12, 31),
    )
    manual = IndicatorTargetFactory(
        action=barriers,
        label="Ateliers tenus",
        indicator="",
        unit="ateliers",
        target=Decimal(10),
        starts_on=date(2024, 1, 1),
        ends_on=date(2024, 12, 31),
    )
    ManualReading.objects.create(target=manual, measured_on=date(2024, 6, 1), value=Decimal(4))
    subsidy = FundingFactory(
        territory=gpsea,
        title="Subvention Cité de l'emploi",
        annuities={2024: Decimal("100000"), 2025: Decimal("100000")},
    )
    commune = FundingFactory(
        territory=gpsea,
        title="Participation de Créteil",
        kind="commune",
        funder="Ville de Créteil",
        annuities={2024: Decimal("20000")},
    )
    BudgetLineFactory(action=jobs, funding=subsidy, year=2024, amount=Decimal("30000"))
    BudgetLineFactory(action=jobs, funding=commune, year=2024, amount=Decimal("10000"))
    BudgetLineFactory(action=barriers, funding=subsidy, year=2024, amount=Decimal("20000"))
    BudgetLineFactory(action=barriers, funding=subsidy, year=2025, amount=Decimal("20000"))
    ExpenseFactory(action=jobs, funding=subsidy, spent_on=date(2024, 3, 1), amount=Decimal("12000"))
    ExpenseFactory(action=barriers, funding=subsidy, spent_on=date(2024, 5, 1), amount=Decimal("2000"))
    return adopted


@pytest.fixture
def meetings(gpsea, plan):
    """The COPIL of 15 March (two decisions) and of 30 June 2024 (the pack's), a COTECH decision."""
    copil = CommitteeFactory(territory=gpsea, name="COPIL de la Cité", chairs="Le préfet et le président")
    copil.members.set([OrganisationFactory(name="Préfecture du Val-de-Marne")])
    march = MeetingFactory(committee=copil, held_on=date(2024, 3, 15))
    june = MeetingFactory(
        committee=copil, held_on=HELD_ON, place="Hôtel de territoire", agenda="1. Bilan du semestre"
    )
    jobs = plan.actions.get(number=1)
    decisions = {
        "done": DecisionFactory(
            meeting=march,
            text="Valider le calendrier des job datings",
            status="faite",
            done_on=date(2024, 4, 2),
        ),
        "late": DecisionFactory(
            meeting=march, text="Trouver une salle à Mont-Mesly", action=jobs, due_on=date(2024, 6, 1)
        ),
        "cotech": DecisionFactory(
            meeting=MeetingFactory(
                committee=CommitteeFactory(territory=gpsea, kind="cotech"), held_on=date(2024, 5, 2)
            ),
            text="Partager la liste des offres",
            due_on=date(2024, 7, 15),
        ),
    }
    return {"march": march, "june": june, **decisions}


def test_the_pack_on_hand_built_data(gpsea, raw_counts, people, plan, meetings):
    pack = queries.committee_pack(meetings["june"], today=date(2024, 12, 1))
    assert pack.as_of == HELD_ON  # a past meeting: at its date
    assert (pack.period.start, pack.period.end) == (date(2023, 7, 1), HELD_ON)
    assert pack.plan == plan

    jobs, barriers = pack.actions
    assert (jobs.milestones, jobs.milestones_done) == (2, 1)
    assert [m.title for m in jobs.late_milestones] == ["Deuxième session"]
    assert barriers.late_milestones == [] and barriers.next_milestone.title == "Recrutement du formateur"
    assert [(t.actual, t.rate) for t in jobs.targets] == [(Decimal(3), 0.5)]
    assert [(t.actual, t.rate) for t in barriers.targets] == [(Decimal(4), 0.4)]
    assert (jobs.money.planned, jobs.money.spent, jobs.money.remaining) == (40000, 12000, 28000)
    assert (barriers.money.planned, barriers.money.spent) == (40000, 2000)

    # The Cité subsidy first.
    assert [row.label for row in pack.money_by_funding] == [
        "Subvention Cité de l'emploi",
        "Participation de Créteil",
    ]
    by_funding = {row.label: row for row in pack.money_by_funding}
    subsidy = by_funding["Subvention Cité de l'emploi"]
    assert (subsidy.granted, subsidy.planned, subsidy.spent, subsidy.remaining) == (
        200000,
        70000,
        14000,
        56000,
    )
    assert subsidy.rate == pytest.approx(0.2)
    commune = by_funding["Participation de Créteil"]
    assert (commune.granted, commune.planned, commune.spent) == (20000, 10000, 0)
    assert [(r.label, r.granted, r.planned, r.spent) for r in pack.money_by_year] == [
        ("2024", 120000, 60000, 14000),
        ("2025", 100000, 20000, 0),
    ]
    assert {(r.label, r.detail): (r.planned, r.spent) for r in pack.money_by_funding_year} == {
        ("Subvention Cité de l'emploi", "2024"): (50000, 14000),
        ("Subvention Cité de l'emploi", "2025"): (20000, 0),
        ("Participation de Créteil", "2024"): (10000, 0),
    }
    total = pack.money_total
    assert (total.granted, total.planned, total.spent, total.remaining) == (220000, 80000, 14000, 66000)
    assert [a.message for a in pack.alerts] == [a.message for a in money.underspend_alerts(plan, HELD_ON)]
    assert [(a.action.number, a.year) for a in pack.alerts] == [(1, 2024), (2, 2024)]

    figures = {f.code: f for f in pack.figures}
    assert list(figures) == list(queries.KEY_INDICATORS)
    assert (figures["beneficiaires_suivis"].value, figures["beneficiaires_suivis"].previous) == ("3", "0")
    assert figures["sorties"].value == "0"

    assert pack.decisions_due == [meetings["late"], meetings["cotech"]]
    assert [d.is_overdue for d in pack.decisions_due] == [True, False]
    assert pack.overdue_count == 1
    assert pack.previous_meeting == meetings["march"]
    assert pack.previous_decisions == [meetings["done"], meetings["late"]]


def test_the_pack_html_shows_it_all_and_no_name(gpsea, raw_counts, people, plan, meetings):
    pack = queries.committee_pack(meetings["june"], today=date(2024, 12, 1))
    html = render_to_string("steering/committees/pack_print.html", {"pack": pack})
    for expected in (
        "Dossier de séance — COPIL de la Cité",
        "Hôtel de territoire",
        "1. Bilan du semestre",
        "Préfecture du Val-de-Marne",
        "A1</strong> — Job datings au pied des immeubles",
        "En retard : Deuxième session",
        "Entrées dans le suivi : 3 / 6 personnes (50\u00a0%)",
        "Ateliers tenus : 4 / 10 ateliers (40\u00a0%)",
        euros(200000),  # the subsidy granted over the plan's years
        euros(66000),  # remaining in all
        "A1 — 2024 :",
        "Personnes suivies",
        "Trouver une salle à Mont-Mesly",
        "Partager la liste des offres",
        "Valider le calendrier des job datings",
        'page " counter(page) " / " counter(pages)',
    ):
        assert expected in html, expected
    for part in NAME:
        assert part not in html


def test_small_counts_stay_secret_in_the_pack(gpsea, people, plan, meetings):
    pack = queries.committee_pack(meetings["june"], today=date(2024, 12, 1))
    figures = {f.code: f for f in pack.figures}
    assert figures["beneficiaires_suivis"].value == "secret"  # 3 people: under the default threshold
    assert figures["beneficiaires_suivis"].hidden


def test_the_pack_of_a_meeting_to_come_is_prepared_today(gpsea, plan, meetings):
    coming = MeetingFactory(committee=meetings["june"].committee, held_on=date(2024, 9, 20))
    pack = queries.committee_pack(coming, today=date(2024, 7, 10))
    assert pack.as_of == date(2024, 7, 10)
    assert pack.previous_meeting == meetings["june"]
    assert pack.previous_decisions == []
    assert [d.is_overdue for d in pack.decisions_due] == [True, False]


def test_a_pack_without_a_plan(gpsea):
    meeting = MeetingFactory(committee=CommitteeFactory(territory=gpsea), held_on=date(2024, 1, 20))
    pack = queries.committee_pack(meeting, today=date(2024, 2, 1))
    assert (pack.plan, pack.actions, pack.money_total) == (None, [], None)
    html = render_to_string("steering/committees/pack_print.html", {"pack": pack})
    assert "Aucun plan d'actions n'est enregistré" in html
    assert "C'est la première réunion de ce comité" in html


def test_the_pdf(client, gpsea, people, plan, meetings):
    from tests.accounts.factories import member

    client.force_login(member("funder"))
    response = client.get(f"/pilotage/reunions/{meetings['june'].pk}/dossier.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert 'filename="dossier-copil-2024-06-30.pdf"' in response["Content-Disposition"]


def test_the_pack_queries_do_not_grow_with_the_plan(gpsea, plan, meetings):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries_run:
            queries.committee_pack(meetings["june"], today=date(2024, 12, 1))
        return len(queries_run)

    count()  # warm the caches (targets' totals, places)
    before = count()
    subsidy = plan.actions.get(number=1).budget_lines.first().funding
    for number in range(3, 13):
        action = ActionFactory(plan=plan, number=number)
        MilestoneFactory(action=action, due_on=date(2024, 2, 1))
        IndicatorTargetFactory(action=action, indicator="", target=Decimal(5))
        BudgetLineFactory(action=action, funding=subsidy, year=2024, amount=Decimal(1000))
        ExpenseFactory(action=action, funding=subsidy, spent_on=date(2024, 2, 1), amount=Decimal(100))
        DecisionFactory(meeting=meetings["march"], action=action, due_on=date(2024, 6, 1))
    assert count() == before
    assert Decision.objects.filter(status="a-faire").count() == 12
