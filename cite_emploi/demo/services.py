"""The fictitious demo data: deterministic, marked « démo », safe to load twice.

Every account has the password ``demo``. The demo never touches a database holding real data:
a database is real as soon as it has a user or an organisation not flagged ``is_demo``.
"""

import json
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from cite_emploi.accounts.models import Membership, Role, User
from cite_emploi.partners.models import Organisation, OrganisationKind
from cite_emploi.territory.models import Commune, Territory
from cite_emploi.territory.services import load_territory

from .diagnostic import load_diagnostic_demo
from .followup import load_followup_demo
from .outreach import load_outreach_demo
from .partners import load_partner_demo
from .steering import load_steering_demo
from .talent import demo_employers, load_talent_demo

DATA_DIR = Path(__file__).resolve().parent / "data"
PASSWORD = "demo"


class RealDataPresent(Exception):
    pass


@dataclass(frozen=True)
class DemoOrg:
    key: str
    name: str
    kind: str
    networks: tuple[str, ...] = ()
    commune: str | None = None
    territory: str = "gpsea"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    first_name: str
    last_name: str
    org: str | None
    role: str | None
    communes: tuple[str, ...] = ()
    superuser: bool = False
    what: str = ""


ORGANISATIONS = (
    DemoOrg(
        "cite",
        "Cité de l'emploi GPSEA — équipe de coordination (démo)",
        OrganisationKind.CITE_TEAM,
        (),
        "94028",
    ),
    DemoOrg(
        "ft", "France Travail Créteil (démo)", OrganisationKind.FRANCE_TRAVAIL, ("france-travail",), "94028"
    ),
    DemoOrg(
        "ft-boissy",
        "France Travail Boissy-Saint-Léger (démo)",
        OrganisationKind.FRANCE_TRAVAIL,
        ("france-travail",),
        "94004",
    ),
    DemoOrg(
        "ml",
        "Mission locale Plaine centrale (démo)",
        OrganisationKind.MISSION_LOCALE,
        ("mission-locale",),
        "94028",
    ),
    DemoOrg(
        "cap",
        "Cap emploi Val-de-Marne (démo)",
        OrganisationKind.CAP_EMPLOI,
        ("cap-emploi-reseau-cheops",),
        "94028",
    ),
    DemoOrg("plie", "PLIE Plaine centrale (démo)", OrganisationKind.PLIE, ("plie",), "94002"),
    DemoOrg(
        "creteil",
        "Ville de Créteil — service emploi (démo)",
        OrganisationKind.COMMUNE,
        ("communes",),
        "94028",
    ),
    DemoOrg(
        "chennevieres",
        "Ville de Chennevières-sur-Marne (démo)",
        OrganisationKind.COMMUNE,
        ("communes",),
        "94019",
    ),
    DemoOrg(
        "prefecture",
        "Préfecture du Val-de-Marne — délégation politique de la ville (démo)",
        OrganisationKind.STATE,
        (),
        "94028",
    ),
    DemoOrg(
        "asso-mesly",
        "Association Les Passerelles du Mont-Mesly (démo)",
        OrganisationKind.NEIGHBOURHOOD_ASSOCIATION,
        (),
        "94028",
    ),
    DemoOrg(
        "asso-bois",
        "Association Bois l'Abbé Solidaire (démo)",
        OrganisationKind.NEIGHBOURHOOD_ASSOCIATION,
        (),
        "94019",
    ),
    DemoOrg("employer", "Logistique Sud-Est Avenir SAS (démo)", OrganisationKind.EMPLOYER, (), "94011"),
    DemoOrg(
        "other-cite",
        "Cité de l'emploi Val-de-Marne Est — coordination (démo)",
        OrganisationKind.CITE_TEAM,
        (),
        "94017",
        territory="val-de-marne-est-demo",
    ),
    DemoOrg(
        "other-ml",
        "Mission locale Val-de-Marne Est (démo)",
        OrganisationKind.MISSION_LOCALE,
        ("mission-locale",),
        "94078",
        territory="val-de-marne-est-demo",
    ),
)

