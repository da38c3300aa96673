from django.apps import AppConfig


class TerritoryConfig(AppConfig):
    name = "cite_emploi.territory"
    verbose_name = "Territoires et QPV"
