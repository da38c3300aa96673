"""``cite-emploi import-offer FICHIER [--territory SLUG] [--partial] [--dry-run]``: import the offer."""

import time

from django.core.management.base import BaseCommand, CommandError

from cite_emploi.core.statistics import refresh_statistics
from cite_emploi.partners.offer_import import OfferFile, default_territory, import_offer, report_lines
from cite_emploi.territory.models import Territory


class Command(BaseCommand):
    help = (
        "Importe des structures et des services au format data·inclusion (JSON, CSV, archive .zip de "
        "CSV) ou depuis un classeur Excel (.xlsx) dans un territoire. Chaque enregistrement est validé "
        "avec le paquet officiel data-inclusion-schema ; les enregistrements de l'ancien schéma sont "
        "convertis. Un fichier qui contient des enregistrements rejetés n'importe rien, sauf avec "
        "--partial. Réimporter le même fichier ne change rien. Code de sortie 1 quand rien n'a été "
        "importé à cause d'erreurs."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "files",
            nargs="+",
            metavar="FICHIER",
            help="fichier .json, .csv, .xlsx ou .zip (structures.csv + services.csv) ; "
            "plusieurs fichiers sont importés ensemble, dans l'ordre donné",
        )
        parser.add_argument(
            "--territory",
            metavar="SLUG",
            help="territoire où créer les structures (défaut : le premier territoire réel, par ordre alphabétique)",
        )
        parser.add_argument(
            "--partial",
            action="store_true",
            help="importer les enregistrements valides et écarter les autres (défaut : tout ou rien)",
        )
        parser.add_argument(
            "--dry-run",
            "--simulation",
            action="store_true",
            dest="dry_run",
            help="simulation : tout vérifier, afficher le compte rendu, ne rien enregistrer",
        )

    def handle(self, *args, **options):
        territory = _territory(options["territory"])
        started = time.perf_counter()
        report = import_offer(
            [OfferFile.from_path(path) for path in options["files"]],
            territory=territory,
            partial=options["partial"],
            dry_run=options["dry_run"],
        )
        if report.committed:
            refresh_statistics()  # a large load changes the planner's picture of the tables
        seconds = time.perf_counter() - started
        for line in report_lines(report):
            self.stdout.write(line)
        self.stdout.write(f"Durée : {seconds:.1f} s".replace(".", ","))
        if report.nothing_imported_because_of_errors:
            raise CommandError("Rien n'a été importé à cause d'erreurs.", returncode=1)


def _territory(slug: str | None) -> Territory:
    if slug:
        try:
            return Territory.objects.get(slug=slug)
        except Territory.DoesNotExist:
            known = ", ".join(Territory.objects.order_by("slug").values_list("slug", flat=True)) or "aucun"
            raise CommandError(f"Territoire « {slug} » inconnu (territoires : {known}).") from None
    territory = default_territory()
    if territory is None:
        raise CommandError("Aucun territoire réel : chargez les référentiels (cite-emploi load-reference).")
    return territory
