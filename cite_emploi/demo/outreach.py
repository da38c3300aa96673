"""Fictitious aller-vers and recruitment for the demo: a year of actions and 12 recruitment events.

- A weekly permanence in each of the nine QPV of the perimeter, from a year ago to a month ahead
  (an occurrence of the series each week; past ones held or, now and then, cancelled; future ones
  planned), plus about forty one-off actions (porte-à-porte, market stands, bus, sport and culture
  events, events with the neighbourhood associations).
- People reached are counted by age group and sex; a share of the demo follow-ups opened in the year
  started from an action held in their QPV a few days before (``ActionOrigin``).
- Twelve recruitment events (ten held, two ahead) with the demo employers and their offers, candidates
  invited by a member of their follow-up, interviews, and hires that are outcomes of the follow-up
  (with their timeline line), as ``outreach.events`` records them.

Deterministic, written once, not audited: see ``followup.py``.
"""

import random
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from cite_emploi.followup.models import Beneficiary, FollowUpMember, Outcome, TimelineEvent
from cite_emploi.followup.services import CONTRACT_LABELS
from cite_emploi.outreach.models import (
    ActionOrigin,
    EventCandidate,
    EventEmployer,
    EventOffer,
    Interview,
    OutreachAction,
    OutreachKind,
    OutreachSeries,
    ReachedCount,
    RecruitmentEvent,
    RecruitmentKind,
)
from cite_emploi.talent.models import JobOffer
from cite_emploi.territory.models import QPV, Commune

from .followup import perimeter_areas

SEED = 2026
WEEKS_BACK, WEEKS_AHEAD = 52, 4
ONE_OFF_ACTIONS = 40
EVENTS = 12
# Who holds the permanence of each QPV (org keys of the demo), and where.
PERMANENCE_HOSTS = (
    "ft",
    "ml",
    "creteil",
    "asso-mesly",
    "plie",
    "ft-boissy",
    "chennevieres",
    "asso-bois",
    "ml",
)
PLACES = ("Centre social", "Maison de quartier", "Médiathèque", "Espace jeunesse", "Antenne de la mairie")
ONE_OFF_KINDS = (
    (OutreachKind.DOOR_TO_DOOR, "Porte-à-porte emploi", ("ft", "asso-mesly")),
    (OutreachKind.MARKET_STAND, "Stand emploi au marché", ("ft", "ml", "creteil")),
    (OutreachKind.MOBILE_BUS, "Bus de l'emploi", ("ft", "ml", "cap", "plie")),
    (OutreachKind.SPORT_CULTURE, "Tournoi de foot et job dating sportif", ("ml", "asso-bois")),
    (OutreachKind.ASSOCIATION_EVENT, "Café emploi avec l'association", ("asso-mesly", "ml")),
)
EVENT_PLAN = (
    (RecruitmentKind.JOB_DATING, "Job dating logistique", ("employer", "agro", "supermarche")),
    (
        RecruitmentKind.FORUM,
        "Forum de l'emploi de Créteil",
        ("hotel", "ehpad", "btp", "securite", "proprete"),
    ),
    (RecruitmentKind.SIMULATION, "Recrutement par simulation — préparation de commandes", ("employer",)),
    (RecruitmentKind.COMPANY_VISIT, "Visite de la conserverie", ("agro",)),
    (RecruitmentKind.COLLECTIVE_IMMERSION, "Immersion collective en EHPAD", ("ehpad",)),
    (RecruitmentKind.NO_CV, "Recrutement sans CV — grande distribution", ("supermarche", "boulangerie")),
)
OUTCOME_OF_CONTRACT = {
    "cdi": (Outcome.Kind.LASTING_JOB, "cdi"),
    "cdd": (Outcome.Kind.TRANSITION_JOB, "cdd-moins-6-mois"),
    "interim": (Outcome.Kind.TRANSITION_JOB, "interim"),
    "alternance": (Outcome.Kind.TRAINING, ""),
}


def load_outreach_demo(territory, orgs, employers, today: date | None = None) -> dict[str, int]:
    if OutreachAction.objects.filter(territory=territory, is_demo=True).exists():
        return {}
    rng = random.Random(SEED)
    today = today or timezone.localdate()
    tz = timezone.get_current_timezone()
    areas = _areas(territory)
    actions = _permanences(rng, territory, orgs, areas, today, tz)
    actions += _one_off_actions(rng, territory, orgs, areas, today, tz)
    counts = {"actions d'aller-vers": len(actions), "comptages": _reached(rng, actions)}
    counts["entrées en suivi depuis une action"] = _origins(rng, territory, actions)
    counts.update(_events(rng, territory, orgs, employers, areas, today, tz))
    return counts


