"""``cite-emploi quarterly-report --territory gpsea --year 2023 -o rapport.xlsx`` (or ``.pdf``)

Writes the quarterly report of a territory for one year (the four quarters and the year) to a file,
computed afresh. The output's extension chooses the format: ``.xlsx`` (workbook « Synthèse » and
« Définitions ») or ``.pdf``. Every error a user can make — unknown territory, year outside
``FIRST_YEAR``–this year, unknown extension, PDF engine missing, file that cannot be written — stops
the command with a French message and a non-zero exit.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cite_emploi.core.pdf import PdfUnavailable
from cite_emploi.steering import quarterly
from cite_emploi.steering.forms_targets import FIRST_YEAR
from cite_emploi.territory.models import Territory

FORMATS = {".xlsx": "tableur", ".pdf": "PDF"}


class Command(BaseCommand):
    help = "Écrit le rapport trimestriel d'un territoire pour une année (tableur .xlsx ou PDF)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--territory", required=True, help="Identifiant du territoire (par exemple gpsea)."
        )
        parser.add_argument("--year", required=True, help="Année du rapport, par exemple 2023.")
        parser.add_argument("-o", "--output", required=True, help="Fichier à écrire : .xlsx ou .pdf.")

    def handle(self, *args, **options):
        target = Path(options["output"])
        fmt = FORMATS.get(target.suffix.lower())
        if fmt is None:
            raise CommandError(
                f"Extension inconnue « {target.suffix or '(aucune)'} » : écrivez un fichier .xlsx ou .pdf."
            )
        year = _year(options["year"])
        slug = options["territory"]
        territory = Territory.objects.filter(slug=slug).first()
        if territory is None:
            known = ", ".join(Territory.objects.order_by("slug").values_list("slug", flat=True)) or "aucun"
            raise CommandError(f"Territoire inconnu « {slug} ». Territoires connus : {known}.")
        report = quarterly.quarterly_report(territory, year)
        if fmt == "PDF":
            try:
                data = quarterly.quarterly_pdf(report)
            except PdfUnavailable as error:
                raise CommandError(str(error)) from None
        else:
            data = quarterly.quarterly_xlsx(report)
        try:
            target.write_bytes(data)
        except OSError as error:
            raise CommandError(f"Impossible d'écrire « {target} » : {error.strerror or error}.") from None
        self.stdout.write(f"Rapport trimestriel {year} de {territory} écrit dans {target} ({fmt}).")


def _year(text: str) -> int:
    this_year = timezone.localdate().year
    try:
        year = int(str(text).strip())
    except ValueError:
        raise CommandError(
            f"Année invalide « {text} » : écrivez-la sur quatre chiffres, par exemple 2023."
        ) from None
    if not FIRST_YEAR <= year <= this_year:
        raise CommandError(f"Choisissez une année entre {FIRST_YEAR} et {this_year}.")
    return year
