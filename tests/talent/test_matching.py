"""Matching offers and profiles: hand-checked scores and orders (rules in ``talent/matching.py``).

The offer sits at (48.79, 2.45); ``north(km)`` is a point that far to the north of it.
Unless a test says otherwise a profile is at the same point, available now, open to any contract,
with a mobility of 10 km and no skill the offer asks for.
"""

import random
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cite_emploi.talent import matching
from cite_emploi.talent.matching import offers_for_profile, profiles_for_offer
from cite_emploi.talent.models import JobOffer, TalentProfile
from tests.followup.factories import BeneficiaryFactory, FollowUpFactory
from tests.talent.factories import JobOfferFactory, ProfileJobFactory, TalentProfileFactory, appellation

pytestmark = pytest.mark.django_db

LAT, LON = 48.79, 2.45
KM_PER_DEGREE = 6371.0088 * 3.141592653589793 / 180
PREPARATEUR, MAGASINIER, CARISTE, BOULANGER = "17993", "10880", "11679", "11573"


def offer(**fields) -> JobOffer:
    fields = {"latitude": LAT, "longitude": LON, "skills": [], "contract": "cdi"} | fields
    return JobOfferFactory(**fields)


def profile(jobs=(PREPARATEUR,), **fields) -> TalentProfile:
    fields = {"latitude": LAT, "longitude": LON, "skills": [], "contracts": [], "mobility_km": 10} | fields
    made = TalentProfileFactory(**fields)
    for code in jobs:
        ProfileJobFactory(profile=made, appellation=appellation(code))
    return made


def north(km: float) -> float:
    return LAT + km / KM_PER_DEGREE


def scores(matches) -> dict[int, float]:
    return {match.profile.pk: match.score for match in matches}


def test_same_appellation_beats_same_fiche_beats_same_domain_and_other_domains_are_excluded():
    exact, fiche, domain = profile([PREPARATEUR]), profile([MAGASINIER]), profile([CARISTE])
    profile([BOULANGER])
    matches = profiles_for_offer(offer())
    assert [m.profile for m in matches] == [exact, fiche, domain]
    # job + distance (at the door) + available now + any contract
    assert [m.score for m in matches] == pytest.approx([50 + 20 + 10 + 8, 35 + 38, 15 + 38])
    assert matches[0].reasons[0] == "Même métier : Préparateur / Préparatrice de commandes"
    assert (
        matches[1].reasons[0] == "Métier voisin (même fiche ROME N1103) : Aide-magasinier / Aide-magasinière"
    )
    assert matches[2].reasons[0] == "Métier proche (même domaine N11) : Cariste"


def test_a_profile_with_several_jobs_counts_once_with_its_best_job():
    both = profile([CARISTE, PREPARATEUR, MAGASINIER])
    matches = profiles_for_offer(offer())
    assert [m.profile for m in matches] == [both]
    assert matches[0].score == pytest.approx(88)
    assert matches[0].reasons[0].startswith("Même métier")


def test_distance_counts_against_the_mobility_and_twice_the_mobility_excludes():
    near = profile(latitude=north(5))  # 20 - 10 × 5/10 = 15
    beyond = profile(latitude=north(15))  # 20 - 10 × 15/10 = 5
    edge = profile(latitude=north(19.9))  # 20 - 10 × 19.9/10 = 0.1
    profile(latitude=north(20.1))  # beyond twice the mobility: no match
    mobile = profile(latitude=north(25), mobility_km=30)  # 20 - 10 × 25/30
    matches = profiles_for_offer(offer())
    assert [m.profile for m in matches] == [near, mobile, beyond, edge]
    assert scores(matches) == {
        near.pk: pytest.approx(50 + 15 + 18),
        mobile.pk: pytest.approx(50 + 20 - 10 * 25 / 30 + 18),
        beyond.pk: pytest.approx(50 + 5 + 18),
        edge.pk: pytest.approx(50 + 0.1 + 18),
    }
    assert matches[0].distance_km == pytest.approx(5, abs=0.01)
    assert matches[0].reasons[1] == "À 5 km (mobilité 10 km)"
    assert matches[2].reasons[1] == "À 15 km, au-delà de la mobilité (10 km)"
    # The same rule from the profile's side.
    far_offer = offer(latitude=north(-20.1))
    assert far_offer not in [m.offer for m in offers_for_profile(near)]  # 25.1 km, mobility 10
    assert far_offer in [m.offer for m in offers_for_profile(mobile)]


