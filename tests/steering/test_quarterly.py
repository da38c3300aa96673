"""The quarterly report on records placed in known quarters of 2023: every cell of the report, the
same cells read back from the workbook, secrecy across quarters, the PDF, the command and the pages."""

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import load_workbook

from cite_emploi.followup.models import Barrier, FollowUp, Outcome
from cite_emploi.outreach.models import ActionOrigin, Interview, OutreachAction, RecruitmentEvent
from cite_emploi.steering import quarterly
from cite_emploi.steering.models import Action, ActionPlan, Axis
from cite_emploi.territory.models import QPV, Commune
from tests.accounts.factories import member
from tests.followup.factories import BarrierFactory, BeneficiaryFactory, FollowUpFactory
from tests.outreach.factories import (
    InterviewFactory,
    OutreachActionFactory,
    ReachedCountFactory,
    RecruitmentEventFactory,
)
from tests.partners.factories import OrganisationFactory
from tests.steering.factories import ActionFactory, ActionPlanFactory

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
YEAR = 2023


@pytest.fixture
def raw_counts(settings):
    settings.SECRECY_THRESHOLD = 1


def at(*args):
    return datetime(*args, tzinfo=PARIS)


def person(opened_on: date, closed_on: date | None = None) -> FollowUp:
    beneficiary = BeneficiaryFactory(
        commune=Commune.objects.get(code="94028"), qpv=QPV.objects.get(code="QN09405M", geography_year=2024)
    )
    status = FollowUp.Status.CLOSED if closed_on else FollowUp.Status.OPEN
    return FollowUpFactory(beneficiary=beneficiary, opened_on=opened_on, closed_on=closed_on, status=status)


@pytest.fixture
def year_2023(gpsea):
    """Records of 2023, quarter by quarter (the expected cells are in ``EXPECTED``)."""
    before = person(date(2022, 12, 31))  # followed all year, not a new entry
    january = person(date(2023, 1, 15), closed_on=date(2023, 5, 10))  # followed Q1 and Q2
    person(date(2023, 3, 31))
    april = person(date(2023, 4, 1))
    october = person(date(2023, 10, 1))
    person(date(2023, 11, 11))
    person(date(2023, 12, 31))
    person(date(2024, 1, 1))  # next year
    # Aller-vers: 12 people met in Q1, 5 in Q3; one follow-up started from the Q1 action.
    february = OutreachActionFactory(starts_at=at(2023, 2, 10, 10))
    ReachedCountFactory(action=february, count=12)
    ReachedCountFactory(action=OutreachActionFactory(starts_at=at(2023, 8, 1, 10)), count=5)
    OutreachActionFactory(starts_at=at(2023, 5, 1, 10), status=OutreachAction.Status.PLANNED)
    ActionOrigin.objects.create(action=february, follow_up=january)
    # Recruitment: one event held in Q2 (another cancelled), one hire in Q2.
    RecruitmentEventFactory(starts_at=at(2023, 5, 15, 9), status=RecruitmentEvent.Status.DONE)
    RecruitmentEventFactory(starts_at=at(2023, 5, 16, 9), status=RecruitmentEvent.Status.CANCELLED)
    InterviewFactory(candidate__follow_up=april, result=Interview.Result.HIRED, hired_on=date(2023, 5, 20))
    # One barrier lifted in Q3.
    BarrierFactory(
        follow_up=before,
        thematique="mobilite--acceder-a-un-vehicule",
        status=Barrier.Status.LIFTED,
        identified_on=date(2023, 1, 5),
        status_changed_on=date(2023, 8, 10),
    )
    # Outcomes: three jobs in Q2 (two lasting, one transition), a training in Q4, a business in Q1.
    for follow_up, kind, day in [
        (before, Outcome.Kind.LASTING_JOB, date(2023, 4, 10)),
        (april, Outcome.Kind.LASTING_JOB, date(2023, 6, 30)),
        (january, Outcome.Kind.TRANSITION_JOB, date(2023, 5, 1)),
        (october, Outcome.Kind.TRAINING, date(2023, 12, 1)),
        (before, Outcome.Kind.BUSINESS, date(2023, 2, 1)),
        (october, Outcome.Kind.TRAINING, date(2024, 1, 2)),
    ]:
        Outcome.objects.create(follow_up=follow_up, kind=kind, occurred_on=day)
    # The 2023 plan: recruitment in the first half, barriers from April, an abandoned action in Q4.
    plan = ActionPlanFactory(
        territory=gpsea,
        starts_on=date(2023, 1, 1),
        ends_on=date(2023, 12, 31),
        status=ActionPlan.Status.ADOPTED,
        adopted_on=date(2022, 12, 1),
    )
    lead, other = OrganisationFactory(), OrganisationFactory()
    ActionFactory(
        plan=plan,
        number=1,
        axis=Axis.RECRUITMENT,
        starts_on=date(2023, 1, 1),
        ends_on=date(2023, 6, 30),
        lead_organisation=lead,
    )
    barriers = ActionFactory(
        plan=plan,
        number=2,
        axis=Axis.BARRIERS,
        starts_on=date(2023, 4, 1),
        ends_on=date(2023, 12, 31),
        lead_organisation=other,
    )
    barriers.partners.set([lead])
    ActionFactory(
        plan=plan,
        number=3,
        axis=Axis.PRESENCE,
        starts_on=date(2023, 10, 1),
        ends_on=date(2023, 12, 31),
        status=Action.Status.ABANDONED,
        lead_organisation=OrganisationFactory(),
    )
    return plan


