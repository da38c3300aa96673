"""``cite-emploi export-offer --territory SLUG --format FORMAT -o FICHIER``: export the offer."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cite_emploi.partners.offer_export import FORMATS, export_offer

from .import_offer import _territory


class Command(BaseCommand):
    help = (
        "Exporte les structures et les services d'un territoire : JSON data·inclusion "
        '({"structures": [...], "services": [...]}), CSV data·inclusion (archive .zip contenant '
        "structures.csv et services.csv) ou classeur Excel (.xlsx, feuilles « structures » et "
        "« services »). Chaque enregistrement exporté est valide selon le paquet officiel "
        "data-inclusion-schema ; les enregistrements incomplets sont écartés et listés."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--territory",
            metavar="SLUG",
            help="territoire à exporter (défaut : le premier territoire réel, par ordre alphabétique)",
        )
        parser.add_argument(
            "--format",
            choices=sorted(FORMATS),
            default="data-inclusion-json",
            help="format du fichier (défaut : data-inclusion-json)",
        )
        parser.add_argument("-o", "--output", required=True, metavar="FICHIER", help="fichier à écrire")

    def handle(self, *args, **options):
        territory = _territory(options["territory"])
        path = Path(options["output"])
        expected = FORMATS[options["format"]][1]
        if path.suffix.lower() != expected:
            raise CommandError(f"Le format {options['format']} s'écrit dans un fichier {expected} : {path}.")
        try:
            with open(path, "wb") as out:
                result = export_offer(territory, options["format"], out)
        except OSError as exc:
            raise CommandError(f"Impossible d'écrire {path} : {exc.strerror}.") from exc
        self.stdout.write(f"{path} : {result.summary}")
        for kind, ident, name, errors in result.skipped:
            self.stderr.write(f"Non exporté ({kind} {ident}, « {name} ») : {errors}")
