"""Fictitious follow-up data for the demo: about 2,000 people of GPSEA, their follow-ups and paths.

What it writes, for the GPSEA territory only: beneficiaries living inside the nine 2024 QPV of the
perimeter (points drawn inside the real outlines, checked with the QPV locator) or elsewhere in the
GPSEA communes, aged 16 to 64, half women; situation facts, consents (most, not all), follow-ups
whose members come from several demo organisations, barriers, professional projects, referrals to
the demo services in every status with their dated history, timeline lines, outcomes
(``followup_paths.py``), then three cohorts and monthly case reviews (``followup_reviews.py``).
``counsellor.ft@demo.test`` and ``counsellor.ml@demo.test`` each follow people the other does not,
and share some (always with consent).

Choices, and why:

- **Deterministic**: one ``random.Random(SEED)``; dates are offsets from today, so the demo always
  looks current (reviews of the last months, recent appointments) while the choices stay the same.
- **Idempotent**: the set is written once, in the transaction of ``load_demo``; when the territory
  already holds demo beneficiaries, nothing is written again (what demo visitors changed is kept).
- **Fast**: rows are built in Python and inserted with ``bulk_create`` (about 40,000 rows in a few
  seconds). The services are not called: each checks rights and writes an audit entry per call, which
  would take minutes. The invariants they keep are kept here by construction — one active referent
  per follow-up, members of another organisation only with consent, ``search_name``,
  ``last_activity_at`` — and ``tests/demo/test_demo.py`` checks them.
- **Not audited**: seeding is not a person reading or writing someone's data, and 40,000 entries
  would drown the audit log a demo visitor opens; that log starts empty and fills as visitors act.
- **Fictitious**: every person is flagged ``is_demo`` (the list shows « fictif »), names come from a
  fixed list, streets are « (adresse fictive) », telephone numbers are in the range ARCEP reserves for
  fiction (06 39 98 xx xx) and e-mail addresses end with ``@demo.test``. Colleagues of the demo
  accounts (members of follow-ups, authors of notes) cannot log in: their password is unusable.
"""

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import numpy as np
import shapely
from django.db import connection
from django.utils import timezone
from shapely.geometry import shape

from cite_emploi.accounts.models import Membership, Role, User
from cite_emploi.followup.models import (
    AgeGroup,
    Beneficiary,
    Consent,
    DiplomaLevel,
    FollowUp,
    FollowUpMember,
    LocatedBy,
    SituationFact,
    TimelineEvent,
    search_key,
)
from cite_emploi.partners.models import Organisation
from cite_emploi.territory.locator import get_locator
from cite_emploi.territory.models import QPV, Commune, Territory
from cite_emploi.territory.queries import perimeter_pairs

from . import followup_paths, followup_reviews
from .partners import EXTRA_ORGANISATIONS, STREETS

SEED = 2024
PEOPLE = 2000
K = TimelineEvent.Kind

# Colleagues of the demo accounts, so that follow-ups have realistic members: (org key, first, last).
# Last names say what they are, like those of the demo accounts.
COLLEAGUES = (
    ("ft", "Nadia", "Parcours"),
    ("ft", "Julien", "Emploi"),
    ("ft-boissy", "Sophie", "Orientation"),
    ("ft-alfortville", "Karim", "Placement"),
    ("ml", "Thomas", "Jeunesse"),
    ("ml-haut", "Aïcha", "Avenir"),
    ("cap", "Hélène", "Handiemploi"),
    ("plie", "Rachid", "Insertion"),
    ("creteil", "Céline", "Proximité"),
    ("chennevieres", "Marc", "Quartier"),
    ("asso-mesly", "Fatou", "Médiation"),
    ("asso-bois", "Yann", "Solidarité"),
    ("aci-jardins", "Bruno", "Chantier"),
    ("asso-mobilite", "Léa", "Mobilité"),
    ("e2c", "Samir", "Deuxièmechance"),
    ("afpa", "Claire", "Formation"),
    ("asso-numerique", "Hugo", "Numérique"),
    ("ccas-creteil", "Agnès", "Solidarités"),
)