# Row key → T1, T2, T3, T4, year.
EXPECTED = {
    "personnes_rencontrees": [12, 0, 5, 0, 17],
    "accompagnements_aller_vers": [1, 0, 0, 0, 1],
    "beneficiaires_suivis": [3, 4, 3, 6, 7],
    "entrees_suivi": [2, 1, 0, 3, 6],
    "actions_plan_par_axe": [1, 2, 1, 1, 2],
    f"actions_plan_par_axe:{Axis.RECRUITMENT}": [1, 1, 0, 0, 1],
    f"actions_plan_par_axe:{Axis.BARRIERS}": [0, 1, 1, 1, 1],
    f"actions_plan_par_axe:{Axis.PRESENCE}": [0, 0, 0, 0, 0],
    "actions_freins": [0, 1, 1, 1, 1],
    "freins_leves": [0, 0, 1, 0, 1],
    "actions_aller_vers": [1, 0, 1, 0, 2],
    "operations_recrutement": [0, 1, 0, 0, 1],
    "recrutements_operations": [0, 1, 0, 0, 1],
    "sorties:emploi": [0, 3, 0, 0, 3],
    f"sorties:{Outcome.Kind.LASTING_JOB}": [0, 2, 0, 0, 2],
    f"sorties:{Outcome.Kind.TRANSITION_JOB}": [0, 1, 0, 0, 1],
    f"sorties:{Outcome.Kind.TRAINING}": [0, 0, 0, 1, 1],
    "partenaires_mobilises": [1, 2, 2, 2, 2],
}


def test_every_cell_of_the_report_on_hand_computed_data(gpsea, raw_counts, year_2023):
    report = quarterly.quarterly_report(gpsea, YEAR)
    assert report["columns"] == ["T1 2023", "T2 2023", "T3 2023", "T4 2023", "Année 2023"]
    rows = quarterly.rows_by_key(report)
    for key, expected in EXPECTED.items():
        assert [cell["value"] for cell in rows[key]["cells"]] == expected, key
        assert [cell["label"] for cell in rows[key]["cells"]] == [str(v) for v in expected], key
    assert set(rows) == set(EXPECTED) | {f"actions_plan_par_axe:{axis}" for axis in Axis.values}
    assert {d["code"] for d in report["definitions"]} >= {"entrees_suivi", "sorties", "partenaires_mobilises"}


def sheet_rows(sheet) -> dict[str, list]:
    """Name of the indicator (column A) → the five cells after the unit, below the header row."""
    found, started = {}, False
    for line in sheet.iter_rows(values_only=True):
        if line and line[0] == "Indicateur":
            started = True
            continue
        if started and line and line[0] and len(line) > 2 and line[1] is not None:
            found[line[0]] = list(line[2:7])
    return found


def test_the_workbook_holds_the_same_cells_and_definitions(gpsea, raw_counts, year_2023):
    report = quarterly.quarterly_report(gpsea, YEAR)
    workbook = load_workbook(io.BytesIO(quarterly.quarterly_xlsx(report)))
    assert workbook.sheetnames == ["Synthèse", "Définitions"]
    synthesis = workbook["Synthèse"]
    assert "Rapport trimestriel" in synthesis["A1"].value and gpsea.name in synthesis["A1"].value
    assert synthesis["A2"].value.startswith("Année 2023")
    read = sheet_rows(synthesis)
    for key, row in quarterly.rows_by_key(report).items():
        assert read[row["name"]] == EXPECTED.get(key, [0, 0, 0, 0, 0]), key
    header = next(line for line in synthesis.iter_rows() if line[0].value == "Indicateur")
    assert [c.value for c in header[2:7]] == report["columns"]
    for line in synthesis.iter_rows():
        for cell in line:
            assert cell.data_type != "f"
            if isinstance(cell.value, int):
                assert cell.number_format == "#,##0"
    definitions = workbook["Définitions"]
    codes = {line[1] for line in definitions.iter_rows(values_only=True)}
    assert {"entrees_suivi", "actions_plan_par_axe", "operations_recrutement"} <= codes
    texts = " ".join(str(line[2]) for line in definitions.iter_rows(values_only=True) if line[2])
    assert "Suivis partagés ouverts pendant la période" in texts


