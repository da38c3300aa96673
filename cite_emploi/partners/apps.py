from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "cite_emploi.partners"
    verbose_name = "Partenaires et offre de services"
