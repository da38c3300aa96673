from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "cite_emploi.accounts"
    verbose_name = "Comptes et habilitations"

    def ready(self):
        from . import signals  # noqa: F401