def colleague_email(org_key: str, first_name: str) -> str:
    first = first_name.lower().replace("ï", "i").replace("è", "e").replace("é", "e")
    return f"{first}.{org_key}@demo.test"


# (org key, weight, ages allowed, communes served or None for all): who holds a new record.
HOLDERS = (
    ("ft", 30, (16, 64), None),
    ("ft-boissy", 7, (16, 64), ("94004", "94044", "94071", "94019")),
    ("ft-alfortville", 6, (16, 64), ("94002",)),
    ("ml", 30, (16, 25), ("94028", "94011", "94002", "94019")),
    ("ml-haut", 12, (16, 25), ("94004", "94044", "94071", "94019")),
    ("cap", 5, (18, 64), None),
    ("plie", 10, (26, 64), None),
    ("creteil", 5, (16, 64), ("94028",)),
    ("chennevieres", 5, (16, 64), ("94019",)),
    ("asso-mesly", 6, (16, 64), ("QN09405M",)),
    ("asso-bois", 6, (16, 64), ("QN09424I",)),
)
# How many people live in each (QPV, commune) area of the perimeter, relative to each other.
QPV_WEIGHTS = {
    ("QN09405M", "94028"): 30,
    ("QN09406I", "94028"): 8,
    ("QN09404M", "94002"): 9,
    ("QN09439N", "94002"): 8,
    ("QN09403M", "94004"): 8,
    ("QN09403M", "94044"): 5,
    ("QN09431M", "94044"): 6,
    ("QN09420M", "94011"): 9,
    ("QN09424I", "94019"): 10,
    ("QN09438N", "94071"): 7,
}
IN_QPV_SHARE = 0.75
UNLOCATED_SHARE = 0.02

FIRST_NAMES = {
    "F": [
        "Amina", "Aya", "Camille", "Chloé", "Fatoumata", "Inès", "Jade", "Kadiatou", "Laura", "Leïla",
        "Lina", "Manon", "Mariam", "Maria", "Nour", "Océane", "Rokia", "Sarah", "Sabrina", "Salomé",
        "Sofia", "Yasmine", "Zineb", "Awa", "Elif", "Ana", "Nathalie", "Sylvie", "Martine", "Houria",
        "Malika", "Christelle", "Aminata", "Khadija", "Fanta", "Élodie", "Mélissa", "Dounia",
    ],
    "M": [
        "Adam", "Amadou", "Bilal", "Enzo", "Hugo", "Ibrahim", "Ilyes", "Kevin", "Lucas", "Mamadou",
        "Mehdi", "Mohamed", "Moussa", "Nathan", "Noah", "Omar", "Rayan", "Sofiane", "Théo", "Yanis",
        "Youssef", "Karim", "Ali", "Emre", "Jean", "Patrick", "Pascal", "Thierry", "Abdelkader", "Samba",
        "Cheikh", "Dylan", "Florian", "Kylian", "Aboubacar", "Tiago", "Vincent", "Ousmane",
    ],
}  # fmt: skip
LAST_NAMES = [
    "Martin", "Bernard", "Diallo", "Traoré", "Benali", "Haddad", "Nguyen", "Da Silva", "Petit", "Durand",
    "Leroy", "Moreau", "Camara", "Keita", "Cissé", "Bensaïd", "Mansouri", "Yilmaz", "Kaya", "Pereira",
    "Fernandes", "Lefebvre", "Garcia", "Rodrigues", "Touré", "Sylla", "Konaté", "Ndiaye", "N'Diaye",
    "Fofana", "Sow", "Bah", "Belkacem", "Amrani", "Cherif", "Lambert", "Fontaine", "Roux", "Vincent",
    "Girard", "Mercier", "Dupont", "Morel", "Gauthier", "Chevalier", "Boyer", "Ben Ahmed", "El Idrissi",
    "Ouattara", "Coulibaly", "Kone", "Dembélé", "Sissoko", "Tran", "Le Goff", "Marie", "Pham", "Lopes",
    "Santos", "Hamidi", "Boukhari", "Zeroual", "Aït Ali", "Mendy", "Gomis", "Sarr",
]  # fmt: skip
# Holders that are not France Travail but often bring France Travail into the follow-up.
LOCAL_HOLDERS = ("ml", "ml-haut", "asso-mesly", "asso-bois", "creteil", "chennevieres")
CLOSING_REASONS = (
    "reprise d'emploi",
    "entrée en formation",
    "déménagement hors du territoire",
    "fin de l'accompagnement",
    "ne donne plus de nouvelles",
)


