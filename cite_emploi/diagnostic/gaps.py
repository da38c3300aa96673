"""Gap analysis: the needs of each QPV set against the offer its residents can use.

For each QPV of the current perimeter and each data·inclusion category:

* **need** — the barriers still to lift among the people followed who live in the QPV
  (indicator ``freins_a_lever``), and the imported statistics known to measure that need
  (``imported.NEED_CATEGORIES``) when the QPV's figure is above the territory's;
* **offer** — the services a resident can use (coverage matrix of the partner census: delivered in
  the QPV, within walking distance, or open to the commune by their eligibility zone);
* **answer** — the referrals sent for barriers of that category from the QPV that were refused or
  expired (indicator ``orientations``).

A line is listed when the need is known (at least the secrecy threshold of barriers, or imported
evidence) and one of these holds:

1. **non couvert** — no service of the category reaches the QPV;
2. **mal couvert** — at least ``BARRIERS_PER_SERVICE`` barriers per service reaching the QPV, or at
   least ``UNMET_SHARE`` of the referrals (when at least the threshold were sent) refused or expired.

Ranking: the uncovered lines first, then the badly covered; inside each, by ``score`` = barriers
to lift ÷ (services + 1) × (1 + share of referrals refused or expired), then by imported evidence.
Every figure of a line comes from the indicator registry, so it respects statistical secrecy:
a hidden count is never used to list or rank a line.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cite_emploi.core.secrecy import secrecy_threshold
from cite_emploi.partners import enums

from . import indicators
from .imported import NEED_CATEGORIES
from .indicators import Period, format_value

BARRIERS_PER_SERVICE = 10
UNMET_SHARE = 0.3
UNMET_STATUSES = ("refused", "expired")
UNCOVERED, BADLY_COVERED = "non-couvert", "mal-couvert"
LEVEL_LABELS = {UNCOVERED: "Besoin non couvert", BADLY_COVERED: "Besoin mal couvert"}


@dataclass
class Gap:
    qpv_code: str
    qpv_name: str
    category: str
    category_label: str
    level: str
    barriers: int | None  # None: under secrecy or unknown
    services: int
    services_by_rule: dict[str, int]
    referrals_sent: int | None
    referrals_unmet: int | None
    imported: list[str] = field(default_factory=list)
    score: float = 0.0

    @property
    def level_label(self) -> str:
        return LEVEL_LABELS[self.level]

    @property
    def unmet_share(self) -> float | None:
        if not self.referrals_sent or self.referrals_unmet is None:
            return None
        return self.referrals_unmet / self.referrals_sent

    @property
    def evidence(self) -> list[str]:
        """The French sentences that justify the line, from the figures above."""
        lines = []
        if self.barriers:
            lines.append(
                f"{format_value(self.barriers)} frein{'s' if self.barriers > 1 else ''} « {self.category_label} » "
                "restant à lever chez les personnes suivies du quartier."
            )
        if self.services == 0:
            lines.append("Aucun service de cette catégorie n'est accessible depuis le quartier.")
        else:
            detail = ", ".join(f"{n} {label}" for label, n in self.services_by_rule.items() if n)
            lines.append(
                f"{self.services} service{'s' if self.services > 1 else ''} accessible{'s' if self.services > 1 else ''}"
                f" ({detail} ; un service peut compter à plusieurs titres)."
            )
            if self.barriers is not None:
                lines.append(
                    f"Soit {format_value(round(self.barriers / self.services, 1))} freins par service."
                )
        share = self.unmet_share
        if share is not None:
            lines.append(
                f"{self.referrals_unmet} orientation{'s' if self.referrals_unmet > 1 else ''} sur {self.referrals_sent} "
                f"refusée{'s' if self.referrals_unmet > 1 else ''} ou expirée{'s' if self.referrals_unmet > 1 else ''} "
                f"({format_value(round(100 * share, 1), '%')})."
            )
        lines.extend(self.imported)
        return lines

    def as_dict(self) -> dict:
        return {
            "qpv_code": self.qpv_code,
            "qpv_name": self.qpv_name,
            "category": self.category,
            "category_label": self.category_label,
            "level": self.level,
            "level_label": self.level_label,
            "score": round(self.score, 2),
            "evidence": self.evidence,
        }


def _imported_evidence(territory, period: Period) -> dict[tuple[str, str], list[str]]:
    """(QPV code, category) → sentences from imported need rates where the QPV is above the territory.

    Only rates (unit « % ») are compared: a count of a quartier is always below the territory's.
    """
    from .imported import imported_indicators

    result: dict[tuple[str, str], list[str]] = {}
    for indicator in imported_indicators(territory):
        category = NEED_CATEGORIES.get(indicator.code)
        if category is None or indicator.unit != "%":
            continue
        table = indicators.compute(indicator.code, territory, period, by=("qpv",))
        reference = table.total
        for code, _name, figure in table.series("qpv"):
            if not code or figure.value is None or figure.hidden:
                continue
            known = reference.value is not None and not reference.hidden
            if known and figure.value <= reference.value:
                continue
            comparison = f" contre {table.label(reference)} pour le territoire" if known else ""
            result.setdefault((code, category), []).append(
                f"{indicator.label} : {table.label(figure)}{comparison} ({indicator.source})."
            )
    return result


def gap_analysis(territory, period: Period) -> list[Gap]:
    """The ranked « besoins non couverts ou mal couverts » of the territory's QPV (see the module docstring)."""
    from cite_emploi.partners.coverage import RULE_LABELS, RULE_QPV, RULE_WALKING
    from cite_emploi.partners.queries import coverage_matrix

    threshold = secrecy_threshold()
    needs = indicators.compute("freins_a_lever", territory, period, by=("qpv", "category"))
    sent = indicators.compute("orientations", territory, period, by=("qpv", "category", "status"))
    matrix = coverage_matrix(territory)
    imported = _imported_evidence(territory, period)
    labels = dict(enums.CATEGORIES)
    gaps = []
    for row in matrix.rows:
        for cell in row.cells:
            barriers_figure = needs.get(row.qpv_code, cell.category)
            barriers = None if barriers_figure.hidden else int(barriers_figure.value)
            total_sent = sent.get(row.qpv_code, cell.category, None)
            unmet_figures = [sent.get(row.qpv_code, cell.category, s) for s in UNMET_STATUSES]
            referrals_sent = None if total_sent.hidden else int(total_sent.value)
            referrals_unmet = None
            if (
                referrals_sent is not None
                and referrals_sent >= threshold
                and not any(f.hidden for f in unmet_figures)
            ):
                referrals_unmet = int(sum(f.value for f in unmet_figures))
            evidence = imported.get((row.qpv_code, cell.category), [])
            known_need = (barriers is not None and barriers >= threshold) or bool(evidence)
            if not known_need:
                continue
            gap = Gap(
                qpv_code=row.qpv_code,
                qpv_name=row.qpv_name,
                category=cell.category,
                category_label=labels.get(cell.category, cell.category),
                level=UNCOVERED,
                barriers=barriers,
                services=cell.total,
                services_by_rule={
                    RULE_LABELS[RULE_QPV]: cell.in_qpv,
                    RULE_LABELS[RULE_WALKING]: cell.walking,
                    "par sa zone d'éligibilité": cell.zone,
                },
                referrals_sent=referrals_sent if referrals_unmet is not None else None,
                referrals_unmet=referrals_unmet,
                imported=evidence,
            )
            share = gap.unmet_share or 0.0
            if cell.total > 0:
                per_service = (barriers or 0) / cell.total
                if per_service < BARRIERS_PER_SERVICE and share < UNMET_SHARE:
                    continue
                gap.level = BADLY_COVERED
            gap.score = (barriers or 0) / (cell.total + 1) * (1 + share)
            gaps.append(gap)
    gaps.sort(key=lambda g: (g.level != UNCOVERED, -g.score, -len(g.imported), g.qpv_name, g.category_label))
    return gaps
