"""Fictitious census of the offer for the demo: about 40 organisations and 120 services.

Deterministic (seeded), spread over the GPSEA communes with more in Créteil, with permanences
held inside the quartiers (points drawn inside the real QPV outlines). Every name ends with
« (démo) » and every organisation is flagged ``is_demo``.
"""

import random
from datetime import date, timedelta

from shapely.geometry import Point, shape

from cite_emploi.partners import services as partner_services
from cite_emploi.partners.models import Contact, Organisation, OrganisationKind, Partnership, Service, Site
from cite_emploi.territory.models import QPV, Commune, Territory

K = OrganisationKind

# (key, name, kind, networks, commune, in QPV code or None)
EXTRA_ORGANISATIONS = [
    (
        "ft-alfortville",
        "France Travail Alfortville (démo)",
        K.FRANCE_TRAVAIL,
        ["france-travail"],
        "94002",
        None,
    ),
    (
        "ml-haut",
        "Mission locale Haut Val-de-Marne (démo)",
        K.MISSION_LOCALE,
        ["mission-locale"],
        "94004",
        None,
    ),
    ("mde", "Maison de l'emploi Plaine centrale (démo)", K.OTHER, ["maisons-de-l-emploi"], "94028", None),
    ("ccas-creteil", "CCAS de Créteil (démo)", K.COMMUNE, ["ccas-cias"], "94028", None),
    ("ccas-alfortville", "CCAS d'Alfortville (démo)", K.COMMUNE, ["ccas-cias"], "94002", None),
    ("ccas-bonneuil", "CCAS de Bonneuil-sur-Marne (démo)", K.COMMUNE, ["ccas-cias"], "94011", None),
    (
        "ville-alfortville",
        "Ville d'Alfortville — service emploi (démo)",
        K.COMMUNE,
        ["communes"],
        "94002",
        None,
    ),
    (
        "ville-bonneuil",
        "Ville de Bonneuil-sur-Marne — service emploi (démo)",
        K.COMMUNE,
        ["communes"],
        "94011",
        None,
    ),
    (
        "ville-limeil",
        "Ville de Limeil-Brévannes — service emploi (démo)",
        K.COMMUNE,
        ["communes"],
        "94044",
        None,
    ),
    (
        "ville-boissy",
        "Ville de Boissy-Saint-Léger — service emploi (démo)",
        K.COMMUNE,
        ["communes"],
        "94004",
        None,
    ),
    ("ville-sucy", "Ville de Sucy-en-Brie — service emploi (démo)", K.COMMUNE, ["communes"], "94071", None),
    (
        "mds-creteil",
        "Espace départemental des solidarités de Créteil (démo)",
        K.DEPARTMENT,
        ["maisons-des-solidarites"],
        "94028",
        None,
    ),
    (
        "e2c",
        "École de la 2e chance du Val-de-Marne (démo)",
        K.TRAINING_BODY,
        ["ecoles-de-la-deuxieme-chance"],
        "94028",
        None,
    ),
    ("epide", "Centre EPIDE de démonstration (démo)", K.TRAINING_BODY, ["epide"], "94011", None),
    (
        "afpa",
        "Centre de formation professionnelle pour adultes (démo)",
        K.TRAINING_BODY,
        ["afpa"],
        "94028",
        None,
    ),
    ("greta", "Organisme de formation Compétences 94 (démo)", K.TRAINING_BODY, [], "94028", None),
    (
        "aci-jardins",
        "Chantier d'insertion Les Jardins du Mont-Mesly (démo)",
        K.SIAE,
        ["aci", "inae"],
        "94028",
        "QN09405M",
    ),
    ("ei-batiment", "Entreprise d'insertion Bâtir Ensemble (démo)", K.SIAE, ["ei", "inae"], "94002", None),
    ("ai-services", "Association intermédiaire Coup de Main (démo)", K.SIAE, ["ai", "inae"], "94044", None),
    ("bailleur", "Bailleur social Val-de-Marne Habitat (démo)", K.SOCIAL_LANDLORD, [], "94028", None),
    (
        "asso-chantereine",
        "Association Chantereine Avenir (démo)",
        K.NEIGHBOURHOOD_ASSOCIATION,
        [],
        "94002",
        "QN09404M",
    ),
    (
        "asso-fabien",
        "Centre social Fabien (démo)",
        K.NEIGHBOURHOOD_ASSOCIATION,
        ["fcsf"],
        "94011",
        "QN09420M",
    ),
    (
        "asso-haie",
        "Association La Haie Griselle Ensemble (démo)",
        K.NEIGHBOURHOOD_ASSOCIATION,
        [],
        "94004",
        "QN09403M",
    ),
    (
        "asso-bleuets",
        "Maison de quartier des Bleuets (démo)",
        K.NEIGHBOURHOOD_ASSOCIATION,
        ["mjc"],
        "94028",
        "QN09406I",
    ),
    (
        "asso-fosse",
        "Association Fosse Rouge Solidaire (démo)",
        K.NEIGHBOURHOOD_ASSOCIATION,
        [],
        "94071",
        "QN09438N",
    ),
    ("asso-mobilite", "Association Mobilité Sud-Est (démo)", K.ASSOCIATION, ["wimoov"], "94028", None),
    (
        "asso-numerique",
        "Association Clic Solidaire (démo)",
        K.ASSOCIATION,
        ["conseillers-numeriques"],
        "94002",
        None,
    ),
    (
        "asso-femmes",
        "Centre d'information sur les droits des femmes (démo)",
        K.ASSOCIATION,
        ["cidff"],
        "94028",
        None,
    ),
    (
        "asso-cravate",
        "Vestiaire solidaire pour l'entretien (démo)",
        K.ASSOCIATION,
        ["la-cravate-solidaire"],
        "94028",
        None,
    ),
    ("creation", "Couveuse d'entreprises Sud-Est (démo)", K.ASSOCIATION, ["adie"], "94028", None),
    ("employer-hopital", "Centre hospitalier de démonstration (démo)", K.EMPLOYER, [], "94028", None),
    (
        "employer-grande-surface",
        "Hypermarché Les Arcades de démonstration (démo)",
        K.EMPLOYER,
        [],
        "94044",
        None,
    ),
]

