from django.core.management.base import BaseCommand

from cite_emploi.followup import services


class Command(BaseCommand):
    help = (
        "Anonymise les personnes dont le suivi est clos depuis plus de FOLLOWUP_RETENTION_MONTHS mois "
        "(24 par défaut) et affiche ce qui a été fait. À lancer chaque jour ou chaque semaine (cron)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Afficher ce qui serait anonymisé, sans rien modifier."
        )

    def handle(self, *args, dry_run=False, **options):
        months = services.retention_months()
        lines = services.purge(dry_run=dry_run)
        verb = "serait anonymisée" if dry_run else "anonymisée"
        for line in lines:
            self.stdout.write(
                f"Fiche n° {line.beneficiary_id} (suivi clos le {line.closed_on:%d/%m/%Y}) : {verb}."
            )
        summary = f"{len(lines)} fiche(s) {'à anonymiser' if dry_run else 'anonymisée(s)'} (suivis clos depuis plus de {months} mois)."
        self.stdout.write(self.style.SUCCESS(summary) if lines and not dry_run else summary)