ACCOUNTS = (
    DemoAccount(
        "admin@demo.test",
        "Alex",
        "Administrateur",
        None,
        None,
        superuser=True,
        what="administration de la plateforme",
    ),
    DemoAccount(
        "coordinator@demo.test",
        "Camille",
        "Coordination",
        "cite",
        Role.COORDINATOR,
        what="coordination de la Cité GPSEA",
    ),
    DemoAccount(
        "counsellor.ft@demo.test",
        "Farid",
        "Conseiller",
        "ft",
        Role.COUNSELLOR,
        what="conseiller France Travail, GPSEA",
    ),
    DemoAccount(
        "counsellor.ml@demo.test",
        "Maëlle",
        "Conseillère",
        "ml",
        Role.COUNSELLOR,
        what="conseillère Mission locale, GPSEA",
    ),
    DemoAccount(
        "elected.creteil@demo.test",
        "Élise",
        "Adjointe",
        "creteil",
        Role.ELECTED,
        ("94028",),
        what="élue de Créteil (chiffres agrégés de sa commune)",
    ),
    DemoAccount(
        "funder@demo.test",
        "Fabrice",
        "Délégué",
        "prefecture",
        Role.FUNDER,
        what="délégué du préfet (chiffres agrégés du territoire)",
    ),
    DemoAccount(
        "employer@demo.test",
        "Émilie",
        "Recruteuse",
        "employer",
        Role.EMPLOYER,
        what="employeur (profils anonymisés)",
    ),
    DemoAccount(
        "coordinator.other@demo.test",
        "Oscar",
        "Autreterritoire",
        "other-cite",
        Role.COORDINATOR,
        what="coordination d'un autre territoire (fictif)",
    ),
)


def has_real_data() -> bool:
    return User.objects.filter(is_demo=False).exists() or Organisation.objects.filter(is_demo=False).exists()


@transaction.atomic
def load_demo() -> list[DemoAccount]:
    if has_real_data():
        raise RealDataPresent(
            "Cette base contient des comptes ou des organisations réels : la démonstration refuse d'y écrire. "
            "Utilisez une base vide (par exemple : DATABASE_URL non défini et var/db.sqlite3 supprimé)."
        )
    if not Territory.objects.filter(slug="gpsea").exists():
        raise RealDataPresent(
            "Le territoire GPSEA est absent : lancez d'abord « cite-emploi load-reference »."
        )
    definition = json.loads((DATA_DIR / "territoire_fictif.json").read_text(encoding="utf-8"))
    load_territory(definition)
    territories = {t.slug: t for t in Territory.objects.all()}
    communes = {c.code: c for c in Commune.objects.all()}
    orgs = {}
    for o in ORGANISATIONS:
        orgs[o.key], _ = Organisation.objects.update_or_create(
            territory=territories[o.territory],
            name=o.name,
            defaults={
                "kind": o.kind,
                "networks": list(o.networks),
                "commune": communes.get(o.commune),
                "is_demo": True,
            },
        )
    load_partner_demo(territories["gpsea"], orgs)
    for a in ACCOUNTS:
        user = User.objects.filter(email=a.email).first() or User(email=a.email)
        user.first_name, user.last_name, user.is_demo = a.first_name, a.last_name, True
        user.is_staff = user.is_superuser = a.superuser
        user.set_password(PASSWORD)
        user.save()
        if a.org:
            membership, _ = Membership.objects.get_or_create(user=user, organisation=orgs[a.org], role=a.role)
            membership.communes.set([communes[c] for c in a.communes])
    load_followup_demo(territories["gpsea"], orgs)
    load_talent_demo(territories["gpsea"], orgs)
    load_outreach_demo(territories["gpsea"], orgs, demo_employers(territories["gpsea"], orgs))
    # Last: the report version's snapshot reads everything written above.
    load_diagnostic_demo(territories["gpsea"])
    # After the diagnostic: the plans answer its version's gaps.
    load_steering_demo(territories["gpsea"], orgs)
    return list(ACCOUNTS)
