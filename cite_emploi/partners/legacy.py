"""Conversion of data·inclusion records written in the older schema (0.x) to the v1 schema.

A partner's file is often an old export: ``typologie``, ``profils``, ``zone_diffusion_*``,
``modes_orientation_*``, ``frais`` as a list, v0 thématiques… Such records are converted, never
rejected for that reason, and each conversion is described in French for the import report.

The correspondence tables restate the published choices of the GIP Plateforme de l'inclusion
(the v0 → v1 migration of its pipeline, 2025), adapted where a target value does not exist in
the installed ``data-inclusion-schema`` enumerations; ``tests/partners/test_legacy.py`` checks
that every target is a valid v1 value. The full table is in ``docs/guide/import-export-offre.md``.

``convert_structure`` and ``convert_service`` change the record in place and return the notes.
"""

from datetime import date, datetime

from data_inclusion.schema import v1

V1_THEMATIQUES = frozenset(t.value for t in v1.Thematique)
V1_PUBLICS = frozenset(p.value for p in v1.Public)
V1_FRAIS = frozenset(f.value for f in v1.Frais)
V1_TYPES = frozenset(t.value for t in v1.TypeService)
V1_RESEAUX = frozenset(r.value for r in v1.ReseauPorteur)


def _subthematiques(category: str) -> tuple[str, ...]:
    return tuple(t.value for t in v1.Thematique if t.value.startswith(f"{category}--"))


