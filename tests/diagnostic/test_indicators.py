"""The indicator registry, every built-in indicator on small hand-computed data, and imported statistics.

Everything happens in the real GPSEA territory (perimeter and QPV loaded by ``load_reference``).
The period is the second quarter of 2024 (1 April – 30 June) unless a test says otherwise. Raw
counts are checked with ``SECRECY_THRESHOLD = 1`` (nothing hidden); secrecy at the default 5 has
its own tests.

Each test of an indicator is marked ``@covers(code)``; ``test_every_built_in_indicator_has_a_test``
fails as soon as an indicator is registered without one.
"""

from datetime import date, datetime
from itertools import product
from zoneinfo import ZoneInfo

import pytest

from cite_emploi.diagnostic import content, indicators
from cite_emploi.diagnostic.indicators import (
    Figure,
    Period,
    UnknownIndicator,
    UnsupportedBreakdown,
    compute,
    display,
    format_value,
)
from cite_emploi.diagnostic.models import Level
from cite_emploi.diagnostic.places import commune_values, qpv_communes, qpv_values
from cite_emploi.diagnostic.reference import surface_km2
from cite_emploi.followup import services
from cite_emploi.followup.models import Barrier, Outcome, Referral
from cite_emploi.outreach.models import ActionOrigin, Interview, OutreachAction
from cite_emploi.partners.models import OrganisationKind
from cite_emploi.territory.models import QPV, Commune
from tests.accounts.factories import UserFactory
from tests.core.test_secrecy import found_by_linear_algebra
from tests.diagnostic.factories import DatasetFactory, ObservationFactory
from tests.followup.factories import (
    BarrierFactory,
    BeneficiaryFactory,
    FollowUpFactory,
    FollowUpMemberFactory,
)
from tests.outreach.factories import InterviewFactory, OutreachActionFactory, ReachedCountFactory
from tests.partners.factories import OrganisationFactory, saved_service

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
Q2 = Period.quarter(2024, 2)

# QPV of the current perimeter, and the communes of GPSEA they lie in.
MONT_MESLY, BLEUETS = "QN09405M", "QN09406I"  # Créteil only
CHANTEREINE = "QN09404M"  # Alfortville only
HAIE_GRISELLE = "QN09403M"  # Boissy-Saint-Léger and Limeil-Brévannes
NOT_IN_PERIMETER = "QN09401M"  # a Val-de-Marne QPV outside GPSEA
CRETEIL, ALFORTVILLE, BOISSY, LIMEIL = "94028", "94002", "94004", "94044"
CHAMPIGNY = "94017"  # outside GPSEA
EPT = "200058006"

EMPLOI = "trouver-un-emploi--faire-des-candidatures-spontanees"
MOBILITE = "mobilite--acceder-a-un-vehicule"
MOBILITE_2 = "mobilite--preparer-un-permis"
SANTE = "sante--acces-aux-soins"
FAMILLE = "famille--garde-denfants"
LOGEMENT = "logement-hebergement--louer-un-logement"

TESTED: set[str] = set()


def covers(*codes):
    """Mark a test as checking these indicators (see the guard test at the end)."""

    def decorator(test):
        TESTED.update(codes)
        return test

    return decorator


@pytest.fixture
def raw_counts(settings):
    settings.SECRECY_THRESHOLD = 1


@pytest.fixture
def default_secrecy(settings):
    settings.SECRECY_THRESHOLD = 5


# --- helpers ----------------------------------------------------------------------------------------


def qpv(code):
    return QPV.objects.get(code=code, geography_year=2024) if code else None


def commune(code):
    return Commune.objects.get(code=code) if code else None


def person(qpv_code=MONT_MESLY, commune_code=CRETEIL, *, born=date(1990, 5, 1), sex="F", **follow_up):
    """A person of GPSEA with a follow-up (opened on 15 January 2024 unless told)."""
    territory = follow_up.pop("territory", None)
    fields = {"territory": territory} if territory else {}
    beneficiary = BeneficiaryFactory(
        qpv=qpv(qpv_code), commune=commune(commune_code), birth_date=born, sex=sex, **fields
    )
    follow_up.setdefault("opened_on", date(2024, 1, 15))
    return FollowUpFactory(beneficiary=beneficiary, **follow_up)


def barrier(follow_up, thematique, *, status=Barrier.Status.IDENTIFIED, identified, changed=None):
    return BarrierFactory(
        follow_up=follow_up,
        thematique=thematique,
        status=status,
        identified_on=identified,
        status_changed_on=changed or identified,
    )


def paris(*args):
    return datetime(*args, tzinfo=PARIS)


@pytest.fixture
def referral_of():
    """``referral_of(follow_up, status, sent_at, …)``: a referral from one organisation to another's service."""
    sender = UserFactory()
    sending = OrganisationFactory()
    service = saved_service(thematiques=[EMPLOI])

    def make(follow_up, status=Referral.Status.SENT, sent_at=None, answered_at=None, barrier=None):
        return Referral.objects.create(
            follow_up=follow_up,
            service=service,
            barrier=barrier,
            sender=sender,
            sender_organisation=sending,
            receiving_organisation=service.organisation,
            status=status,
            sent_at=sent_at,
            answered_at=answered_at,
        )

    return make


MID_MAY = datetime(2024, 5, 14, 10, tzinfo=PARIS)


def action(qpv_code=MONT_MESLY, commune_code=None, *, at=MID_MAY, **fields):
    return OutreachActionFactory(qpv=qpv(qpv_code), commune=commune(commune_code), starts_at=at, **fields)


def values(table, dimension=None):
    """{key: value} along one dimension (the others at their total), ``None`` for the total."""
    dimension = dimension or table.dims[0]
    found = {key: figure.value for key, _, figure in table.series(dimension, keep_empty=True)}
    return {**found, None: table.total.value}


def groups_of(table):
    """The (total, cells) groups of a count cube, as the registry builds them for secondary suppression."""
    axes = [[k for k, _ in table.values[d]] for d in table.dims]
    result = []
    for i in range(len(table.dims)):
        others = [[*axis, None] for j, axis in enumerate(axes) if j != i]
        for rest in product(*others):

            def at(k, rest=rest, i=i):
                return (*rest[:i], k, *rest[i:])

            result.append((at(None), [at(k) for k in axes[i]]))
    return result


