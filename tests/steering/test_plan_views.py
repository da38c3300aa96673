"""The pages of the action plan and its money: who opens what, objects of another territory, forms
that keep what was typed when a rule is broken, supporting documents, the budget export, and query
counts that do not grow with the number of actions and expenses."""

import csv
import io
from datetime import date
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cite_emploi.steering.models import Action, ActionPlan, BudgetLine, Expense, Funding, Milestone
from tests.accounts.factories import member
from tests.partners.factories import OrganisationFactory
from tests.steering.access_plan import ROUTES
from tests.steering.factories import (
    ActionFactory,
    ActionPlanFactory,
    BudgetLineFactory,
    ExpenseFactory,
    FundingFactory,
    MilestoneFactory,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
RECORDER = "Bérengère Saisiedépense"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def coordinator(db):
    return member("coordinator")


@pytest.fixture
def books(gpsea):
    plan = ActionPlanFactory(
        territory=gpsea,
        title="Plan d'actions 2022-2023",
        starts_on=date(2022, 1, 1),
        ends_on=date(2023, 12, 31),
        version=1,
    )
    lead = OrganisationFactory(name="Mission locale des Portes de l'Essonne")
    a1 = ActionFactory(
        plan=plan,
        number=1,
        title="Job dating au Mont-Mesly",
        starts_on=date(2022, 1, 1),
        ends_on=date(2023, 12, 31),
        lead_organisation=lead,
    )
    a2 = ActionFactory(
        plan=plan,
        number=2,
        title="Garde d'enfants",
        axis="levee-freins",
        starts_on=date(2022, 4, 1),
        ends_on=date(2022, 12, 31),
    )
    subsidy = FundingFactory(
        territory=gpsea, title="Subvention Cité", annuities={2022: "100000", 2023: "100000"}
    )
    BudgetLineFactory(action=a1, funding=subsidy, year=2022, amount=D("40000"))
    BudgetLineFactory(action=a1, funding=subsidy, year=2023, amount=D("50000"))
    BudgetLineFactory(action=a2, funding=subsidy, year=2022, amount=D("30000"))
    recorder = member("coordinator", name="Cité")
    recorder.first_name, recorder.last_name = RECORDER.split()
    recorder.save()
    ExpenseFactory(
        action=a1, funding=subsidy, spent_on=date(2022, 3, 1), amount=D("12000.50"), recorded_by=recorder
    )
    ExpenseFactory(action=a2, funding=subsidy, spent_on=date(2022, 6, 1), amount=D("6000"))
    MilestoneFactory(action=a1, title="Premier job dating", due_on=date(2022, 2, 1))
    return {"plan": plan, "a1": a1, "a2": a2, "subsidy": subsidy}


def path_of(name: str, books) -> str:
    ids = {
        "action_plan": books["plan"].pk,
        "plan_action": books["a1"].pk,
        "plan_funding": books["subsidy"].pk,
        "plan_budget_line": BudgetLine.objects.filter(action=books["a1"]).first().pk,
        "plan_expense": Expense.objects.filter(action=books["a1"]).first().pk,
        "plan_milestone": Milestone.objects.filter(action=books["a1"]).first().pk,
    }
    return ROUTES[name][0].format(**ids)


READ_PAGES = [name for name, (_, _, answer, _) in ROUTES.items() if answer == 200]
FORM_PAGES = [name for name, (_, _, _, others) in ROUTES.items() if others == {"coordinator": 200}]


@pytest.mark.parametrize("name", READ_PAGES)
@pytest.mark.parametrize(
    ("role", "status"),
    [("coordinator", 200), ("elected", 200), ("funder", 200), ("counsellor", 403), ("employer", 403)],
)
def test_who_reads_the_plan_and_its_money(client, books, name, role, status):
    client.force_login(member(role))
    response = client.get(path_of(name, books))
    assert response.status_code == status
    if status == 200 and role != "coordinator":
        # Elected members and the State read; they see no button that writes, nor who typed what.
        body = response.content.decode()
        assert "Ajouter une action" not in body and "Nouveau financement" not in body
        assert "Saisiedépense" not in body


@pytest.mark.parametrize("name", FORM_PAGES)
@pytest.mark.parametrize(("role", "status"), [("coordinator", 200), ("elected", 403), ("funder", 403)])
def test_only_the_coordination_opens_the_forms(client, books, name, role, status):
    client.force_login(member(role))
    assert client.get(path_of(name, books)).status_code == status


@pytest.mark.parametrize(
    "name",
    [
        "steering:plan_new_version",
        "steering:plan_adopt",
        "steering:plan_close",
        "steering:milestone_done",
        "steering:budget_line_delete",
        "steering:expense_delete",
        "steering:plan_create",
        "steering:action_create",
        "steering:expense_create",
    ],
)
def test_readers_cannot_write(client, books, name):
    client.force_login(member("funder"))
    assert client.post(path_of(name, books), {"title": "x"}).status_code == 403
    assert (
        ActionPlan.objects.count() == 1 and Expense.objects.count() == 2 and BudgetLine.objects.count() == 3
    )


@pytest.mark.parametrize("name", list(ROUTES))
def test_objects_of_another_territory_are_404(client, books, other_territory, name):
    if "{" not in ROUTES[name][0]:
        return
    client.force_login(member("coordinator", territory=other_territory))
    response = (
        client.post(path_of(name, books)) if ROUTES[name][2] == 405 else client.get(path_of(name, books))
    )
    assert response.status_code == 404


def test_the_plan_page_groups_actions_by_axis_with_their_money_and_alerts(client, books, coordinator):
    client.force_login(coordinator)
    response = client.get(reverse("steering:plan", args=[books["plan"].pk]))
    body = response.content.decode()
    assert "Opérations de recrutement innovantes : 1 action" in body
    assert "Levée des freins périphériques : 1 action" in body
    assert "A1 — Job dating au Mont-Mesly" in body and "Mission locale des Portes de l&#x27;Essonne" in body
    assert "120\u202f000\u00a0€" in body  # planned in total
    assert "12\u202f000,50\u00a0€" in body  # A1 spent
    # Both years are over: their unspent credits are alerts.
    assert (
        "A2 — 2022 : crédits non consommés, 6\u202f000\u00a0€ dépensés sur 30\u202f000\u00a0€ prévus" in body
    )


def test_the_budget_page_and_its_csv(client, books, coordinator):
    client.force_login(coordinator)
    plan = books["plan"]
    page = client.get(reverse("steering:budget", args=[plan.pk])).content.decode()
    assert "Budget du plan par année" in page and "Télécharger (CSV)" in page
    response = client.get(reverse("steering:budget_csv", args=[plan.pk]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Niveau", "Action ou financement", "Année"]
    assert [
        "Action",
        "A1 — Job dating au Mont-Mesly",
        "2022",
        "",
        "40000,00",
        "12000,50",
        "27999,50",
        "30,0",
    ] in rows
    assert ["Action", "A2 — Garde d'enfants", "Total", "", "30000,00", "6000,00", "24000,00", "20,0"] in rows
    assert [
        "Financement",
        "Subvention Cité",
        "2022",
        "100000,00",
        "70000,00",
        "18000,50",
        "51999,50",
        "25,7",
    ] in rows
    assert ["Année", "Toutes actions", "2023", "", "50000,00", "0,00", "50000,00", "0,0"] in rows
    assert rows[-1] == ["Total", "Plan", "", "", "120000,00", "18000,50", "101999,50", "15,0"]


def test_the_fundings_page(client, books, coordinator):
    client.force_login(coordinator)
    body = client.get(reverse("steering:fundings")).content.decode()
    # 2022: 100 000 granted, 70 000 programmed, 18 000,50 spent.
    assert (
        "100\u202f000,00\u00a0€" in body
        and "70\u202f000,00\u00a0€" in body
        and "18\u202f000,50\u00a0€" in body
    )
    assert "81\u202f999,50\u00a0€" in body  # left to spend in 2022
    detail = client.get(reverse("steering:funding", args=[books["subsidy"].pk])).content.decode()
    assert "A2 — Garde d&#x27;enfants" in detail


# --- forms --------------------------------------------------------------------------------------


def test_create_a_plan_then_an_action_then_adopt_it(client, gpsea, coordinator):
    client.force_login(coordinator)
    response = client.post(
        reverse("steering:plan_create"),
        {"title": "Plan 2030", "starts_on": "2030-01-01", "ends_on": "2031-12-31"},
    )
    plan = ActionPlan.objects.get(title="Plan 2030")
    assert response.status_code == 302 and response.url == reverse("steering:plan", args=[plan.pk])
    form = client.get(reverse("steering:action_create", args=[plan.pk]))
    assert form.status_code == 200 and "Besoin du diagnostic" in form.content.decode()
    response = client.post(
        reverse("steering:action_create", args=[plan.pk]),
        {
            "title": "Forum de l'emploi",
            "axis": "recrutement-innovant",
            "status": "prevue",
            "starts_on": "2030-03-01",
            "ends_on": "2030-06-30",
            "publics": ["jeunes", "seniors"],
        },
    )
    action = Action.objects.get(plan=plan)
    assert response.url == reverse("steering:action", args=[action.pk])
    assert (action.number, action.publics) == (1, ["jeunes", "seniors"])
    client.post(reverse("steering:plan_adopt", args=[plan.pk]), {"adopted_on": "2026-01-15"})
    plan.refresh_from_db()
    assert (plan.status, plan.adopted_on) == ("adopte", date(2026, 1, 15))
    response = client.post(reverse("steering:plan_new_version", args=[plan.pk]))
    copy = ActionPlan.objects.get(territory=gpsea, starts_on=plan.starts_on, version=2)
    assert response.url == reverse("steering:plan", args=[copy.pk])
    assert copy.actions.get().title == "Forum de l'emploi"


def test_a_form_with_errors_keeps_what_was_typed(client, books, coordinator):
    client.force_login(coordinator)
    plan = books["plan"]
    response = client.post(
        reverse("steering:plan_create"),
        {"title": "Plan mal daté", "starts_on": "2030-05-01", "ends_on": "2030-01-01"},
    )
    body = response.content.decode()
    assert response.status_code == 200 and "La fin du plan doit suivre son début." in body
    assert 'value="Plan mal daté"' in body
    # A rule of the service (number taken) shows as the form's error, the input kept.
    response = client.post(
        reverse("steering:action_create", args=[plan.pk]),
        {
            "number": "1",
            "title": "Atelier CV éclair",
            "axis": "valorisation-cv",
            "status": "prevue",
            "starts_on": "2022-01-01",
            "ends_on": "2022-12-31",
        },
    )
    body = response.content.decode()
    assert "Le plan a déjà une action A1 : choisissez un autre numéro." in body
    assert 'value="Atelier CV éclair"' in body
    assert plan.actions.count() == 2


def test_a_budget_line_over_the_annuity_is_refused_on_the_page(client, books, coordinator):
    client.force_login(coordinator)
    a2, subsidy = books["a2"], books["subsidy"]
    response = client.post(
        reverse("steering:budget_line_create", args=[a2.pk]),
        {"funding": subsidy.pk, "year": "2022", "amount": "35 000,00"},
    )
    body = response.content.decode()
    # 40 000 for A1 already: 35 000 for A2 (instead of its 30 000) fits; 65 000 does not.
    assert response.status_code == 302
    assert BudgetLine.objects.get(action=a2, year=2022).amount == D("35000")
    response = client.post(
        reverse("steering:budget_line_create", args=[a2.pk]),
        {"funding": subsidy.pk, "year": "2022", "amount": "65000"},
    )
    body = response.content.decode()
    assert "Cette ligne dépasse l&#x27;annuité 2022 de « Subvention Cité » de 5\u202f000,00\u00a0€" in body
    assert 'value="65000"' in body
    response = client.post(
        reverse("steering:budget_line_create", args=[a2.pk]),
        {"funding": subsidy.pk, "year": "2022", "amount": "12,345"},
    )
    assert "Le montant a au plus deux décimales" in response.content.decode()


def test_a_funding_with_its_annuities(client, gpsea, coordinator):
    client.force_login(coordinator)
    data = {
        "title": "Cofinancement Créteil",
        "kind": "commune",
        "funder": "Ville de Créteil",
        "year_1": "2022",
        "amount_1": "15 000",
        "year_2": "2023",
        "amount_2": "",
    }
    response = client.post(reverse("steering:funding_create"), data)
    assert "Indiquez le montant accordé pour 2023." in response.content.decode()
    assert not Funding.objects.filter(title="Cofinancement Créteil").exists()
    response = client.post(reverse("steering:funding_create"), {**data, "amount_2": "15000,50"})
    funding = Funding.objects.get(title="Cofinancement Créteil")
    assert response.url == reverse("steering:funding", args=[funding.pk])
    assert {(y.year, y.amount) for y in funding.years.all()} == {(2022, D("15000")), (2023, D("15000.50"))}
    edit = client.get(reverse("steering:funding_edit", args=[funding.pk])).content.decode()
    assert 'value="15000,50"' in edit


def test_milestones_on_the_page(client, books, coordinator):
    client.force_login(coordinator)
    a1 = books["a1"]
    response = client.post(
        reverse("steering:milestone_create", args=[a1.pk]), {"title": "Bilan", "due_on": "2021-01-01"}
    )
    assert "doit être dans la période de l&#x27;action" in response.content.decode()
    client.post(
        reverse("steering:milestone_create", args=[a1.pk]), {"title": "Bilan", "due_on": "2023-06-30"}
    )
    milestone = a1.milestones.get(title="Bilan")
    client.post(reverse("steering:milestone_done", args=[milestone.pk]), {"done_on": "2023-07-01"})
    milestone.refresh_from_db()
    assert milestone.done_on == date(2023, 7, 1)


# --- supporting documents -----------------------------------------------------------------------


def test_upload_then_download_a_supporting_document(client, books, coordinator, media):
    a1, subsidy = books["a1"], books["subsidy"]
    client.force_login(coordinator)
    response = client.post(
        reverse("steering:expense_create", args=[a1.pk]),
        {
            "funding": subsidy.pk,
            "spent_on": "2022-05-02",
            "amount": "1 250,40",
            "label": "Affiches du forum",
            "document": SimpleUploadedFile("facture.pdf", PDF, content_type="application/pdf"),
        },
    )
    assert response.status_code == 302
    expense = Expense.objects.get(label="Affiches du forum")
    assert expense.amount == D("1250.40") and (media / expense.document.name).is_file()
    url = reverse("steering:expense_document", args=[expense.pk])
    assert url in client.get(reverse("steering:action", args=[a1.pk])).content.decode()
    # Not under MEDIA_URL: the only way to the file is the page that checks who asks.
    assert not expense.document.url.startswith(url)
    for role in ("elected", "funder", "coordinator"):
        client.force_login(member(role))
        download = client.get(url)
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == PDF
        assert download["Content-Type"] == "application/pdf"
        assert download["Content-Disposition"] == f'attachment; filename="justificatif-A1-{expense.pk}.pdf"'
    for role in ("counsellor", "employer"):
        client.force_login(member(role))
        assert client.get(url).status_code == 403


def test_a_bad_document_keeps_the_rest_of_the_form(client, books, coordinator, media):
    a1, subsidy = books["a1"], books["subsidy"]
    client.force_login(coordinator)
    response = client.post(
        reverse("steering:expense_create", args=[a1.pk]),
        {
            "funding": subsidy.pk,
            "spent_on": "2022-05-02",
            "amount": "99",
            "label": "Traiteur du forum",
            "document": SimpleUploadedFile("facture.pdf", b"MZ\x90\x00 pas un pdf"),
        },
    )
    body = response.content.decode()
    assert response.status_code == 200 and "n&#x27;est pas un PDF valide" in body
    assert 'value="Traiteur du forum"' in body and 'value="99"' in body
    assert not Expense.objects.filter(label="Traiteur du forum").exists()
    assert not any(p.is_file() for p in media.rglob("*"))


def test_an_expense_without_document_has_no_download(client, books, coordinator):
    client.force_login(coordinator)
    expense = Expense.objects.filter(action=books["a2"]).get()
    assert client.get(reverse("steering:expense_document", args=[expense.pk])).status_code == 404


# --- query counts -------------------------------------------------------------------------------


def grow(books, count: int) -> None:
    plan, subsidy = books["plan"], books["subsidy"]
    organisations = [OrganisationFactory() for _ in range(2)]
    for number in range(10, 10 + count):
        action = ActionFactory(
            plan=plan,
            number=number,
            starts_on=date(2022, 1, 1),
            ends_on=date(2022, 12, 31),
            lead_organisation=organisations[0],
        )
        action.partners.set(organisations)
        BudgetLineFactory(action=action, funding=subsidy, year=2022, amount=D("10"))
        MilestoneFactory(action=action, due_on=date(2022, 6, 1))
        for day in (1, 2, 3):
            ExpenseFactory(action=action, funding=subsidy, spent_on=date(2022, 2, day), amount=D("1"))


@pytest.mark.parametrize(
    "name", ["steering:plan", "steering:budget", "steering:budget_csv", "steering:fundings"]
)
def test_queries_do_not_grow_with_actions_and_expenses(client, books, coordinator, name):
    client.force_login(coordinator)
    url = reverse(name, args=[books["plan"].pk]) if name != "steering:fundings" else reverse(name)
    client.get(url)  # warms the session and the caches of places
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    grow(books, 15)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_the_action_page_queries_do_not_grow_with_expenses(client, books, coordinator):
    client.force_login(coordinator)
    a1, subsidy = books["a1"], books["subsidy"]
    url = reverse("steering:action", args=[a1.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for day in range(1, 20):
        ExpenseFactory(action=a1, funding=subsidy, spent_on=date(2022, 4, day), amount=D("1"))
        MilestoneFactory(action=a1, due_on=date(2022, 5, day))
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)