# v0 thématique → v1 thématiques; an empty tuple means "no equivalent" (the value is dropped).
# v0 categories map to every sub-thématique of the matching v1 category, as data·inclusion does.
THEMATIQUES_V0: dict[str, tuple[str, ...]] = {
    "acces-aux-droits-et-citoyennete": _subthematiques("difficultes-administratives-ou-juridiques"),
    "acces-aux-droits-et-citoyennete--accompagnement-dans-les-demarches-administratives": (
        "difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives",
    ),
    "acces-aux-droits-et-citoyennete--accompagnement-juridique": (
        "difficultes-administratives-ou-juridiques--prendre-en-compte-une-problematique-judiciaire",
    ),
    "acces-aux-droits-et-citoyennete--aide-aux-victimes": (),
    "acces-aux-droits-et-citoyennete--connaitre-ses-droits": (
        "difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits",
    ),
    "acces-aux-droits-et-citoyennete--demandeurs-dasile-et-naturalisation": (
        "difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-a-la-citoyennete",
    ),
    "acces-aux-droits-et-citoyennete--developpement-durable": (),
    "acces-aux-droits-et-citoyennete--faciliter-laction-citoyenne": (
        "remobilisation--benevolat-action-citoyenne",
    ),
    "accompagnement-social-et-professionnel-personnalise": (),
    "accompagnement-social-et-professionnel-personnalise--decrochage-scolaire": (
        "famille--soutien-a-la-parentalite-et-a-leducation",
    ),
    "accompagnement-social-et-professionnel-personnalise--definition-du-projet-professionnel": (
        "choisir-un-metier--confirmer-son-choix-de-metier",
    ),
    "accompagnement-social-et-professionnel-personnalise--parcours-d-insertion-socioprofessionnel": (),
    "apprendre-francais": ("lecture-ecriture-calcul--maitriser-le-francais",),
    "apprendre-francais--accompagnement-insertion-pro": ("lecture-ecriture-calcul--maitriser-le-francais",),
    "apprendre-francais--communiquer-vie-tous-les-jours": ("lecture-ecriture-calcul--maitriser-le-francais",),
    "apprendre-francais--suivre-formation": ("lecture-ecriture-calcul--maitriser-le-francais",),
    "choisir-un-metier": _subthematiques("choisir-un-metier"),
    "creation-activite": _subthematiques("creer-une-entreprise"),
    "creation-activite--definir-son-projet-de-creation-dentreprise": (
        "creer-une-entreprise--definir-son-projet-de-creation-dentreprise",
    ),
    "creation-activite--developper-son-entreprise": ("creer-une-entreprise--developper-son-entreprise",),
    "creation-activite--financer-son-projet": (
        "creer-une-entreprise--structurer-son-projet-de-creation-dentreprise",
    ),
    "creation-activite--reseautage-pour-createurs-dentreprise": (
        "creer-une-entreprise--developper-son-entreprise",
    ),
    "creation-activite--structurer-son-projet-de-creation-dentreprise": (
        "creer-une-entreprise--structurer-son-projet-de-creation-dentreprise",
    ),
    "equipement-et-alimentation": _subthematiques("equipement-et-alimentation"),
    "equipement-et-alimentation--acces-a-du-materiel-informatique": ("numerique--acquerir-un-equipement",),
    "equipement-et-alimentation--acces-a-un-telephone-et-un-abonnement": (
        "numerique--acquerir-un-equipement",
    ),
    "famille": _subthematiques("famille"),
    "famille--accompagnement-femme-enceinte-bebe-jeune-enfant": (
        "famille--soutien-a-la-parentalite-et-a-leducation",
    ),
    "famille--information-et-accompagnement-des-parents": (
        "famille--soutien-a-la-parentalite-et-a-leducation",
    ),
    "famille--jeunes-sans-soutien-familial": ("remobilisation--lien-social",),
    "famille--soutien-a-la-parentalite": ("famille--soutien-a-la-parentalite-et-a-leducation",),
    "famille--soutien-aux-familles": ("famille--soutien-aidants",),
    "famille--violences-intrafamiliales": ("famille--surmonter-conflits-separation-violence",),
    "gestion-financiere": _subthematiques("difficultes-financieres"),
    "gestion-financiere--acces-au-micro-credit": (
        "difficultes-financieres--acquerir-une-autonomie-budgetaire",
    ),
    "gestion-financiere--accompagnement-aux-personnes-en-difficultes-financieres": (
        "difficultes-financieres--acquerir-une-autonomie-budgetaire",
    ),
    "gestion-financiere--apprendre-a-gerer-son-budget": (
        "difficultes-financieres--ameliorer-sa-gestion-budgetaire",
    ),
    "gestion-financiere--beneficier-daides-financieres": (
        "difficultes-financieres--acquerir-une-autonomie-budgetaire",
    ),
    "gestion-financiere--creation-et-utilisation-dun-compte-bancaire": (
        "difficultes-financieres--acquerir-une-autonomie-budgetaire",
    ),
    "gestion-financiere--obtenir-une-aide-alimentaire": ("equipement-et-alimentation--alimentation",),
    "gestion-financiere--prevention-et-gestion-du-surendettement": (
        "difficultes-financieres--situation-dendettement-surendettement",
    ),
    "handicap": (),
    "handicap--accompagnement-par-une-structure-specialisee": (),
    "handicap--adaptation-au-poste-de-travail": ("trouver-un-emploi--maintien-dans-lemploi",),
    "handicap--adapter-son-logement": ("logement-hebergement--se-maintenir-dans-le-logement",),
    "handicap--aide-a-la-personne": ("equipement-et-alimentation--aide-menagere",),
    "handicap--connaissance-des-droits-des-travailleurs": (
        "difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits",
    ),
    "handicap--faire-reconnaitre-un-handicap": ("sante--constituer-un-dossier-mdph-invalidite",),
    "handicap--favoriser-le-retour-et-le-maintien-dans-lemploi": (
        "trouver-un-emploi--maintien-dans-lemploi",
    ),
    "handicap--gerer-le-depart-a-la-retraite-des-personnes-en-situation-de-handicap": (
        "difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits",
    ),
    "handicap--mobilite-des-personnes-en-situation-de-handicap": (
        "mobilite--etre-accompagne-dans-son-parcours-mobilite",
    ),
    "illettrisme": (
        "lecture-ecriture-calcul--maitriser-le-calcul",
        "lecture-ecriture-calcul--maitriser-le-francais",
    ),
    "illettrisme--accompagner-scolarite": ("famille--soutien-a-la-parentalite-et-a-leducation",),
    "illettrisme--ameliorer-vocabulaire": ("lecture-ecriture-calcul--maitriser-le-francais",),
    "illettrisme--etre-autonome": (
        "lecture-ecriture-calcul--maitriser-le-francais",
        "lecture-ecriture-calcul--maitriser-le-calcul",
    ),
    "illettrisme--info-acquisition-connaissances": (
        "lecture-ecriture-calcul--maitriser-le-francais",
        "lecture-ecriture-calcul--maitriser-le-calcul",
    ),
    "illettrisme--permis-conduire": ("mobilite--preparer-un-permis",),
    "illettrisme--reperer-situation-illettrisme": (
        "lecture-ecriture-calcul--maitriser-le-francais",
        "lecture-ecriture-calcul--maitriser-le-calcul",
    ),
    "illettrisme--surmonter-trouble-apprentissage": (
        "lecture-ecriture-calcul--maitriser-le-francais",
        "lecture-ecriture-calcul--maitriser-le-calcul",
    ),
    "illettrisme--trouver-emploi-formation": ("se-former--trouver-sa-formation",),
    "illettrisme--utiliser-numerique": ("numerique--maitriser-les-fondamentaux-du-numerique",),
    "illettrisme--valider-certification-clea": ("preparer-sa-candidature--valoriser-ses-competences",),
    "logement-hebergement": _subthematiques("logement-hebergement"),
    "logement-hebergement--acceder-a-un-logement": ("logement-hebergement--louer-un-logement",),
    "logement-hebergement--aides-financieres-investissement-locatif": (
        "logement-hebergement--acheter-un-logement",
    ),
    "logement-hebergement--besoin-dadapter-mon-logement": (
        "logement-hebergement--sinformer-sur-les-demarches-liees-a-lacces-au-logement",
    ),
    "logement-hebergement--connaissance-de-ses-droits-et-interlocuteurs": (
        "logement-hebergement--sinformer-sur-les-demarches-liees-a-lacces-au-logement",
    ),
    "logement-hebergement--demenagement": ("logement-hebergement--changer-de-logement",),
    "logement-hebergement--etre-accompagne-dans-son-projet-accession": (
        "logement-hebergement--acheter-un-logement",
    ),
    "logement-hebergement--etre-accompagne-en cas-de-difficultes-financieres": (
        "logement-hebergement--reduire-les-impayes-de-loyer",
    ),
    "logement-hebergement--etre-accompagne-pour-se-loger": (
        "logement-hebergement--sinformer-sur-les-demarches-liees-a-lacces-au-logement",
    ),
    "logement-hebergement--financer-son-projet-travaux": (
        "logement-hebergement--sinformer-sur-les-demarches-liees-a-lacces-au-logement",
    ),
    "logement-hebergement--gerer-son-budget": ("logement-hebergement--reduire-les-impayes-de-loyer",),
    "logement-hebergement--mal-loges-sans-logis": (
        "logement-hebergement--rechercher-une-solution-dhebergement-temporaire",
        "logement-hebergement--changer-de-logement",
    ),
    "logement-hebergement--probleme-avec-son-logement": ("logement-hebergement--changer-de-logement",),
    "logement-hebergement--reprendre-un-emploi-ou-une-formation": (
        "trouver-un-emploi--repondre-a-des-offres-demploi",
    ),
    "mobilite": _subthematiques("mobilite"),
    "mobilite--acheter-un-vehicule-motorise": ("mobilite--acceder-a-un-vehicule",),
    "mobilite--acheter-un-velo": ("mobilite--acceder-a-un-vehicule",),
    "mobilite--aides-a-la-reprise-demploi-ou-a-la-formation": ("mobilite--financer-ma-mobilite",),
    "mobilite--apprendre-a-utiliser-un-deux-roues": ("mobilite--preparer-un-permis",),
    "mobilite--comprendre-et-utiliser-les-transports-en-commun": (
        "mobilite--mobilite-douce-partagee-collective",
    ),
    "mobilite--financer-mon-projet-mobilite": ("mobilite--financer-ma-mobilite",),
    "mobilite--louer-un-vehicule": ("mobilite--acceder-a-un-vehicule",),
    "mobilite--preparer-son-permis-de-conduire-se-reentrainer-a-la-conduite": (
        "mobilite--preparer-un-permis",
    ),
    "numerique": _subthematiques("numerique"),
    "numerique--acceder-a-du-materiel": ("numerique--acquerir-un-equipement",),
    "numerique--accompagner-les-demarches-de-sante": ("sante--acces-aux-soins",),
    "numerique--approfondir-ma-culture-numerique": ("numerique--maitriser-les-fondamentaux-du-numerique",),
    "numerique--creer-avec-le-numerique": (
        "creer-une-entreprise--definir-son-projet-de-creation-dentreprise",
    ),
    "numerique--creer-et-developper-mon-entreprise": ("creer-une-entreprise--developper-son-entreprise",),
    "numerique--devenir-autonome-dans-les-demarches-administratives": (
        "difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives",
    ),
    "numerique--favoriser-mon-insertion-professionnelle": (
        "preparer-sa-candidature--organiser-ses-demarches-de-recherche-demploi",
    ),
    "numerique--prendre-en-main-un-ordinateur": ("numerique--maitriser-les-fondamentaux-du-numerique",),
    "numerique--prendre-en-main-un-smartphone-ou-une-tablette": (
        "numerique--maitriser-les-fondamentaux-du-numerique",
    ),
    "numerique--promouvoir-la-citoyennete-numerique": ("numerique--maitriser-les-fondamentaux-du-numerique",),
    "numerique--realiser-des-demarches-administratives-avec-un-accompagnement": (
        "numerique--acceder-a-des-services-en-ligne",
    ),
    "numerique--s-equiper-en-materiel-informatique": ("numerique--acquerir-un-equipement",),
    "numerique--soutenir-la-parentalite-et-l-education-avec-le-numerique": (
        "famille--soutien-a-la-parentalite-et-a-leducation",
    ),
    "numerique--utiliser-le-numerique-au-quotidien": ("numerique--maitriser-les-fondamentaux-du-numerique",),
    "preparer-sa-candidature": _subthematiques("preparer-sa-candidature"),
    "remobilisation": _subthematiques("remobilisation"),
    "remobilisation--bien-etre": ("remobilisation--bien-etre-confiance-en-soi",),
    "remobilisation--decouvrir-son-potentiel-via-le-sport-et-la-culture": (
        "remobilisation--activites-sportives-et-culturelles",
    ),
    "remobilisation--discrimination": ("remobilisation--bien-etre-confiance-en-soi",),
    "remobilisation--identifier-ses-competences-et-aptitudes": (
        "choisir-un-metier--identifier-ses-points-forts-et-ses-competences",
    ),
    "remobilisation--participer-a-des-actions-solidaires-ou-de-benevolat": (
        "remobilisation--benevolat-action-citoyenne",
    ),
    "remobilisation--pression-sociale": ("remobilisation--lien-social",),
    "remobilisation--restaurer-sa-confiance-son-image-de-soi": (
        "remobilisation--bien-etre-confiance-en-soi",
    ),
    "sante": _subthematiques("sante"),
    "sante--accompagnement-de-la-femme-enceinte-du-bebe-et-du-jeune-enfant": (
        "famille--soutien-a-la-parentalite-et-a-leducation",
    ),
    "sante--accompagner-les-traumatismes": ("sante--sante-mentale",),
    "sante--bien-etre-psychologique": ("sante--sante-mentale",),
    "sante--diagnostic-et-accompagnement-a-lemployabilite": ("sante--acces-aux-soins",),
    "sante--faire-face-a-une-situation-daddiction": ("sante--addictions",),
    "sante--obtenir-la-prise-en-charge-de-frais-medicaux": ("sante--acces-aux-soins",),
    "sante--prevention-et-acces-aux-soins": ("sante--acces-aux-soins",),
    "sante--se-soigner-et-prevenir-la-maladie": ("sante--acces-aux-soins",),
    "sante--vie-relationnelle-et-affective": ("sante--sante-sexuelle",),
    "se-former": _subthematiques("se-former"),
    "se-former--utiliser-le-numerique": ("numerique--maitriser-les-fondamentaux-du-numerique",),
    "souvrir-a-linternational": _subthematiques("souvrir-a-linternational"),
    "trouver-un-emploi": _subthematiques("trouver-un-emploi"),
}