# Service templates by kind: (name, type, thematiques, publics, description)
TEMPLATES = {
    "accompagnement": (
        "Accompagnement vers l'emploi",
        "accompagnement",
        [
            "trouver-un-emploi--suivre-ses-candidatures-et-relancer-les-employeurs",
            "trouver-un-emploi--convaincre-un-recruteur-en-entretien",
        ],
        ["demandeurs-emploi"],
    ),
    "cv": (
        "Atelier CV et lettre de motivation",
        "atelier",
        ["preparer-sa-candidature--realiser-un-cv-et-ou-une-lettre-de-motivation"],
        ["tous-publics"],
    ),
    "entretien": (
        "Préparer un entretien d'embauche",
        "atelier",
        ["trouver-un-emploi--convaincre-un-recruteur-en-entretien"],
        ["demandeurs-emploi"],
    ),
    "jeunes": (
        "Accompagnement des jeunes vers l'emploi",
        "accompagnement",
        [
            "trouver-un-emploi--suivre-ses-candidatures-et-relancer-les-employeurs",
            "choisir-un-metier--identifier-ses-points-forts-et-ses-competences",
        ],
        ["jeunes"],
    ),
    "handicap": (
        "Accompagnement emploi et handicap",
        "accompagnement",
        ["trouver-un-emploi--suivre-ses-candidatures-et-relancer-les-employeurs"],
        ["personnes-en-situation-de-handicap"],
    ),
    "permis": (
        "Aide au permis de conduire",
        "aide-financiere",
        ["mobilite--preparer-un-permis", "mobilite--financer-ma-mobilite"],
        ["demandeurs-emploi", "jeunes"],
    ),
    "mobilite": (
        "Conseil en mobilité",
        "accompagnement",
        ["mobilite--etre-accompagne-dans-son-parcours-mobilite", "mobilite--acceder-a-un-vehicule"],
        ["tous-publics"],
    ),
    "numerique": (
        "Atelier numérique : démarches en ligne",
        "atelier",
        ["numerique--acceder-a-des-services-en-ligne", "numerique--maitriser-les-fondamentaux-du-numerique"],
        ["tous-publics"],
    ),
    "equipement": (
        "Ordinateur à prix solidaire",
        "aide-materielle",
        ["numerique--acquerir-un-equipement"],
        ["beneficiaires-des-minimas-sociaux"],
    ),
    "garde": (
        "Solution de garde d'enfants pour reprendre un emploi",
        "accompagnement",
        ["famille--garde-denfants"],
        ["familles", "femmes"],
    ),
    "logement": (
        "Accès au logement des salariés",
        "accompagnement",
        ["logement-hebergement--sinformer-sur-les-demarches-liees-a-lacces-au-logement"],
        ["tous-publics"],
    ),
    "sante": ("Point santé et accès aux droits", "information", ["sante--acces-aux-soins"], ["tous-publics"]),
    "budget": (
        "Conseil budgétaire",
        "accompagnement",
        ["difficultes-financieres--ameliorer-sa-gestion-budgetaire"],
        ["tous-publics"],
    ),
    "droits": (
        "Accès aux droits et démarches administratives",
        "accompagnement",
        ["difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives"],
        ["tous-publics"],
    ),
    "francais": (
        "Cours de français à visée professionnelle",
        "formation",
        ["lecture-ecriture-calcul--maitriser-le-francais"],
        ["personnes-exilees"],
    ),
    "formation": (
        "Formation qualifiante aux métiers en tension",
        "formation",
        ["se-former--trouver-sa-formation"],
        ["demandeurs-emploi"],
    ),
    "metier": (
        "Découvrir un métier en immersion",
        "accompagnement",
        ["choisir-un-metier--decouvrir-un-metier-ou-un-secteur-dactivite"],
        ["jeunes", "demandeurs-emploi"],
    ),
    "creation": (
        "Créer son entreprise",
        "accompagnement",
        ["creer-une-entreprise--definir-son-projet-de-creation-dentreprise"],
        ["tous-publics"],
    ),
    "remobilisation": (
        "Atelier de remobilisation et confiance en soi",
        "atelier",
        ["remobilisation--bien-etre-confiance-en-soi"],
        ["tous-publics"],
    ),
    "insertion": (
        "Contrat à durée déterminée d'insertion",
        "accompagnement",
        ["trouver-un-emploi--repondre-a-des-offres-demploi"],
        ["beneficiaires-des-minimas-sociaux", "demandeurs-emploi"],
    ),
    "tenue": (
        "Tenue pour l'entretien d'embauche",
        "aide-materielle",
        ["equipement-et-alimentation--habillement"],
        ["demandeurs-emploi"],
    ),
    "recrutement": (
        "Recrutement direct en quartier",
        "information",
        ["trouver-un-emploi--repondre-a-des-offres-demploi"],
        ["residents-qpv-frr"],
    ),
}

