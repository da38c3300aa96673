from django.apps import AppConfig


class FollowupConfig(AppConfig):
    name = "cite_emploi.followup"
    verbose_name = "Suivi partagé"