def assert_margins_are_sums(table):
    for total, cells in groups_of(table):
        assert table.cells[total].value == sum(table.cells[c].value for c in cells), total


def assert_no_hidden_figure_is_alone(table):
    for total, cells in groups_of(table):
        unknown = [k for k in (total, *cells) if table.cells[k].hidden]
        assert len(unknown) != 1, (total, unknown)


# --- places and periods ------------------------------------------------------------------------------


def test_the_places_of_the_tests_are_those_of_the_gpsea_perimeter(gpsea):
    qpv_codes = [code for code, _ in qpv_values(gpsea)]
    commune_codes = [code for code, _ in commune_values(gpsea)]
    assert {MONT_MESLY, BLEUETS, CHANTEREINE, HAIE_GRISELLE} <= set(qpv_codes)
    assert NOT_IN_PERIMETER not in qpv_codes and len(qpv_codes) == 9
    assert {CRETEIL, ALFORTVILLE, BOISSY, LIMEIL} <= set(commune_codes) and CHAMPIGNY not in commune_codes
    assert qpv_communes(gpsea)[MONT_MESLY] == [(CRETEIL, "Créteil")]
    assert [c for c, _ in qpv_communes(gpsea)[HAIE_GRISELLE]] == [BOISSY, LIMEIL]


def test_quarters_and_years_cover_their_first_and_last_days():
    assert Period.quarter(2024, 1) == Period(date(2024, 1, 1), date(2024, 3, 31))
    assert Period.quarter(2024, 2) == Period(date(2024, 4, 1), date(2024, 6, 30))
    assert Period.quarter(2024, 3) == Period(date(2024, 7, 1), date(2024, 9, 30))
    assert Period.quarter(2024, 4) == Period(date(2024, 10, 1), date(2024, 12, 31))
    assert Period.year(2024) == Period(date(2024, 1, 1), date(2024, 12, 31))
    assert str(Q2) == Q2.label == "du 1er avril 2024 au 30 juin 2024"


def test_twelve_months_end_on_the_day_and_start_the_day_after_a_year_before():
    assert Period.twelve_months_to(date(2025, 6, 30)) == Period(date(2024, 7, 1), date(2025, 6, 30))
    assert Period.twelve_months_to(date(2024, 12, 31)) == Period(date(2024, 1, 1), date(2024, 12, 31))
    # 29 February: there is no 29 February 2023, so the year starts on 1 March 2023.
    assert Period.twelve_months_to(date(2024, 2, 29)) == Period(date(2023, 3, 1), date(2024, 2, 29))
    assert Period.twelve_months_to(date(2024, 2, 28)) == Period(date(2023, 3, 1), date(2024, 2, 28))
    assert Period.twelve_months_to(date(2025, 2, 28)) == Period(date(2024, 2, 29), date(2025, 2, 28))
    assert Period.twelve_months_to(date(2024, 3, 1)) == Period(date(2023, 3, 2), date(2024, 3, 1))


def test_figures_read_in_french():
    assert format_value(1234) == "1\u202f234"
    assert format_value(12.5, "%") == "12,5\u00a0%"
    assert format_value(3.0, "jours") == "3"
    assert display(Figure(3, hidden=True)) == "secret"
    assert display(Figure(12, hidden=True)) == "secret"
    assert display(Figure(2.5, hidden=True), "jours", "median") == "non diffusé"
    assert display(Figure(None)) == "—" and display(None) == "—"


# --- errors ----------------------------------------------------------------------------------------------


def test_a_breakdown_the_indicator_does_not_have_is_refused_in_french(gpsea):
    with pytest.raises(
        UnsupportedBreakdown, match="« Population municipale » ne se ventile pas par Quartier"
    ):
        compute("population", gpsea, Q2, by=("qpv",))
    with pytest.raises(UnsupportedBreakdown, match="ne se ventile pas par Tranche d'âge"):
        compute("actions_aller_vers", gpsea, Q2, by=("commune", "age_group"))
    with pytest.raises(UnsupportedBreakdown, match="ne se restreint pas"):
        compute("population", gpsea, Q2, where={"qpv": MONT_MESLY})
    with pytest.raises(UnsupportedBreakdown, match="ne se restreint pas"):
        compute("beneficiaires_suivis", gpsea, Q2, where={"age_group": "jeunes"})
    with pytest.raises(UnknownIndicator, match="Indicateur inconnu : nulle_part"):
        compute("nulle_part", gpsea, Q2)


# --- personnes suivies -----------------------------------------------------------------------------------


@covers("beneficiaires_suivis")
def test_people_followed_are_those_whose_follow_up_was_open_at_some_point_of_the_period(
    gpsea, other_territory, raw_counts
):
    person(opened_on=date(2024, 6, 30))  # opened on the last day
    person(opened_on=date(2024, 7, 1))  # the day after
    person(opened_on=date(2023, 1, 1), closed_on=date(2024, 4, 1))  # closed on the first day
    person(opened_on=date(2023, 1, 1), closed_on=date(2024, 3, 31))  # closed the day before
    person(opened_on=date(2022, 5, 5))  # still open
    person(opened_on=date(2024, 5, 5), territory=other_territory)
    assert compute("beneficiaires_suivis", gpsea, Q2).total.value == 3


@covers("entrees_suivi")
def test_entries_are_the_follow_ups_opened_from_the_first_to_the_last_day(gpsea, raw_counts):
    for opened in (date(2024, 3, 31), date(2024, 4, 1), date(2024, 6, 30), date(2024, 7, 1)):
        person(opened_on=opened)
    person(opened_on=date(2024, 5, 2), closed_on=date(2024, 5, 20))
    assert compute("entrees_suivi", gpsea, Q2).total.value == 3
    assert values(compute("entrees_suivi", gpsea, Period.quarter(2024, 1), by=("sex",))) == {
        "F": 1,
        "M": 0,
        "": 0,
        None: 1,
    }