@dataclass
class Person:
    """Everything about one fictitious person, before it is written."""

    beneficiary: Beneficiary
    follow_up: FollowUp
    holder: str  # org key of the creating organisation
    age: int
    members: list = field(default_factory=list)  # FollowUpMember
    consent: Consent | None = None
    barriers: list = field(default_factory=list)
    events: list = field(default_factory=list)  # TimelineEvent
    facts: set = field(default_factory=set)  # SituationFact kinds

    def active_members(self):
        return [m for m in self.members if m.ended_on is None]

    def referent(self):
        return next(m for m in self.members if m.is_referent and m.ended_on is None)


class Story:
    """Shared state of the generation: the random source, today, the staff and the rows to write."""

    def __init__(self, territory: Territory, orgs: dict[str, Organisation]):
        self.rng = random.Random(SEED)
        self.territory = territory
        self.today = timezone.localdate()
        self.tz = timezone.get_current_timezone()
        self.now = timezone.now()
        self.orgs = orgs
        self.staff: dict[str, list[User]] = {}
        self.people: list[Person] = []
        self.rows: dict[str, list] = {}

    def at(self, day: date, hour: int | None = None) -> datetime:
        """A working-hours moment of ``day`` (never after now when ``day`` is today)."""
        hour = hour if hour is not None else self.rng.choice((9, 10, 11, 14, 15, 16))
        moment = datetime.combine(day, time(hour, self.rng.choice((0, 15, 30, 45))), tzinfo=self.tz)
        return min(moment, self.now - timedelta(minutes=5)) if day <= self.today else moment

    def day_between(self, start: date, end: date) -> date:
        return start + timedelta(days=self.rng.randint(0, max(0, (end - start).days)))

    def add(self, kind: str, *rows) -> None:
        self.rows.setdefault(kind, []).extend(rows)

    def event(self, person: Person, kind: str, moment: datetime, member, text: str, **extra) -> None:
        """A line of the person's timeline, written by ``member`` (a FollowUpMember, or None)."""
        user, organisation = (member.user, member.organisation) if member else (None, None)
        self.line(person, kind, moment, user, organisation, text, **extra)

    def line(
        self, person, kind, moment, user, organisation, text, visibility=TimelineEvent.Visibility.MEMBERS
    ):
        # A tuple, not a model instance: 30,000 of them, inserted without the ORM (see _insert_events).
        person.events.append((kind, moment, user, organisation, visibility, text))


def load_followup_demo(territory: Territory, orgs: dict[str, Organisation]) -> dict[str, int]:
    """Write the demo follow-ups of ``territory`` once; returns the number of rows written by table."""
    orgs = {**orgs, **_extra_organisations(territory)}
    story = Story(territory, orgs)
    story.staff = _staff(orgs)
    if Beneficiary.objects.filter(territory=territory, is_demo=True).exists():
        return {}
    _people(story)
    followup_paths.add_paths(story)
    followup_reviews.add_cohorts_and_reviews(story)
    return _write(story)


# --- staff --------------------------------------------------------------------------------------


def _extra_organisations(territory) -> dict[str, Organisation]:
    names = {row[1]: row[0] for row in EXTRA_ORGANISATIONS}
    return {names[o.name]: o for o in Organisation.objects.filter(territory=territory, name__in=names)}