# v0 ``profils`` → v1 ``publics``. « sortants-de-detention » goes to the v1 public made for it
# (data·inclusion's own table predates it and used « personnes-en-situation-durgence »).
PUBLICS_BY_PROFIL: dict[str, tuple[str, ...]] = {
    "adultes": (),
    "alternants": ("etudiants", "actifs"),
    "beneficiaires-rsa": ("beneficiaires-des-minimas-sociaux",),
    "deficience-visuelle": ("personnes-en-situation-de-handicap",),
    "demandeurs-demploi": ("demandeurs-emploi",),
    "etudiants": ("etudiants",),
    "familles-enfants": ("familles",),
    "femmes": ("femmes",),
    "handicaps-mentaux": ("personnes-en-situation-de-handicap",),
    "handicaps-psychiques": ("personnes-en-situation-de-handicap",),
    "jeunes": ("jeunes",),
    "jeunes-16-26": ("jeunes",),
    "locataires": ("actifs",),
    "personnes-de-nationalite-etrangere": ("personnes-exilees",),
    "personnes-en-situation-de-handicap": ("personnes-en-situation-de-handicap",),
    "personnes-en-situation-durgence": ("personnes-en-situation-durgence",),
    "personnes-en-situation-illettrisme": ("personnes-en-situation-durgence",),
    "personnes-handicapees": ("personnes-en-situation-de-handicap",),
    "proprietaires": ("actifs",),
    "public-langues-etrangeres": ("personnes-exilees",),
    "retraites": ("seniors",),
    "salaries": ("actifs",),
    "sans-domicile-fixe": ("personnes-en-situation-durgence",),
    "seniors-65": ("seniors",),
    "sortants-de-detention": ("personnes-en-situation-juridique-specifique",),
    "surdite": ("personnes-en-situation-de-handicap",),
    "tous-publics": ("tous-publics",),
    "victimes": ("personnes-en-situation-durgence",),
}
ACCESS_CONDITION_BY_PROFIL = {
    "locataires": "Le bénéficiaire doit être locataire.",
    "proprietaires": "Le bénéficiaire doit être propriétaire.",
}
HANDICAP = "personnes-en-situation-de-handicap"