@covers("beneficiaires_suivis")
def test_the_age_group_is_taken_at_the_end_of_the_period_on_the_exact_birthday(gpsea, raw_counts):
    person(born=date(1998, 6, 30))  # 26 on 30 June 2024
    person(born=date(1998, 7, 1))  # still 25
    person(born=date(1974, 6, 30))  # 50 on 30 June 2024
    person(born=date(1974, 7, 1))  # still 49
    assert values(compute("beneficiaires_suivis", gpsea, Q2, by=("age_group",))) == {
        "jeunes": 1,
        "adultes": 2,
        "seniors": 1,
        "": 0,
        None: 4,
    }
    # At the end of March the first one is 25 and the third one 49.
    assert values(compute("beneficiaires_suivis", gpsea, Period.quarter(2024, 1), by=("age_group",))) == {
        "jeunes": 2,
        "adultes": 2,
        "seniors": 0,
        "": 0,
        None: 4,
    }


@covers("beneficiaires_suivis")
def test_sex_commune_and_qpv_with_the_outside_buckets(gpsea, raw_counts):
    person(MONT_MESLY, CRETEIL, sex="F")
    person(BLEUETS, CRETEIL, sex="M")
    person(CHANTEREINE, ALFORTVILLE, sex="F")
    person(NOT_IN_PERIMETER, CHAMPIGNY, sex="F")  # lives outside GPSEA
    person(None, None, sex="M")  # not located
    assert values(compute("beneficiaires_suivis", gpsea, Q2, by=("sex",))) == {"F": 3, "M": 2, "": 0, None: 5}
    by_commune = values(compute("beneficiaires_suivis", gpsea, Q2, by=("commune",)))
    assert (by_commune[CRETEIL], by_commune[ALFORTVILLE], by_commune[BOISSY]) == (2, 1, 0)
    assert by_commune[""] == 2 and by_commune[None] == 5
    by_qpv = values(compute("beneficiaires_suivis", gpsea, Q2, by=("qpv",)))
    assert (by_qpv[MONT_MESLY], by_qpv[BLEUETS], by_qpv[CHANTEREINE], by_qpv[HAIE_GRISELLE]) == (1, 1, 1, 0)
    assert by_qpv[""] == 2 and by_qpv[None] == 5
    assert NOT_IN_PERIMETER not in by_qpv
    table = compute("beneficiaires_suivis", gpsea, Q2, by=("qpv",))
    assert [label for key, label, _ in table.series("qpv") if key == ""] == [
        "Hors QPV du périmètre ou non localisé"
    ]


@covers("beneficiaires_suivis")
def test_where_restricts_the_population_to_one_commune_or_one_qpv(gpsea, raw_counts):
    person(MONT_MESLY, CRETEIL)
    person(MONT_MESLY, CRETEIL, sex="M")
    person(BLEUETS, CRETEIL)
    person(CHANTEREINE, ALFORTVILLE)
    assert compute("beneficiaires_suivis", gpsea, Q2, where={"commune": CRETEIL}).total.value == 3
    assert compute("beneficiaires_suivis", gpsea, Q2, where={"qpv": MONT_MESLY}).total.value == 2
    restricted = compute("beneficiaires_suivis", gpsea, Q2, by=("qpv",), where={"commune": CRETEIL})
    assert values(restricted)[MONT_MESLY] == 2 and values(restricted)[CHANTEREINE] == 0
    assert restricted.where == {"commune": CRETEIL}
    by_sex = compute("beneficiaires_suivis", gpsea, Q2, by=("sex",), where={"qpv": MONT_MESLY})
    assert values(by_sex) == {"F": 1, "M": 1, "": 0, None: 2}


@covers("beneficiaires_suivis")
def test_margins_of_a_count_are_the_sums_of_their_cells(gpsea, raw_counts):
    for i, (q, c) in enumerate(
        [(MONT_MESLY, CRETEIL), (BLEUETS, CRETEIL), (CHANTEREINE, ALFORTVILLE), (None, None)]
    ):
        for j in range(i + 1):
            person(q, c, born=date(1960 + 15 * (j % 3), 1, 1), sex="FM"[j % 2])
    table = compute("beneficiaires_suivis", gpsea, Q2, by=("qpv", "age_group", "sex"))
    assert table.total.value == 10
    assert table.get(MONT_MESLY, None, None).value == 1
    assert table.get(None, "seniors", None).value == 5  # born in 1960: j = 0 (four times) and j = 3
    assert_margins_are_sums(table)
    assert not any(f.hidden for f in table.cells.values())


@covers("beneficiaires_suivis")
def test_at_the_default_threshold_small_counts_are_hidden_and_protected(gpsea, default_secrecy):
    for _ in range(3):
        person(MONT_MESLY, CRETEIL)
    for _ in range(8):
        person(BLEUETS, CRETEIL)
    for _ in range(9):
        person(CHANTEREINE, ALFORTVILLE)
    table = compute("beneficiaires_suivis", gpsea, Q2, by=("qpv",))
    mont_mesly, bleuets, chantereine = (table.get(q) for q in (MONT_MESLY, BLEUETS, CHANTEREINE))
    assert mont_mesly.hidden and table.label(mont_mesly) == "secret"
    # 8 would give 3 back from the total: the smallest other count is hidden too.
    assert bleuets.hidden and table.label(bleuets) == "secret"
    assert not chantereine.hidden and table.label(chantereine) == "9"
    assert not table.total.hidden and table.total.value == 20
    assert not table.get(HAIE_GRISELLE).hidden and table.get(HAIE_GRISELLE).value == 0


@covers("beneficiaires_suivis")
def test_the_label_of_a_hidden_count_does_not_tell_how_small_it_is(gpsea, default_secrecy):
    # 1 + 5 = 6. Were they read « < 5 » (1 to 4) and « secret » (5 or more) under a total of 6, the two
    # hidden counts can only be 1 and 5: both are found back.
    person(MONT_MESLY, CRETEIL)
    for _ in range(5):
        person(BLEUETS, CRETEIL)
    table = compute("beneficiaires_suivis", gpsea, Q2, by=("qpv",))
    assert table.get(MONT_MESLY).hidden and table.get(BLEUETS).hidden and table.label(table.total) == "6"
    assert table.label(table.get(MONT_MESLY)) == table.label(table.get(BLEUETS))


