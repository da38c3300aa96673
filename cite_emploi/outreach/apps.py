from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "cite_emploi.outreach"
    verbose_name = "Aller-vers et recrutement"

    def ready(self):
        # The person's page (followup) shows the action the follow-up started from and the recruitment
        # events the person was invited to, without importing this app.
        from cite_emploi.core import person_panels

        from .views import person_panel
        from .views_events import event_panel

        person_panels.register(
            person_panel,
            order=40,
            follow_up_related=("outreach_origin__action__qpv",),
            follow_up_deferred=("outreach_origin__action__qpv__geometry",),
        )
        person_panels.register(event_panel, order=45)

        # An anonymised person's preparation notes (free text about them) are erased like their notes.
        from cite_emploi.followup import signals

        from .events import on_beneficiary_anonymised

        signals.beneficiary_anonymised.connect(on_beneficiary_anonymised, dispatch_uid="outreach-anonymised")