def _areas(territory) -> list[tuple[QPV, Commune, object]]:
    """One place per QPV of the perimeter: its first commune, and a point inside its part there."""
    pairs, qpvs, communes, outlines = perimeter_areas(territory)
    areas, seen = [], set()
    for qpv_code, commune_code in sorted(pairs):
        if qpv_code not in seen:
            seen.add(qpv_code)
            outline = outlines[(qpv_code, commune_code)]
            areas.append((qpvs[qpv_code], communes[commune_code], outline.representative_point()))
    return areas


def _moment(day: date, hour: int, minute: int, tz) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=tz)


def _status(rng, day: date, today: date) -> str:
    if day >= today:
        return OutreachAction.Status.PLANNED
    return OutreachAction.Status.CANCELLED if rng.random() < 0.06 else OutreachAction.Status.DONE


def _permanences(rng, territory, orgs, areas, today, tz) -> list[OutreachAction]:
    actions, hosts_of = [], {}
    for n, (qpv, commune, point) in enumerate(areas):
        host = orgs[PERMANENCE_HOSTS[n % len(PERMANENCE_HOSTS)]]
        partner = orgs["ft"] if host.pk != orgs["ft"].pk else orgs["ml"]
        weekday, hour = n % 5, (9, 14)[n % 2]
        first = today - timedelta(weeks=WEEKS_BACK)
        first += timedelta(days=(weekday - first.weekday()) % 7)
        label = f"{rng.choice(PLACES)} — {qpv.name}"
        series = OutreachSeries.objects.create(
            territory=territory,
            kind=OutreachKind.PERMANENCE,
            title=f"Permanence emploi — {qpv.name}",
            qpv=qpv,
            commune=commune,
            place_label=label,
            latitude=round(point.y, 6),
            longitude=round(point.x, 6),
            weekday=weekday,
            start_time=time(hour, 0),
            duration_minutes=180,
            every_weeks=1,
            starts_on=first,
            ends_on=first + timedelta(weeks=WEEKS_BACK + WEEKS_AHEAD),
            is_demo=True,
        )
        series.organisations.set([host, partner])
        hosts_of[series.pk] = (host.pk, partner.pk)
        for week in range(WEEKS_BACK + WEEKS_AHEAD + 1):
            day = first + timedelta(weeks=week)
            actions.append(
                OutreachAction(
                    territory=territory,
                    series=series,
                    kind=series.kind,
                    title=series.title,
                    qpv=qpv,
                    commune=commune,
                    place_label=label,
                    latitude=series.latitude,
                    longitude=series.longitude,
                    starts_at=_moment(day, hour, 0, tz),
                    duration_minutes=180,
                    status=_status(rng, day, today),
                    is_demo=True,
                )
            )
    actions = OutreachAction.objects.bulk_create(actions)
    through = OutreachAction.organisations.through
    rows = [
        through(outreachaction_id=a.pk, organisation_id=organisation_id)
        for a in actions
        for organisation_id in hosts_of[a.series_id]
    ]
    through.objects.bulk_create(rows)
    return actions


def _one_off_actions(rng, territory, orgs, areas, today, tz) -> list[OutreachAction]:
    actions, hosts = [], []
    for _ in range(ONE_OFF_ACTIONS):
        kind, title, org_keys = rng.choice(ONE_OFF_KINDS)
        qpv, commune, point = rng.choice(areas)
        day = today - timedelta(days=rng.randint(-25, 360))
        actions.append(
            OutreachAction(
                territory=territory,
                kind=kind,
                title=f"{title} — {qpv.name}",
                qpv=qpv,
                commune=commune,
                place_label=f"Quartier {qpv.name}",
                latitude=round(point.y + rng.uniform(-0.002, 0.002), 6),
                longitude=round(point.x + rng.uniform(-0.002, 0.002), 6),
                starts_at=_moment(day, rng.choice((10, 14, 16)), 0, tz),
                duration_minutes=rng.choice((120, 180, 240)),
                status=_status(rng, day, today),
                is_demo=True,
            )
        )
        hosts.append([orgs[k] for k in org_keys if k in orgs])
    actions = OutreachAction.objects.bulk_create(actions)
    through = OutreachAction.organisations.through
    through.objects.bulk_create(
        through(outreachaction_id=a.pk, organisation_id=o.pk)
        for a, orgs_of in zip(actions, hosts, strict=True)
        for o in orgs_of
    )
    return actions


