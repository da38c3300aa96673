from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "cite_emploi.core"
    verbose_name = "Socle commun"
