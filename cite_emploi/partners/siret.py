"""SIRET check: 14 digits with the Luhn key, except La Poste's establishments.

La Poste (SIREN 356 000 000) numbers its many establishments past what the Luhn key allows;
INSEE validates them by the sum of the digits being a multiple of 5 instead. Its head office
keeps an ordinary Luhn key.
"""

LA_POSTE_SIREN = "356000000"
LA_POSTE_HEAD_OFFICE = "35600000000048"


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        n = int(char)
        if i % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def siret_error(value: str) -> str | None:
    """None when valid, else what is wrong, in French."""
    compact = value.replace(" ", "")
    if len(compact) != 14 or not compact.isdigit():
        return "Le SIRET compte 14 chiffres."
    if compact.startswith(LA_POSTE_SIREN) and compact != LA_POSTE_HEAD_OFFICE:
        if sum(int(c) for c in compact) % 5 == 0:
            return None
        return "Ce SIRET de La Poste est invalide (somme des chiffres non multiple de 5)."
    if not luhn_ok(compact):
        return "Ce SIRET est invalide : sa clé de contrôle ne correspond pas (vérifiez chaque chiffre)."
    return None