# v0 ``frais`` (a list) → v1 ``frais`` (one value); « payant » wins over « gratuit ».
FRAIS_V0 = {
    "adhesion": "payant",
    "gratuit": "gratuit",
    "gratuit-sous-conditions": "gratuit",
    "pass-numerique": "gratuit",
    "payant": "payant",
}

# v0 ``types`` (a list) → v1 ``type`` (one value): the first rule that matches wins.
TYPE_RULES: tuple[tuple[frozenset[str], str], ...] = (
    (frozenset({"aide-financiere", "financement"}), "aide-financiere"),
    (frozenset({"autonomie", "aide-materielle"}), "aide-materielle"),
    (frozenset({"formation"}), "formation"),
    (frozenset({"atelier", "numerique"}), "atelier"),
    (frozenset({"accompagnement"}), "accompagnement"),
    (frozenset({"accueil", "information"}), "information"),
)

# v0 structure ``typologie`` → v1 ``reseaux_porteurs`` (None: no network).
RESEAUX_BY_TYPOLOGIE: dict[str, str | None] = {
    "ACI": "aci",
    "ACIPHC": "aci",
    "AFPA": "afpa",
    "AI": "ai",
    "ASE": "ase",
    "ASSO": None,
    "ASSO_CHOMEUR": None,
    "Autre": None,
    "AVIP": "creches-avip",
    "BIB": None,
    "CAARUD": "caarud",
    "CADA": "cada",
    "CAF": "caf",
    "CAP_EMPLOI": "cap-emploi-reseau-cheops",
    "CAVA": "cava",
    "CC": "communes",
    "CCAS": "ccas-cias",
    "CCONS": "chambres-consulaires",
    "CD": "departements",
    "CDAS": "departements",
    "CFP": None,
    "CHRS": "chrs",
    "CHU": "chu",
    "CIAS": "ccas-cias",
    "CIDFF": "cidff",
    "CITMET": None,
    "CMP": "cmp",
    "CMS": "cms",
    "CPAM": "cpam",
    "CPH": "cph",
    "CS": "fcsf",
    "CSAPA": "csapa",
    "CSC": "fcsf",
    "DEETS": "regions",
    "DEPT": "departements",
    "DIPLP": None,
    "E2C": "ecoles-de-la-deuxieme-chance",
    "EA": "ea",
    "EATT": "eatt",
    "EI": "ei",
    "EITI": "eiti",
    "ENM": "espaces-publics-numeriques",
    "EPCI": "communes",
    "EPI": "espaces-publics-numeriques",
    "EPIDE": "epide",
    "EPN": "espaces-publics-numeriques",
    "ES": None,
    "ESAT": "esat",
    "ESS": None,
    "ETABL_PRI": None,
    "ETABL_PUB": None,
    "ETAT": None,
    "ETTI": "etti",
    "EVS": "caf",
    "FABLAB": None,
    "FAIS": "federation-des-acteurs-de-la-solidarite",
    "FT": "france-travail",
    "PE": "france-travail",
    "GEIQ": "geiq",
    "HUDA": "huda",
    "LA_POSTE": "la-poste",
    "MDE": "maisons-de-l-emploi",
    "MDEF": "maisons-de-l-emploi",
    "MDPH": "mdph",
    "MDS": "maisons-des-solidarites",
    "MJC": "mjc",
    "ML": "mission-locale",
    "MQ": "communes",
    "MSA": "mutualite-sociale-agricole",
    "MSAP": "msap",
    "MUNI": "communes",
    "OACAS": None,
    "ODC": "delegataire-conseil-departemental",
    "OF": None,
    "OIL": None,
    "OPCS": None,
    "PAD": "points-justice",
    "PENSION": None,
    "PI": None,
    "PIJ_BIJ": "reseau-information-jeunesse",
    "PIMMS": "pimms-mediation",
    "PJJ": "pjj",
    "PLIE": "plie",
    "PREF": "regions",
    "PREVENTION": None,
    "REG": "regions",
    "RESSOURCERIE": "ressourceries",
    "RFS": "france-service",
    "RS_FJT": "residences-fjt",
    "SCP": None,
    "SPIP": "spip",
    "TIERS_LIEUX": None,
    "UDAF": "unaf",
}

