"""The territory of a Cité de l'emploi: communes, QPV and the versioned perimeter it covers.

Communes and QPV are national reference data (loaded by ``load-reference``); a Territory,
its city contracts and its perimeters belong to one Cité.
"""

from django.db import models


class Commune(models.Model):
    code = models.CharField("code INSEE", max_length=5, unique=True)
    name = models.CharField("nom", max_length=120)
    department = models.CharField("département", max_length=3, blank=True)
    siren = models.CharField("SIREN", max_length=9, blank=True)
    postcodes = models.JSONField("codes postaux", default=list, blank=True)
    population = models.PositiveIntegerField("population municipale", null=True, blank=True)
    # GeoJSON geometry (coarse IGN ADMIN EXPRESS outline), only for the communes the maps show.
    geometry = models.JSONField("contour", null=True, blank=True)

    class Meta:
        verbose_name = "commune"
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.code})"


class QPV(models.Model):
    code = models.CharField("code officiel", max_length=10)
    name = models.CharField("nom", max_length=200)
    geography_year = models.PositiveSmallIntegerField("géographie", default=2024)
    communes = models.ManyToManyField(Commune, related_name="qpvs", verbose_name="communes")
    geometry = models.JSONField("contour", null=True, blank=True)

    class Meta:
        verbose_name = "quartier prioritaire (QPV)"
        verbose_name_plural = "quartiers prioritaires (QPV)"
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["code", "geography_year"], name="qpv_code_year_unique"),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"


class TerritoryQuerySet(models.QuerySet):
    def visible_to(self, user):
        if user.is_superuser:
            return self
        return self.filter(organisations__memberships__user=user).distinct()


class Territory(models.Model):
    """A labelled Cité de l'emploi. GPSEA is an EPT (SIREN 200058006), not an EPCI."""

    slug = models.SlugField("identifiant", unique=True)
    name = models.CharField("nom", max_length=200)
    short_name = models.CharField("nom court", max_length=60, blank=True)
    kind = models.CharField("nature", max_length=20, blank=True, help_text="EPT, EPCI, commune…")
    siren = models.CharField("SIREN", max_length=9, blank=True)
    labelled_on = models.DateField("labellisé le", null=True, blank=True)
    is_demo = models.BooleanField("fictif (démonstration)", default=False)
    communes = models.ManyToManyField(Commune, related_name="territories", verbose_name="communes membres")
    # GeoJSON outline of the whole territory, for the map.
    outline = models.JSONField("contour", null=True, blank=True)

    objects = TerritoryQuerySet.as_manager()

    class Meta:
        verbose_name = "territoire"
        ordering = ["name"]

    def __str__(self):
        return self.short_name or self.name

    @property
    def current_perimeter(self):
        return self.perimeters.filter(is_current=True).first()


class CityContract(models.Model):
    territory = models.ForeignKey(Territory, on_delete=models.CASCADE, related_name="city_contracts")
    name = models.CharField("nom", max_length=200)
    communes = models.ManyToManyField(Commune, related_name="city_contracts", verbose_name="communes")
    start_year = models.PositiveSmallIntegerField("début", null=True, blank=True)
    end_year = models.PositiveSmallIntegerField("fin", null=True, blank=True)

    class Meta:
        verbose_name = "contrat de ville"
        verbose_name_plural = "contrats de ville"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["territory", "name"], name="citycontract_name_unique"),
        ]

    def __str__(self):
        return self.name


class Perimeter(models.Model):
    """A versioned set of (QPV, commune) pairs: history is kept, one version is current."""

    territory = models.ForeignKey(Territory, on_delete=models.CASCADE, related_name="perimeters")
    label = models.CharField("libellé", max_length=200)
    geography_year = models.PositiveSmallIntegerField("géographie prioritaire")
    valid_from = models.DateField("en vigueur depuis", null=True, blank=True)
    is_current = models.BooleanField("en vigueur", default=False)
    source = models.TextField("source", blank=True)

    class Meta:
        verbose_name = "périmètre"
        ordering = ["territory", "-geography_year"]
        constraints = [
            models.UniqueConstraint(fields=["territory", "geography_year"], name="perimeter_year_unique"),
            models.UniqueConstraint(
                fields=["territory"], condition=models.Q(is_current=True), name="one_current_perimeter"
            ),
        ]

    def __str__(self):
        return f"{self.territory} — {self.label}"


