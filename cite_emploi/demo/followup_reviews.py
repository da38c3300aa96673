"""The demo's three cohorts and its monthly case reviews (instances de coordination).

Called by ``followup.py`` with its ``Story``. The rules of ``followup/reviews.py`` hold by
construction: only people whose record every participating organisation may share (consent) are
put on an agenda, each decision's owner is an active member of the person's follow-up, and each
inscription and decision is a line of the person's timeline.
"""

from datetime import date, timedelta

from cite_emploi.followup.models import (
    CaseReview,
    CaseReviewItem,
    Cohort,
    FollowUp,
    FollowUpMember,
    TimelineEvent,
)
from cite_emploi.followup.services import add_months

K = TimelineEvent.Kind
MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip
REVIEW_ORGANISATIONS = ("cite", "ft", "ml", "cap", "plie", "creteil", "asso-mesly")
REVIEWS_PAST = 6  # monthly reviews already held, plus the next one (agenda set, no decision yet)
ITEMS_PER_REVIEW = 8
DECISIONS = (
    "Orientation vers l'aide au permis de conduire ; dossier de financement à monter.",
    "Inscription au prochain job dating de la Cité de l'emploi.",
    "Entrée en formation qualifiante à préparer avec le PLIE.",
    "Solution de garde d'enfants à trouver avant la reprise d'emploi.",
    "Immersion professionnelle de deux semaines à organiser (PMSMP).",
    "Accompagnement renforcé : un rendez-vous toutes les deux semaines.",
    "Relais avec le bailleur pour la demande de logement.",
    "Bilan de santé proposé, puis point en instance suivante.",
)


def _month(day: date) -> str:
    return f"{MONTHS[day.month - 1]} {day.year}"


def _second_tuesday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(1 - first.weekday()) % 7 + 7)


def add_cohorts_and_reviews(story) -> None:
    story.cohorts, story.cohort_links, story.reviews, story.review_items = [], [], [], []
    _cohorts(story)
    _reviews(story)


def _open_during(person, start: date, end: date | None) -> bool:
    follow_up = person.follow_up
    return follow_up.opened_on <= (end or date.max) and (follow_up.closed_on or date.max) >= start


def _cohorts(story) -> None:
    rng, today = story.rng, story.today
    start_of_month = today.replace(day=1)
    young_entry = add_months(start_of_month, -13)
    senior_entry = add_months(start_of_month, -5)
    women_entry = add_months(start_of_month, -2)
    plans = (
        (
            f"Jeunes du Mont-Mesly — {_month(young_entry)} (démo)",
            young_entry,
            add_months(young_entry, 6),
            lambda p: p.age < 26 and p.beneficiary.qpv_id and p.beneficiary.qpv.code == "QN09405M",
            60,
        ),
        (
            f"Seniors des quartiers de GPSEA — {_month(senior_entry)} (démo)",
            senior_entry,
            add_months(senior_entry, 9),
            lambda p: p.age >= 50 and p.beneficiary.qpv_id,
            70,
        ),
        (
            f"Femmes des quartiers vers l'emploi — {_month(women_entry)} (démo)",
            women_entry,
            None,
            lambda p: p.beneficiary.sex == "F" and 26 <= p.age < 50 and p.beneficiary.in_perimeter,
            50,
        ),
    )
    for name, entry, exit_on, fits, size in plans:
        cohort = Cohort(territory=story.territory, name=name, entry_on=entry, exit_on=exit_on)
        story.cohorts.append(cohort)
        candidates = [
            p
            for p in story.people
            if fits(p)
            and p.follow_up.opened_on <= entry + timedelta(days=20)
            and _open_during(p, entry, exit_on)
        ]
        for person in rng.sample(candidates, min(size, len(candidates))):
            story.cohort_links.append((cohort, person.follow_up))
            member = person.referent()
            day = max(entry, person.follow_up.opened_on)
            dates = f"entrée le {entry:%d/%m/%Y}" + (f", sortie le {exit_on:%d/%m/%Y}" if exit_on else "")
            story.event(
                person,
                K.NOTE,
                story.at(min(day, today)),
                member,
                f"Entre dans la cohorte « {name} » ({dates}).",
            )