# v0 ``labels_nationaux`` → v1 ``reseaux_porteurs`` (None: no network).
RESEAUX_BY_LABEL: dict[str, str | None] = {
    "60000-rebonds": "60000-rebonds",
    "action-logement": "action-logement",
    "adie": "adie",
    "afpa": "afpa",
    "agefiph": "agefiph",
    "aidants-connect": "aidants-connect",
    "alliance-villes-emploi": "alliance-villes-emploi",
    "anlci": "anlci",
    "apec": None,
    "apels": None,
    "apprentis-dauteuil": "apprentis-dauteuil",
    "aptic": None,
    "banques-alimentaires": "banques-alimentaires",
    "bge": "reseau-bge",
    "caf": "caf",
    "campus-connecte": "campus-connecte",
    "cap-emploi-reseau-cheops": "cap-emploi-reseau-cheops",
    "cci": "chambres-consulaires",
    "chantier-ecole": "chantier-ecole",
    "cidff": "cidff",
    "cnam": "cnam",
    "collectif-emploi": "collectif-emploi",
    "conseiller-numerique": "conseillers-numeriques",
    "coorace": "coorace",
    "crepi": "crepi",
    "cresus": "cresus",
    "croix-rouge": "croix-rouge",
    "dihal": None,
    "duo-for-a-job": "duo-for-a-job",
    "ecoles-de-la-deuxieme-chance": "ecoles-de-la-deuxieme-chance",
    "egee": "egee",
    "emmaus": "emmaus",
    "envie": None,
    "epide": "epide",
    "espace-emploi-agric-arrco": None,
    "etcld": "etcld",
    "fabrique-de-territoire": "fabrique-de-territoire",
    "face": "face",
    "fede-pro-fem": "federation-professionnelle-femmes",
    "federation-des-acteurs-de-la-solidarite": "federation-des-acteurs-de-la-solidarite",
    "federation-des-entreprises-dinsertion": "ei",
    "force-femmes": None,
    "france-active": "france-active",
    "france-service": "france-service",
    "france-travail": "france-travail",
    "pole-emploi": "france-travail",
    "french-tech": "french-tech",
    "geiq": "geiq",
    "grand-test-couveuse-dentreprise": None,
    "grandes-ecoles-du-numerique": "grandes-ecoles-du-numerique",
    "hup": "hup",
    "inae": "inae",
    "initiative-france": "initiative-france",
    "konexio": "konexio",
    "la-cravate-solidaire": "la-cravate-solidaire",
    "la-ressourcerie": "ressourceries",
    "les-premieres": "les-premieres",
    "linklusion": None,
    "maisons-de-lemploi": "maisons-de-l-emploi",
    "mdph": "mdph",
    "mission-locale": "mission-locale",
    "mobin": "mobin",
    "nqt": "nqt",
    "point-conseil-budget": "points-conseil-budget",
    "point-justice": "points-justice",
    "positive-planet": "positive-planet",
    "proxite": None,
    "reseau-app": "reseau-app",
    "reseau-entreprendre": "reseau-entreprendre",
    "ressourceries": "ressourceries",
    "restos-du-coeur": "restos-du-coeur",
    "scconseil": None,
    "secours-populaire": "secours-populaire",
    "siao": "siao",
    "simplon": "simplon",
    "singa": "singa",
    "snc": "snc",
    "sport-dans-la-ville": None,
    "tous-tes-possible": "tous-tes-possibles",
    "tzcld": None,
    "unaf": "unaf",
    "unai": "ai",
    "unccas": "ccas-cias",
    "unea": "unea",
    "unis-cite": "unis-cite",
    "wimoov": "wimoov",
}