def _staff(orgs) -> dict[str, list[User]]:
    """The professionals of each demo organisation: the demo accounts first, then their colleagues."""
    staff: dict[str, list[User]] = {}
    memberships = (
        Membership.objects.filter(
            organisation__in=list(orgs.values()), role__in=(Role.COUNSELLOR, Role.COORDINATOR)
        )
        .select_related("user")
        .order_by("pk")
    )
    key_of = {o.pk: key for key, o in orgs.items()}
    for m in memberships:
        staff.setdefault(key_of[m.organisation_id], []).append(m.user)
    for org_key, first_name, last_name in COLLEAGUES:
        if org_key not in orgs:
            continue
        email = colleague_email(org_key, first_name)
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User(email=email, first_name=first_name, last_name=last_name, is_demo=True)
            user.set_unusable_password()
            user.save()
        Membership.objects.get_or_create(user=user, organisation=orgs[org_key], role=Role.COUNSELLOR)
        if user not in staff.setdefault(org_key, []):
            staff[org_key].append(user)
    return staff


# --- people -------------------------------------------------------------------------------------


def perimeter_areas(territory):
    """The (QPV, commune) areas of the current perimeter, with their outline clipped to the commune."""
    pairs = perimeter_pairs(territory.current_perimeter)
    qpvs = {q.code: q for q in QPV.objects.filter(code__in={q for q, _ in pairs}, geography_year=2024)}
    communes = {c.code: c for c in Commune.objects.filter(code__in={c for _, c in pairs})}
    areas = {}
    for qpv_code, commune_code in sorted(pairs):
        outline = shape(qpvs[qpv_code].geometry)
        commune = communes[commune_code]
        if commune.geometry:
            outline = outline.intersection(shape(commune.geometry))
        areas[(qpv_code, commune_code)] = outline
    return pairs, qpvs, communes, areas


def _draw_points(rng, geometry, n: int) -> list[tuple[float, float]]:
    xmin, ymin, xmax, ymax = geometry.bounds
    found: list[tuple[float, float]] = []
    while len(found) < n:
        lons = np.array([rng.uniform(xmin, xmax) for _ in range(4 * n + 20)])
        lats = np.array([rng.uniform(ymin, ymax) for _ in range(4 * n + 20)])
        inside = shapely.contains_xy(geometry, lons, lats)
        found += [(round(x, 6), round(y, 6)) for x, y in zip(lons[inside], lats[inside], strict=True)]
    return found[:n]


def _homes(story: Story, n: int) -> list[dict]:
    """Where the ``n`` people live: in a QPV of the perimeter (checked with the locator) or not."""
    rng, territory = story.rng, story.territory
    pairs, qpvs, communes, areas = perimeter_areas(territory)
    locator = get_locator()
    in_qpv = round(n * IN_QPV_SHARE)
    unlocated = round(n * UNLOCATED_SHARE)
    elsewhere = n - in_qpv - unlocated
    homes: list[dict] = []
    keys = sorted(QPV_WEIGHTS)
    picks = rng.choices(keys, weights=[QPV_WEIGHTS[k] for k in keys], k=in_qpv)
    for key in keys:
        wanted = picks.count(key)
        if not wanted:
            continue
        points = []
        while len(points) < wanted:
            drawn = _draw_points(rng, areas[key], 2 * wanted)
            found = locator.locate_batch([p[0] for p in drawn], [p[1] for p in drawn], pairs)
            # Keep only points the locator puts in this QPV and inside the perimeter, as the app would.
            points += [
                p
                for i, p in enumerate(drawn)
                if found.qpv_code(i) == key[0] and found.dans_perimetre[i] and len(points) < wanted
            ]
        for lon, lat in points[:wanted]:
            homes.append(
                {"qpv": qpvs[key[0]], "commune": communes[key[1]], "lon": lon, "lat": lat, "in": True}
            )
    members = list(territory.communes.order_by("code"))
    weights = [max(c.population or 1000, 1000) for c in members]
    for commune in rng.choices(members, weights=weights, k=elsewhere):
        while True:
            (lon, lat), *_ = _draw_points(rng, shape(commune.geometry), 1)
            if locator.locate(lon, lat).qpv_code is None:
                break
        homes.append({"qpv": None, "commune": commune, "lon": lon, "lat": lat, "in": False})
    for commune in rng.choices(members, weights=weights, k=unlocated):
        homes.append({"qpv": None, "commune": commune, "lon": None, "lat": None, "in": False})
    rng.shuffle(homes)
    return homes


