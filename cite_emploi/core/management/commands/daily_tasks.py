from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string


class Command(BaseCommand):
    help = (
        "Met en file les tâches quotidiennes (settings.DAILY_TASKS), exécutées ensuite par le worker "
        "(« cite-emploi db_worker »). À lancer une fois par jour, par cron ou un minuteur systemd."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--now", action="store_true", help="Exécuter tout de suite, sans passer par le worker."
        )

    def handle(self, *args, now=False, **options):
        for path in settings.DAILY_TASKS:
            task = import_string(path)
            if now:
                result = task.call()
                self.stdout.write(f"{path} : terminé ({result}).")
            else:
                task.enqueue()
                self.stdout.write(f"{path} : mis en file.")
