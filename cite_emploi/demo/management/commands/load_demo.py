from django.core.management.base import BaseCommand, CommandError

from cite_emploi.core.statistics import refresh_statistics
from cite_emploi.demo.services import PASSWORD, RealDataPresent, load_demo


class Command(BaseCommand):
    help = "Charge les données fictives de démonstration (refuse une base contenant des données réelles)."

    def handle(self, *args, **options):
        try:
            accounts = load_demo()
        except RealDataPresent as error:
            raise CommandError(str(error)) from error
        refresh_statistics()  # thousands of rows just written: the planner needs to know
        self.stdout.write(self.style.SUCCESS("Données de démonstration chargées (fictives)."))
        self.stdout.write(f"Comptes de démonstration (mot de passe : « {PASSWORD} ») :")
        for a in accounts:
            self.stdout.write(f"  {a.email:<32} {a.what}")