# Code officiel géographique: the departments of each region (v0 zones of type « region »).
DEPARTEMENTS_BY_REGION: dict[str, tuple[str, ...]] = {
    "01": ("971",),
    "02": ("972",),
    "03": ("973",),
    "04": ("974",),
    "06": ("976",),
    "11": ("75", "77", "78", "91", "92", "93", "94", "95"),
    "24": ("18", "28", "36", "37", "41", "45"),
    "27": ("21", "25", "39", "58", "70", "71", "89", "90"),
    "28": ("14", "27", "50", "61", "76"),
    "32": ("02", "59", "60", "62", "80"),
    "44": ("08", "10", "51", "52", "54", "55", "57", "67", "68", "88"),
    "52": ("44", "49", "53", "72", "85"),
    "53": ("22", "29", "35", "56"),
    "75": ("16", "17", "19", "23", "24", "33", "40", "47", "64", "79", "86", "87"),
    "76": ("09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82"),
    "84": ("01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74"),
    "93": ("04", "05", "06", "13", "83", "84"),
    "94": ("2A", "2B"),
}

# Fields of the older schema, by kind of record; any of them makes a record "legacy".
STRUCTURE_LEGACY_FIELDS = frozenset(
    {
        "typologie",
        "labels_nationaux",
        "labels_autres",
        "presentation_resume",
        "presentation_detail",
        "horaires_ouverture",
        "accessibilite",
        "antenne",
        "rna",
        "thematiques",
    }
)
SERVICE_LEGACY_FIELDS = frozenset(
    {
        "presentation_resume",
        "presentation_detail",
        "types",
        "prise_rdv",
        "frais_autres",
        "profils",
        "profils_precisions",
        "pre_requis",
        "cumulable",
        "justificatifs",
        "formulaire_en_ligne",
        "recurrence",
        "date_creation",
        "date_suspension",
        "contact_public",
        "zone_diffusion_type",
        "zone_diffusion_code",
        "zone_diffusion_nom",
        "page_web",
        "modes_orientation_beneficiaire",
        "modes_orientation_beneficiaire_autres",
        "modes_orientation_accompagnateur",
        "modes_orientation_accompagnateur_autres",
    }
)
DESCRIPTION_MAX = 10000


def _empty(value) -> bool:
    return value is None or value == "" or value == [] or value == ()


def _as_list(value) -> list:
    if _empty(value):
        return []
    if isinstance(value, list | tuple | set):
        return [v for v in value if not _empty(v)]
    return [value]


def _show(values) -> str:
    return "[" + ", ".join(str(v) for v in values) + "]"


def _dedupe(values) -> list:
    """Values without repeats, in order; unhashable values (a nested list) are kept as they are."""
    seen, kept = set(), []
    for value in values:
        try:
            if value in seen:
                continue
            seen.add(value)
        except TypeError:
            pass
        kept.append(value)
    return kept


def _pop(record: dict, field: str):
    value = record.pop(field, None)
    if isinstance(value, str):
        value = value.strip()
    return None if _empty(value) else value


def _append_text(record: dict, field: str, text: str) -> None:
    current = record.get(field)
    record[field] = f"{current}\n{text}" if current else text


def _date_only(record: dict, notes: list[str]) -> None:
    """A ``date_maj`` given with a time (v0 exports often did) keeps its day."""
    value = record.get("date_maj")
    if isinstance(value, datetime):
        record["date_maj"] = value.date().isoformat()
    elif isinstance(value, date):
        record["date_maj"] = value.isoformat()
    elif isinstance(value, str) and len(value) > 10 and value[10] in "T ":
        day = value[:10]
        try:
            date.fromisoformat(day)
        except ValueError:
            return
        record["date_maj"] = day
        notes.append(f"date_maj={value} → date_maj={day} (heure retirée)")


def _description(record: dict, notes: list[str]) -> None:
    resume = _pop(record, "presentation_resume")
    detail = _pop(record, "presentation_detail")
    source = "presentation_detail" if detail else "presentation_resume"
    text = detail or resume
    if text is None:
        return
    if _empty(record.get("description")):
        if len(text) > DESCRIPTION_MAX:
            text = text[: DESCRIPTION_MAX - 1] + "…"
            notes.append(f"{source} → description (raccourcie à {DESCRIPTION_MAX} caractères)")
        else:
            notes.append(f"{source} → description")
        record["description"] = text
    else:
        notes.append(f"{source} ignorée : description déjà renseignée")


def _rename(record: dict, old: str, new: str, notes: list[str]) -> None:
    value = _pop(record, old)
    if value is None:
        return
    if _empty(record.get(new)):
        record[new] = value
        notes.append(f"{old} → {new}")
    else:
        notes.append(f"{old} ignoré : {new} déjà renseigné")


def _drop(record: dict, fields, notes: list[str]) -> None:
    for field in fields:
        value = _pop(record, field)
        if value is not None:
            notes.append(f"{field} retiré (champ supprimé en v1)")