BY_KIND = {
    K.FRANCE_TRAVAIL: ["accompagnement", "cv", "entretien", "formation", "recrutement"],
    K.MISSION_LOCALE: ["jeunes", "permis", "metier", "logement"],
    K.CAP_EMPLOI: ["handicap", "accompagnement"],
    K.PLIE: ["accompagnement", "remobilisation", "insertion"],
    K.COMMUNE: ["droits", "cv", "recrutement"],
    K.DEPARTMENT: ["droits", "budget", "garde"],
    K.TRAINING_BODY: ["formation", "francais", "metier"],
    K.SIAE: ["insertion", "remobilisation"],
    K.SOCIAL_LANDLORD: ["logement", "recrutement"],
    K.NEIGHBOURHOOD_ASSOCIATION: ["cv", "numerique", "remobilisation", "francais"],
    K.ASSOCIATION: ["mobilite", "numerique", "tenue", "creation", "sante"],
    K.CITE_TEAM: ["recrutement"],
    K.STATE: [],
    K.EMPLOYER: [],
    K.OTHER: ["accompagnement", "creation", "cv"],
}

# Which template best fits a network when it has one.
BY_NETWORK = {
    "wimoov": ["mobilite", "permis"],
    "conseillers-numeriques": ["numerique", "equipement"],
    "cidff": ["droits", "garde"],
    "la-cravate-solidaire": ["tenue", "entretien"],
    "adie": ["creation"],
    "ecoles-de-la-deuxieme-chance": ["formation", "metier", "remobilisation"],
    "epide": ["formation", "remobilisation"],
    "afpa": ["formation", "metier"],
    "ccas-cias": ["budget", "droits", "sante"],
    "maisons-des-solidarites": ["droits", "budget", "garde"],
}