def _reached(rng, actions) -> int:
    """People met at each held action, by age group × sex (a few « non précisé »), and contacts left."""
    rows = []
    for action in actions:
        if action.status != OutreachAction.Status.DONE:
            continue
        scale = 3 if action.kind == OutreachKind.PERMANENCE else 8
        total = 0
        for group in ("jeunes", "adultes", "seniors"):
            for sex in ("F", "M"):
                count = rng.randint(0, scale + (scale if group == "adultes" else 0))
                total += count
                if count:
                    rows.append(ReachedCount(action=action, age_group=group, sex=sex, count=count))
        if rng.random() < 0.3:
            rows.append(ReachedCount(action=action, age_group="", sex="", count=rng.randint(1, 6)))
        action.contacts_left = round(total * rng.uniform(0.2, 0.5))
        action.notes = "Bilan fictif : échanges sur l'emploi, la formation et les démarches."
    OutreachAction.objects.bulk_update(actions, ["contacts_left", "notes"], batch_size=500)
    return len(ReachedCount.objects.bulk_create(rows, batch_size=1000))


def _origins(rng, territory, actions) -> int:
    """A third of the follow-ups opened this year started from a held action of their QPV, days before."""
    held: dict[int, list[OutreachAction]] = {}
    for a in actions:
        if a.status == OutreachAction.Status.DONE:
            held.setdefault(a.qpv_id, []).append(a)
    people = Beneficiary.objects.filter(
        territory=territory,
        is_demo=True,
        qpv__isnull=False,
        follow_up__opened_on__gte=timezone.localdate() - timedelta(days=330),
    ).values_list("qpv_id", "follow_up__pk", "follow_up__opened_on", "follow_up__members__user_id")
    rows, seen = [], set()
    for qpv_id, follow_up_id, opened_on, user_id in people.order_by("pk"):
        if follow_up_id in seen or qpv_id not in held or rng.random() > 0.33:
            seen.add(follow_up_id)
            continue
        seen.add(follow_up_id)
        before = [a for a in held[qpv_id] if 0 <= (opened_on - timezone.localdate(a.starts_at)).days <= 21]
        if before:
            action = rng.choice(before)
            rows.append(
                ActionOrigin(
                    action=action,
                    follow_up_id=follow_up_id,
                    recorded_by_id=user_id,
                    recorded_at=action.starts_at,
                )
            )
    return len(ActionOrigin.objects.bulk_create(rows))


