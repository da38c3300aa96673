"""The diagnostic's own tables: imported statistics and the saved versions of the report.

Indicators are not stored: they are computed on demand by the registry (``indicators.py``) from the
platform's tables and from these observations. A report version keeps the figures it showed,
already under statistical secrecy, so two dates can be compared after the data has moved on.
"""

from django.conf import settings
from django.db import models


class Level(models.TextChoices):
    """Geography level of an observation, with the code that identifies the place."""

    QPV = "qpv", "Quartier prioritaire (code QPV)"
    COMMUNE = "commune", "Commune (code INSEE)"
    EPT = "ept", "Territoire (SIREN de l'EPT ou de l'EPCI)"


class Dataset(models.Model):
    """One imported file of statistics, with where it comes from and under which licence."""

    territory = models.ForeignKey("territory.Territory", on_delete=models.CASCADE, related_name="datasets")
    title = models.CharField("intitulé", max_length=200)
    source = models.CharField("source", max_length=300)
    licence = models.CharField("licence", max_length=120)
    url = models.URLField("adresse de la source", blank=True)
    description = models.TextField("description", blank=True)
    file_name = models.CharField("fichier importé", max_length=255, blank=True)
    rejected_lines = models.PositiveIntegerField("lignes écartées", default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    imported_at = models.DateTimeField("importé le", auto_now_add=True)
    is_demo = models.BooleanField("fictif (démonstration)", default=False)

    class Meta:
        verbose_name = "jeu de données"
        verbose_name_plural = "jeux de données"
        ordering = ["-imported_at", "-pk"]

    def __str__(self):
        return self.title


class Observation(models.Model):
    """One published figure: an indicator, for a place, a period and possibly an age group or a sex."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="observations")
    indicator = models.CharField("indicateur", max_length=60)
    indicator_label = models.CharField("libellé de l'indicateur", max_length=200)
    level = models.CharField("niveau géographique", max_length=8, choices=Level)
    geo_code = models.CharField("code géographique", max_length=12)
    # Empty: all ages / both sexes. Age groups are the platform's three publics or « 15-24 »-like ranges.
    age_group = models.CharField("tranche d'âge", max_length=20, blank=True)
    sex = models.CharField("sexe", max_length=1, blank=True)
    period = models.CharField("période", max_length=10)  # 2021, 2021-T3, 2021-09 or 2021-09-30
    period_start = models.DateField("début de période")
    period_end = models.DateField("fin de période")
    value = models.FloatField("valeur")
    unit = models.CharField("unité", max_length=30)
    source = models.CharField("source", max_length=300, blank=True)
    licence = models.CharField("licence", max_length=120, blank=True)

    class Meta:
        verbose_name = "observation"
        indexes = [models.Index(fields=["indicator", "level", "geo_code"], name="observation_lookup")]
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "indicator", "level", "geo_code", "age_group", "sex", "period"],
                name="observation_once_per_dataset",
            ),
            models.CheckConstraint(
                condition=models.Q(period_start__lte=models.F("period_end")), name="period_order"
            ),
        ]

    def __str__(self):
        return f"{self.indicator} {self.level}:{self.geo_code} {self.period} = {self.value}"


class ReportVersion(models.Model):
    """A saved diagnostic: its date, the coordinator's written sections and the figures it showed."""

    territory = models.ForeignKey(
        "territory.Territory", on_delete=models.CASCADE, related_name="diagnostic_reports"
    )
    number = models.PositiveIntegerField("version")
    as_of = models.DateField("données arrêtées au")
    title = models.CharField("titre", max_length=200)
    analysis = models.TextField("analyse partagée", blank=True)
    action_contours = models.TextField("premiers contours du plan d'actions", blank=True)
    # The computed content (figures under secrecy, gaps, offer summary) as JSON: see report.py.
    snapshot = models.JSONField("contenu", default=dict)
    is_shared = models.BooleanField("partagé avec les maires et les partenaires", default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField("enregistré le", auto_now_add=True)

    class Meta:
        verbose_name = "version du diagnostic"
        verbose_name_plural = "versions du diagnostic"
        ordering = ["territory", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["territory", "number"], name="report_version_unique"),
        ]

    def __str__(self):
        return f"{self.title} (version {self.number})"
