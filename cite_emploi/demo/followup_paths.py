"""The demo people's paths: barriers, professional projects, notes and appointments, referrals, outcomes.

Called by ``followup.py`` with its ``Story`` (the seeded random source and the rows being built);
nothing here touches the database but ``write`` and the look-ups at the start of ``add_paths``.
"""

from datetime import timedelta

from cite_emploi.followup.models import (
    Barrier,
    BarrierStatusChange,
    FollowUp,
    Outcome,
    ProfessionalProject,
    Referral,
    ReferralEvent,
    TimelineEvent,
    history_of,
)
from cite_emploi.followup.services import CONTRACT_LABELS, OUTCOME_CONTRACTS
from cite_emploi.partners import enums
from cite_emploi.partners.models import Service
from cite_emploi.territory.models import RomeAppellation

K = TimelineEvent.Kind
S = Referral.Status

# Barriers a counsellor of a Cité de l'emploi meets most, by weight (data·inclusion thématiques).
BARRIERS = {
    "mobilite--preparer-un-permis": 14,
    "mobilite--etre-accompagne-dans-son-parcours-mobilite": 8,
    "numerique--acceder-a-des-services-en-ligne": 10,
    "numerique--acquerir-un-equipement": 4,
    "famille--garde-denfants": 8,
    "logement-hebergement--sinformer-sur-les-demarches-liees-a-lacces-au-logement": 7,
    "sante--acces-aux-soins": 5,
    "lecture-ecriture-calcul--maitriser-le-francais": 8,
    "difficultes-financieres--ameliorer-sa-gestion-budgetaire": 6,
    "difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives": 7,
    "remobilisation--bien-etre-confiance-en-soi": 7,
    "equipement-et-alimentation--habillement": 3,
    "choisir-un-metier--decouvrir-un-metier-ou-un-secteur-dactivite": 6,
    "se-former--trouver-sa-formation": 8,
    "preparer-sa-candidature--realiser-un-cv-et-ou-une-lettre-de-motivation": 9,
}
BARRIER_STATUSES = (
    (Barrier.Status.IDENTIFIED, 28),
    (Barrier.Status.IN_PROGRESS, 34),
    (Barrier.Status.LIFTED, 28),
    (Barrier.Status.NOT_LIFTED, 10),
)
# ROME occupations of the jobs people of the quartiers look for most; three titles of each.
ROME_CODES = (
    "K2204", "N1103", "G1603", "J1501", "D1507", "N4105", "F1703", "K1302", "D1505",
    "H2102", "G1803", "M1607", "K2501", "N1105", "I1203", "F1602", "K1303", "D1106",
)  # fmt: skip
# Final status of a referral, by weight: every status of the machine appears.
REFERRAL_STATUSES = (
    (S.DRAFT, 5),
    (S.SENT, 12),
    (S.ACCEPTED, 12),
    (S.REFUSED, 11),
    (S.EXPIRED, 5),
    (S.STARTED, 15),
    (S.COMPLETED, 28),
    (S.ABANDONED, 12),
)
# The path through the machine that ends in each status.
STEPS = {
    S.DRAFT: (),
    S.SENT: (S.SENT,),
    S.ACCEPTED: (S.SENT, S.ACCEPTED),
    S.REFUSED: (S.SENT, S.REFUSED),
    S.EXPIRED: (S.SENT, S.EXPIRED),
    S.STARTED: (S.SENT, S.ACCEPTED, S.STARTED),
    S.COMPLETED: (S.SENT, S.ACCEPTED, S.STARTED, S.COMPLETED),
    S.ABANDONED: (S.SENT, S.ACCEPTED, S.ABANDONED),
}
STEP_TEXT = {
    S.SENT: "Orientation envoyée vers {what}",
    S.ACCEPTED: "Orientation vers {what} acceptée",
    S.REFUSED: "Orientation vers {what} refusée",
    S.EXPIRED: "Orientation vers {what} expirée sans réponse",
    S.STARTED: "Accompagnement commencé : {what}",
    S.COMPLETED: "Accompagnement terminé : {what}",
    S.ABANDONED: "Orientation vers {what} abandonnée",
}
NOTES = (
    "Point sur les candidatures envoyées cette semaine.",
    "Entretien de suivi : la personne a relancé deux employeurs.",
    "Simulation d'entretien d'embauche, à refaire avant le job dating.",
    "CV mis à jour avec l'expérience de bénévolat.",
    "Échange avec la personne sur son projet de formation.",
    "La personne a participé à l'atelier collectif du mardi.",
    "Démarches CAF faites ensemble, attestation à fournir.",
    "Rendez-vous manqué, nouveau créneau proposé par SMS.",
)
APPOINTMENTS = (
    "Rendez-vous de suivi mensuel.",
    "Entretien individuel à l'agence.",
    "Rendez-vous à la permanence du quartier.",
    "Préparation du forum emploi.",
)
CONTACTS = ("Appel téléphonique.", "Échange par SMS.", "Courriel de relance.", "Passage à l'accueil.")
PRIVATE_NOTES = (
    "Situation familiale difficile évoquée, à suivre avec discrétion.",
    "Dette de loyer mentionnée : orientation budget envisagée.",
)
DETAILS = {
    Outcome.Kind.LASTING_JOB: ("Agent·e de propreté", "Préparateur·rice de commandes", "Aide-soignant·e"),
    Outcome.Kind.TRANSITION_JOB: ("Mission de manutention", "Employé·e de restauration", "Caissier·ère"),
    Outcome.Kind.TRAINING: ("Titre professionnel agent·e de restauration", "CAP petite enfance"),
    Outcome.Kind.BUSINESS: ("Micro-entreprise de services à la personne",),
    Outcome.Kind.OTHER: ("Reprise d'études",),
}
REFUSALS = tuple(Referral.RefusalReason.values)


