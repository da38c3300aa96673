from django.apps import AppConfig


class TalentConfig(AppConfig):
    name = "cite_emploi.talent"
    verbose_name = "Valorisation des CV"