def _reviews(story) -> None:
    rng, today = story.rng, story.today
    coordinator = story.staff["cite"][0]
    organisations = [story.orgs[k] for k in REVIEW_ORGANISATIONS if k in story.orgs]
    participant_ids = {o.pk for o in organisations}
    demo_users = {story.staff["ft"][0], story.staff["ml"][0]}
    month = today.replace(day=1)
    held = [
        _second_tuesday(d.year, d.month) for d in (add_months(month, -i) for i in range(REVIEWS_PAST, -2, -1))
    ]
    past = [d for d in held if d < today][-REVIEWS_PAST:]
    upcoming = next(d for d in held if d >= today)
    examined: set[int] = set()
    for held_on in [*past, upcoming]:
        review = CaseReview(
            territory=story.territory,
            title=f"Cellule opérationnelle emploi — {_month(held_on)} (démo)",
            held_on=held_on,
            created_by=coordinator,
        )
        story.reviews.append((review, organisations))
        # People shared with every participant (consent), followed by one of them, open on that day.
        candidates = [
            p
            for p in story.people
            if p.consent is not None
            and p.consent.given_on <= held_on
            and p.follow_up.opened_on < held_on - timedelta(days=14)
            and (p.follow_up.closed_on is None or p.follow_up.closed_on > held_on)
            and any(m.organisation.pk in participant_ids for m in p.active_members())
            and id(p) not in examined
        ]
        mine = [p for p in candidates if {m.user for m in p.active_members()} & demo_users]
        chosen = rng.sample(mine, min(len(mine), ITEMS_PER_REVIEW // 2))
        rest = [p for p in candidates if p not in chosen]
        chosen += rng.sample(rest, min(len(rest), ITEMS_PER_REVIEW - len(chosen)))
        for person in chosen:
            examined.add(id(person))
            _item(story, review, person, decided=held_on < today)


def _item(story, review, person, *, decided: bool) -> None:
    rng = story.rng
    members = person.active_members()
    inscriber = next((m for m in members if m.is_referent), members[0])
    item = CaseReviewItem(review=review, follow_up=person.follow_up)
    coordinator = story.staff["cite"][0]
    if rng.random() < 0.5 and coordinator not in {m.user for m in members}:
        # The coordination joins some of the situations it examines: it then sees their names.
        since = min(review.held_on, story.today)
        joined = FollowUpMember(
            follow_up=person.follow_up,
            organisation=story.orgs["cite"],
            user=coordinator,
            started_on=since,
            reason="situation examinée en instance de coordination",
        )
        person.members.append(joined)
        story.event(
            person,
            K.MEMBER,
            story.at(since, 12),
            joined,
            f"{coordinator.get_full_name()} ({joined.organisation.name}) rejoint le suivi.",
        )
    label = f"l'instance « {review.title} » du {review.held_on:%d/%m/%Y}"
    when = min(review.held_on - timedelta(days=rng.randint(3, 10)), story.today)
    story.event(
        person, K.CASE_REVIEW, story.at(when), inscriber, f"Situation inscrite à l'ordre du jour de {label}."
    )
    if decided:
        owner = rng.choice(members)
        item.decision = rng.choice(DECISIONS)
        item.owner = owner.user
        item.due_on = review.held_on + timedelta(days=rng.choice((15, 30, 45)))
        text = (
            f"Décision de {label} : {item.decision} — mise en œuvre par "
            f"{owner.user.get_full_name() or owner.user.email}, échéance le {item.due_on:%d/%m/%Y}."
        )
        story.event(person, K.CASE_REVIEW, story.at(review.held_on, 11), inscriber, text)
        # A decision moves the person's file: the review is often followed by an appointment.
        if person.follow_up.status == FollowUp.Status.OPEN and rng.random() < 0.5:
            day = min(review.held_on + timedelta(days=rng.randint(2, 10)), story.today)
            story.event(
                person,
                K.APPOINTMENT,
                story.at(day),
                owner,
                "Rendez-vous pour mettre en œuvre la décision de l'instance.",
            )
    story.review_items.append(item)


def write(story) -> dict[str, int]:
    """Cohorts are unique by name in a territory: an existing one is reused, never duplicated."""
    cohorts = []
    for cohort in story.cohorts:
        saved, _ = Cohort.objects.get_or_create(
            territory=cohort.territory,
            name=cohort.name,
            defaults={"entry_on": cohort.entry_on, "exit_on": cohort.exit_on},
        )
        cohort.pk = saved.pk
        cohorts.append(saved)
    through = Cohort.follow_ups.through
    through.objects.bulk_create(
        [through(cohort_id=c.pk, followup_id=f.pk) for c, f in story.cohort_links], ignore_conflicts=True
    )
    CaseReview.objects.bulk_create([review for review, _ in story.reviews])
    links = CaseReview.organisations.through
    links.objects.bulk_create(
        [links(casereview_id=review.pk, organisation_id=o.pk) for review, orgs in story.reviews for o in orgs]
    )
    CaseReviewItem.objects.bulk_create(story.review_items)
    return {
        "cohortes": len(cohorts),
        "personnes en cohorte": len(story.cohort_links),
        "instances": len(story.reviews),
        "situations examinées": len(story.review_items),
    }
