"""``cite-emploi report diagnostic --territory gpsea [--date AAAA-MM-JJ | --version N] -o diagnostic.pdf``

Writes the diagnostic report of a territory to a file: the live report at a date (default today),
or a saved version with the figures it froze. The output's extension chooses the format: ``.pdf``
(WeasyPrint) or ``.html`` (the same standalone document, to read in a browser or print). Every
error a user can make — unknown territory or version, bad date, unknown extension, PDF engine
missing, file that cannot be written — stops the command with a French message and a non-zero exit.
"""

from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.http import Http404
from django.utils import timezone

from cite_emploi.core.pdf import PdfUnavailable
from cite_emploi.diagnostic import content, report
from cite_emploi.territory.models import Territory

FORMATS = {".pdf": "PDF", ".html": "HTML", ".htm": "HTML"}


class Command(BaseCommand):
    help = "Écrit le rapport du diagnostic territorial partagé d'un territoire (PDF ou HTML)."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=["diagnostic"], help="Le rapport à produire : diagnostic.")
        parser.add_argument(
            "--territory", required=True, help="Identifiant du territoire (par exemple gpsea)."
        )
        parser.add_argument("--date", help="Date d'arrêt des données, AAAA-MM-JJ (par défaut : aujourd'hui).")
        parser.add_argument(
            "--version", type=int, help="Numéro d'une version enregistrée, à la place d'une date."
        )
        parser.add_argument(
            "-o", "--output", required=True, help="Fichier à écrire : .pdf, ou .html pour la page seule."
        )

    def create_parser(self, prog_name, subcommand, **kwargs):
        # --version names a saved version here, not Django's version: ours replaces the base option.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def handle(self, *args, **options):
        slug, day, version = options["territory"], options["date"], options["version"]
        target = Path(options["output"])
        fmt = FORMATS.get(target.suffix.lower())
        if fmt is None:
            raise CommandError(
                f"Extension inconnue « {target.suffix or '(aucune)'} » : écrivez un fichier .pdf ou .html."
            )
        if day and version is not None:
            raise CommandError("Donnez soit une date (--date), soit une version (--version), pas les deux.")
        found = Territory.objects.filter(slug=slug).first()
        if found is None:
            known = ", ".join(Territory.objects.order_by("slug").values_list("slug", flat=True)) or "aucun"
            raise CommandError(f"Territoire inconnu « {slug} ». Territoires connus : {known}.")
        if version is not None:
            try:
                saved = report.get_version(found, version)
            except Http404:
                raise CommandError(
                    f"Le territoire {found} n'a pas de version {version} du diagnostic."
                ) from None
            snapshot, label = saved.snapshot, f"version {saved.number}"
        else:
            as_of = _parse_date(day)
            saved, snapshot, label = None, content.snapshot(found, as_of), f"données au {as_of:%d/%m/%Y}"
        if fmt == "PDF":
            try:
                data = report.render_pdf_bytes(snapshot, version=saved)
            except PdfUnavailable as error:
                raise CommandError(str(error)) from None
        else:
            data = report.render_html(snapshot, version=saved).encode("utf-8")
        try:
            target.write_bytes(data)
        except OSError as error:
            raise CommandError(f"Impossible d'écrire « {target} » : {error.strerror or error}.") from None
        self.stdout.write(f"Rapport du diagnostic de {found} ({label}) écrit dans {target} ({fmt}).")


def _parse_date(text: str | None) -> date:
    if not text:
        return timezone.localdate()
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"Date invalide « {text} » : écrivez-la AAAA-MM-JJ, par exemple 2025-06-30."
        ) from None
    if day > timezone.localdate():
        raise CommandError("La date d'arrêt des données ne peut pas être dans le futur.")
    return day
