"""Talent search: each criterion, their combination, distance, pages (rules in ``talent/search.py``)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cite_emploi.talent.models import TalentProfile
from cite_emploi.talent.search import ProfileCriteria, search_profiles
from cite_emploi.talent.text import profile_search_text
from tests.followup.factories import BeneficiaryFactory, FollowUpFactory
from tests.talent.factories import ProfileJobFactory, TalentProfileFactory, appellation

pytestmark = pytest.mark.django_db

LAT, LON = 48.79, 2.45
KM_PER_DEGREE = 6371.0088 * 3.141592653589793 / 180
PREPARATEUR, MAGASINIER, CARISTE, BOULANGER = "17993", "10880", "11679", "11573"


def north(km: float) -> float:
    return LAT + km / KM_PER_DEGREE


def profile(jobs=(PREPARATEUR,), **fields) -> TalentProfile:
    fields = {"latitude": LAT, "longitude": LON, "contracts": []} | fields
    made = TalentProfileFactory(**fields)
    labels = []
    for code in jobs:
        job = ProfileJobFactory(profile=made, appellation=appellation(code))
        labels.append(job.appellation.label)
    made.search_text = profile_search_text(made.headline, made.skills, made.experience_summary, labels)
    made.save(update_fields=["search_text"])
    return made


def found(gpsea, **criteria) -> list[TalentProfile]:
    return search_profiles(gpsea, ProfileCriteria(**criteria), per_page=100).rows


def test_without_criteria_every_visible_profile_of_the_territory_comes_most_recent_first(
    gpsea, other_territory
):
    older = profile(published_at=timezone.now() - timedelta(days=3))
    newer = profile()
    for hidden in (
        {"status": TalentProfile.Status.DRAFT},
        {"status": TalentProfile.Status.SUSPENDED},
        {"consent_withdrawn_on": timezone.localdate()},
        {"follow_up": FollowUpFactory(beneficiary=BeneficiaryFactory(territory=other_territory))},
    ):
        profile(**hidden)
    result = search_profiles(gpsea, ProfileCriteria())
    assert result.rows == [newer, older]
    assert (result.total, result.page, result.pages) == (2, 1, 1)
    assert all(row.distance_km is None for row in result.rows)


def test_by_exact_job_by_rome_fiche_and_both_as_alternatives(gpsea):
    preparateur, magasinier, cariste = profile([PREPARATEUR]), profile([MAGASINIER]), profile([CARISTE])
    profile([BOULANGER])
    assert found(gpsea, appellation_codes=[PREPARATEUR]) == [preparateur]
    assert set(found(gpsea, rome_codes=["N1103"])) == {preparateur, magasinier}
    assert set(found(gpsea, appellation_codes=[CARISTE], rome_codes=["N1103"])) == {
        preparateur,
        magasinier,
        cariste,
    }


def test_words_match_whatever_the_accents_and_case_and_every_word_must_be_found(gpsea):
    caces = profile(skills=["CACES 1", "Préparation de commandes"], headline="Préparatrice")
    hygiene = profile([BOULANGER], skills=["Hygiène alimentaire"], headline="Boulangère")
    assert found(gpsea, words="caces") == [caces]
    assert found(gpsea, words="HYGIENE") == [hygiene]
    assert found(gpsea, words="boulangere hygiène") == [hygiene]
    assert found(gpsea, words="boulangère caces") == []
    # The labels of the target jobs are searched too.
    assert found(gpsea, words="préparateur") == [caces]


def test_available_by_keeps_the_profiles_available_now_or_by_that_date(gpsea):
    today = timezone.localdate()
    now = profile(available_from=None)
    soon = profile(available_from=today + timedelta(days=10))
    profile(available_from=today + timedelta(days=40))
    assert set(found(gpsea, available_by=today + timedelta(days=10))) == {now, soon}
    assert found(gpsea, available_by=today) == [now]


def test_contracts_match_any_of_the_wanted_ones_and_a_profile_without_preference(gpsea):
    cdi = profile(contracts=["cdi", "interim"])
    anything = profile(contracts=[])
    profile(contracts=["cdd"])
    profile(contracts=["iae"])
    assert set(found(gpsea, contracts=["cdi"])) == {cdi, anything}
    assert len(found(gpsea, contracts=["cdd", "interim"])) == 3


def test_working_time_also_matches_profiles_that_accept_either(gpsea):
    full = profile(working_time="temps-plein")
    either = profile(working_time="indifferent")
    part = profile(working_time="temps-partiel")
    assert set(found(gpsea, working_time="temps-plein")) == {full, either}
    assert set(found(gpsea, working_time="indifferent")) == {full, either, part}


def test_near_sorts_by_distance_and_within_keeps_the_circle(gpsea):
    far = profile(latitude=north(12))
    here = profile()
    mid = profile(latitude=north(5))
    unknown = profile(latitude=None, longitude=None)
    rows = found(gpsea, near=(LAT, LON))
    assert rows == [here, mid, far, unknown]
    assert [row.distance_km for row in rows[:3]] == pytest.approx([0, 5, 12], abs=0.01)
    assert rows[3].distance_km is None
    result = search_profiles(gpsea, ProfileCriteria(near=(LAT, LON), within_km=10))
    assert result.rows == [here, mid] and result.total == 2


def test_criteria_combine(gpsea):
    today = timezone.localdate()
    wanted = profile([CARISTE], skills=["CACES 3"], latitude=north(3), contracts=["cdi"])
    profile([CARISTE], skills=["CACES 3"], latitude=north(30), contracts=["cdi"])  # too far
    profile([CARISTE], skills=["CACES 3"], contracts=["cdd"])  # other contract
    profile([CARISTE], skills=["CACES 3"], available_from=today + timedelta(days=90))  # too late
    profile([CARISTE], skills=["Anglais"])  # no such word
    profile([BOULANGER], skills=["CACES 3"])  # other job
    criteria = ProfileCriteria(
        rome_codes=["N1101"],
        words="caces",
        near=(LAT, LON),
        within_km=10,
        available_by=today + timedelta(days=30),
        contracts=["cdi"],
    )
    result = search_profiles(gpsea, criteria)
    assert result.rows == [wanted] and result.total == 1
    assert result.rows[0].distance_km == pytest.approx(3, abs=0.01)


def test_pages_give_the_total_and_follow_the_order(gpsea):
    made = [profile(published_at=timezone.now() - timedelta(minutes=i)) for i in range(7)]
    first = search_profiles(gpsea, ProfileCriteria(), per_page=3)
    assert (first.total, first.pages, first.page) == (7, 3, 1) and first.rows == made[:3]
    assert first.has_next and not first.has_previous
    assert search_profiles(gpsea, ProfileCriteria(), page=3, per_page=3).rows == made[6:]
    beyond = search_profiles(gpsea, ProfileCriteria(), page=9, per_page=3)
    assert beyond.page == 3 and beyond.rows == made[6:]


def test_pages_by_distance_start_inside_a_point_and_span_points(gpsea):
    # 3 at the offer's point, 3 at 2 km, 1 at 4 km: page 2 of 3 is the last here and the first two at 2 km.
    at = [profile(published_at=timezone.now() - timedelta(minutes=i)) for i in range(3)]
    two = [profile(latitude=north(2), published_at=timezone.now() - timedelta(minutes=i)) for i in range(3)]
    four = profile(latitude=north(4))
    criteria = ProfileCriteria(near=(LAT, LON), within_km=5)
    pages = [search_profiles(gpsea, criteria, page=n, per_page=3) for n in (1, 2, 3)]
    assert [page.rows for page in pages] == [at, two, [four]]
    middle = search_profiles(gpsea, criteria, page=2, per_page=4)
    assert middle.rows == [*two[1:], four] and middle.total == 7 and middle.pages == 2
    assert [row.distance_km for row in middle.rows] == pytest.approx([2, 2, 4], abs=0.01)


def test_an_empty_result_is_one_empty_page(gpsea):
    result = search_profiles(gpsea, ProfileCriteria(words="astronaute", near=(LAT, LON)))
    assert (result.rows, result.total, result.page, result.pages) == ([], 0, 1, 1)


def test_rows_carry_their_jobs_and_commune_without_more_queries(gpsea):
    profile([PREPARATEUR, CARISTE])
    result = search_profiles(gpsea, ProfileCriteria(near=(LAT, LON)))
    with CaptureQueriesContext(connection) as context:
        labels = [job.appellation.label for job in result.rows[0].jobs.all()]
        commune = result.rows[0].commune.name
    assert labels == ["Préparateur / Préparatrice de commandes", "Cariste"] and commune
    assert len(context.captured_queries) == 0


@pytest.mark.parametrize(
    "criteria",
    [
        ProfileCriteria(),
        ProfileCriteria(rome_codes=["N1103"], words="caces", available_by=timezone.localdate()),
        ProfileCriteria(near=(LAT, LON), within_km=20, contracts=["cdi"]),
    ],
    ids=["broad", "job-words", "distance"],
)
def test_search_runs_the_same_number_of_queries_whatever_the_number_of_profiles(gpsea, criteria):
    def count() -> int:
        with CaptureQueriesContext(connection) as context:
            search_profiles(gpsea, criteria)
        return len(context.captured_queries)

    for _ in range(2):
        profile(skills=["CACES 1"])
    few = count()
    for index in range(40):
        profile([PREPARATEUR, CARISTE][: 1 + index % 2], skills=["CACES 1"], latitude=north(index % 9))
    assert count() == few <= 4


def test_the_indexes_search_and_matching_read_exist():
    """A table rebuilt by a later migration on SQLite keeps the model's indexes but not the SQLite-only
    index of migration 0002: this test says so before the free-text search slows down."""
    with connection.cursor() as cursor:
        profile_indexes = connection.introspection.get_constraints(cursor, "talent_talentprofile")
        job_indexes = connection.introspection.get_constraints(cursor, "talent_profilejob")
    expected = {"talent_visible_recent", "talent_visible_place", "talent_visible_filters", "talent_match"}
    if connection.vendor == "sqlite":
        expected.add("talent_visible_words")
    assert expected <= set(profile_indexes)
    assert profile_indexes["talent_match"]["columns"][:4] == [
        "id",
        "territory_id",
        "status",
        "consent_withdrawn_on",
    ]
    assert job_indexes["profile_job_match"]["columns"] == [
        "domain",
        "profile_id",
        "appellation_id",
        "rome_code",
    ]
