import subprocess
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from cite_emploi.demo.services import has_real_data


class Command(BaseCommand):
    help = (
        "Prépare et sert la démonstration : migrations, données de référence, données fictives, "
        "puis serveur sur http://127.0.0.1:PORT. Refuse une base qui contient des données réelles."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-serve", action="store_true", help="Préparer la base sans lancer le serveur."
        )
        parser.add_argument("--port", type=int, default=8000, help="Port d'écoute (8000 par défaut).")

    def handle(self, *args, no_serve=False, port=8000, **options):
        if _holds_real_data():
            raise CommandError(
                "Cette base contient des comptes ou des organisations réels : la démonstration refuse d'y toucher."
            )
        self.stdout.write("Migrations…")
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write("Chargement des données de référence…")
        call_command("load_reference", stdout=self.stdout)
        call_command("load_demo", stdout=self.stdout)
        if no_serve:
            return
        # The background tasks (e-mails of referrals, imports of beneficiaries started from a
        # page) need their worker; the demo runs one beside the server and stops it with it.
        worker = subprocess.Popen(
            [sys.executable, "-m", "cite_emploi.cli", "db_worker", "--queue-name", "*", "--interval", "1"]
        )
        self.stdout.write("Worker des tâches de fond lancé.")
        self.stdout.write(
            self.style.SUCCESS(f"Démonstration servie sur http://127.0.0.1:{port}/ (Ctrl+C pour arrêter)")
        )
        try:
            call_command("runserver", f"127.0.0.1:{port}", use_reloader=False)
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()


def _holds_real_data() -> bool:
    """Checked before anything is written, migrations included; a database without tables is empty."""
    try:
        return has_real_data()
    except DatabaseError:
        return False
