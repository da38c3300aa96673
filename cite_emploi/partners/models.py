"""Partner organisations of a Cité de l'emploi.

The foundation keeps what accounts and scoping need (name, territory, kind, network, commune);
the census of the offer adds its fields on the same model.
"""

from django.db import models


class OrganisationKind(models.TextChoices):
    """Local kinds of organisation; the national networks are the data·inclusion ``reseaux_porteurs``."""

    CITE_TEAM = "cite", "Équipe de la Cité de l'emploi"
    FRANCE_TRAVAIL = "france-travail", "France Travail"
    MISSION_LOCALE = "mission-locale", "Mission locale"
    CAP_EMPLOI = "cap-emploi", "Cap emploi"
    PLIE = "plie", "PLIE"
    COMMUNE = "commune", "Commune ou service communal"
    STATE = "etat", "Services de l'État"
    DEPARTMENT = "departement", "Conseil départemental"
    ASSOCIATION = "association", "Association"
    NEIGHBOURHOOD_ASSOCIATION = "association-quartier", "Association de quartier"
    TRAINING_BODY = "formation", "Organisme de formation"
    SIAE = "siae", "Structure d'insertion par l'activité économique"
    SOCIAL_LANDLORD = "bailleur", "Bailleur social"
    EMPLOYER = "employeur", "Employeur"
    OTHER = "autre", "Autre"


class OrganisationQuerySet(models.QuerySet):
    def in_territory(self, territory):
        return self.filter(territory=territory)


class Organisation(models.Model):
    territory = models.ForeignKey(
        "territory.Territory",
        on_delete=models.PROTECT,
        related_name="organisations",
        verbose_name="territoire",
    )
    name = models.CharField("nom", max_length=200)
    kind = models.CharField("nature", max_length=24, choices=OrganisationKind)
    # data·inclusion v1 ``reseaux_porteurs`` values.
    networks = models.JSONField("réseaux porteurs", default=list, blank=True)
    siret = models.CharField("SIRET", max_length=14, blank=True)
    commune = models.ForeignKey(
        "territory.Commune",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="organisations",
        verbose_name="commune",
    )
    is_demo = models.BooleanField("fictive (démonstration)", default=False)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = "organisation"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["territory", "name"], name="organisation_name_unique"),
        ]

    def __str__(self):
        return self.name