def test_a_hidden_quarter_cannot_be_found_back_from_the_year(gpsea, settings):
    settings.SECRECY_THRESHOLD = 5
    for month, count in ((2, 3), (5, 5), (8, 6), (11, 7)):
        for day in range(count):
            person(date(YEAR, month, day + 1))
    report = quarterly.quarterly_report(gpsea, YEAR)
    cells = quarterly.rows_by_key(report)["entrees_suivi"]["cells"]
    # Q1 (3) is under the threshold; the year (21) would give it back from Q2–Q4: one more is hidden.
    assert cells[0]["label"] == "secret" and cells[0]["value"] is None
    assert sum(1 for c in cells if c["hidden"]) == 2
    assert cells[1]["label"] == "secret"  # the smallest of the others
    assert [c["value"] for c in cells[2:]] == [6, 7, 21]
    workbook = load_workbook(io.BytesIO(quarterly.quarterly_xlsx(report)))
    assert sheet_rows(workbook["Synthèse"])["Nouvelles entrées dans le suivi"] == [
        "secret",
        "secret",
        6,
        7,
        21,
    ]


def test_entries_into_employment_are_secret_when_a_part_is(gpsea, settings, year_2023):
    settings.SECRECY_THRESHOLD = 5
    report = quarterly.quarterly_report(gpsea, YEAR)
    rows = quarterly.rows_by_key(report)
    assert rows["sorties:emploi"]["cells"][1]["label"] == "secret"
    assert rows[f"sorties:{Outcome.Kind.LASTING_JOB}"]["cells"][1]["label"] == "secret"
    assert rows["actions_plan_par_axe"]["cells"][1]["label"] == "2"  # actions are not people


def test_the_pdf(gpsea, raw_counts, year_2023):
    pdf = quarterly.quarterly_pdf(quarterly.quarterly_report(gpsea, YEAR))
    assert pdf.startswith(b"%PDF")


def test_the_command_writes_the_workbook_and_the_pdf(gpsea, raw_counts, year_2023, tmp_path):
    workbook = tmp_path / "rapport.xlsx"
    out = io.StringIO()
    call_command(
        "quarterly_report", "--territory", "gpsea", "--year", "2023", "-o", str(workbook), stdout=out
    )
    assert "Rapport trimestriel 2023" in out.getvalue()
    assert sheet_rows(load_workbook(workbook)["Synthèse"])["Nouvelles entrées dans le suivi"] == [
        2,
        1,
        0,
        3,
        6,
    ]
    pdf = tmp_path / "rapport.pdf"
    call_command("quarterly_report", "--territory", "gpsea", "--year", "2023", "-o", str(pdf), stdout=out)
    assert pdf.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["--territory", "nulle-part", "--year", "2023", "-o", "r.xlsx"],
            "Territoire inconnu « nulle-part »",
        ),
        (["--territory", "gpsea", "--year", "2023", "-o", "r.csv"], "Extension inconnue « .csv »"),
        (["--territory", "gpsea", "--year", "deux mille", "-o", "r.xlsx"], "Année invalide"),
        (["--territory", "gpsea", "--year", "1999", "-o", "r.xlsx"], "Choisissez une année entre 2015"),
        (["--territory", "gpsea", "--year", "2023", "-o", "/dossier/absent/r.xlsx"], "Impossible d'écrire"),
    ],
)
def test_the_command_stops_with_a_french_message(gpsea, arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("quarterly_report", *arguments)


def test_the_pages_of_the_report(client, gpsea, raw_counts, year_2023):
    client.force_login(member("funder"))
    page = client.get(reverse("steering:quarterly") + "?annee=2023")
    assert page.status_code == 200
    assert "Nouvelles entrées dans le suivi" in page.content.decode()
    workbook = client.get(reverse("steering:quarterly_xlsx") + "?annee=2023")
    assert workbook["Content-Disposition"] == 'attachment; filename="rapport-trimestriel-gpsea-2023.xlsx"'
    assert sheet_rows(load_workbook(io.BytesIO(workbook.content))["Synthèse"])["Freins levés"] == [
        0,
        0,
        1,
        0,
        1,
    ]
    pdf = client.get(reverse("steering:quarterly_pdf") + "?annee=2023")
    assert pdf.content.startswith(b"%PDF")
    # A year out of range is an error on the form, and the page shows this year.
    wrong = client.get(reverse("steering:quarterly") + "?annee=1990")
    assert wrong.status_code == 200
    assert "Choisissez une année entre 2015" in wrong.content.decode()
    client.force_login(member("elected"))
    assert client.get(reverse("steering:quarterly")).status_code == 403
    assert client.get(reverse("steering:quarterly_xlsx")).status_code == 403