def add_paths(story) -> None:
    services = list(
        Service.objects.filter(organisation__territory=story.territory, organisation__is_demo=True)
        .select_related("organisation")
        .order_by("pk")
    )
    by_theme: dict[str, list[Service]] = {}
    for service in services:
        for thematique in service.thematiques:
            by_theme.setdefault(thematique, []).append(service)
    job_services = [s for s in services if any(t.startswith("trouver-un-emploi") for t in s.thematiques)]
    titles = list(
        RomeAppellation.objects.filter(occupation__code__in=ROME_CODES).order_by("occupation__code", "code")
    )
    per_code: dict[int, list] = {}
    for title in titles:
        per_code.setdefault(title.occupation_id, []).append(title)
    story.titles = [t for group in per_code.values() for t in group[:3]]
    story.referrals, story.referral_events, story.outcomes = [], [], []
    story.projects, story.project_jobs = [], []
    themes = list(BARRIERS)
    for person in story.people:
        _barriers(story, person, themes)
        _project(story, person)
        _timeline(story, person)
        _referrals(story, person, by_theme, job_services)
        _outcome(story, person)


def _barriers(story, person, themes) -> None:
    rng = story.rng
    follow_up = person.follow_up
    end = follow_up.closed_on or story.today
    count = rng.choices((0, 1, 2, 3, 4), weights=(15, 30, 30, 17, 8))[0]
    chosen = set()
    while len(chosen) < count:
        chosen.add(rng.choices(themes, weights=[BARRIERS[t] for t in themes])[0])
    for thematique in sorted(chosen):
        identified = story.day_between(
            follow_up.opened_on, min(end, follow_up.opened_on + timedelta(days=60))
        )
        status = rng.choices([s for s, _ in BARRIER_STATUSES], weights=[w for _, w in BARRIER_STATUSES])[0]
        changed = identified if status == Barrier.Status.IDENTIFIED else story.day_between(identified, end)
        member = rng.choice(person.active_members() or person.members)
        barrier = Barrier(
            follow_up=follow_up,
            thematique=thematique,
            category=enums.category_of(thematique),
            status=status,
            identified_on=identified,
            status_changed_on=changed,
            recorded_by=member.user,
        )
        person.barriers.append(barrier)
        label = enums.label(thematique)
        story.event(person, K.BARRIER, story.at(identified), member, f"Frein identifié : {label}.")
        if status != Barrier.Status.IDENTIFIED:
            story.event(
                person,
                K.BARRIER,
                story.at(changed),
                member,
                f"Frein « {label} » : {barrier.get_status_display().lower()}.",
            )


def _project(story, person) -> None:
    rng = story.rng
    if rng.random() > 0.7:
        return
    project = ProfessionalProject(
        follow_up=person.follow_up,
        contracts=sorted(
            rng.sample(["cdi", "cdd", "interim", "alternance", "temps-partiel", "iae"], rng.randint(1, 3))
        ),
        mobility_km=rng.choice((5, 10, 10, 15, 20, 30, None)),
        has_driving_licence=rng.random() < (0.25 if person.age < 26 else 0.55),
        notes="",
    )
    project.has_vehicle = project.has_driving_licence and rng.random() < 0.5
    story.projects.append(project)
    jobs = rng.sample(story.titles, rng.randint(1, 3))
    story.project_jobs.append((project, jobs))
    referent = person.referent()
    moment = story.at(
        story.day_between(person.follow_up.opened_on, person.follow_up.closed_on or story.today)
    )
    story.event(
        person,
        K.NOTE,
        moment,
        referent,
        "Projet professionnel mis à jour : " + ", ".join(j.label for j in jobs) + ".",
    )