def test_an_unknown_point_is_neutral_and_says_so():
    located = profile(latitude=north(5))  # 15 for the distance
    unknown = profile(latitude=None, longitude=None)  # 10
    matches = profiles_for_offer(offer())
    assert [m.profile for m in matches] == [located, unknown]
    assert matches[1].score == pytest.approx(50 + 10 + 18)
    assert matches[1].distance_km is None and "Distance inconnue" in matches[1].reasons
    # An offer without a point: every distance is unknown.
    assert [m.score for m in profiles_for_offer(offer(latitude=None, longitude=None))] == [78, 78]


def test_availability_counts_against_the_start_of_the_job():
    today = timezone.localdate()
    now = profile(available_from=None)
    in_time = profile(available_from=today + timedelta(days=10))
    soon = profile(available_from=today + timedelta(days=40))
    late = profile(available_from=today + timedelta(days=60))
    matches = profiles_for_offer(offer(starts_on=today + timedelta(days=20)))
    assert [m.profile for m in matches] == [now, in_time, soon, late]
    assert [m.score for m in matches] == pytest.approx([88, 88, 83, 78])
    assert matches[0].reasons[2] == "Disponible dès maintenant"
    assert matches[1].reasons[2].endswith(", avant la prise de poste")
    assert "moins d'un mois après la prise de poste" in matches[2].reasons[2]
    assert matches[3].reasons[2].startswith("Disponible seulement à partir du ")
    # Without a start date, « in time » means today.
    assert scores(profiles_for_offer(offer()))[in_time.pk] == pytest.approx(83)


def test_the_contract_counts_when_looked_for_or_when_any_is_accepted():
    wanted = profile(contracts=["cdi", "interim"])
    other = profile(contracts=["cdd"])
    anything = profile(contracts=[])
    matches = profiles_for_offer(offer(contract="cdi"))
    assert [m.profile for m in matches] == [wanted, anything, other]
    assert [m.score for m in matches] == pytest.approx([88, 88, 80])
    assert "Contrat recherché : CDI" in matches[0].reasons
    assert "Tous contrats acceptés (offre en CDI)" in matches[1].reasons
    assert "Cherche un autre contrat : CDD (offre en CDI)" in matches[2].reasons


def test_each_skill_of_the_offer_found_in_the_profile_adds_a_little_whatever_the_accents():
    two = profile(skills=["caces 1 et 3", "LECTURE DE BONS de commande"])
    none = profile(skills=["CACES 10"])
    many = profile(skills=["caces 1", "lecture de bons", "anglais", "écriture", "hygiène"])
    job = offer(skills=["CACES 1", "Lecture de bons", "Anglais", "Ecriture", "Hygiène"])
    matches = profiles_for_offer(job)
    assert [m.profile for m in matches] == [many, two, none]
    assert [m.score for m in matches] == pytest.approx([88 + 12, 88 + 6, 88])  # 3 each, at most 12
    assert [r for r in matches[1].reasons if r.startswith("Compétence")] == [
        "Compétence : CACES 1",
        "Compétence : Lecture de bons",
    ]


def test_skills_can_lift_a_farther_profile_into_a_short_list():
    closer = profile()  # 88
    skilled = profile(latitude=north(5), skills=["CACES 1", "lecture de bons"])  # 83 + 6
    matches = profiles_for_offer(offer(skills=["CACES 1", "Lecture de bons"]), limit=1)
    assert [m.profile for m in matches] == [skilled]
    assert matches[0].score == pytest.approx(89)
    assert closer.pk < skilled.pk