@covers("beneficiaires_suivis")
def test_secondary_suppression_holds_in_every_direction_of_a_cube(gpsea, default_secrecy):
    spread = [
        (MONT_MESLY, CRETEIL, date(1999, 1, 1), "F", 6),
        (MONT_MESLY, CRETEIL, date(1980, 1, 1), "M", 2),
        (BLEUETS, CRETEIL, date(1980, 1, 1), "F", 7),
        (BLEUETS, CRETEIL, date(1960, 1, 1), "M", 1),
        (CHANTEREINE, ALFORTVILLE, date(1999, 1, 1), "M", 5),
        (None, None, date(1980, 1, 1), "F", 3),
    ]
    for q, c, born, sex, n in spread:
        for _ in range(n):
            person(q, c, born=born, sex=sex)
    table = compute("beneficiaires_suivis", gpsea, Q2, by=("qpv", "age_group", "sex"))
    assert table.total.value == 24
    assert table.get(BLEUETS, "seniors", "M").hidden and table.get(MONT_MESLY, "adultes", "M").hidden
    assert_no_hidden_figure_is_alone(table)
    assert not found_by_linear_algebra(table.cells, groups_of(table))
    assert not any(f.hidden for f in table.cells.values() if f.value == 0)


# --- freins ----------------------------------------------------------------------------------------------


@covers("freins_identifies", "freins_leves", "freins_a_lever")
def test_barriers_identified_lifted_and_left_to_lift(gpsea, raw_counts):
    mont_mesly, bleuets = person(MONT_MESLY, CRETEIL), person(BLEUETS, CRETEIL)
    barrier(mont_mesly, MOBILITE, identified=date(2024, 4, 1))
    barrier(
        mont_mesly,
        SANTE,
        status=Barrier.Status.LIFTED,
        identified=date(2024, 3, 31),
        changed=date(2024, 6, 30),
    )
    barrier(bleuets, MOBILITE_2, status=Barrier.Status.IN_PROGRESS, identified=date(2024, 6, 30))
    barrier(bleuets, FAMILLE, identified=date(2024, 7, 1))  # after the period
    # Lifted the day after the period: still to lift on its last day.
    barrier(
        bleuets, SANTE, status=Barrier.Status.LIFTED, identified=date(2023, 1, 1), changed=date(2024, 7, 1)
    )
    barrier(mont_mesly, LOGEMENT, identified=date(2023, 2, 2))  # before the period, still to lift
    barrier(mont_mesly, EMPLOI, status=Barrier.Status.NOT_LIFTED, identified=date(2023, 2, 2))

    identified = compute("freins_identifies", gpsea, Q2, by=("category",))
    assert {k: v for k, v in values(identified).items() if v} == {"mobilite": 2, None: 2}
    lifted = compute("freins_leves", gpsea, Q2, by=("category",))
    assert {k: v for k, v in values(lifted).items() if v} == {"sante": 1, None: 1}
    to_lift = compute("freins_a_lever", gpsea, Q2, by=("qpv", "category"))
    assert to_lift.get(MONT_MESLY, "mobilite").value == 1
    assert to_lift.get(BLEUETS, "mobilite").value == 1
    assert to_lift.get(MONT_MESLY, "logement-hebergement").value == 1
    assert to_lift.get(BLEUETS, "sante").value == 1
    assert to_lift.get(MONT_MESLY, None).value == 2 and to_lift.total.value == 4
    assert to_lift.get(None, "mobilite").value == 2
    assert_margins_are_sums(to_lift)
    # By age group and sex, the person's: both women of 34 at the end of June.
    assert values(compute("freins_a_lever", gpsea, Q2, by=("age_group",)))["adultes"] == 4


@covers("freins_leves", "freins_a_lever")
def test_barriers_are_counted_with_their_status_of_the_day_not_of_today(gpsea, raw_counts):
    # Figures of a past quarter must not move when a barrier changes afterwards.
    follow_up = person(MONT_MESLY, CRETEIL)
    user = FollowUpMemberFactory(follow_up=follow_up).user
    came_back = services.add_barrier(follow_up, thematique=SANTE, by=user, identified_on=date(2024, 3, 1))
    for status, day in [("in_progress", date(2024, 4, 2)), ("lifted", date(2024, 5, 6))]:
        services.change_barrier_status(came_back, status, by=user, on=day)
    lifted_later = services.add_barrier(
        follow_up, thematique=MOBILITE, by=user, identified_on=date(2024, 3, 1)
    )
    for status, day in [("in_progress", date(2024, 6, 1)), ("lifted", date(2024, 8, 1))]:
        services.change_barrier_status(lifted_later, status, by=user, on=day)
    services.change_barrier_status(came_back, "identified", by=user, on=date(2024, 9, 9))  # it came back

    assert values(compute("freins_leves", gpsea, Q2, by=("category",)))[None] == 1  # sante, in May
    to_lift = values(compute("freins_a_lever", gpsea, Q2, by=("category",)))
    assert {k: v for k, v in to_lift.items() if v} == {"mobilite": 1, None: 1}  # lifted in August only
    assert [(c.status, c.changed_on) for c in came_back.status_changes.order_by("changed_on", "pk")] == [
        ("identified", date(2024, 3, 1)),
        ("in_progress", date(2024, 4, 2)),
        ("lifted", date(2024, 5, 6)),
        ("identified", date(2024, 9, 9)),
    ]


# --- orientations ----------------------------------------------------------------------------------------


@covers("orientations")
def test_referrals_sent_during_the_period_in_paris_time_by_status_and_category(
    gpsea, raw_counts, referral_of
):
    follow_up = person(MONT_MESLY, CRETEIL)
    mobility = barrier(follow_up, MOBILITE, identified=date(2024, 3, 1))
    accepted, refused = Referral.Status.ACCEPTED, Referral.Status.REFUSED
    referral_of(follow_up, accepted, paris(2024, 3, 31, 23, 59), barrier=mobility)  # the day before
    referral_of(follow_up, accepted, paris(2024, 4, 1, 0, 0), barrier=mobility)  # first minute
    referral_of(follow_up, refused, paris(2024, 6, 30, 23, 59, 59))  # last second, for no barrier
    referral_of(follow_up, accepted, paris(2024, 7, 1, 0, 30))  # 30 June 22:30 in UTC, but July in Paris
    referral_of(follow_up, Referral.Status.DRAFT)  # never sent
    assert compute("orientations", gpsea, Q2).total.value == 2
    by_status = values(compute("orientations", gpsea, Q2, by=("status",)))
    assert {k: v for k, v in by_status.items() if v} == {"accepted": 1, "refused": 1, None: 2}
    assert "draft" not in by_status
    by_category = values(compute("orientations", gpsea, Q2, by=("category",)))
    assert {k: v for k, v in by_category.items() if v} == {"mobilite": 1, "": 1, None: 2}
    assert compute("orientations", gpsea, Q2, by=("qpv",)).get(MONT_MESLY).value == 2


