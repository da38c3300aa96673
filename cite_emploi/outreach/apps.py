from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "cite_emploi.outreach"
    verbose_name = "Aller-vers et recrutement"

    def ready(self):
        # The person's page (followup) shows the action the follow-up started from without importing this app.
        from cite_emploi.core import person_panels

        from .views import person_panel

        person_panels.register(person_panel, order=40)
