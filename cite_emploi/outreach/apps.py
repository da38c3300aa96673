from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "cite_emploi.outreach"
    verbose_name = "Aller-vers et recrutement"