DESCRIPTION = (
    "{name} proposé par {org}. Un professionnel reçoit la personne, fait le point sur sa situation et "
    "construit avec elle les étapes suivantes. Le service est ouvert aux habitants du territoire, en "
    "priorité à ceux des quartiers prioritaires. Données fictives de démonstration."
)

STREETS = [
    "rue de la République",
    "avenue du Général de Gaulle",
    "rue Victor Hugo",
    "place de la Mairie",
    "rue Jean Jaurès",
    "avenue de la Libération",
    "rue des Écoles",
    "allée des Tilleuls",
]


def _point_in(geometry, rng: random.Random) -> tuple[float, float]:
    minx, miny, maxx, maxy = geometry.bounds
    for _ in range(500):
        p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if geometry.contains(p):
            return round(p.x, 6), round(p.y, 6)
    p = geometry.representative_point()
    return round(p.x, 6), round(p.y, 6)


def load_partner_demo(territory: Territory, demo_orgs: dict[str, Organisation]) -> tuple[int, int]:
    """Complete the demo organisations and add their services; idempotent on names."""
    rng = random.Random(2021)
    communes = {c.code: c for c in Commune.objects.filter(code__startswith="94")}
    commune_shapes = {code: shape(c.geometry) for code, c in communes.items() if c.geometry}
    qpv_shapes = {
        q.code: shape(q.geometry)
        for q in QPV.objects.filter(
            perimeter_areas__perimeter__territory=territory, perimeter_areas__perimeter__is_current=True
        ).distinct()
    }
    orgs = {k: o for k, o in demo_orgs.items() if o.territory_id == territory.pk}
    for key, name, kind, networks, commune, qpv in EXTRA_ORGANISATIONS:
        orgs[key], _ = Organisation.objects.get_or_create(
            territory=territory,
            name=name,
            defaults={"kind": kind, "networks": networks, "is_demo": True, "commune": communes[commune]},
        )
        orgs[key]._seed_qpv = qpv
    today = date.today()
    services_count = 0
    for key in sorted(orgs):
        org = orgs[key]
        if org.longitude is None:
            qpv = getattr(org, "_seed_qpv", None)
            area = (
                qpv_shapes.get(qpv)
                if qpv
                else commune_shapes.get(org.commune.code if org.commune_id else "94028")
            )
            if area is not None:
                org.longitude, org.latitude = _point_in(area.buffer(-0.0008) if qpv is None else area, rng)
            org.address = f"{rng.randint(1, 80)} {rng.choice(STREETS)}"
            org.postcode = (org.commune.postcodes or [""])[0] if org.commune_id else ""
            org.phone = f"01 45 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
            org.email = f"accueil@{key}.demo.test"
            org.opening_hours = "Mo-Fr 09:00-12:30,13:30-17:00"
            org.description = (
                f"{org.name} : organisation fictive créée pour la démonstration de la plateforme."
            )
            partner_services.save_organisation(org)
            Contact.objects.get_or_create(
                organisation=org, function="Accueil", defaults={"email": org.email, "phone": org.phone}
            )
        keys = [k for n in org.networks for k in BY_NETWORK.get(n, [])] or BY_KIND.get(org.kind, [])
        sites = []
        if org.kind in (K.FRANCE_TRAVAIL, K.MISSION_LOCALE, K.PLIE, K.CAP_EMPLOI, K.ASSOCIATION, K.COMMUNE):
            for code in rng.sample(sorted(qpv_shapes), k=min(2, len(qpv_shapes))):
                lon, lat = _point_in(qpv_shapes[code], rng)
                site, created = Site.objects.get_or_create(
                    organisation=org,
                    name=f"Permanence {QPV.objects.get(code=code, geography_year=2024).name}",
                    defaults={
                        "is_permanence": True,
                        "longitude": lon,
                        "latitude": lat,
                        "opening_hours": rng.choice(["Tu 09:00-12:00", "We 14:00-17:00", "Th 09:30-12:30"]),
                        "address": f"{rng.randint(1, 40)} {rng.choice(STREETS)}",
                    },
                )
                if created:
                    partner_services.save_site(site)
                sites.append(site)
        for i, template_key in enumerate(dict.fromkeys(keys)):
            (
                name,
                kind,
                thematiques,
                publics,
            ) = TEMPLATES[template_key]
            full_name = f"{name} (démo)"
            if Service.objects.filter(organisation=org, name=full_name).exists():
                continue
            service = Service(
                organisation=org,
                name=full_name,
                description=DESCRIPTION.format(name=name, org=org.name),
                type=kind,
                thematiques=thematiques,
                publics=publics,
                fees="gratuit",
                reception_modes=["en-presentiel"] + (["a-distance"] if i % 3 == 0 else []),
                mobilisation_modes=["telephoner", "envoyer-un-courriel"] if i % 2 == 0 else ["se-presenter"],
                mobilisable_by=["professionnels", "usagers"] if i % 2 == 0 else ["professionnels"],
                phone=org.phone,
                email=org.email,
                address=org.address,
                postcode=org.postcode,
                commune=org.commune,
                commune_name=org.commune.name if org.commune_id else "",
                longitude=org.longitude,
                latitude=org.latitude,
                eligibility_zone=[org.commune.code] if org.kind == K.COMMUNE and org.commune_id else ["94"],
                opening_hours="Mo-Fr 09:00-12:00",
                # A few services were last updated long ago: they show as « à confirmer ».
                updated_on=today - timedelta(days=rng.choice([10, 40, 90, 150, 210, 400])),
            )
            partner_services.save_service(service, sites=sites[: 1 + i % 2], touch=False)
            services_count += 1
    _partnerships(territory, orgs)
    return len(orgs), services_count