def _convert_thematiques(record: dict, notes: list[str]) -> None:
    values = _as_list(record.get("thematiques"))
    # Anything but a string (a nested list, an object) is left for the validation to report.
    if not values or all(not isinstance(v, str) or v in V1_THEMATIQUES for v in values):
        return
    converted, changes, dropped = [], [], []
    for value in values:
        if not isinstance(value, str) or value in V1_THEMATIQUES or value not in THEMATIQUES_V0:
            converted.append(value)  # v1 already, or unknown: validation will say so
            continue
        targets = THEMATIQUES_V0[value]
        if targets:
            converted.extend(targets)
            changes.append(f"{value} → {_show(targets)}")
        else:
            dropped.append(value)
    if changes:
        notes.append("thématiques v0 converties : " + " ; ".join(changes))
    if dropped:
        notes.append("thématiques v0 sans équivalent v1, retirées : " + ", ".join(dropped))
    if converted or changes or dropped:
        record["thematiques"] = _dedupe(converted) or None


def convert_structure(record: dict) -> list[str]:
    """Bring a structure record to v1, in place; return what was converted, in French."""
    notes: list[str] = []
    _date_only(record, notes)
    present = STRUCTURE_LEGACY_FIELDS & record.keys()
    if not present:
        return notes
    given = sorted(f for f in present if not _empty(record.get(f)))

    networks = _as_list(record.get("reseaux_porteurs"))
    added = []
    typologie = _pop(record, "typologie")
    if typologie is not None:
        network = RESEAUX_BY_TYPOLOGIE.get(str(typologie))
        if network:
            added.append(network)
            notes.append(f"typologie={typologie} → reseaux_porteurs={_show([network])}")
        else:
            notes.append(f"typologie={typologie} retirée (pas de réseau porteur correspondant)")
    labels = _as_list(_pop(record, "labels_nationaux"))
    if labels:
        mapped = [RESEAUX_BY_LABEL.get(label) for label in labels]
        kept = [n for n in mapped if n]
        lost = [label for label, n in zip(labels, mapped, strict=True) if not n]
        if kept:
            added.extend(kept)
            notes.append(f"labels_nationaux={_show(labels)} → reseaux_porteurs={_show(_dedupe(kept))}")
        if lost:
            notes.append(f"labels_nationaux sans réseau porteur correspondant, retirés : {', '.join(lost)}")
    if added:
        record["reseaux_porteurs"] = _dedupe([*networks, *added])

    _description(record, notes)
    _rename(record, "horaires_ouverture", "horaires_accueil", notes)
    _rename(record, "accessibilite", "accessibilite_lieu", notes)
    _drop(record, ("labels_autres", "antenne", "rna", "thematiques"), notes)
    if not given:
        notes.append("champs vides de l'ancien schéma retirés : " + ", ".join(sorted(present)))
    return notes


def _convert_frais(record: dict, notes: list[str]) -> None:
    value = record.get("frais")
    if _empty(value):
        return
    if isinstance(value, str) and value in V1_FRAIS:
        return
    values = _as_list(value)
    mapped = [FRAIS_V0.get(v) if isinstance(v, str) else None for v in values]
    if any(m is None for m in mapped):
        return  # an unknown value: validation will report it
    chosen = "payant" if "payant" in mapped else "gratuit"
    record["frais"] = chosen
    notes.append(f"frais (liste)={_show(values)} → frais={chosen}")


def _convert_types(record: dict, notes: list[str]) -> None:
    types = [str(t) for t in _as_list(_pop(record, "types"))]
    if not types:
        return
    if not _empty(record.get("type")):
        notes.append("types ignorés : type déjà renseigné")
        return
    for candidates, target in TYPE_RULES:
        if candidates.intersection(types):
            record["type"] = target
            notes.append(f"types={_show(types)} → type={target}")
            return
    notes.append(f"types={_show(types)} retirés (pas de type v1 correspondant)")


def _convert_profils(record: dict, thematiques_v0: list, notes: list[str]) -> None:
    profils = [str(p) for p in _as_list(_pop(record, "profils"))]
    precisions = _pop(record, "profils_precisions")
    if precisions is not None:
        if _empty(record.get("publics_precisions")):
            record["publics_precisions"] = precisions
            notes.append("profils_precisions → publics_precisions")
        else:
            notes.append("profils_precisions ignorées : publics_precisions déjà renseignées")
    if not profils:
        return
    if not _empty(record.get("publics")):
        notes.append("profils ignorés : publics déjà renseignés")
        return
    for profil in profils:
        if condition := ACCESS_CONDITION_BY_PROFIL.get(profil):
            _append_text(record, "conditions_acces", condition)
            notes.append(f"profils={profil} → conditions_acces « {condition} »")
    if "tous-publics" in profils:
        publics = ["tous-publics"]
    else:
        publics = _dedupe(p for profil in profils for p in PUBLICS_BY_PROFIL.get(profil, (profil,)))
        if HANDICAP not in publics and any(str(t).startswith("handicap") for t in thematiques_v0):
            publics.append(HANDICAP)
    record["publics"] = publics or None
    if publics:
        notes.append(f"profils={_show(profils)} → publics={_show(publics)}")
    else:
        notes.append(f"profils={_show(profils)} retirés (pas de public v1 correspondant)")


