"""Is the person being recorded already followed in the territory?

The rule (docs/adr/0003-shared-follow-up.md):

- the same France Travail identifier (spaces and case ignored), or
- the same birth date and similar names: names are folded (no accents, no case, no punctuation,
  no spaces) and compared with the optimal string alignment distance; one typo in total is
  tolerated (a letter added, removed, replaced, or two neighbours swapped), and the first and last
  names may have been entered the other way round.

The search covers every beneficiary of the territory, including those the user cannot see, and
leaves out anonymised records. It never shows the other record: callers show the organisation that
follows the person and offer to ask its referent to join (``services.request_to_join``).
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Q

from .models import Beneficiary, FollowUpMember, fold_name

MAX_TYPOS = 1


def normalise_ft_id(value: str) -> str:
    return "".join((value or "").split()).upper()


def _compact(name: str) -> str:
    return fold_name(name).replace(" ", "")


def distance(a: str, b: str, limit: int = MAX_TYPOS + 1) -> int:
    """Optimal string alignment distance (a transposition of neighbours counts as one), capped at ``limit``."""
    if abs(len(a) - len(b)) >= limit:
        return limit
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                value = min(value, previous2[j - 2] + 1)
            current.append(value)
        if min(current) >= limit:
            return limit
        previous2, previous = previous, current
    return min(previous[-1], limit)


def similar_names(first_a: str, last_a: str, first_b: str, last_b: str) -> bool:
    """At most one typo over both names, in the same order or with first and last names swapped."""
    return similar_compact_names(*(compact_name(n) for n in (first_a, last_a, first_b, last_b)))


def compact_name(name: str) -> str:
    """The form names are compared in: folded, without spaces (« N'Diaye » → « ndiaye »)."""
    return _compact(name)


def similar_compact_names(fa: str, la: str, fb: str, lb: str) -> bool:
    """``similar_names`` on names already passed through ``compact_name``.

    The beneficiary import folds each name once and compares it with many candidates.
    """
    if not (fa or la) or not (fb or lb):
        return False
    if (fa == fb and la == lb) or (fa == lb and la == fb):
        return True
    straight = distance(fa, fb) + distance(la, lb)
    if straight <= MAX_TYPOS:
        return True
    return distance(fa, lb) + distance(la, fb) <= MAX_TYPOS


@dataclass
class Match:
    beneficiary: Beneficiary
    by_identifier: bool
    referent: FollowUpMember | None

    @property
    def organisation(self):
        """Who follows the person: the referent's organisation, else the organisation holding the record."""
        return self.referent.organisation if self.referent else self.beneficiary.created_by_organisation

    @property
    def follow_up_closed(self) -> bool:
        follow_up = getattr(self.beneficiary, "follow_up", None)  # the reverse accessor raises AttributeError
        return follow_up is not None and follow_up.status == "closed"


def find_matches(
    territory,
    *,
    first_name: str,
    last_name: str,
    birth_date: date | None,
    france_travail_id: str = "",
    exclude_pk: int | None = None,
) -> list[Match]:
    """Beneficiaries of ``territory`` that are probably the same person, visible to the user or not."""
    ft_id = normalise_ft_id(france_travail_id)
    condition = Q()
    if birth_date is not None:
        condition |= Q(birth_date=birth_date)
    if ft_id:
        condition |= Q(france_travail_id=ft_id)
    if not condition:
        return []
    candidates = (
        Beneficiary.objects.filter(condition, territory=territory, anonymised_at__isnull=True)
        .exclude(pk=exclude_pk)
        .select_related("follow_up", "created_by_organisation")
    )
    matches = []
    for candidate in candidates:
        by_identifier = bool(ft_id) and candidate.france_travail_id == ft_id
        if by_identifier or (
            candidate.birth_date == birth_date
            and similar_names(first_name, last_name, candidate.first_name, candidate.last_name)
        ):
            matches.append(Match(candidate, by_identifier, None))
    if matches:
        referents = {
            m.follow_up.beneficiary_id: m
            for m in FollowUpMember.objects.filter(
                follow_up__beneficiary__in=[m.beneficiary for m in matches],
                is_referent=True,
                ended_on__isnull=True,
            ).select_related("organisation", "follow_up")
        }
        for match in matches:
            match.referent = referents.get(match.beneficiary.pk)
    return matches