def test_equal_scores_come_by_profile_id_and_the_limit_holds():
    made = [profile() for _ in range(5)]
    assert [m.profile for m in profiles_for_offer(offer(), limit=3)] == made[:3]


def test_only_published_profiles_with_consent_of_the_same_territory_are_matched(other_territory):
    kept = profile()
    profile(status=TalentProfile.Status.DRAFT)
    profile(status=TalentProfile.Status.SUSPENDED)
    profile(consent_withdrawn_on=timezone.localdate())
    elsewhere = FollowUpFactory(beneficiary=BeneficiaryFactory(territory=other_territory))
    profile(follow_up=elsewhere)
    assert [m.profile for m in profiles_for_offer(offer())] == [kept]


def test_offers_for_a_profile_are_the_open_ones_of_its_territory_best_first(other_territory):
    person = profile([PREPARATEUR, CARISTE], skills=["CACES 1"])
    exact = offer()
    cariste = offer(appellation=appellation(CARISTE), skills=["CACES 1"], contract="cdd")
    neighbour = offer(appellation=appellation(MAGASINIER))
    offer(appellation=appellation(BOULANGER))
    for status in (JobOffer.Status.DRAFT, JobOffer.Status.FILLED, JobOffer.Status.CLOSED):
        offer(status=status)
    offer(territory=other_territory)
    matches = offers_for_profile(person)
    # Cariste is the person's other job: « même métier » too, and CACES 1 on top.
    assert [m.offer for m in matches] == [cariste, exact, neighbour]
    assert [m.score for m in matches] == pytest.approx([88 + 3, 88, 73])
    assert matches[0].reasons[0] == "Même métier : Cariste"
    assert all(m.profile == person for m in matches)


def test_an_employer_reads_how_the_profile_fits_every_offer_of_theirs():
    # However many better offers others publish, the employer's own offers are the ones ranked.
    person = profile([PREPARATEUR], skills=["CACES 1"])
    for _ in range(3):
        offer(skills=["CACES 1"])
    theirs = offer(appellation=appellation(MAGASINIER))
    matches = offers_for_profile(person, limit=1, organisations=[theirs.organisation_id])
    assert [m.offer for m in matches] == [theirs]
    assert offers_for_profile(person, limit=1, organisations=[]) == []


def test_offers_for_a_profile_rank_by_score_then_offer_id():
    person = profile([PREPARATEUR], skills=["CACES 1"])
    plain = offer()
    with_skill = offer(skills=["CACES 1"])
    far = offer(latitude=north(5))
    matches = offers_for_profile(person)
    assert [m.offer for m in matches] == [with_skill, plain, far]
    assert [m.score for m in matches] == pytest.approx([91, 88, 83])
    assert "Compétence : CACES 1" in matches[0].reasons
    assert matches[0].reasons[0] == "Même métier : Préparateur / Préparatrice de commandes"


def test_a_profile_employers_cannot_see_gets_no_offer():
    offer()
    assert offers_for_profile(profile(status=TalentProfile.Status.DRAFT)) == []
    assert offers_for_profile(profile(consent_withdrawn_on=timezone.localdate())) == []


def _queries(function) -> int:
    with CaptureQueriesContext(connection) as context:
        function()
    return len(context.captured_queries)


def test_matching_runs_the_same_number_of_queries_whatever_the_number_of_profiles():
    job = offer(skills=["CACES 1"])
    for _ in range(3):
        profile(skills=["CACES 1"])
    few = _queries(lambda: profiles_for_offer(job))
    for index in range(30):
        profile([PREPARATEUR, CARISTE][: 1 + index % 2], skills=["CACES 1"], latitude=north(index % 7))
    assert _queries(lambda: profiles_for_offer(job)) == few <= 4
    assert len(profiles_for_offer(job)) == 20
    person = profile([PREPARATEUR, CARISTE])
    few = _queries(lambda: offers_for_profile(person))
    for _ in range(15):
        offer()
        offer(appellation=appellation(CARISTE))
    assert _queries(lambda: offers_for_profile(person)) == few <= 2