@covers("delai_reponse_orientations")
def test_median_answer_time_with_odd_and_even_samples(gpsea, raw_counts, referral_of):
    sent = paris(2024, 5, 1, 9)
    mont_mesly, bleuets = person(MONT_MESLY, CRETEIL), person(BLEUETS, CRETEIL)
    for days in (1, 2, 6):
        referral_of(mont_mesly, Referral.Status.ACCEPTED, sent, sent.replace(day=1 + days))
    for days in (1, 3, 5, 10):
        referral_of(bleuets, Referral.Status.REFUSED, sent, sent.replace(day=1 + days))
    # Answered after the period: not counted (it will count in the third quarter).
    referral_of(bleuets, Referral.Status.ACCEPTED, paris(2024, 6, 20), paris(2024, 7, 1, 0, 30))
    table = compute("delai_reponse_orientations", gpsea, Q2, by=("qpv",))
    assert table.get(MONT_MESLY).value == 2  # 1, 2, 6
    assert table.get(BLEUETS).value == 4  # 1, 3, 5, 10
    assert table.total.value == 3  # 1, 1, 2, 3, 5, 6, 10
    assert table.get(CHANTEREINE).value is None and table.label(table.get(CHANTEREINE)) == "—"
    assert compute("delai_reponse_orientations", gpsea, Q2, where={"qpv": BLEUETS}).total.value == 4
    by_commune = compute("delai_reponse_orientations", gpsea, Q2, by=("commune",))
    assert by_commune.get(CRETEIL).value == 3
    first_days = compute("delai_reponse_orientations", gpsea, Period(date(2024, 5, 1), date(2024, 5, 4)))
    assert first_days.total.value == 1.5  # answered by 4 May: after 1, 1, 2 and 3 days


@covers("delai_reponse_orientations")
def test_median_answer_time_is_not_shown_on_fewer_referrals_than_the_threshold(
    gpsea, default_secrecy, referral_of
):
    sent = paris(2024, 5, 1, 9)
    mont_mesly, bleuets = person(MONT_MESLY, CRETEIL), person(BLEUETS, CRETEIL)
    for days in (1, 2, 6):
        referral_of(mont_mesly, Referral.Status.ACCEPTED, sent, sent.replace(day=1 + days))
    for days in (1, 3, 5, 10):
        referral_of(bleuets, Referral.Status.ACCEPTED, sent, sent.replace(day=1 + days))
    table = compute("delai_reponse_orientations", gpsea, Q2, by=("qpv",))
    assert table.get(MONT_MESLY).hidden and table.label(table.get(MONT_MESLY)) == "non diffusé"
    assert table.get(BLEUETS).hidden
    assert not table.total.hidden and table.label(table.total) == "3"


# --- sorties ---------------------------------------------------------------------------------------------


@covers("sorties")
def test_outcomes_dated_in_the_period_by_kind(gpsea, raw_counts):
    follow_up = person(MONT_MESLY, CRETEIL, sex="M")
    for kind, day in [
        (Outcome.Kind.LASTING_JOB, date(2024, 4, 1)),
        (Outcome.Kind.TRAINING, date(2024, 6, 30)),
        (Outcome.Kind.TRAINING, date(2024, 5, 15)),
        (Outcome.Kind.LASTING_JOB, date(2024, 3, 31)),
        (Outcome.Kind.BUSINESS, date(2024, 7, 1)),
    ]:
        Outcome.objects.create(follow_up=follow_up, kind=kind, occurred_on=day)
    table = compute("sorties", gpsea, Q2, by=("kind", "sex"))
    assert {k: v for k, v in values(table, "kind").items() if v} == {
        "emploi-durable": 1,
        "formation": 2,
        None: 3,
    }
    assert table.get(None, "M").value == 3 and table.get("formation", "F").value == 0
    assert_margins_are_sums(table)


# --- aller-vers et recrutement -----------------------------------------------------------------------


@pytest.fixture
def actions(gpsea, other_territory):
    done = OutreachAction.Status.DONE
    return {
        "mont_mesly": action(MONT_MESLY, None, at=paris(2024, 4, 1, 0, 0)),  # placed by its quartier only
        "haie_griselle": action(HAIE_GRISELLE, None),  # a quartier of two communes
        "alfortville": action(None, ALFORTVILLE, at=paris(2024, 6, 30, 23, 30)),
        "planned": action(MONT_MESLY, None, status=OutreachAction.Status.PLANNED),
        "cancelled": action(MONT_MESLY, None, status=OutreachAction.Status.CANCELLED),
        "july": action(MONT_MESLY, CRETEIL, at=paris(2024, 7, 1, 0, 30), status=done),
        "march": action(MONT_MESLY, CRETEIL, at=paris(2024, 3, 31, 23, 30), status=done),
        "elsewhere": action(None, None, territory=other_territory),
    }


@covers("actions_aller_vers")
def test_outreach_actions_done_in_the_period_where_they_took_place(gpsea, actions, default_secrecy):
    by_commune = values(compute("actions_aller_vers", gpsea, Q2, by=("commune",)))
    # The Mont-Mesly action counts in Créteil, the only commune of its quartier; the Haie Griselle one
    # in no commune: it could be in Boissy or in Limeil.
    assert (by_commune[CRETEIL], by_commune[ALFORTVILLE], by_commune[BOISSY], by_commune[LIMEIL]) == (
        1,
        1,
        0,
        0,
    )
    assert by_commune[""] == 1 and by_commune[None] == 3
    by_qpv = values(compute("actions_aller_vers", gpsea, Q2, by=("qpv",)))
    assert (by_qpv[MONT_MESLY], by_qpv[HAIE_GRISELLE], by_qpv[""], by_qpv[None]) == (1, 1, 1, 3)
    assert compute("actions_aller_vers", gpsea, Q2, where={"commune": CRETEIL}).total.value == 1
    assert compute("actions_aller_vers", gpsea, Q2, where={"commune": BOISSY}).total.value == 0
    assert compute("actions_aller_vers", gpsea, Q2, where={"qpv": HAIE_GRISELLE}).total.value == 1
    both = compute("actions_aller_vers", gpsea, Q2, by=("commune", "qpv"))
    assert both.get(CRETEIL, MONT_MESLY).value == 1 and both.get("", HAIE_GRISELLE).value == 1
    # Actions are not people: 1 is shown at the default threshold.
    assert not compute("actions_aller_vers", gpsea, Q2).total.hidden


