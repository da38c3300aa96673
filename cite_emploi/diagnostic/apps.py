from django.apps import AppConfig


class DiagnosticConfig(AppConfig):
    name = "cite_emploi.diagnostic"
    verbose_name = "Diagnostic territorial partagé"