def _events(rng, territory, orgs, employers, areas, today, tz) -> dict[str, int]:
    offers_of: dict[int, list[JobOffer]] = {}
    for offer in JobOffer.objects.filter(territory=territory, is_demo=True).order_by("pk"):
        offers_of.setdefault(offer.organisation_id, []).append(offer)
    candidates_pool = _candidates_pool(territory)
    rng.shuffle(candidates_pool)
    counts = {"opérations de recrutement": 0, "candidats": 0, "entretiens": 0, "recrutements": 0}
    for n in range(EVENTS):
        kind, title, employer_keys = EVENT_PLAN[n % len(EVENT_PLAN)]
        qpv, commune, point = areas[n % len(areas)]
        day = today + timedelta(days=(-330 + n * 30) if n < EVENTS - 2 else (12 + 21 * (n - EVENTS + 2)))
        held = day < today
        event = RecruitmentEvent.objects.create(
            territory=territory,
            kind=kind,
            title=f"{title} ({commune.name})",
            description="Opération fictive de démonstration : candidats préparés par leurs référents.",
            starts_at=_moment(day, 9, 30, tz),
            ends_at=_moment(day, 13, 0, tz),
            status=RecruitmentEvent.Status.DONE if held else RecruitmentEvent.Status.PLANNED,
            qpv=qpv,
            commune=commune,
            place_label=f"{rng.choice(PLACES)} — {qpv.name}",
            latitude=round(point.y, 6),
            longitude=round(point.x, 6),
            registration_open=not held,
            registration_deadline=day - timedelta(days=5),
            is_demo=True,
        )
        event.organisers.set([orgs["cite"], orgs["ft"]])
        counts["opérations de recrutement"] += 1
        participants = []
        for key in employer_keys:
            company = employers[key]
            participant = EventEmployer.objects.create(
                event=event,
                organisation=company,
                company_name=company.name,
                contact_name="Responsable recrutement (fictif)",
                contact_email=f"recrutement.{key}@demo.test",
                status=EventEmployer.Status.CONFIRMED,
                registered_at=event.starts_at - timedelta(days=20),
            )
            shown = offers_of.get(company.pk, [])[:2]
            EventOffer.objects.bulk_create(
                EventOffer(event=event, offer=o, employer=participant) for o in shown
            )
            participants.append((participant, shown))
        size = rng.randint(10, 18)
        invited, candidates_pool = candidates_pool[:size], candidates_pool[size:]
        for follow_up_id, user_id, organisation_id in invited:
            candidate = EventCandidate.objects.create(
                event=event,
                follow_up_id=follow_up_id,
                invited_by_id=user_id,
                organisation_id=organisation_id,
                prepared=rng.random() < 0.7,
                preparation=rng.choice(
                    ("Atelier CV", "Simulation d'entretien", "Atelier CV et simulation d'entretien", "")
                ),
                status=_candidate_status(rng, held),
                invited_at=event.starts_at - timedelta(days=rng.randint(7, 20)),
            )
            counts["candidats"] += 1
            if candidate.status != EventCandidate.Status.PRESENT:
                continue
            participant, shown = rng.choice(participants)
            offer = rng.choice(shown) if shown else None
            hired = rng.random() < 0.3
            interview = Interview(
                candidate=candidate,
                employer=participant,
                offer=offer,
                result=Interview.Result.HIRED
                if hired
                else rng.choice((Interview.Result.NOT_SELECTED, Interview.Result.PENDING)),
                recorded_by_id=user_id,
                recorded_at=event.ends_at,
            )
            counts["entretiens"] += 1
            if hired:
                interview.hired_on = day + timedelta(days=rng.randint(7, 30))
                interview.outcome = _hire(
                    event, participant, offer, follow_up_id, user_id, organisation_id, interview.hired_on, tz
                )
                interview.contract = interview.outcome.contract
                counts["recrutements"] += 1
            interview.save()
    return counts


def _candidates_pool(territory) -> list[tuple[int, int, int]]:
    """(follow-up, inviting member's user, their organisation) for open, consenting follow-ups."""
    rows = (
        FollowUpMember.objects.filter(
            follow_up__beneficiary__territory=territory,
            follow_up__beneficiary__is_demo=True,
            follow_up__status="open",
            is_referent=True,
            ended_on__isnull=True,
            follow_up__beneficiary__consents__withdrawn_on__isnull=True,
        )
        .values_list("follow_up_id", "user_id", "organisation_id")
        .order_by("follow_up_id")
        .distinct()
    )
    return list(rows)


def _candidate_status(rng, held: bool) -> str:
    if not held:
        return rng.choice((EventCandidate.Status.INVITED, EventCandidate.Status.CONFIRMED))
    return rng.choices(
        (EventCandidate.Status.PRESENT, EventCandidate.Status.ABSENT, EventCandidate.Status.EXCUSED),
        weights=(7, 2, 1),
    )[0]


def _hire(event, participant, offer, follow_up_id, user_id, organisation_id, hired_on, tz) -> Outcome:
    """The hire as the person's outcome, with its timeline line, as ``record_outcome`` writes them."""
    kind, contract = OUTCOME_OF_CONTRACT.get(offer.contract if offer else "cdd", OUTCOME_OF_CONTRACT["cdd"])
    outcome = Outcome.objects.create(
        follow_up_id=follow_up_id,
        kind=kind,
        contract=contract,
        occurred_on=hired_on,
        details=f"Recruté à l'opération « {event.title} » par {participant.company_name}"[:255],
        recorded_by_id=user_id,
    )
    label = Outcome.Kind(kind).label + (f" — {CONTRACT_LABELS[contract]}" if contract else "")
    moment = min(_moment(hired_on, 17, 0, tz), timezone.now() - timedelta(minutes=5))
    TimelineEvent.objects.create(
        follow_up_id=follow_up_id,
        kind=TimelineEvent.Kind.OUTCOME,
        at=moment,
        author_id=user_id,
        organisation_id=organisation_id,
        text=f"Sortie le {hired_on:%d/%m/%Y} : {label}.",
    )
    return outcome
