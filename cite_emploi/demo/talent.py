"""Fictitious CV library for the demo: 10 employers, 60 job offers, 150 talent profiles, contact requests.

Profiles are written for demo people who have a professional project with target jobs and an active
consent; their text is generic (no name, no address) and their point is their commune's centre, as the
talent services do. Offers go through ``talent.offers.fill_derived`` so their ROME code and point follow
the one rule. Like the rest of the demo: deterministic, written once, not audited (see ``followup.py``).
"""

import random
from datetime import timedelta

from django.utils import timezone

from cite_emploi.accounts.models import Membership, Role
from cite_emploi.followup.models import Beneficiary, FollowUpMember, ProfessionalProject
from cite_emploi.partners.models import Organisation, OrganisationKind
from cite_emploi.talent.models import ContactRequest, JobOffer, ProfileJob, TalentProfile, profile_reference
from cite_emploi.talent.offers import fill_derived
from cite_emploi.talent.text import profile_search_text
from cite_emploi.territory.centres import commune_centre
from cite_emploi.territory.models import Commune, RomeAppellation

SEED = 2025
PROFILES = 150
OFFERS = 60

# (key, name, commune, ROME codes it recruits for)
EMPLOYERS = (
    ("employer", None, "94011", ("N1103", "N1105", "N4105")),  # the demo account's company
    ("boulangerie", "Boulangerie du Mont-Mesly (démo)", "94028", ("D1106", "G1603")),
    ("proprete", "Propreté Val-de-Marne Services (démo)", "94002", ("K2204", "I1203")),
    ("hotel", "Hôtel des Bords de Marne (démo)", "94028", ("G1803", "G1603", "K2204")),
    ("ehpad", "EHPAD Les Tilleuls (démo)", "94071", ("J1501", "K1302")),
    ("btp", "Bâtiment Avenir Bonneuil (démo)", "94011", ("F1703", "F1602", "I1203")),
    ("supermarche", "Supermarché du Port (démo)", "94011", ("D1507", "D1505", "D1106")),
    ("creche", "Crèches Petits Pas (démo)", "94019", ("K1303",)),
    ("securite", "Sécurité Privée Sud-Est (démo)", "94028", ("K2501",)),
    ("agro", "Conserverie de la Marne (démo)", "94004", ("H2102", "N1105")),
)

SKILLS = {
    "K2204": ("Nettoyage de bureaux", "Utilisation d'une autolaveuse", "Respect des protocoles d'hygiène"),
    "N1103": (
        "Préparation de commandes",
        "CACES R489 catégorie 1",
        "Lecture de bons de livraison",
        "Scanner",
    ),
    "G1603": ("Plonge", "Mise en place", "Règles HACCP"),
    "J1501": ("Aide à la toilette", "Aide au repas", "Écoute des patients"),
    "D1507": ("Mise en rayon", "Étiquetage", "Rotation des produits"),
    "N4105": ("Permis B", "Livraison en tournée", "Relation client"),
    "F1703": ("Maçonnerie traditionnelle", "Lecture de plans", "Coffrage"),
    "K1302": ("Aide à domicile", "Accompagnement aux courses", "Entretien du logement"),
    "D1505": ("Encaissement", "Accueil client", "Gestion d'une caisse"),
    "H2102": ("Conduite de ligne", "Contrôle qualité", "Règles d'hygiène alimentaire"),
    "G1803": ("Service en salle", "Prise de commande", "Accueil client"),
    "M1607": ("Bureautique (Word, Excel)", "Accueil téléphonique", "Classement"),
    "K2501": ("Carte professionnelle CNAPS", "Rondes de surveillance", "SSIAP 1"),
    "N1105": ("Port de charges", "Chargement de camions", "Travail en équipe"),
    "I1203": ("Petits travaux de plomberie", "Peinture", "Électricité de base"),
    "F1602": ("Habilitation électrique B1", "Pose de tableaux électriques", "Lecture de schémas"),
    "K1303": ("CAP Accompagnant éducatif petite enfance", "Animation d'activités", "Soins aux enfants"),
    "D1106": ("Vente au comptoir", "Conseil client", "Découpe"),
}
LANGUAGES = ("Arabe", "Anglais", "Portugais", "Espagnol", "Wolof", "Tamoul", "Turc", "Soninké", "Roumain")
EXPERIENCE = (
    "Plusieurs missions d'intérim dans ce métier ces deux dernières années.",
    "Première expérience en stage, motivé(e) pour se former sur le poste.",
    "Cinq ans d'expérience, dont trois dans la même entreprise.",
    "Reprise d'activité après une interruption ; expérience solide avant.",
    "Expérience à l'étranger dans ce métier, à valoriser en France.",
)
CONTRACT_MIX = (("cdi",), ("cdi", "cdd"), ("cdd", "interim"), ("interim",), ("alternance",), ())
REQUEST_MESSAGES = (
    "Bonjour, ce profil correspond à un poste que nous ouvrons ; pouvons-nous organiser un échange ?",
    "Nous recrutons pour une prise de poste rapide, ce profil nous intéresse.",
    "Nous proposons une immersion avant embauche, la personne serait-elle intéressée ?",
)
ANSWERS = {
    ContactRequest.Status.ACCEPTED: (
        "La personne est d'accord pour vous rencontrer. Je vous propose un entretien à l'agence, "
        "en ma présence ; appelez-moi pour fixer la date."
    ),
    ContactRequest.Status.DECLINED: "La personne a trouvé une formation et ne donne pas suite, merci de votre intérêt.",
}