def test_both_directions_give_every_pair_the_same_score():
    """The database scores offer → profiles, numpy scores profile → offers: same rules, same numbers."""
    rng = random.Random(5)
    today = timezone.localdate()
    jobs = [PREPARATEUR, MAGASINIER, CARISTE, "10357", "10875"]
    people = [
        profile(
            rng.sample(jobs, rng.randint(1, 3)),
            latitude=None if i == 0 else north(rng.uniform(0, 15)),
            longitude=None if i == 0 else LON + rng.uniform(-0.1, 0.1),
            mobility_km=rng.choice([0, 5, 10, 30]),
            available_from=rng.choice(
                [None, today - timedelta(days=3), today + timedelta(days=rng.randint(1, 90))]
            ),
            contracts=rng.sample(["cdi", "cdd", "interim"], rng.randint(0, 2)),
            skills=rng.sample(
                ["CACES 1", "caces 3", "Lecture de bons", "gestion de stock"], rng.randint(0, 3)
            ),
        )
        for i in range(8)
    ]
    offers = [
        offer(
            appellation=appellation(rng.choice(jobs)),
            latitude=None if i == 0 else north(rng.uniform(0, 15)),
            longitude=None if i == 0 else LON + rng.uniform(-0.1, 0.1),
            contract=rng.choice(["cdi", "cdd", "interim"]),
            starts_on=rng.choice([None, today + timedelta(days=rng.randint(0, 60))]),
            skills=rng.sample(["CACES 1", "Caces 3", "lecture de bons", "anglais"], rng.randint(0, 3)),
        )
        for i in range(8)
    ]
    by_offer = {(m.offer.pk, m.profile.pk): m for o in offers for m in profiles_for_offer(o, limit=100)}
    by_profile = {(m.offer.pk, m.profile.pk): m for p in people for m in offers_for_profile(p, limit=100)}
    # One domain: every pair shares a job; some are beyond twice the mobility.
    assert len(people) * len(offers) / 2 < len(by_offer) < len(people) * len(offers), len(by_offer)
    assert by_offer.keys() == by_profile.keys()
    for pair, match in by_offer.items():
        assert match.score == pytest.approx(by_profile[pair].score, abs=1e-9), pair
        assert 15 <= match.score <= 100
        # Same reasons but the job's label, which names the other side's appellation.
        assert match.reasons[1:] == by_profile[pair].reasons[1:]


def test_the_example_of_the_user_guide():
    """docs/guide/rapprochement-profils-offres.md, « Exemple »."""
    today = timezone.localdate()
    job = offer(contract="cdi", starts_on=today + timedelta(days=15), skills=["CACES 1"])
    same = profile([PREPARATEUR], contracts=["cdi"], skills=["CACES 1"])
    cariste = profile([CARISTE], latitude=north(5), available_from=today + timedelta(days=21))
    matches = profiles_for_offer(job)
    assert [(m.profile, m.score) for m in matches] == [
        (same, pytest.approx(91)),
        (cariste, pytest.approx(43)),
    ]
    assert matches[1].reasons[:2] == ["Métier proche (même domaine N11) : Cariste", "À 5 km (mobilité 10 km)"]


def test_skills_still_decide_when_many_profiles_are_within_their_reach(monkeypatch):
    """Beyond the window of the ranking, a second pass reads every profile the skills could lift."""
    monkeypatch.setattr(matching, "SKILL_WINDOW", 2)
    plain = [profile() for _ in range(4)]
    skilled = profile(skills=["CACES 1"])
    matches = profiles_for_offer(offer(skills=["CACES 1"]), limit=2)
    assert [m.profile for m in matches] == [skilled, plain[0]]
    assert [m.score for m in matches] == pytest.approx([91, 88])
