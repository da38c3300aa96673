import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cite_emploi.core.backup import (
    ENGINE_NAMES,
    BackupError,
    check_restorable,
    database_is_empty,
    read_manifest,
    restore_backup,
)


class Command(BaseCommand):
    help = (
        "Restaure une archive de « cite-emploi backup » : remplace toute la base et les fichiers déposés. "
        "Arrêtez l'application et le worker avant, relancez « cite-emploi migrate » après."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path, help="Archive .tar.gz écrite par « cite-emploi backup ».")
        parser.add_argument(
            "--yes",
            "--force",
            action="store_true",
            dest="yes",
            help="Écraser une base qui contient déjà des données, sans le demander.",
        )
        parser.add_argument("--database", default="default", help="Alias de la base (par défaut : default).")

    def handle(self, *args, archive, yes, database, **options):
        try:
            manifest = read_manifest(archive)
            check_restorable(manifest, alias=database)
            if not yes and not database_is_empty(database):
                self._confirm(manifest)
            restore_backup(archive, alias=database)
        except BackupError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            f"Restauration terminée : sauvegarde du {manifest.created_at} (version {manifest.app_version}). "
            "Lancez « cite-emploi migrate » puis redémarrez l'application et le worker."
        )

    def _confirm(self, manifest) -> None:
        question = (
            f"La base {ENGINE_NAMES[manifest.engine]} contient des données : elles seront remplacées par la "
            f"sauvegarde du {manifest.created_at}, ainsi que les fichiers déposés."
        )
        if not sys.stdin.isatty():
            raise CommandError(question + " Relancez avec --yes pour confirmer.")
        answer = input(question + " Continuer ? [o/N] ").strip().lower()
        if answer not in {"o", "oui", "y", "yes"}:
            raise CommandError("Restauration annulée.")