def load_talent_demo(territory, orgs: dict[str, Organisation], today=None) -> dict[str, int]:
    if JobOffer.objects.filter(territory=territory, is_demo=True).exists():
        return {}
    rng = random.Random(SEED)
    today = today or timezone.localdate()
    employers = demo_employers(territory, orgs)
    offers = _offers(rng, territory, employers, today)
    profiles = _profiles(rng, territory, today)
    requests = _requests(rng, profiles, offers, employers, today)
    return {
        "employeurs": len(employers),
        "offres": len(offers),
        "profils": len(profiles),
        "demandes": requests,
    }


def demo_employers(territory, orgs) -> dict[str, Organisation]:
    """The demo employers by key (created once), the demo account's company included."""
    communes = {c.code: c for c in Commune.objects.filter(code__in={e[2] for e in EMPLOYERS})}
    employers = {}
    for key, name, commune, _ in EMPLOYERS:
        if name is None:
            employers[key] = orgs[key]
            continue
        employers[key], _ = Organisation.objects.get_or_create(
            territory=territory,
            name=name,
            defaults={"kind": OrganisationKind.EMPLOYER, "is_demo": True, "commune": communes[commune]},
        )
    return employers


def _appellations(codes) -> dict[str, list[RomeAppellation]]:
    by_code: dict[str, list[RomeAppellation]] = {}
    rows = (
        RomeAppellation.objects.filter(occupation__code__in=codes)
        .select_related("occupation")
        .order_by("code")
    )
    for a in rows:
        by_code.setdefault(a.occupation.code, []).append(a)
    return by_code


def _offers(rng, territory, employers, today) -> list[JobOffer]:
    appellations = _appellations({c for e in EMPLOYERS for c in e[3]})
    communes = {c.code: c for c in Commune.objects.filter(code__in={e[2] for e in EMPLOYERS})}
    offers = []
    for i in range(OFFERS):
        key, _, commune, codes = EMPLOYERS[i % len(EMPLOYERS)]
        appellation = rng.choice(appellations[rng.choice(codes)][:6])
        contract = rng.choice(("cdi", "cdi", "cdd", "interim", "alternance"))
        status = (
            JobOffer.Status.OPEN if i < 45 else (JobOffer.Status.FILLED if i < 55 else JobOffer.Status.CLOSED)
        )
        offer = JobOffer(
            territory=territory,
            organisation=employers[key],
            title=f"{appellation.label} (H/F)",
            appellation=appellation,
            contract=contract,
            hours_per_week=rng.choice((24, 28, 35, 35, 35, 39)),
            posts=rng.choice((1, 1, 1, 2, 3, 5)),
            description=(
                f"Poste de {appellation.label.lower()} au sein d'une équipe accueillante. "
                "Formation au poste assurée. Offre fictive de démonstration."
            ),
            skills=list(SKILLS.get(appellation.occupation.code, ())[:2]),
            commune=communes[commune],
            starts_on=today + timedelta(days=rng.randint(7, 60)),
            status=status,
            is_demo=True,
        )
        offers.append(fill_derived(offer))
    return JobOffer.objects.bulk_create(offers)


