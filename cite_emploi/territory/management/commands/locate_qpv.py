"""``cite-emploi locate-qpv IN.csv -o OUT.csv``: add the QPV of each point of a CSV file."""

import time

from django.core.exceptions import ObjectDoesNotExist
from django.core.management.base import BaseCommand, CommandError

from cite_emploi.territory.locate_csv import LocateCsvError, locate_csv

DELIMITERS = {",": ",", ";": ";", "tab": "\t", "|": "|"}


class Command(BaseCommand):
    help = (
        "Indique pour chaque point (longitude, latitude en WGS84) d'un fichier CSV le QPV 2024 "
        "où il se trouve. Le fichier produit reprend toutes les colonnes et ajoute qpv_code, "
        "qpv_nom, dans_perimetre et erreur ; une ligne en erreur est conservée, avec son numéro "
        "de ligne et la cause."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "input", metavar="ENTREE.csv", help="fichier CSV à traiter (« - » : entrée standard)"
        )
        parser.add_argument(
            "-o",
            "--output",
            required=True,
            metavar="SORTIE.csv",
            help="fichier CSV à produire (« - » : sortie standard)",
        )
        parser.add_argument("--lon-col", default="lon", help="colonne de la longitude (défaut : lon)")
        parser.add_argument("--lat-col", default="lat", help="colonne de la latitude (défaut : lat)")
        parser.add_argument(
            "--territory",
            metavar="SLUG",
            help="territoire dont le périmètre actuel remplit dans_perimetre (oui/non) ; "
            "sans lui, la colonne reste vide",
        )
        parser.add_argument(
            "--delimiter",
            choices=sorted(DELIMITERS),
            metavar="SEP",
            help="séparateur des champs : « , », « ; », « tab » ou « | » "
            "(défaut : « ; » ou « , », détecté sur l'en-tête)",
        )
        parser.add_argument(
            "--encoding", default="utf-8", help="encodage du fichier : utf-8 (défaut), latin-1 ou cp1252"
        )

    def handle(self, *args, **options):
        perimeter = None
        if options["territory"]:
            perimeter = self._perimeter(options["territory"])
        started = time.perf_counter()
        try:
            stats = locate_csv(
                options["input"],
                options["output"],
                lon_col=options["lon_col"],
                lat_col=options["lat_col"],
                perimeter=perimeter,
                delimiter=DELIMITERS.get(options["delimiter"]),
                encoding=options["encoding"],
            )
        except LocateCsvError as exc:
            raise CommandError(str(exc)) from exc
        seconds = time.perf_counter() - started

        in_perimeter = _number(stats.in_perimeter) if perimeter is not None else "—"
        summary = (
            f"{_number(stats.rows)} ligne{'s' if stats.rows > 1 else ''} traitée"
            f"{'s' if stats.rows > 1 else ''} en {_decimal(seconds)} s "
            f"({_number(round(stats.rows / seconds)) if seconds else '—'} lignes/s) : "
            f"{_number(stats.located)} dans un QPV, {in_perimeter} dans le périmètre, "
            f"{_number(stats.errors)} en erreur."
        )
        # With the CSV on stdout, keep the summary out of it.
        out = self.stderr if options["output"] == "-" else self.stdout
        out.write(summary, style_func=self.style.SUCCESS if not stats.errors else self.style.WARNING)
        if stats.errors:
            out.write("Les lignes en erreur sont conservées ; la colonne « erreur » en donne la cause.")

    def _perimeter(self, slug: str):
        # Imported here: the CSV path must not need the database unless asked to.
        from cite_emploi.territory.queries import current_perimeter_pairs

        try:
            return current_perimeter_pairs(slug)
        except ObjectDoesNotExist:
            raise CommandError(f"Territoire « {slug} » inconnu.") from None


def _number(value: int) -> str:
    return f"{value:,}".replace(",", "\u202f")


def _decimal(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")