def _age(rng) -> int:
    group = rng.choices((AgeGroup.YOUNG, AgeGroup.ADULT, AgeGroup.SENIOR), weights=(36, 44, 20))[0]
    return {AgeGroup.YOUNG: rng.randint(16, 25), AgeGroup.ADULT: rng.randint(26, 49)}.get(
        group, rng.randint(50, 64)
    )


def _holder(rng, age: int, home: dict, rqth: bool) -> str:
    if rqth and age >= 18 and rng.random() < 0.5:
        return "cap"
    places = {home["commune"].code, home["qpv"].code if home["qpv"] else ""}
    candidates = [
        (key, weight)
        for key, weight, (low, high), served in HOLDERS
        if low <= age <= high and (served is None or places & set(served)) and key != "cap"
    ]
    return rng.choices([k for k, _ in candidates], weights=[w for _, w in candidates])[0]


def _pick_user(story: Story, org_key: str, *, favour_demo: float = 0.3) -> User:
    """A professional of the organisation; the demo account (first) gets a good share of the people."""
    users = story.staff[org_key]
    if len(users) > 1 and story.rng.random() < favour_demo:
        return users[0]
    return story.rng.choice(users)


def _people(story: Story) -> None:
    rng, today = story.rng, story.today
    for i, home in enumerate(_homes(story, PEOPLE)):
        age = _age(rng)
        sex = "F" if rng.random() < 0.5 else "M"
        rqth = rng.random() < (0.04 if age < 26 else 0.09)
        holder = _holder(rng, age, home, rqth)
        birth = today - timedelta(days=365 * age + rng.randint(10, 355))
        first, last = rng.choice(FIRST_NAMES[sex]), rng.choice(LAST_NAMES)
        opened = today - timedelta(days=rng.randint(2, 820))
        beneficiary = Beneficiary(
            territory=story.territory,
            created_by_organisation=story.orgs[holder],
            first_name=first,
            last_name=last,
            birth_date=birth,
            sex=sex,
            phone=f"06 39 98 {rng.randint(0, 99):02d} {rng.randint(0, 99):02d}"
            if rng.random() < 0.85
            else "",
            email=f"{first.lower()[:1]}.personne{i}@demo.test" if rng.random() < 0.6 else "",
            address=(
                f"{rng.randint(1, 120)} {rng.choice(STREETS + EXTRA_STREETS)} (adresse fictive)"
                if home["lon"] is not None
                else ""
            ),
            postcode=(home["commune"].postcodes or [""])[0],
            commune=home["commune"],
            longitude=home["lon"],
            latitude=home["lat"],
            qpv=home["qpv"],
            in_perimeter=home["in"],
            located_by=LocatedBy.MAP if home["lon"] is not None else LocatedBy.NONE,
            diploma_level=rng.choices(
                [c for c, _ in DiplomaLevel.choices] + [""], weights=(30, 25, 20, 10, 6, 3, 6)
            )[0],
            search_name=search_key(first, last),
            is_demo=True,
        )
        closed = opened < today - timedelta(days=120) and rng.random() < 0.3
        follow_up = FollowUp(
            beneficiary=beneficiary,
            opened_on=opened,
            status=FollowUp.Status.CLOSED if closed else FollowUp.Status.OPEN,
        )
        if closed:
            follow_up.closed_on = story.day_between(opened + timedelta(days=90), today - timedelta(days=3))
            follow_up.closing_reason = rng.choice(CLOSING_REASONS)
        for months, name in ((6, "situation_asked_6_at"), (12, "situation_asked_12_at")):
            # The daily task would otherwise ask about every old demo follow-up at once.
            asked = opened + timedelta(days=months * 30 + 1)
            if asked <= today:
                setattr(follow_up, name, story.at(asked))
        person = Person(beneficiary, follow_up, holder, age)
        if rqth:
            person.facts.add(SituationFact.Kind.RQTH)
        story.people.append(person)
        _members(story, person)
        _facts(story, person)


def _member(story, person, org_key, user, *, referent=False, since=None, reason="") -> FollowUpMember:
    member = FollowUpMember(
        follow_up=person.follow_up,
        organisation=story.orgs[org_key],
        user=user,
        is_referent=referent,
        started_on=since or person.follow_up.opened_on,
        reason=reason,
    )
    person.members.append(member)
    return member