def _profiles(rng, territory, today) -> list[TalentProfile]:
    """Profiles for consenting people with target jobs; counsellor.ft and counsellor.ml follow many."""
    people = list(
        Beneficiary.objects.filter(
            territory=territory,
            is_demo=True,
            follow_up__status="open",
            follow_up__project__target_jobs__isnull=False,
            consents__withdrawn_on__isnull=True,
            commune__isnull=False,
        )
        .distinct()
        .select_related("follow_up", "commune")
        .order_by("pk")
    )
    chosen = rng.sample(people, min(PROFILES, len(people)))
    projects = {
        p.follow_up_id: p
        for p in ProfessionalProject.objects.filter(
            follow_up__in=[b.follow_up for b in chosen]
        ).prefetch_related("target_jobs__occupation")
    }
    referents = dict(
        FollowUpMember.objects.filter(
            follow_up__in=[b.follow_up for b in chosen], is_referent=True, ended_on__isnull=True
        ).values_list("follow_up_id", "user_id")
    )
    profiles, jobs = [], []
    for n, person in enumerate(chosen):
        project = projects[person.follow_up.pk]
        targets = list(project.target_jobs.all())[:3]
        skills = [s for a in targets for s in SKILLS.get(a.occupation.code, ())[:2]] or ["Travail en équipe"]
        status = (
            TalentProfile.Status.PUBLISHED
            if n < 130
            else (TalentProfile.Status.DRAFT if n < 142 else TalentProfile.Status.SUSPENDED)
        )
        headline = (
            f"{targets[0].label}, {rng.choice(('débutant(e)', '2 ans', '5 ans', '10 ans'))} d'expérience"
        )
        experience = rng.choice(EXPERIENCE)
        centre = commune_centre(person.commune)
        profile = TalentProfile(
            territory=territory,
            follow_up=person.follow_up,
            reference=profile_reference(),
            status=status,
            initial=person.first_name[:1].upper(),
            headline=headline.replace("débutant(e) d'expérience", "débutant(e)"),
            skills=skills,
            experience_summary=experience,
            languages=["Français", *rng.sample(LANGUAGES, rng.choice((0, 1, 1, 2)))],
            driving_licence=project.has_driving_licence,
            vehicle=project.has_vehicle,
            mobility_km=project.mobility_km or rng.choice((5, 10, 15, 20, 30)),
            available_from=None if rng.random() < 0.6 else today + timedelta(days=rng.randint(7, 90)),
            working_time=rng.choice(("temps-plein", "temps-partiel", "indifferent", "indifferent")),
            contracts=list(rng.choice(CONTRACT_MIX)),
            commune=person.commune,
            latitude=centre[0] if centre else None,
            longitude=centre[1] if centre else None,
            search_text=profile_search_text(headline, skills, experience, [a.label for a in targets]),
            consent_given_on=today - timedelta(days=rng.randint(10, 200)),
            consent_recorded_by_id=referents.get(person.follow_up.pk),
            created_by_id=referents.get(person.follow_up.pk),
            is_demo=True,
            published_at=timezone.now() - timedelta(days=rng.randint(1, 120))
            if status == TalentProfile.Status.PUBLISHED
            else None,
        )
        profiles.append(profile)
        jobs += [(profile, a) for a in targets]
    TalentProfile.objects.bulk_create(profiles)
    ProfileJob.objects.bulk_create(
        ProfileJob(profile=p, appellation=a, rome_code=a.occupation.code, domain=a.occupation.code[:3])
        for p, a in jobs
    )
    return profiles


def _requests(rng, profiles, offers, employers, today) -> int:
    """Contact requests of the demo employer account's company, in every status."""
    company = employers["employer"]
    recruiter = (
        Membership.objects.filter(organisation=company, role=Role.EMPLOYER)
        .values_list("user_id", flat=True)
        .first()
    )
    referents = dict(
        FollowUpMember.objects.filter(
            follow_up_id__in=[p.follow_up_id for p in profiles], is_referent=True, ended_on__isnull=True
        ).values_list("follow_up_id", "user_id")
    )
    own = [o for o in offers if o.organisation_id == company.pk and o.status == JobOffer.Status.OPEN]
    published = [p for p in profiles if p.status == TalentProfile.Status.PUBLISHED]
    statuses = [ContactRequest.Status.PENDING] * 8 + [ContactRequest.Status.ACCEPTED] * 6
    statuses += [ContactRequest.Status.DECLINED] * 4 + [ContactRequest.Status.WITHDRAWN] * 2
    rows = []
    for status, profile in zip(statuses, rng.sample(published, len(statuses)), strict=True):
        asked = timezone.now() - timedelta(days=rng.randint(1, 40), hours=rng.randint(0, 8))
        answered = status in ANSWERS
        rows.append(
            ContactRequest(
                profile=profile,
                offer=rng.choice(own) if own else None,
                organisation=company,
                requested_by_id=recruiter,
                answered_by_id=referents.get(profile.follow_up_id) if answered else None,
                message=rng.choice(REQUEST_MESSAGES),
                status=status,
                created_at=asked,
                answered_at=asked + timedelta(days=2) if answered else None,
                answer=ANSWERS.get(status, ""),
                person_agreed_on=(asked + timedelta(days=1)).date()
                if status == ContactRequest.Status.ACCEPTED
                else None,
            )
        )
    return len(ContactRequest.objects.bulk_create(rows))
