from django.apps import AppConfig


class TalentConfig(AppConfig):
    name = "cite_emploi.talent"
    verbose_name = "Valorisation des CV"

    def ready(self):
        # The person's page (followup) shows the CV library's panel without importing this app.
        from cite_emploi.core import person_panels

        from .queries import profile_panel

        person_panels.register(profile_panel, order=60, follow_up_related=("talent_profile",))

        # A closed follow-up takes the profile out of the library; an anonymised person keeps no CV.
        from cite_emploi.followup import signals

        from . import services

        signals.follow_up_closed.connect(services.on_follow_up_closed, dispatch_uid="talent-closed")
        signals.beneficiary_anonymised.connect(
            services.on_beneficiary_anonymised, dispatch_uid="talent-anonymised"
        )