def _members(story: Story, person: Person) -> None:
    """The referent of the holding organisation, then — with consent — professionals of other ones."""
    rng, follow_up, today = story.rng, person.follow_up, story.today
    opened = follow_up.opened_on
    referent = _member(
        story,
        person,
        person.holder,
        _pick_user(story, person.holder),
        referent=True,
        reason="création de la fiche",
    )
    story.event(
        person,
        K.MEMBER,
        story.at(opened),
        referent,
        f"Entrée dans le suivi ; référent·e de parcours : {_name(referent.user)} ({referent.organisation.name}).",
    )
    if rng.random() < 0.86:
        given = min(opened + timedelta(days=rng.randint(0, 10)), today)
        person.consent = Consent(
            beneficiary=person.beneficiary,
            given_on=given,
            scope=Consent.Scope.TERRITORY if rng.random() < 0.2 else Consent.Scope.FOLLOW_UP,
            collected_by=referent.user,
            organisation=referent.organisation,
        )
        story.event(
            person,
            K.CONSENT,
            story.at(given),
            referent,
            f"Consentement recueilli le {given:%d/%m/%Y} ({person.consent.get_scope_display().lower()}).",
        )
    if person.consent is None:
        if rng.random() < 0.1 and len(story.staff[person.holder]) > 1:
            colleague = next(u for u in story.staff[person.holder] if u != referent.user)
            _join(story, person, person.holder, colleague, "binôme au sein de la structure")
        return
    young = person.age < 26
    wanted = []
    if young and person.holder not in ("ml", "ml-haut") and rng.random() < 0.45:
        wanted.append(("ml", "accompagnement jeunes (CEJ)"))
    if person.holder in LOCAL_HOLDERS and rng.random() < 0.35:
        wanted.append(("ft", "inscription et offres France Travail"))
    if SituationFact.Kind.RQTH in person.facts and person.holder != "cap" and rng.random() < 0.6:
        wanted.append(("cap", "accompagnement emploi et handicap"))
    if not young and person.holder != "plie" and rng.random() < 0.18:
        wanted.append(("plie", "parcours renforcé PLIE"))
    qpv = person.beneficiary.qpv.code if person.beneficiary.qpv else ""
    if qpv == "QN09405M" and person.holder != "asso-mesly" and rng.random() < 0.12:
        wanted.append(("asso-mesly", "accompagnement de proximité au Mont-Mesly"))
    if qpv == "QN09424I" and person.holder != "asso-bois" and rng.random() < 0.15:
        wanted.append(("asso-bois", "accompagnement de proximité au Bois l'Abbé"))
    for org_key, reason in wanted:
        if org_key == person.holder:
            continue
        _join(story, person, org_key, _pick_user(story, org_key, favour_demo=0.6), reason)
    if rng.random() < 0.04:
        # A former member: the history of a follow-up keeps those who left it.
        others = [k for k in ("plie", "creteil", "asso-mesly") if k != person.holder]
        org_key = rng.choice(others)
        member = _join(story, person, org_key, _pick_user(story, org_key), "atelier collectif")
        if member is not None:
            member.ended_on = story.day_between(member.started_on, story.today)
            member.end_reason = "fin de l'atelier"


def _join(story, person, org_key, user, reason) -> FollowUpMember | None:
    if any(m.user == user and m.ended_on is None for m in person.members):
        return None
    follow_up = person.follow_up
    since = story.day_between(
        (person.consent.given_on if person.consent else follow_up.opened_on),
        min(story.today, follow_up.closed_on or story.today),
    )
    member = _member(story, person, org_key, user, since=since, reason=reason)
    inviter = person.referent()
    story.event(
        person,
        K.MEMBER,
        story.at(since),
        member,
        f"{_name(user)} ({member.organisation.name}) rejoint le suivi, invité·e par {_name(inviter.user)}.",
    )
    return member