def _timeline(story, person) -> None:
    """Notes, appointments and contacts over the follow-up; a few people have not been seen for months."""
    rng = story.rng
    follow_up = person.follow_up
    end = follow_up.closed_on or story.today
    quiet = follow_up.status == FollowUp.Status.OPEN and rng.random() < 0.15
    last = end - timedelta(days=rng.randint(100, 200)) if quiet else end
    last = max(last, follow_up.opened_on)
    members = person.active_members() or person.members
    for _ in range(rng.randint(2, 9)):
        member = rng.choice(members)
        kind = rng.choices((K.NOTE, K.APPOINTMENT, K.CONTACT), weights=(35, 35, 30))[0]
        text = rng.choice({K.NOTE: NOTES, K.APPOINTMENT: APPOINTMENTS, K.CONTACT: CONTACTS}[kind])
        private = kind == K.NOTE and rng.random() < 0.12
        story.event(
            person,
            kind,
            story.at(story.day_between(follow_up.opened_on, last)),
            member,
            rng.choice(PRIVATE_NOTES) if private else text,
            visibility=TimelineEvent.Visibility.ORGANISATION if private else TimelineEvent.Visibility.MEMBERS,
        )
    if follow_up.status == FollowUp.Status.OPEN and not quiet and rng.random() < 0.25:
        moment = story.at(story.today + timedelta(days=rng.randint(1, 21)))
        story.event(person, K.APPOINTMENT, moment, person.referent(), "Prochain rendez-vous de suivi.")


def _referrals(story, person, by_theme, job_services) -> None:
    rng = story.rng
    follow_up = person.follow_up
    if rng.random() > 0.55:
        return
    holder = person.beneficiary.created_by_organisation
    shared = person.consent is not None
    used = set()
    for _ in range(rng.choices((1, 2, 3), weights=(60, 30, 10))[0]):
        barrier = rng.choice(person.barriers) if person.barriers and rng.random() < 0.7 else None
        candidates = by_theme.get(barrier.thematique, []) if barrier else job_services
        candidates = [s for s in candidates if shared or s.organisation_id == holder.pk]
        candidates = [s for s in candidates if s.pk not in used]
        if not candidates:
            continue
        service = rng.choice(candidates)
        used.add(service.pk)
        status = rng.choices([s for s, _ in REFERRAL_STATUSES], weights=[w for _, w in REFERRAL_STATUSES])[0]
        if follow_up.status == FollowUp.Status.CLOSED and status in (S.DRAFT, S.SENT, S.ACCEPTED):
            status = S.COMPLETED
        _referral(story, person, service, barrier, status)


def _referral(story, person, service, barrier, status) -> None:
    rng, today = story.rng, story.today
    follow_up = person.follow_up
    end = follow_up.closed_on or today
    sender = rng.choice(person.active_members() or person.members)
    receiving = service.organisation
    answerers = story.staff.get(_key_of(story, receiving), [])
    answerer = rng.choice(answerers) if answerers else None
    steps = STEPS[status]
    # Pending referrals are recent (the daily task expires them after 30 days); expired ones are not.
    if status == S.SENT:
        sent = today - timedelta(days=rng.randint(0, 20))
    elif status == S.EXPIRED:
        sent = story.day_between(follow_up.opened_on, max(follow_up.opened_on, today - timedelta(days=45)))
    else:
        sent = story.day_between(
            follow_up.opened_on, end - timedelta(days=min(30, (end - follow_up.opened_on).days))
        )
    sent = max(sent, follow_up.opened_on)
    referral = Referral(
        follow_up=follow_up,
        service=service,
        barrier=barrier,
        sender=sender.user,
        sender_organisation=sender.organisation,
        receiving_organisation=receiving,
        message="Orientation de démonstration : la personne est motivée et disponible." if steps else "",
        status=status,
    )
    what = f"« {service.name} » ({receiving.name})"
    draft_at = story.at(sent)
    referral.created_at = draft_at  # bulk_create stamps « now »: kept only to order the inserts
    story.referral_events.append((referral, S.DRAFT, draft_at, sender.user, ""))
    if not steps:
        story.event(person, K.REFERRAL, draft_at, sender, f"Orientation vers {what} préparée (brouillon)")
    day = sent
    for step in steps:
        if step == S.EXPIRED:
            day = sent + timedelta(days=30)
        elif step != S.SENT:
            day = min(day + timedelta(days=rng.randint(1, 12)), end)
        moment = story.at(day)
        author = sender.user if step == S.SENT else (None if step == S.EXPIRED else answerer)
        note = ""
        if step == S.REFUSED:
            referral.refusal_reason = rng.choice(REFUSALS)
            note = referral.get_refusal_reason_display()
        story.referral_events.append((referral, step, moment, author, note))
        if step == S.SENT:
            referral.sent_at = moment
        if step in (S.ACCEPTED, S.REFUSED, S.EXPIRED):
            referral.answered_at = moment
        text = STEP_TEXT[step].format(what=what) + (f" — {note}" if note else "")
        member = sender if step == S.SENT else None
        if member:
            story.event(person, K.REFERRAL, moment, member, text)
        else:
            story.line(person, K.REFERRAL, moment, author, receiving, text)
    if status == S.SENT and referral.sent_at and (today - sent).days >= 7:
        referral.reminded_at = story.at(sent + timedelta(days=7))
    story.referrals.append(referral)


