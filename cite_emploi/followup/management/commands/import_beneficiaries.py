"""``cite-emploi import-beneficiaries FICHIER --organisation ID --mapping MAP.json [--dry-run] [--partial] [--by EMAIL]``."""

import sys
import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from cite_emploi.accounts.models import Membership
from cite_emploi.core.statistics import refresh_statistics
from cite_emploi.followup.beneficiary_files import ImportSource
from cite_emploi.followup.beneficiary_import import MEMBER_ROLES, import_beneficiaries, report_lines
from cite_emploi.followup.beneficiary_mapping import MappingError, parse_mapping_json
from cite_emploi.partners.models import Organisation


class Command(BaseCommand):
    help = (
        "Importe des bénéficiaires depuis un fichier CSV ou Excel (.xlsx) dans une organisation : chaque "
        "personne reçoit un suivi dont le professionnel --by est référent·e. Le fichier de correspondance "
        '(JSON) associe chaque champ à un titre de colonne, par ex. {"nom": "NOM", "prenom": "Prénom", '
        '"date_naissance": "Né(e) le", "sexe": "Sexe"}. Les personnes déjà suivies sur le territoire sont '
        "ignorées. Un fichier qui contient une ligne en erreur n'importe rien, sauf avec --partial. Code de "
        "sortie 1 quand le fichier est refusé."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FICHIER", help="fichier .csv ou .xlsx (première feuille)")
        parser.add_argument(
            "--organisation", required=True, type=int, metavar="ID", help="numéro de l'organisation"
        )
        parser.add_argument(
            "--mapping", required=True, metavar="MAP.json", help="correspondance champ → titre de colonne"
        )
        parser.add_argument(
            "--by",
            metavar="COURRIEL",
            help="professionnel·le de l'organisation qui devient référent·e (facultatif s'il n'y en a qu'un·e)",
        )
        parser.add_argument(
            "--partial",
            action="store_true",
            help="importer les lignes valides et écarter les lignes en erreur (défaut : tout ou rien)",
        )
        parser.add_argument(
            "--dry-run",
            "--simulation",
            action="store_true",
            dest="dry_run",
            help="simulation : tout vérifier, afficher le compte rendu, ne rien enregistrer",
        )
        parser.add_argument(
            "--geocode",
            action="store_true",
            help="géocoder les adresses des lignes sans coordonnées (service d'adresses configuré)",
        )

    def handle(self, *args, **options):
        organisation = (
            Organisation.objects.select_related("territory").filter(pk=options["organisation"]).first()
        )
        if organisation is None:
            raise CommandError(f"Organisation n° {options['organisation']} inconnue.")
        by = _professional(organisation, options["by"])
        try:
            mapping = parse_mapping_json(Path(options["mapping"]).read_text(encoding="utf-8-sig"))
        except OSError:
            raise CommandError(
                f"Fichier de correspondance {options['mapping']} illisible ou introuvable."
            ) from None
        except MappingError as exc:
            raise CommandError(f"{options['mapping']} : {exc}") from None
        path = Path(options["file"])
        started = time.perf_counter()
        report = import_beneficiaries(
            ImportSource.from_path(path),
            organisation=organisation,
            by=by,
            mapping=mapping,
            dry_run=options["dry_run"],
            partial=options["partial"],
            geocode=options["geocode"],
            progress=self._progress if sys.stderr.isatty() else None,
        )
        if report.committed:
            refresh_statistics()  # a large load changes the planner's picture of the tables
        seconds = time.perf_counter() - started
        for line in report_lines(report):
            self.stdout.write(line)
        self.stdout.write(f"Durée : {seconds:.1f} s".replace(".", ","))
        if report.refused:
            raise CommandError("Fichier refusé : rien n'a été importé.", returncode=1)

    def _progress(self, done: int, total: int | None) -> None:
        share = f" sur {total} ({done * 100 // total} %)" if total else ""
        self.stderr.write(f"\r{done} lignes traitées{share}", ending="")


def _professional(organisation, email: str | None):
    professionals = Membership.objects.active().filter(
        organisation=organisation, role__in=MEMBER_ROLES, user__is_active=True
    )
    if email:
        user = get_user_model().objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"Aucun compte pour {email}.")
        if not professionals.filter(user=user).exists():
            raise CommandError(
                f"{email} n'est pas conseiller·ère ni coordinateur·rice actif·ve de « {organisation.name} »."
            )
        return user
    users = list({m.user_id: m.user for m in professionals.select_related("user")}.values())
    if len(users) != 1:
        raise CommandError(
            f"« {organisation.name} » compte {len(users)} professionnel·les : précisez --by COURRIEL "
            "(la personne qui devient référente des suivis importés)."
        )
    return users[0]