@covers("personnes_rencontrees")
def test_people_reached_are_the_counts_of_the_actions_by_age_group_and_sex(gpsea, actions, raw_counts):
    ReachedCountFactory(action=actions["mont_mesly"], age_group="jeunes", sex="F", count=12)
    ReachedCountFactory(action=actions["mont_mesly"], age_group="adultes", sex="M", count=3)
    ReachedCountFactory(action=actions["haie_griselle"], age_group="", sex="", count=4)
    ReachedCountFactory(action=actions["planned"], count=50)
    ReachedCountFactory(action=actions["july"], count=60)
    table = compute("personnes_rencontrees", gpsea, Q2, by=("age_group", "sex"))
    assert table.total.value == 19
    assert table.get("jeunes", "F").value == 12 and table.get("adultes", "M").value == 3
    assert table.get("", "").value == 4 and table.get(None, "F").value == 12
    assert_margins_are_sums(table)
    assert compute("personnes_rencontrees", gpsea, Q2, where={"commune": CRETEIL}).total.value == 15
    assert values(compute("personnes_rencontrees", gpsea, Q2, by=("commune",)))[""] == 4


@covers("personnes_rencontrees")
def test_people_reached_under_the_threshold_are_hidden(gpsea, actions, default_secrecy):
    ReachedCountFactory(action=actions["mont_mesly"], count=12)
    ReachedCountFactory(action=actions["haie_griselle"], count=4)
    table = compute("personnes_rencontrees", gpsea, Q2, by=("qpv",))
    assert table.get(HAIE_GRISELLE).hidden and table.get(MONT_MESLY).hidden
    assert table.total.value == 16 and not table.total.hidden


@covers("accompagnements_aller_vers")
def test_follow_ups_started_from_an_action_of_the_period(gpsea, actions, raw_counts):
    for name in ("mont_mesly", "mont_mesly", "alfortville", "july"):
        ActionOrigin.objects.create(action=actions[name], follow_up=person())
    by_commune = values(compute("accompagnements_aller_vers", gpsea, Q2, by=("commune",)))
    assert (by_commune[CRETEIL], by_commune[ALFORTVILLE], by_commune[None]) == (2, 1, 3)
    assert compute("accompagnements_aller_vers", gpsea, Q2, where={"qpv": MONT_MESLY}).total.value == 2


@covers("recrutements_operations")
def test_hires_dated_in_the_period_at_the_place_of_the_person(gpsea, raw_counts):
    hired, not_selected = Interview.Result.HIRED, Interview.Result.NOT_SELECTED
    for q, c, result, day in [
        (MONT_MESLY, CRETEIL, hired, date(2024, 4, 1)),
        (BLEUETS, CRETEIL, hired, date(2024, 6, 30)),
        (BLEUETS, CRETEIL, hired, date(2024, 7, 1)),
        (CHANTEREINE, ALFORTVILLE, not_selected, None),
        (CHANTEREINE, ALFORTVILLE, hired, date(2024, 3, 31)),
    ]:
        InterviewFactory(candidate__follow_up=person(q, c, sex="M"), result=result, hired_on=day)
    by_qpv = values(compute("recrutements_operations", gpsea, Q2, by=("qpv",)))
    assert (by_qpv[MONT_MESLY], by_qpv[BLEUETS], by_qpv[CHANTEREINE], by_qpv[None]) == (1, 1, 0, 2)
    assert values(compute("recrutements_operations", gpsea, Q2, by=("sex",)))["M"] == 2


# --- offre de services ---------------------------------------------------------------------------------


@pytest.fixture
def offer(gpsea):
    """Four services of two organisations, placed by their zone d'éligibilité only."""
    first, second = OrganisationFactory(), OrganisationFactory()
    return [
        saved_service(organisation=first, thematiques=[EMPLOI], eligibility_zone=[ALFORTVILLE]),
        saved_service(organisation=first, thematiques=[MOBILITE], eligibility_zone=["94"]),
        saved_service(organisation=second, thematiques=[EMPLOI, FAMILLE], eligibility_zone=[CRETEIL]),
        saved_service(organisation=second, thematiques=[EMPLOI], eligibility_zone=["93048"]),  # Montreuil
    ]


@covers("services_accessibles")
def test_services_a_resident_of_each_qpv_can_use(gpsea, offer, default_secrecy):
    table = compute("services_accessibles", gpsea, Q2, by=("qpv",))
    # Alfortville's quartiers: the emploi service of Alfortville and the mobilité one of the 94.
    assert table.get(CHANTEREINE).value == 2 and table.get("QN09439N").value == 2
    # Créteil's: the Créteil one and the 94 one. Elsewhere: only the 94 one (1, a count of services: shown).
    assert table.get(MONT_MESLY).value == 2 and table.get(BLEUETS).value == 2
    assert table.get(HAIE_GRISELLE).value == 1 and not table.get(HAIE_GRISELLE).hidden
    assert table.get("").value is None
    # The territory: services reachable from at least one QPV (not the Montreuil one).
    assert table.total.value == 3
    assert compute("services_accessibles", gpsea, Q2, where={"qpv": CHANTEREINE}).total.value == 2


@covers("partenaires_mobilisables")
def test_partners_with_a_service_a_resident_of_each_qpv_can_use(gpsea, offer):
    table = compute("partenaires_mobilisables", gpsea, Q2, by=("qpv",))
    assert table.get(CHANTEREINE).value == 1  # both services are the first organisation's
    assert table.get(MONT_MESLY).value == 2
    assert table.get(HAIE_GRISELLE).value == 1
    assert table.total.value == 2


