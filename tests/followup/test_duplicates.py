from datetime import date

import pytest

from cite_emploi.followup.duplicates import distance, find_matches, similar_names
from cite_emploi.followup.models import fold_name
from tests.accounts.factories import member
from tests.followup.factories import BeneficiaryFactory, followed_by

BORN = date(1990, 5, 17)


def test_fold_name_drops_accents_case_and_punctuation():
    assert fold_name("  Éloïse  N'Diaye-Bâ ") == "eloise n diaye ba"
    assert fold_name("Nguyễn Thị") == "nguyen thi"
    assert fold_name("ŒDIPE Łukasz") == "oedipe lukasz"


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [("martin", "martin", 0), ("martin", "martine", 1), ("martin", "matrin", 1), ("martin", "marton", 1)],
)
def test_distance_counts_a_swap_of_neighbours_as_one_typo(a, b, expected):
    assert distance(a, b) == expected


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        (("Eloise", "Dupont"), ("Éloïse", "DUPONT")),  # accents and case
        (("Eloise", "Dupond"), ("Éloïse", "Dupont")),  # one typo
        (("Elosie", "Dupont"), ("Éloïse", "Dupont")),  # two neighbours swapped
        (("Dupont", "Eloise"), ("Éloïse", "Dupont")),  # first and last names swapped
        (("Marie Claire", "Ben Ali"), ("Marie-Claire", "Benali")),  # spaces and hyphens
    ],
)
def test_similar_names(typed, stored):
    assert similar_names(*typed, *stored)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        (("Eloise", "Dupuis"), ("Éloïse", "Dupont")),
        (("Elise", "Dupond"), ("Éloïse", "Dupont")),  # two typos
        (("Léa", "Martin"), ("Lina", "Martin")),
    ],
)
def test_different_names(typed, stored):
    assert not similar_names(*typed, *stored)


def test_matches_include_records_the_user_cannot_see(db):
    owner = member("counsellor")
    hidden = followed_by(owner, first_name="Éloïse", last_name="Dupont", birth_date=BORN)
    matches = find_matches(hidden.territory, first_name="eloise", last_name="dupond", birth_date=BORN)
    assert [m.beneficiary for m in matches] == [hidden]
    assert matches[0].referent.user == owner
    assert matches[0].organisation == hidden.created_by_organisation


def test_same_birth_date_is_required_for_a_name_match(db):
    b = BeneficiaryFactory(first_name="Éloïse", last_name="Dupont", birth_date=BORN)
    assert not find_matches(
        b.territory, first_name="Eloise", last_name="Dupont", birth_date=date(1990, 5, 18)
    )


def test_the_france_travail_identifier_matches_alone(db):
    b = BeneficiaryFactory(
        first_name="Sami", last_name="Haddad", birth_date=BORN, france_travail_id="1234567A"
    )
    matches = find_matches(
        b.territory, first_name="X", last_name="Y", birth_date=date(2000, 1, 1), france_travail_id="1234 567a"
    )
    assert [m.beneficiary for m in matches] == [b]
    assert matches[0].by_identifier


def test_no_match_across_territories_nor_with_anonymised_records(db, other_territory):
    from django.utils import timezone

    BeneficiaryFactory(first_name="Éloïse", last_name="Dupont", birth_date=BORN, anonymised_at=timezone.now())
    elsewhere = BeneficiaryFactory(
        first_name="Éloïse", last_name="Dupont", birth_date=BORN, territory=other_territory
    )
    from cite_emploi.territory.models import Territory

    gpsea = Territory.objects.get(slug="gpsea")
    assert find_matches(gpsea, first_name="Eloise", last_name="Dupont", birth_date=BORN) == []
    assert (
        len(find_matches(elsewhere.territory, first_name="Eloise", last_name="Dupont", birth_date=BORN)) == 1
    )