def _key_of(story, organisation) -> str | None:
    return next((k for k, o in story.orgs.items() if o.pk == organisation.pk), None)


def _outcome(story, person) -> None:
    rng = story.rng
    follow_up = person.follow_up
    closed = follow_up.status == FollowUp.Status.CLOSED
    if rng.random() > (0.75 if closed else 0.08):
        return
    if closed and follow_up.closing_reason in ("reprise d'emploi", "entrée en formation"):
        kind = Outcome.Kind.TRAINING if "formation" in follow_up.closing_reason else Outcome.Kind.LASTING_JOB
    else:
        kind = rng.choices(
            (
                Outcome.Kind.LASTING_JOB,
                Outcome.Kind.TRANSITION_JOB,
                Outcome.Kind.TRAINING,
                Outcome.Kind.BUSINESS,
                Outcome.Kind.OTHER,
            ),
            weights=(35, 32, 20, 4, 9),
        )[0]
    contract = rng.choice(OUTCOME_CONTRACTS[kind])[0] if kind in OUTCOME_CONTRACTS else ""
    end = follow_up.closed_on or story.today
    occurred = story.day_between(max(follow_up.opened_on, end - timedelta(days=20)), end)
    referent = person.referent()
    outcome = Outcome(
        follow_up=follow_up,
        kind=kind,
        contract=contract,
        occurred_on=occurred,
        details=f"{rng.choice(DETAILS[kind])} (exemple fictif)",
        recorded_by=referent.user,
    )
    story.outcomes.append(outcome)
    label = Outcome.Kind(kind).label + (f" — {CONTRACT_LABELS[contract]}" if contract else "")
    story.event(person, K.OUTCOME, story.at(occurred), referent, f"Sortie le {occurred:%d/%m/%Y} : {label}.")
    if closed:
        reason = follow_up.closing_reason
        story.event(
            person,
            K.MEMBER,
            story.at(follow_up.closed_on, 17),
            referent,
            f"Suivi clos le {follow_up.closed_on:%d/%m/%Y} : {reason}.",
        )


def write(story) -> dict[str, int]:
    barriers = Barrier.objects.bulk_create([b for p in story.people for b in p.barriers], batch_size=1000)
    BarrierStatusChange.objects.bulk_create([c for b in barriers for c in history_of(b)], batch_size=1000)
    ProfessionalProject.objects.bulk_create(story.projects, batch_size=1000)
    through = ProfessionalProject.target_jobs.through
    through.objects.bulk_create(
        [
            through(professionalproject_id=project.pk, romeappellation_id=job.pk)
            for project, jobs in story.project_jobs
            for job in jobs
        ],
        batch_size=2000,
    )
    # Oldest first, so that the ids follow the dates as they would in real use.
    story.referrals.sort(key=lambda r: r.created_at)
    Referral.objects.bulk_create(story.referrals, batch_size=1000)
    events = ReferralEvent.objects.bulk_create(
        [
            ReferralEvent(referral=referral, status=status, at=at, author=author, note=note)
            for referral, status, at, author, note in story.referral_events
        ],
        batch_size=2000,
    )
    Outcome.objects.bulk_create(story.outcomes, batch_size=1000)
    return {
        "freins": len(barriers),
        "projets": len(story.projects),
        "orientations": len(story.referrals),
        "historique des orientations": len(events),
        "sorties": len(story.outcomes),
    }