@covers("services_par_categorie")
def test_services_of_the_census_by_category(gpsea, offer):
    table = compute("services_par_categorie", gpsea, Q2, by=("category",))
    assert {k: v for k, v in values(table).items() if v} == {
        "trouver-un-emploi": 3,
        "mobilite": 1,
        "famille": 1,
        None: 4,  # each service once, though one has two categories
    }
    assert compute("services_par_categorie", gpsea, Q2).total.value == 4


@covers("partenaires_par_nature")
def test_partners_by_kind(gpsea, other_territory, default_secrecy):
    for kind in (OrganisationKind.ASSOCIATION, OrganisationKind.ASSOCIATION, OrganisationKind.MISSION_LOCALE):
        OrganisationFactory(kind=kind)
    OrganisationFactory(kind=OrganisationKind.PLIE, territory=other_territory)
    table = compute("partenaires_par_nature", gpsea, Q2, by=("kind",))
    assert {k: v for k, v in values(table).items() if v} == {"association": 2, "mission-locale": 1, None: 3}
    assert not any(f.hidden for f in table.cells.values())  # organisations are not people
    assert compute("partenaires_par_nature", gpsea, Q2).total.value == 3


# --- the territory -----------------------------------------------------------------------------------


@covers("population")
def test_population_of_the_communes_and_of_the_territory(gpsea):
    populations = dict(gpsea.communes.values_list("code", "population"))
    assert len(populations) == 16 and all(populations.values())
    table = compute("population", gpsea, Q2, by=("commune",))
    assert table.get(CRETEIL).value == populations[CRETEIL]
    assert table.total.value == sum(populations.values())
    assert table.get("").value is None
    assert compute("population", gpsea, Q2, where={"commune": BOISSY}).total.value == populations[BOISSY]
    assert compute("population", gpsea, Period.year(2020)).total.value == table.total.value


@covers("nombre_qpv")
def test_number_of_qpv_of_the_territory_and_of_each_commune(gpsea):
    table = compute("nombre_qpv", gpsea, Q2, by=("commune",))
    assert table.total.value == 9
    # Limeil-Brévannes: Saint-Martin and La Haie Griselle (shared with Boissy).
    assert values(table)[LIMEIL] == 2 and values(table)[BOISSY] == 1
    assert values(table)[CRETEIL] == 2 and values(table)[ALFORTVILLE] == 2
    assert values(table)["94047"] == 0  # Mandres-les-Roses
    assert sum(v for k, v in values(table).items() if k) == 10  # not a count that adds up
    assert compute("nombre_qpv", gpsea, Q2, where={"commune": LIMEIL}).total.value == 2


def test_surface_of_a_small_square_worked_out_by_hand():
    # 0.01° × 0.01° at 48.8° N: 1.11195 km × 1.11195 km × cos(48.8°) = 0.8145 km².
    square = {
        "type": "Polygon",
        "coordinates": [[[2.45, 48.795], [2.46, 48.795], [2.46, 48.805], [2.45, 48.805], [2.45, 48.795]]],
    }
    assert surface_km2(square) == pytest.approx(0.8145, abs=0.0005)
    assert surface_km2(None) is None


@covers("superficie_qpv")
def test_surface_of_the_qpv(gpsea):
    table = compute("superficie_qpv", gpsea, Q2, by=("qpv",))
    surfaces = {k: v for k, v in values(table).items() if k}
    assert len(surfaces) == 9 and all(0 < v < 5 for v in surfaces.values())
    assert table.total.value == pytest.approx(sum(surfaces.values()), abs=0.05)
    assert table.get("").value is None
    alone = compute("superficie_qpv", gpsea, Q2, where={"qpv": MONT_MESLY})
    assert alone.total.value == table.get(MONT_MESLY).value
    assert compute("superficie_qpv", gpsea, Q2).total.value == table.total.value


# --- imported statistics -----------------------------------------------------------------------------


def observation(dataset, value, period="2023", level=Level.QPV, geo_code=MONT_MESLY, **fields):
    return ObservationFactory(
        dataset=dataset, value=value, period=period, level=level, geo_code=geo_code, **fields
    )


def test_the_latest_period_ending_on_or_before_the_end_wins(gpsea, default_secrecy):
    dataset = DatasetFactory()
    observation(dataset, 100, "2022")
    observation(dataset, 120, "2023")
    observation(dataset, 150, "2025")
    code = "demandeurs_emploi_abc"
    assert compute(code, gpsea, Period.year(2024), by=("qpv",)).get(MONT_MESLY).value == 120
    assert compute(code, gpsea, Period.year(2025), by=("qpv",)).get(MONT_MESLY).value == 150
    assert (
        compute(code, gpsea, Period(date(2023, 1, 1), date(2023, 12, 30)), by=("qpv",)).get(MONT_MESLY).value
        == 100
    )
    assert compute(code, gpsea, Period.year(2021), by=("qpv",)).get(MONT_MESLY).value is None
    # The same period in a dataset imported later replaces the figure.
    observation(DatasetFactory(), 125, "2023")
    assert compute(code, gpsea, Period.year(2024), by=("qpv",)).get(MONT_MESLY).value == 125


def test_the_territory_figure_is_the_ept_line_and_nothing_is_summed(gpsea, default_secrecy):
    dataset = DatasetFactory()
    observation(dataset, 120)
    observation(dataset, 80, geo_code=BLEUETS)
    code = "demandeurs_emploi_abc"
    assert compute(code, gpsea, Q2, by=("qpv",)).total.value is None
    observation(dataset, 3400, level=Level.EPT, geo_code=EPT)
    table = compute(code, gpsea, Q2, by=("qpv",))
    assert table.total.value == 3400 and table.get(CHANTEREINE).value is None
    assert table.get("").value is None


