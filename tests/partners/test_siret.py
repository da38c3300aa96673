import pytest

from cite_emploi.partners.siret import siret_error


@pytest.mark.parametrize(
    "value",
    [
        "13003013300016",  # a real public body (Luhn OK)
        "130 030 133 00016",
        "35600000000048",  # La Poste head office
        "35600000049837",  # La Poste establishment: digits sum to a multiple of 5, Luhn would refuse
    ],
)
def test_valid_sirets(value):
    assert siret_error(value) is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1300301330001", "14 chiffres"),
        ("1300301330001A", "14 chiffres"),
        ("13003013300017", "clé de contrôle"),
        ("35600000049838", "La Poste"),
    ],
)
def test_invalid_sirets_say_why_in_french(value, message):
    assert message in siret_error(value)
