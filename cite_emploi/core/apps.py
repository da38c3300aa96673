from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "cite_emploi.core"
    verbose_name = "Socle commun"

    def ready(self):
        # Connects its request signals before the first request, not at the first stale figure.
        from . import recent  # noqa: F401