def _convert_zone(record: dict, notes: list[str]) -> None:
    kind = _pop(record, "zone_diffusion_type")
    code = _pop(record, "zone_diffusion_code")
    _pop(record, "zone_diffusion_nom")
    if kind is None and code is None:
        return
    described = " + ".join(
        part
        for part in (
            f"zone_diffusion_type={kind}" if kind is not None else "",
            f"zone_diffusion_code={code}" if code is not None else "",
        )
        if part
    )
    if not _empty(record.get("zone_eligibilite")):
        notes.append(f"{described} ignorés : zone_eligibilite déjà renseignée")
        return
    code = None if code is None else str(code)
    if kind == "pays":
        zone = ["france"]
    elif kind == "region" and code is not None:
        zone = list(DEPARTEMENTS_BY_REGION.get(code.zfill(2), ()))
    elif code is not None:
        zone = [code]
    else:
        zone = []
    if zone:
        record["zone_eligibilite"] = zone
        notes.append(f"{described} → zone_eligibilite={_show(zone)}")
    else:
        notes.append(f"{described} retirés (zone non convertible)")


def _convert_orientation(record: dict, notes: list[str]) -> None:
    pros = [str(m) for m in _as_list(_pop(record, "modes_orientation_accompagnateur"))]
    users = [str(m) for m in _as_list(_pop(record, "modes_orientation_beneficiaire"))]
    others = [
        text
        for text in (
            _pop(record, "modes_orientation_beneficiaire_autres"),
            _pop(record, "modes_orientation_accompagnateur_autres"),
        )
        if text is not None
    ]
    links = [
        (field, value)
        for field in ("prise_rdv", "formulaire_en_ligne", "page_web")
        if (value := _pop(record, field)) is not None
    ]
    if links:
        field, value = links[0]
        if _empty(record.get("lien_mobilisation")):
            record["lien_mobilisation"] = value
            notes.append(f"{field} → lien_mobilisation")
        for other, _ in links[1:]:
            notes.append(f"{other} retiré (un seul lien de mobilisation en v1)")
    if others:
        text = " ".join(str(t) for t in others)
        if _empty(record.get("mobilisation_precisions")):
            record["mobilisation_precisions"] = text
            notes.append("modes_orientation_*_autres → mobilisation_precisions")
    if not (pros or users):
        return
    modes = []
    if {"envoyer-un-mail", "envoyer-un-mail-avec-une-fiche-de-prescription", "prendre-rdv"} & set(pros) or {
        "envoyer-un-mail",
        "prendre-rdv",
    } & set(users):
        modes.append("envoyer-un-courriel")
    if "se-presenter" in users:
        modes.append("se-presenter")
    if "telephoner" in pros or "telephoner" in users:
        modes.append("telephoner")
    if {"completer-le-formulaire-dadhesion", "prendre-rdv"} & set(pros + users) or links:
        modes.append("utiliser-lien-mobilisation")
    by = [who for who, given in (("usagers", users), ("professionnels", pros)) if given]
    described = " + ".join(
        f"{field}={_show(values)}"
        for field, values in (
            ("modes_orientation_accompagnateur", pros),
            ("modes_orientation_beneficiaire", users),
        )
        if values
    )
    results = []
    if modes and _empty(record.get("modes_mobilisation")):
        record["modes_mobilisation"] = modes
        results.append(f"modes_mobilisation={_show(modes)}")
    if by and _empty(record.get("mobilisable_par")):
        record["mobilisable_par"] = by
        results.append(f"mobilisable_par={_show(by)}")
    if results:
        notes.append(f"{described} → {' + '.join(results)}")
    else:
        notes.append(f"{described} ignorés : modes de mobilisation déjà renseignés")


def _convert_requirements(record: dict, notes: list[str]) -> None:
    for field, title in (("pre_requis", "Prérequis"), ("justificatifs", "Justificatifs")):
        values = [str(v) for v in _as_list(_pop(record, field))]
        if values:
            _append_text(record, "conditions_acces", f"{title} : {' ; '.join(values)}.")
            notes.append(f"{field} → conditions_acces")


def convert_service(record: dict) -> list[str]:
    """Bring a service record to v1, in place; return what was converted, in French."""
    notes: list[str] = []
    _date_only(record, notes)
    thematiques_before = _as_list(record.get("thematiques"))
    _convert_thematiques(record, notes)
    _convert_frais(record, notes)
    present = SERVICE_LEGACY_FIELDS & record.keys()
    if not present:
        return notes
    given = sorted(f for f in present if not _empty(record.get(f)))

    _description(record, notes)
    _convert_types(record, notes)
    _convert_profils(record, thematiques_before, notes)
    _rename(record, "frais_autres", "frais_precisions", notes)
    _convert_zone(record, notes)
    _convert_orientation(record, notes)
    _convert_requirements(record, notes)
    _rename(record, "recurrence", "horaires_accueil", notes)
    _drop(record, ("cumulable", "contact_public", "date_creation", "date_suspension"), notes)
    weeks = record.get("nombre_semaines")
    if weeks in (0, "0"):
        record["nombre_semaines"] = None
        notes.append("nombre_semaines=0 → vide (au moins 1 en v1)")
    if not given:
        notes.append("champs vides de l'ancien schéma retirés : " + ", ".join(sorted(present)))
    return notes
