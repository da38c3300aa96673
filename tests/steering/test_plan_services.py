"""The writes of the plan and of its money: each rule and its French error (nothing written then),
the new version that copies everything, the adoption that takes over the expenses, and the audit."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cite_emploi.core.models import AuditEntry
from cite_emploi.steering import services_money, services_plan
from cite_emploi.steering.models import (
    Action,
    ActionPlan,
    Axis,
    BudgetLine,
    Expense,
    FundingYear,
    IndicatorTarget,
    ManualReading,
    Milestone,
)
from cite_emploi.steering.services_money import MoneyError
from cite_emploi.steering.services_plan import PlanError
from cite_emploi.territory.models import QPV
from tests.accounts.factories import member
from tests.partners.factories import OrganisationFactory
from tests.steering.factories import (
    ActionFactory,
    ActionPlanFactory,
    BudgetLineFactory,
    ExpenseFactory,
    FundingFactory,
    IndicatorTargetFactory,
    MilestoneFactory,
)

pytestmark = pytest.mark.django_db

MONT_MESLY, BOIS_L_ABBE = "QN09405M", "QN09424I"
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def coordinator(db):
    return member("coordinator")


@pytest.fixture
def plan(gpsea):
    return ActionPlanFactory(
        territory=gpsea, starts_on=date(2022, 1, 1), ends_on=date(2023, 12, 31), version=1
    )


@pytest.fixture
def action(plan):
    return ActionFactory(plan=plan, number=1, starts_on=date(2022, 3, 1), ends_on=date(2023, 6, 30))


@pytest.fixture
def subsidy(gpsea):
    return FundingFactory(
        territory=gpsea, title="Subvention Cité de l'emploi", annuities={2022: "100000", 2023: "100000"}
    )


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def qpv(code):
    return QPV.objects.get(code=code, geography_year=2024)


def events(event: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(detail__event=event).order_by("pk"))


def action_fields(**fields):
    return {
        "title": "Job dating au pied des tours",
        "axis": Axis.RECRUITMENT,
        "starts_on": date(2022, 2, 1),
        "ends_on": date(2022, 12, 31),
        **fields,
    }


# --- plans --------------------------------------------------------------------------------------


def test_create_a_plan_and_refuse_a_second_one_on_the_same_start(gpsea, coordinator):
    plan = services_plan.create_plan(
        gpsea,
        by=coordinator,
        title=" Plan 2022-2023 ",
        starts_on=date(2022, 1, 1),
        ends_on=date(2023, 12, 31),
    )
    assert (plan.title, plan.version, plan.status, plan.created_by) == (
        "Plan 2022-2023",
        1,
        ActionPlan.Status.DRAFT,
        coordinator,
    )
    [entry] = events("steering.plan_created")
    assert entry.action == "create" and entry.actor == coordinator and entry.territory_id == gpsea.pk
    with pytest.raises(
        PlanError, match="commence déjà le 01/01/2022 : pour le modifier, créez-en une nouvelle"
    ):
        services_plan.create_plan(
            gpsea, by=coordinator, title="Autre", starts_on=date(2022, 1, 1), ends_on=date(2022, 12, 31)
        )
    with pytest.raises(PlanError, match="Le plan doit commencer avant de finir"):
        services_plan.create_plan(
            gpsea, by=coordinator, title="À l'envers", starts_on=date(2025, 1, 1), ends_on=date(2024, 1, 1)
        )
    with pytest.raises(PlanError, match="L'intitulé du plan est obligatoire"):
        services_plan.create_plan(
            gpsea, by=coordinator, title=" ", starts_on=date(2025, 1, 1), ends_on=date(2025, 2, 1)
        )
    assert ActionPlan.objects.filter(territory=gpsea).count() == 1


def test_a_diagnostic_of_another_territory_is_refused(gpsea, other_territory, coordinator):
    from cite_emploi.diagnostic.models import ReportVersion

    elsewhere = ReportVersion.objects.create(
        territory=other_territory, number=1, as_of=date(2021, 6, 1), title="D"
    )
    with pytest.raises(PlanError, match="diagnostic du territoire"):
        services_plan.create_plan(
            gpsea,
            by=coordinator,
            title="Plan",
            starts_on=date(2022, 1, 1),
            ends_on=date(2022, 12, 31),
            diagnostic=elsewhere,
        )


def test_update_a_draft_but_not_the_dates_of_an_adopted_plan(plan, action, coordinator):
    fields = {"title": "Plan révisé", "starts_on": plan.starts_on, "ends_on": plan.ends_on}
    services_plan.update_plan(plan, by=coordinator, **fields)
    assert events("steering.plan_updated")[0].detail["changed"] == ["title"]
    with pytest.raises(
        PlanError, match="Les dates de ces actions sortent de la nouvelle période du plan : A1"
    ):
        services_plan.update_plan(plan, by=coordinator, **{**fields, "ends_on": date(2022, 12, 31)})
    services_plan.adopt_plan(plan, by=coordinator, adopted_on=date(2021, 12, 15))
    with pytest.raises(PlanError, match="Ce plan est adopté : son intitulé et ses dates ne changent plus"):
        services_plan.update_plan(plan, by=coordinator, **{**fields, "title": "Encore"})
    services_plan.close_plan(plan, by=coordinator)
    with pytest.raises(PlanError, match="est clos : il ne se modifie plus"):
        services_plan.update_plan(plan, by=coordinator, **fields)
    plan.refresh_from_db()
    assert plan.title == "Plan révisé"


def test_adopt_and_close(plan, action, coordinator):
    with pytest.raises(PlanError, match="Seul un plan adopté peut être clos"):
        services_plan.close_plan(plan, by=coordinator)
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(PlanError, match="La date d'adoption ne peut pas être dans le futur"):
        services_plan.adopt_plan(plan, by=coordinator, adopted_on=tomorrow)
    services_plan.adopt_plan(plan, by=coordinator)
    assert (plan.status, plan.adopted_on) == (ActionPlan.Status.ADOPTED, timezone.localdate())
    with pytest.raises(PlanError, match="Seul un plan en projet peut être adopté"):
        services_plan.adopt_plan(plan, by=coordinator)
    services_plan.close_plan(plan, by=coordinator)
    assert ActionPlan.objects.get(pk=plan.pk).status == ActionPlan.Status.CLOSED
    assert [e.action for e in events("steering.plan_adopted")] == ["update"]
    assert [e.action for e in events("steering.plan_closed")] == ["update"]


def test_a_plan_without_action_is_not_adopted(plan, coordinator):
    with pytest.raises(PlanError, match="Un plan sans action ne peut pas être adopté"):
        services_plan.adopt_plan(plan, by=coordinator)
    assert ActionPlan.objects.get(pk=plan.pk).status == ActionPlan.Status.DRAFT


# --- actions ------------------------------------------------------------------------------------


def test_create_an_action_with_its_partners_quartiers_publics_and_gap(plan, gpsea, coordinator):
    lead, partner = OrganisationFactory(), OrganisationFactory()
    created = services_plan.create_action(
        plan,
        by=coordinator,
        **action_fields(
            lead_organisation=lead,
            partners=[partner, lead],
            qpvs=[qpv(MONT_MESLY), qpv(BOIS_L_ABBE)],
            publics=["seniors", "jeunes", "jeunes"],
            gap_qpv=MONT_MESLY,
            gap_category="mobilite",
        ),
    )
    assert created.number == 1 and created.code == "A1"
    assert created.status == Action.Status.PLANNED
    assert created.publics == ["jeunes", "seniors"]
    assert set(created.partners.all()) == {partner, lead}
    assert {q.code for q in created.qpvs.all()} == {MONT_MESLY, BOIS_L_ABBE}
    assert (created.gap_qpv, created.gap_category) == (MONT_MESLY, "mobilite")
    second = services_plan.create_action(plan, by=coordinator, **action_fields(title="Deuxième"))
    assert second.number == 2
    [entry] = events("steering.action_created")[:1]
    assert entry.action == "create" and entry.detail["number"] == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": ""}, "L'intitulé de l'action est obligatoire."),
        ({"axis": "inconnu"}, "Choisissez l'axe de l'action."),
        ({"status": "fini"}, "Ce statut d'action n'existe pas."),
        (
            {"starts_on": date(2021, 12, 31)},
            "doivent rester dans celles du plan, du 01/01/2022 au 31/12/2023",
        ),
        ({"ends_on": date(2024, 1, 1)}, "doivent rester dans celles du plan"),
        ({"ends_on": date(2022, 1, 1)}, "L'action doit commencer avant de finir."),
        ({"publics": ["enfants"]}, "Les publics ciblés sont les jeunes, les adultes et les seniors."),
        ({"gap_qpv": MONT_MESLY}, "les deux ou aucun"),
        ({"gap_qpv": "QN07501M", "gap_category": "mobilite"}, "n'est pas dans le périmètre du territoire"),
        ({"gap_qpv": MONT_MESLY, "gap_category": "astronomie"}, "n'est pas une catégorie data·inclusion"),
        ({"number": 0}, "Le numéro de l'action est compris entre 1 et 999."),
        ({"number": "A3"}, "Le numéro de l'action est un nombre entier."),
    ],
)
def test_action_rules(plan, coordinator, fields, message):
    with pytest.raises(PlanError, match=message):
        services_plan.create_action(plan, by=coordinator, **action_fields(**fields))
    assert not plan.actions.exists()


def test_organisations_and_quartiers_come_from_the_territory(plan, coordinator, other_territory):
    outsider = OrganisationFactory(territory=other_territory, name="Ailleurs")
    with pytest.raises(PlanError, match="La structure « Ailleurs » n'est pas une structure du territoire"):
        services_plan.create_action(plan, by=coordinator, **action_fields(partners=[outsider]))
    with pytest.raises(PlanError, match="n'est pas une structure du territoire"):
        services_plan.create_action(plan, by=coordinator, **action_fields(lead_organisation=outsider))
    paris = QPV.objects.exclude(code__startswith="QN094").filter(geography_year=2024).first()
    with pytest.raises(PlanError, match="n'est pas dans le périmètre du territoire"):
        services_plan.create_action(plan, by=coordinator, **action_fields(qpvs=[paris]))


def test_action_numbers_are_unique_in_a_plan(plan, action, coordinator):
    with pytest.raises(PlanError, match="Le plan a déjà une action A1 : choisissez un autre numéro"):
        services_plan.create_action(plan, by=coordinator, **action_fields(number=1))
    # Keeping its own number is not a clash.
    services_plan.update_action(
        action, by=coordinator, **action_fields(number=1, starts_on=action.starts_on, ends_on=action.ends_on)
    )


def test_an_action_keeps_dates_that_cover_its_money(plan, action, subsidy, coordinator):
    BudgetLineFactory(action=action, funding=subsidy, year=2023, amount=D("1000"))
    ExpenseFactory(action=action, funding=subsidy, spent_on=date(2023, 1, 10), amount=D("10"))
    with pytest.raises(
        PlanError, match="L'action a des lignes budgétaires en 2023, hors de ses nouvelles dates"
    ):
        services_plan.update_action(action, by=coordinator, **action_fields(ends_on=date(2022, 12, 31)))
    with pytest.raises(PlanError, match="La dépense « Location de salle » du 10/01/2023 sortirait des dates"):
        services_plan.update_action(action, by=coordinator, **action_fields(ends_on=date(2023, 1, 9)))
    updated = services_plan.update_action(
        action, by=coordinator, **action_fields(ends_on=date(2023, 1, 31), status=Action.Status.DONE)
    )
    assert (updated.ends_on, updated.status) == (date(2023, 1, 31), Action.Status.DONE)
    assert set(events("steering.action_updated")[0].detail["changed"]) >= {"ends_on", "starts_on", "status"}


def test_milestones(action, coordinator):
    with pytest.raises(PlanError, match="doit être dans la période de l'action, du 01/03/2022 au 30/06/2023"):
        services_plan.create_milestone(action, by=coordinator, title="Trop tôt", due_on=date(2022, 2, 1))
    milestone = services_plan.create_milestone(
        action, by=coordinator, title="Premier forum", due_on=date(2022, 5, 1)
    )
    with pytest.raises(PlanError, match="La date de réalisation ne peut pas être dans le futur"):
        services_plan.mark_milestone_done(
            milestone, by=coordinator, done_on=timezone.localdate() + timedelta(days=1)
        )
    services_plan.mark_milestone_done(milestone, by=coordinator, done_on=date(2022, 5, 2))
    with pytest.raises(PlanError, match="est déjà réalisée \\(le 02/05/2022\\)"):
        services_plan.mark_milestone_done(milestone, by=coordinator)
    assert Milestone.objects.get(pk=milestone.pk).done_on == date(2022, 5, 2)
    assert len(events("steering.milestone_created")) == len(events("steering.milestone_done")) == 1


# --- new version --------------------------------------------------------------------------------


def test_a_new_version_copies_actions_milestones_budget_lines_and_targets(plan, action, subsidy, coordinator):
    lead, partner = OrganisationFactory(), OrganisationFactory()
    action.lead_organisation = lead
    action.publics, action.gap_qpv, action.gap_category = ["adultes"], MONT_MESLY, "mobilite"
    action.save()
    action.partners.set([partner])
    action.qpvs.set([qpv(MONT_MESLY)])
    second = ActionFactory(plan=plan, number=2, starts_on=date(2022, 1, 1), ends_on=date(2022, 12, 31))
    MilestoneFactory(action=action, title="Lancement", due_on=date(2022, 4, 1), done_on=date(2022, 4, 2))
    BudgetLineFactory(action=action, funding=subsidy, year=2022, amount=D("60000"))
    BudgetLineFactory(action=second, funding=subsidy, year=2022, amount=D("40000"))
    ExpenseFactory(action=action, funding=subsidy, spent_on=date(2022, 4, 1), amount=D("500"))
    manual = IndicatorTargetFactory(action=action, indicator="", label="Ateliers tenus", target=D("10"))
    ManualReading.objects.create(target=manual, measured_on=date(2022, 6, 1), value=D("4"))
    IndicatorTargetFactory(action=second, indicator="entrees_suivi", where_level="qpv", where_code=MONT_MESLY)

    copy = services_plan.new_version(plan, by=coordinator)

    assert (copy.version, copy.status, copy.starts_on, copy.title) == (
        2,
        "projet",
        plan.starts_on,
        plan.title,
    )
    a1, a2 = copy.actions.order_by("number")
    assert (a1.number, a1.title, a1.lead_organisation, a1.publics, a1.gap_qpv, a1.gap_category) == (
        1,
        action.title,
        lead,
        ["adultes"],
        MONT_MESLY,
        "mobilite",
    )
    assert list(a1.partners.all()) == [partner] and [q.code for q in a1.qpvs.all()] == [MONT_MESLY]
    assert [(m.title, m.done_on) for m in a1.milestones.all()] == [("Lancement", date(2022, 4, 2))]
    assert {(b.action.number, b.year, b.amount) for b in BudgetLine.objects.filter(action__plan=copy)} == {
        (1, 2022, D("60000")),
        (2, 2022, D("40000")),
    }
    copied_manual = IndicatorTarget.objects.get(action=a1)
    assert (copied_manual.label, copied_manual.target) == ("Ateliers tenus", D("10"))
    assert [r.value for r in copied_manual.readings.all()] == [D("4")]
    assert IndicatorTarget.objects.get(action=a2).where_code == MONT_MESLY
    # Expenses stay on the version where they were recorded until the new one is adopted.
    assert not Expense.objects.filter(action__plan=copy).exists()
    # The original is untouched.
    assert plan.actions.count() == 2 and BudgetLine.objects.filter(action__plan=plan).count() == 2
    [entry] = events("steering.plan_versioned")
    assert (
        entry.action == "create" and entry.detail["source_plan"] == plan.pk and entry.detail["actions"] == 2
    )
    # Versions are numbered after the highest one, whichever is copied.
    assert services_plan.new_version(plan, by=coordinator).version == 3


def test_adopting_a_new_version_closes_the_old_one_and_takes_its_expenses(plan, action, subsidy, coordinator):
    BudgetLineFactory(action=action, funding=subsidy, year=2022, amount=D("60000"))
    spent = ExpenseFactory(action=action, funding=subsidy, spent_on=date(2022, 4, 1), amount=D("500"))
    services_plan.adopt_plan(plan, by=coordinator, adopted_on=date(2021, 12, 15))
    copy = services_plan.new_version(plan, by=coordinator)
    services_plan.adopt_plan(copy, by=coordinator)
    plan.refresh_from_db()
    assert plan.status == ActionPlan.Status.CLOSED
    spent.refresh_from_db()
    assert spent.action == copy.actions.get(number=1)
    assert events("steering.plan_adopted")[-1].detail["moved_expenses"] == 1


def test_an_adoption_that_would_orphan_an_expense_is_refused(plan, action, subsidy, coordinator):
    line = BudgetLineFactory(action=action, funding=subsidy, year=2022, amount=D("60000"))
    spent = ExpenseFactory(action=action, funding=subsidy, spent_on=date(2022, 4, 1), amount=D("500"))
    services_plan.adopt_plan(plan, by=coordinator, adopted_on=date(2021, 12, 15))
    copy = services_plan.new_version(plan, by=coordinator)
    BudgetLine.objects.filter(action__plan=copy, year=line.year).delete()
    with pytest.raises(PlanError) as refused:
        services_plan.adopt_plan(copy, by=coordinator)
    assert refused.value.message.startswith("Adoption impossible : 1 dépense(s) déjà enregistrée(s)")
    assert (
        "A1 « Location de salle » du 01/04/2022 : pas de ligne budgétaire « Subvention Cité de l'emploi » en 2022"
        in (refused.value.message)
    )
    plan.refresh_from_db()
    copy.refresh_from_db()
    spent.refresh_from_db()
    assert (plan.status, copy.status, spent.action_id) == ("adopte", "projet", action.pk)


# --- fundings -----------------------------------------------------------------------------------


def test_create_and_update_a_funding(gpsea, coordinator):
    funding = services_money.create_funding(
        gpsea,
        by=coordinator,
        title="Subvention Cité de l'emploi",
        kind="subvention-cite",
        funder="État — ANCT",
        years={2022: "100000", "2023": D("100000.00")},
    )
    assert {(y.year, y.amount) for y in funding.years.all()} == {(2022, D("100000")), (2023, D("100000"))}
    [entry] = events("steering.funding_created")
    assert entry.action == "create" and entry.detail["years"] == {"2022": "100000.00", "2023": "100000.00"}
    services_money.update_funding(
        funding,
        by=coordinator,
        title="Subvention Cité de l'emploi (GPSEA)",
        kind="subvention-cite",
        funder="État — ANCT",
        years={2022: "100000", 2024: "50000"},
    )
    assert {(y.year, y.amount) for y in funding.years.all()} == {(2022, D("100000")), (2024, D("50000"))}
    assert events("steering.funding_updated")[0].detail["changed"] == ["title", "years"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"years": {}}, "Indiquez au moins une annuité"),
        ({"years": {2022: "0"}}, "L'annuité 2022 doit être supérieur à zéro."),
        ({"years": {2022: "10.005"}}, "L'annuité 2022 a au plus deux décimales"),
        ({"years": {2022: "cent mille"}}, "L'annuité 2022 doit être un nombre"),
        ({"years": {1999: "10"}}, "comprise entre 2000 et 2100"),
        ({"kind": "mecenat"}, "Choisissez la nature du financement."),
        ({"funder": ""}, "Le financeur est obligatoire."),
    ],
)
def test_funding_rules(gpsea, coordinator, fields, message):
    base = {
        "title": "Cofinancement",
        "kind": "commune",
        "funder": "Ville de Créteil",
        "years": {2022: "1000"},
    }
    with pytest.raises(MoneyError, match=message):
        services_money.create_funding(gpsea, by=coordinator, **{**base, **fields})
    assert not gpsea.fundings.exists()


def test_an_annuity_in_use_cannot_go_below_what_is_programmed_nor_disappear(action, subsidy, coordinator):
    BudgetLineFactory(action=action, funding=subsidy, year=2022, amount=D("60000"))
    fields = {"title": subsidy.title, "kind": subsidy.kind, "funder": subsidy.funder}
    with pytest.raises(MoneyError, match="L'annuité 2022 est utilisée par des lignes budgétaires"):
        services_money.update_funding(subsidy, by=coordinator, years={2023: "100000"}, **fields)
    with pytest.raises(
        MoneyError, match="ne peut pas descendre sous les 60\u202f000,00\u00a0€ déjà programmés"
    ):
        services_money.update_funding(subsidy, by=coordinator, years={2022: "59999.99", 2023: "1"}, **fields)
    assert FundingYear.objects.get(funding=subsidy, year=2023).amount == D("100000")


# --- budget lines -------------------------------------------------------------------------------


def test_budget_lines_within_the_annuity(plan, action, subsidy, coordinator):
    other = ActionFactory(plan=plan, number=2, starts_on=date(2022, 1, 1), ends_on=date(2022, 12, 31))
    services_money.set_budget_line(other, by=coordinator, funding=subsidy, year=2022, amount="70000")
    line = services_money.set_budget_line(action, by=coordinator, funding=subsidy, year=2022, amount="25000")
    with pytest.raises(MoneyError) as refused:
        services_money.set_budget_line(action, by=coordinator, funding=subsidy, year=2022, amount="35000")
    assert refused.value.message == (
        "Cette ligne dépasse l'annuité 2022 de « Subvention Cité de l'emploi » de 5\u202f000,00\u00a0€ "
        "(accordé : 100\u202f000,00\u00a0€ ; déjà programmé : 70\u202f000,00\u00a0€)."
    )
    # Recording the line again replaces its amount: it does not count against itself.
    again = services_money.set_budget_line(action, by=coordinator, funding=subsidy, year=2022, amount="30000")
    assert again.pk == line.pk and again.amount == D("30000")
    assert [e.action for e in events("steering.budget_line_set")] == ["create", "create", "update"]
    assert events("steering.budget_line_set")[-1].detail["before"] == "25000.00"


def test_budget_line_rules(action, subsidy, coordinator, gpsea, other_territory):
    with pytest.raises(
        MoneyError,
        match="se déroule du 01/03/2022 au 30/06/2023 : elle ne peut pas avoir de ligne budgétaire en 2024",
    ):
        services_money.set_budget_line(action, by=coordinator, funding=subsidy, year=2024, amount="10")
    commune = FundingFactory(territory=gpsea, title="Ville", annuities={2023: "5000"})
    with pytest.raises(MoneyError, match="Le financement « Ville » n'a pas d'annuité pour 2022"):
        services_money.set_budget_line(action, by=coordinator, funding=commune, year=2022, amount="10")
    elsewhere = FundingFactory(territory=other_territory, annuities={2022: "5000"})
    with pytest.raises(MoneyError, match="n'est pas un financement du territoire"):
        services_money.set_budget_line(action, by=coordinator, funding=elsewhere, year=2022, amount="10")
    for amount, message in [
        ("0", "supérieur à zéro"),
        ("-5", "supérieur à zéro"),
        ("1,234", "deux décimales"),
    ]:
        with pytest.raises(MoneyError, match=message):
            services_money.set_budget_line(action, by=coordinator, funding=subsidy, year=2022, amount=amount)
    assert not BudgetLine.objects.exists()
    # French input is read: « 12 500,50 ».
    line = services_money.set_budget_line(
        action, by=coordinator, funding=subsidy, year=2022, amount="12 500,50"
    )
    assert line.amount == D("12500.50")


def test_other_versions_of_the_plan_do_not_use_up_the_annuity(plan, action, subsidy, coordinator):
    services_money.set_budget_line(action, by=coordinator, funding=subsidy, year=2022, amount="90000")
    services_plan.adopt_plan(plan, by=coordinator, adopted_on=date(2021, 12, 15))
    copy = services_plan.new_version(plan, by=coordinator)
    copied = copy.actions.get(number=1)
    # Version 2 is an alternative to version 1: its 90 000 € may become 100 000 €.
    services_money.set_budget_line(copied, by=coordinator, funding=subsidy, year=2022, amount="100000")
    # Another plan of the territory draws on the same annuity, next to the version in force (1).
    another = ActionPlanFactory(
        territory=plan.territory, starts_on=date(2022, 6, 1), ends_on=date(2022, 12, 31)
    )
    third = ActionFactory(plan=another, starts_on=date(2022, 6, 1), ends_on=date(2022, 12, 31))
    with pytest.raises(MoneyError, match="de 80\u202f000,00\u00a0€"):
        services_money.set_budget_line(third, by=coordinator, funding=subsidy, year=2022, amount="90000")


def test_a_budget_line_with_expenses_stays(action, subsidy, coordinator):
    line = BudgetLineFactory(action=action, funding=subsidy, year=2022, amount=D("1000"))
    spent = ExpenseFactory(action=action, funding=subsidy, spent_on=date(2022, 5, 1), amount=D("10"))
    with pytest.raises(MoneyError, match="a des dépenses sur « Subvention Cité de l'emploi » en 2022"):
        services_money.delete_budget_line(line, by=coordinator)
    spent.delete()
    services_money.delete_budget_line(line, by=coordinator)
    assert not BudgetLine.objects.exists()
    assert events("steering.budget_line_deleted")[0].action == "delete"


# --- expenses -----------------------------------------------------------------------------------


def expense(action, funding, coordinator, **fields):
    values = {
        "funding": funding,
        "spent_on": date(2022, 5, 10),
        "amount": "1250.40",
        "label": "Location de salle du forum",
        "supplier": "Maison pour tous",
        **fields,
    }
    return services_money.create_expense(action, by=coordinator, **values)


def test_an_expense_with_its_document(action, subsidy, coordinator, media):
    BudgetLineFactory(action=action, funding=subsidy, year=2022, amount=D("5000"))
    upload = SimpleUploadedFile("Facture Dupont.PDF", PDF, content_type="application/pdf")
    recorded = expense(action, subsidy, coordinator, document=upload)
    assert (recorded.amount, recorded.recorded_by) == (D("1250.40"), coordinator)
    name = recorded.document.name
    assert name.startswith("pilotage/justificatifs/") and name.endswith(".pdf") and "Dupont" not in name
    assert (media / name).read_bytes() == PDF
    [entry] = events("steering.expense_created")
    assert (
        entry.action == "create" and entry.detail["document"] is True and entry.detail["amount"] == "1250.40"
    )
    png = expense(action, subsidy, coordinator, document=SimpleUploadedFile("scan.png", PNG))
    assert png.document.name.endswith(".png")
    assert expense(action, subsidy, coordinator).document.name == ""


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"spent_on": date(2022, 2, 28)},
            "doit être datée dans la période de l'action A1, du 01/03/2022 au 30/06/2023",
        ),
        (
            {"spent_on": date(2023, 1, 5)},
            "n'a pas de ligne budgétaire « Subvention Cité de l'emploi » en 2023",
        ),
        ({"amount": "0"}, "Le montant doit être supérieur à zéro."),
        ({"amount": "10.001"}, "deux décimales"),
        ({"label": "  "}, "L'objet de la dépense est obligatoire."),
        (
            {"document": SimpleUploadedFile("facture.docx", b"PK\x03\x04")},
            "doit être un PDF, un JPEG ou un PNG",
        ),
        ({"document": SimpleUploadedFile("facture.pdf", b"<html>")}, "n'est pas un PDF valide"),
        ({"document": SimpleUploadedFile("photo.jpg", PNG)}, "n'est pas un JPG valide"),
        ({"document": SimpleUploadedFile("vide.pdf", b"")}, "est vide"),
    ],
)
def test_expense_rules_write_nothing(action, subsidy, coordinator, media, fields, message):
    BudgetLineFactory(action=action, funding=subsidy, year=2022, amount=D("5000"))
    with pytest.raises(MoneyError, match=message):
        expense(action, subsidy, coordinator, **fields)
    assert not Expense.objects.exists()
    assert not any(path.is_file() for path in media.rglob("*"))


def test_a_document_over_ten_megabytes_is_refused(action, subsidy, coordinator, media):
    BudgetLineFactory(action=action, funding=subsidy, year=2022, amount=D("5000"))
    big = SimpleUploadedFile("gros.pdf", PDF + b"0" * (10 * 2**20))
    with pytest.raises(MoneyError, match="La pièce justificative dépasse 10 Mo"):
        expense(action, subsidy, coordinator, document=big)
    assert not Expense.objects.exists()


def test_no_expense_in_the_future(gpsea, subsidy, coordinator):
    today = timezone.localdate()
    plan = ActionPlanFactory(
        territory=gpsea, starts_on=date(today.year, 1, 1), ends_on=date(today.year + 1, 12, 31)
    )
    running = ActionFactory(plan=plan)
    funding = FundingFactory(territory=gpsea, annuities={today.year + 1: "1000"})
    BudgetLineFactory(action=running, funding=funding, year=today.year + 1, amount=D("1000"))
    with pytest.raises(MoneyError, match="La date de la dépense ne peut pas être dans le futur"):
        expense(running, funding, coordinator, spent_on=date(today.year + 1, 1, 1))


def test_deleting_an_expense_deletes_its_document_after_the_commit(
    action, subsidy, coordinator, media, django_capture_on_commit_callbacks
):
    BudgetLineFactory(action=action, funding=subsidy, year=2022, amount=D("5000"))
    recorded = expense(action, subsidy, coordinator, document=SimpleUploadedFile("f.pdf", PDF))
    stored = media / recorded.document.name
    with django_capture_on_commit_callbacks(execute=True):
        services_money.delete_expense(recorded, by=coordinator)
    assert not stored.exists() and not Expense.objects.exists()
    [entry] = events("steering.expense_deleted")
    assert entry.action == "delete" and entry.detail["label"] == "Location de salle du forum"


def test_a_closed_plan_no_longer_changes(plan, action, subsidy, coordinator):
    BudgetLineFactory(action=action, funding=subsidy, year=2022, amount=D("5000"))
    plan.status = ActionPlan.Status.CLOSED
    plan.save()
    action.refresh_from_db()
    for write in (
        lambda: services_plan.create_action(plan, by=coordinator, **action_fields()),
        lambda: services_plan.update_action(action, by=coordinator, **action_fields()),
        lambda: services_plan.create_milestone(action, by=coordinator, title="x", due_on=date(2022, 5, 1)),
        lambda: services_money.set_budget_line(
            action, by=coordinator, funding=subsidy, year=2022, amount="1"
        ),
        lambda: expense(action, subsidy, coordinator),
    ):
        with pytest.raises(PlanError, match="est clos : il ne se modifie plus"):
            write()


def test_every_audit_verb_fits_its_column(plan, action, subsidy, coordinator, media):
    services_plan.new_version(plan, by=coordinator)
    services_money.set_budget_line(action, by=coordinator, funding=subsidy, year=2022, amount="10")
    expense(action, subsidy, coordinator, amount="5")
    entries = AuditEntry.objects.filter(detail__event__startswith="steering.")
    assert entries.count() == 3
    assert all(len(e.action) <= 16 and e.action in AuditEntry.Action.values for e in entries)
