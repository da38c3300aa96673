from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "cite_emploi.demo"
    label = "demo"
    verbose_name = "Démonstration"
