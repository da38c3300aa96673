from django.apps import AppConfig


class SteeringConfig(AppConfig):
    name = "cite_emploi.steering"
    verbose_name = "Pilotage : plan d'actions, financements, comités"

    def ready(self):
        # The plan's indicators join the diagnostic's registry, so that every page computes them alike.
        from .indicators import register_plan_indicators

        register_plan_indicators()
