from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "cite_emploi.api"
    verbose_name = "API"