def test_where_takes_the_commune_or_qpv_line_as_the_total(gpsea, default_secrecy):
    dataset = DatasetFactory()
    observation(dataset, 120)
    observation(dataset, 900, level=Level.COMMUNE, geo_code=CRETEIL)
    observation(dataset, 3400, level=Level.EPT, geo_code=EPT)
    code = "demandeurs_emploi_abc"
    assert compute(code, gpsea, Q2, where={"commune": CRETEIL}).total.value == 900
    assert compute(code, gpsea, Q2, where={"qpv": MONT_MESLY}).total.value == 120
    in_creteil = compute(code, gpsea, Q2, by=("qpv",), where={"commune": CRETEIL})
    assert in_creteil.total.value == 900 and in_creteil.get(MONT_MESLY).value == 120
    assert compute(code, gpsea, Q2, by=("commune",)).get(CRETEIL).value == 900


def test_an_imported_count_of_people_under_the_threshold_is_hidden_a_rate_is_shown(gpsea, default_secrecy):
    dataset = DatasetFactory()
    observation(dataset, 3, indicator="jeunes_neet", indicator_label="Jeunes ni en emploi ni en formation")
    observation(dataset, 3.5, indicator="taux_chomage", indicator_label="Taux de chômage", unit="%")
    observation(dataset, 0, indicator="allocataires_rsa", indicator_label="Allocataires du RSA")
    people = compute("jeunes_neet", gpsea, Q2, by=("qpv",))
    assert people.get(MONT_MESLY).hidden and people.label(people.get(MONT_MESLY)) == "non diffusé"
    rate = compute("taux_chomage", gpsea, Q2, by=("qpv",))
    assert not rate.get(MONT_MESLY).hidden and rate.label(rate.get(MONT_MESLY)) == "3,5\u00a0%"
    nobody = compute("allocataires_rsa", gpsea, Q2, by=("qpv",))
    assert not nobody.get(MONT_MESLY).hidden and nobody.label(nobody.get(MONT_MESLY)) == "0"


def test_imported_lines_by_age_group_and_sex(gpsea, default_secrecy):
    dataset = DatasetFactory()
    observation(dataset, 120)
    observation(dataset, 40, age_group="jeunes")
    observation(dataset, 30, age_group="jeunes", sex="F")
    observation(dataset, 55, sex="F")
    code = "demandeurs_emploi_abc"
    table = compute(code, gpsea, Q2, by=("age_group", "sex"), where={"qpv": MONT_MESLY})
    assert [k for k, _ in table.values["age_group"]] == ["jeunes", ""]
    assert table.get("jeunes", "F").value == 30 and table.get("jeunes", None).value == 40
    assert table.get(None, "F").value == 55 and table.total.value == 120
    assert table.get(None, "M").value is None and table.get("", None).value is None


def test_an_imported_indicator_joins_the_registry_of_its_territory_only(gpsea, other_territory):
    observation(DatasetFactory(source="Dares", licence="Licence Ouverte 2.0"), 120)
    found = {i.code: i for i in indicators.all_for(gpsea)}
    imported = found["demandeurs_emploi_abc"]
    assert imported.imported and imported.kind == "values" and imported.unit == "personnes"
    assert imported.label == "Demandeurs d'emploi inscrits en catégories A, B, C"
    assert imported.source == "Dares (Licence Ouverte 2.0)"
    assert "demandeurs_emploi_abc" not in {i.code for i in indicators.all_for(other_territory)}
    with pytest.raises(UnknownIndicator):
        indicators.get("demandeurs_emploi_abc")
    with pytest.raises(UnsupportedBreakdown, match="par commune ou par QPV, pas les deux"):
        compute("demandeurs_emploi_abc", gpsea, Q2, by=("commune", "qpv"))


# --- the report's tables -------------------------------------------------------------------------------


@covers("beneficiaires_suivis")
def test_table_dict_gives_labels_and_numbers_with_hidden_values_as_none(gpsea, default_secrecy):
    for _ in range(3):
        person(MONT_MESLY, CRETEIL, sex="M")
    for _ in range(9):
        person(BLEUETS, CRETEIL)
    one = content.table_dict(compute("beneficiaires_suivis", gpsea, Q2, by=("qpv",)))
    assert one["columns"] == ["Personnes"] and one["row_header"] == "Quartier prioritaire"
    assert one["total"] == {"label": "12", "value": 12}
    rows = {row["key"]: row["cells"][0] for row in one["rows"]}
    assert rows[MONT_MESLY] == {"label": "secret", "value": None}
    assert rows[BLEUETS] == {"label": "secret", "value": None}
    assert rows[CHANTEREINE] == {"label": "0", "value": 0}
    assert "" not in rows  # the empty « hors QPV » row is left out
    two = content.table_dict(compute("beneficiaires_suivis", gpsea, Q2, by=("age_group", "sex")))
    assert two["columns"] == ["Femmes", "Hommes", "Total"]  # « sexe non précisé » is empty
    assert [row["key"] for row in two["rows"]] == ["jeunes", "adultes", "seniors"]
    assert two["total_cells"][-1] == {"label": "12", "value": 12}


@covers("beneficiaires_suivis", "delai_reponse_orientations")
def test_place_comparison_sets_a_qpv_beside_its_commune_and_the_territory(gpsea, raw_counts):
    person(MONT_MESLY, CRETEIL)
    person(BLEUETS, CRETEIL)
    person(CHANTEREINE, ALFORTVILLE)
    rows = {row["code"]: row for row in content.place_comparison(gpsea, Q2, "qpv", MONT_MESLY)}
    assert list(rows) == list(content.COMPARED)
    followed = rows["beneficiaires_suivis"]
    assert followed["place"]["value"] == 1
    assert [c["value"] for c in followed["communes"]] == [2]
    assert followed["territory"]["value"] == 3
    assert rows["delai_reponse_orientations"]["place"] == {"label": "—", "value": None}
    commune_rows = {row["code"]: row for row in content.place_comparison(gpsea, Q2, "commune", CRETEIL)}
    assert commune_rows["beneficiaires_suivis"]["place"]["value"] == 2
    assert commune_rows["beneficiaires_suivis"]["communes"] == []


# --- the guard -------------------------------------------------------------------------------------------


def test_every_built_in_indicator_has_a_test():
    import tests.steering.test_plan_indicators  # noqa: F401  (the plan's indicators are tested there)

    codes = {i.code for i in indicators.builtin()}
    assert codes - TESTED == set(), "indicateurs sans test : ajoutez un test marqué @covers(code)"
    assert TESTED - codes == set()