class PerimeterArea(models.Model):
    """One (quartier, commune) pair of a perimeter.

    The 2015 quartiers named in the founding text are kept under their own names: ``qpv`` points
    to the 2024 QPV that continues it, and is empty when the quartier left the priority geography.
    """

    perimeter = models.ForeignKey(Perimeter, on_delete=models.CASCADE, related_name="areas")
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="perimeter_areas")
    qpv = models.ForeignKey(
        QPV, on_delete=models.PROTECT, null=True, blank=True, related_name="perimeter_areas"
    )
    local_name = models.CharField("nom du quartier", max_length=200)
    city_contract = models.ForeignKey(
        CityContract, on_delete=models.SET_NULL, null=True, blank=True, related_name="areas"
    )
    note = models.CharField("remarque", max_length=300, blank=True)

    class Meta:
        verbose_name = "quartier du périmètre"
        verbose_name_plural = "quartiers du périmètre"
        ordering = ["perimeter", "commune__name", "local_name"]
        constraints = [
            models.UniqueConstraint(fields=["perimeter", "commune", "local_name"], name="area_unique"),
        ]

    def __str__(self):
        return f"{self.local_name} ({self.commune.name})"

    @property
    def is_still_priority(self) -> bool:
        return self.qpv_id is not None


class RomeOccupation(models.Model):
    """A ROME fiche (métier), France Travail referential."""

    code = models.CharField("code ROME", max_length=5, unique=True)
    label = models.CharField("libellé", max_length=200)

    class Meta:
        verbose_name = "métier ROME"
        verbose_name_plural = "métiers ROME"
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} — {self.label}"


class RomeAppellation(models.Model):
    code = models.CharField("code OGR", max_length=10, unique=True)
    label = models.CharField("appellation", max_length=250)
    occupation = models.ForeignKey(RomeOccupation, on_delete=models.CASCADE, related_name="appellations")

    class Meta:
        verbose_name = "appellation ROME"
        verbose_name_plural = "appellations ROME"
        ordering = ["label"]

    def __str__(self):
        return self.label


class NafActivity(models.Model):
    """NAF rév. 2 nomenclature (INSEE), every level from section to sous-classe."""

    class Level(models.TextChoices):
        SECTION = "section", "Section"
        DIVISION = "division", "Division"
        GROUP = "groupe", "Groupe"
        CLASS = "classe", "Classe"
        SUBCLASS = "sous-classe", "Sous-classe"

    code = models.CharField("code NAF", max_length=6, unique=True)
    level = models.CharField("niveau", max_length=12, choices=Level)
    section = models.CharField("section", max_length=1)
    label = models.CharField("libellé", max_length=250)
    short_label = models.CharField("libellé court", max_length=70, blank=True)

    class Meta:
        verbose_name = "activité NAF"
        verbose_name_plural = "activités NAF"
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} — {self.label}"


class NafDivisionOccupation(models.Model):
    """Which ROME 4.0 métiers are found in a NAF division (France Travail, 2025)."""

    naf_division = models.CharField("division NAF", max_length=2)
    rome_code = models.CharField("code ROME", max_length=5)
    label = models.CharField("métier", max_length=200)

    class Meta:
        verbose_name = "métier par division NAF"
        verbose_name_plural = "métiers par division NAF"
        constraints = [
            models.UniqueConstraint(fields=["naf_division", "rome_code"], name="naf_rome_unique"),
        ]

    def __str__(self):
        return f"{self.naf_division} — {self.label}"