def _facts(story: Story, person: Person) -> None:
    rng, opened = story.rng, person.follow_up.opened_on
    recorded_by = person.referent().user
    facts = []

    def fact(kind, value="", started=None):
        facts.append(
            SituationFact(
                beneficiary=person.beneficiary,
                kind=kind,
                value=value,
                started_on=started,
                recorded_by=recorded_by,
            )
        )
        person.facts.add(kind)

    registered = person.holder.startswith("ft") or rng.random() < (0.5 if person.age < 26 else 0.75)
    if registered:
        since = opened - timedelta(days=rng.randint(0, 900))
        fact(SituationFact.Kind.FT_REGISTERED, "", since)
        fact(SituationFact.Kind.FT_CATEGORY, rng.choices("ABC", weights=(70, 15, 15))[0], since)
        person.beneficiary.france_travail_id = f"{rng.randint(0, 9_999_999):07d}{rng.choice('ABCDEFGHJK')}"
    if rng.random() < 0.6:
        fact(SituationFact.Kind.UNEMPLOYED_SINCE, "", opened - timedelta(days=rng.randint(30, 1500)))
    if person.age >= 25 and rng.random() < 0.28:
        fact(SituationFact.Kind.RSA, "", opened - timedelta(days=rng.randint(0, 1000)))
    if SituationFact.Kind.RQTH in person.facts:
        fact(SituationFact.Kind.RQTH, "", opened - timedelta(days=rng.randint(100, 2000)))
    if person.age >= 50 and rng.random() < 0.12:
        fact(SituationFact.Kind.ASS, "", opened - timedelta(days=rng.randint(0, 700)))
    with_ml = any(m.organisation.kind == "mission-locale" for m in person.members)
    if person.age < 26 and with_ml and rng.random() < 0.5:
        fact(SituationFact.Kind.CEJ, "", opened + timedelta(days=rng.randint(0, 30)))
    story.add("facts", *facts)


def _name(user) -> str:
    return user.get_full_name() or user.email


EXTRA_STREETS = [
    "rue du Commandant Joyen Boulard",
    "allée des Érables",
    "avenue Pierre Brossolette",
    "rue Paul Valéry",
    "place de l'Abbaye",
    "rue des Sablières",
    "avenue du Maréchal Foch",
    "chemin des Bruyères",
]


# --- writing ------------------------------------------------------------------------------------


def _write(story: Story) -> dict[str, int]:
    """Insert every row, parents first; bulk_create sets the primary keys children need."""
    people = story.people
    for person in people:
        past = [e[1] for e in person.events if e[1] <= story.now]
        person.follow_up.last_activity_at = max(past) if past else story.at(person.follow_up.opened_on)
    Beneficiary.objects.bulk_create([p.beneficiary for p in people], batch_size=500)
    FollowUp.objects.bulk_create([p.follow_up for p in people], batch_size=500)
    counts = {"bénéficiaires": len(people)}
    counts["membres"] = len(
        FollowUpMember.objects.bulk_create([m for p in people for m in p.members], batch_size=1000)
    )
    counts["consentements"] = len(
        Consent.objects.bulk_create([p.consent for p in people if p.consent], batch_size=1000)
    )
    counts["situations"] = len(
        SituationFact.objects.bulk_create(story.rows.get("facts", []), batch_size=1000)
    )
    counts.update(followup_paths.write(story))
    counts.update(followup_reviews.write(story))
    counts["événements"] = _insert_events(people)
    return counts


def _insert_events(people) -> int:
    """The timeline lines, the largest table: rows of adapted values, ``COPY`` on PostgreSQL and
    ``executemany`` elsewhere — ``bulk_create`` spent seconds compiling 30,000 rows of SQL."""
    adapt = connection.ops.adapt_datetimefield_value
    rows = [
        (
            p.follow_up.pk,
            kind,
            adapt(at),
            user.pk if user else None,
            org.pk if org else None,
            visibility,
            text,
        )
        for p in people
        for kind, at, user, org, visibility, text in p.events
    ]
    names = ("follow_up_id", "kind", "at", "author_id", "organisation_id", "visibility", "text")
    quote = connection.ops.quote_name
    table, columns = quote(TimelineEvent._meta.db_table), ", ".join(quote(n) for n in names)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(names))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
    return len(rows)