def _partnerships(territory, orgs):
    pairs = [
        ("ft", "ml", Partnership.Kind.CONVENTION, "Convention de coopération renforcée"),
        ("ft", "cap", Partnership.Kind.CONVENTION, "Accompagnement des demandeurs d'emploi handicapés"),
        ("ml", "asso-mesly", Partnership.Kind.PERMANENCE, "Permanence jeunes au Mont-Mesly"),
        ("plie", "aci-jardins", Partnership.Kind.REFERRALS, "Orientations vers le chantier d'insertion"),
        ("cite", "creteil", Partnership.Kind.CO_ANIMATION, "Forum emploi de quartier"),
        ("ml-haut", "asso-haie", Partnership.Kind.PERMANENCE, "Permanence à La Haie Griselle"),
        ("ft-boissy", "asso-bois", Partnership.Kind.CO_ANIMATION, "Job dating au Bois l'Abbé"),
        ("asso-mobilite", "ml", Partnership.Kind.REFERRALS, "Aide au permis des jeunes"),
        ("e2c", "ml", Partnership.Kind.CONVENTION, "Entrées en École de la 2e chance"),
        ("bailleur", "cite", Partnership.Kind.CO_ANIMATION, "Porte-à-porte dans le parc social"),
    ]
    for a, b, kind, text in pairs:
        if a in orgs and b in orgs:
            Partnership.objects.get_or_create(
                source=orgs[a],
                target=orgs[b],
                kind=kind,
                defaults={"territory": territory, "description": text, "started_on": date(2022, 1, 1)},
            )
