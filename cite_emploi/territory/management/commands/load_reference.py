from django.core.management.base import BaseCommand

from cite_emploi.territory.services import load_reference


class Command(BaseCommand):
    help = (
        "Charge les données de référence livrées avec la plateforme (communes, QPV 2024, ROME, NAF) "
        "et les territoires avec leurs périmètres. Idempotent : une seconde exécution ne change rien."
    )

    def handle(self, *args, **options):
        report = load_reference(progress=lambda line: self.stdout.write(f"  {line}"))
        if report.changed:
            self.stdout.write(self.style.SUCCESS("Données de référence chargées."))
        else:
            self.stdout.write(self.style.SUCCESS("Données de référence déjà à jour : rien n'a changé."))
