from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cite_emploi.core.backup import BackupError, create_backup


class Command(BaseCommand):
    help = (
        "Sauvegarde la base de données (SQLite ou PostgreSQL) et les fichiers déposés (scans de "
        "consentement, imports en cours) dans une archive .tar.gz, à restaurer avec « cite-emploi restore »."
    )

    def add_arguments(self, parser):
        parser.add_argument("-o", "--output", required=True, type=Path, help="Fichier d'archive à écrire.")
        parser.add_argument("--database", default="default", help="Alias de la base (par défaut : default).")

    def handle(self, *args, output, database, **options):
        try:
            manifest = create_backup(output, alias=database)
        except BackupError as exc:
            raise CommandError(exc.message) from None
        files = ", ".join(f"{name} : {count}" for name, count in manifest.files.items())
        migrations = sum(len(names) for names in manifest.migrations.values())
        self.stdout.write(
            f"Sauvegarde écrite : {output} (base {manifest.engine}, {migrations} migrations, fichiers — {files})."
        )
