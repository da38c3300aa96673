"""Writes of the territory app: loading the national reference data and the territories' perimeters.

``load_reference`` is idempotent: each table is compared with the shipped files and only what
differs is written, so a second run reports zero creations and zero updates.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from django.db import models, transaction

from . import reference
from .models import (
    QPV,
    CityContract,
    Commune,
    NafActivity,
    NafDivisionOccupation,
    Perimeter,
    PerimeterArea,
    RomeAppellation,
    RomeOccupation,
    Territory,
)

ALL_2024_QPV = "all-2024-qpv-in-territory-communes"


@dataclass
class TableReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


@dataclass
class ReferenceReport:
    tables: dict[str, TableReport] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return any(t.changed for t in self.tables.values())

    def lines(self) -> list[str]:
        return [
            f"{name} : {t.created} créé(s), {t.updated} mis à jour, {t.unchanged} inchangé(s)"
            for name, t in self.tables.items()
        ]


def sync_table(
    model: type[models.Model], key: str | tuple[str, ...], rows: Iterable[dict], *, fields: list[str]
) -> tuple[TableReport, dict]:
    """Make ``model`` hold ``rows`` (matched on ``key``, one field or several); write only what differs.

    Returns the objects by key.
    """
    names = (key,) if isinstance(key, str) else key

    def key_of(item, get) -> tuple:
        return tuple(get(item, n) for n in names)

    def by_key() -> dict:
        return {key_of(o, getattr): o for o in model.objects.all()}

    existing = by_key()
    report, to_create, to_update = TableReport(), [], []
    for row in rows:
        row_key = key_of(row, dict.__getitem__)
        obj = existing.get(row_key)
        if obj is None:
            obj = model(**row)
            to_create.append(obj)
            existing[row_key] = obj
        elif any(getattr(obj, f) != row[f] for f in fields):
            for f in fields:
                setattr(obj, f, row[f])
            to_update.append(obj)
        else:
            report.unchanged += 1
    model.objects.bulk_create(to_create, batch_size=500)
    if to_update:
        model.objects.bulk_update(to_update, fields, batch_size=500)
    report.created, report.updated = len(to_create), len(to_update)
    if to_create and not all(o.pk for o in to_create):
        existing = by_key()
    if isinstance(key, str):
        return report, {k[0]: o for k, o in existing.items()}
    return report, existing


def _int_or_none(value: str) -> int | None:
    return int(value) if value not in ("", None) else None


def _commune_rows() -> list[dict]:
    shapes = {
        f["properties"]["code_insee"]: f["geometry"]
        for f in reference.read_json(reference.COMMUNE_SHAPES_FILE)["features"]
    }
    return [
        {
            "code": r["code_insee"],
            "name": r["nom"],
            "department": r["departement"],
            "siren": r["siren"],
            "postcodes": r["codes_postaux"].split(),
            "population": _int_or_none(r["population"]),
            "geometry": shapes.get(r["code_insee"]),
        }
        for r in reference.read_csv(reference.COMMUNES_FILE)
    ]


def _sync_qpv_communes(qpvs: dict[str, QPV], communes: dict[str, Commune], features) -> TableReport:
    through = QPV.communes.through
    wanted = {
        (qpvs[f["properties"]["code_qp"]].pk, communes[c].pk)
        for f in features
        for c in f["properties"]["insee_com"]
    }
    have = set(through.objects.values_list("qpv_id", "commune_id"))
    missing, extra = wanted - have, have - wanted
    through.objects.bulk_create([through(qpv_id=q, commune_id=c) for q, c in missing], batch_size=500)
    for q, c in extra:
        through.objects.filter(qpv_id=q, commune_id=c).delete()
    return TableReport(created=len(missing), updated=len(extra), unchanged=len(have & wanted))


def _load_qpv(report: ReferenceReport, communes: dict[str, Commune]) -> dict[str, QPV]:
    features = reference.read_json(reference.QPV_FILE)["features"]
    rows = [
        {
            "code": f["properties"]["code_qp"],
            "name": f["properties"]["lib_qp"],
            "geography_year": 2024,
            "geometry": f["geometry"],
        }
        for f in features
    ]
    report.tables["QPV 2024"], qpvs = sync_table(
        QPV, "code", rows, fields=["name", "geography_year", "geometry"]
    )
    report.tables["QPV × communes"] = _sync_qpv_communes(qpvs, communes, features)
    return qpvs


def _load_rome(report: ReferenceReport) -> None:
    fiches = [
        {"code": r["code_rome"], "label": r["libelle"]}
        for r in reference.read_csv(reference.ROME_FICHES_FILE)
    ]
    report.tables["Métiers ROME"], occupations = sync_table(RomeOccupation, "code", fiches, fields=["label"])
    appellations = [
        {
            "code": r["code_ogr_appellation"],
            "label": r["libelle"],
            "occupation_id": occupations[r["code_rome"]].pk,
        }
        for r in reference.read_csv(reference.ROME_APPELLATIONS_FILE)
    ]
    report.tables["Appellations ROME"], _ = sync_table(
        RomeAppellation, "code", appellations, fields=["label", "occupation_id"]
    )


def _load_naf(report: ReferenceReport) -> None:
    rows = [
        {
            "code": r["code"],
            "level": r["niveau"],
            "section": r["section"],
            "label": r["libelle"],
            "short_label": r["libelle_65"],
        }
        for r in reference.read_csv(reference.NAF_FILE)
    ]
    report.tables["NAF rév. 2"], _ = sync_table(
        NafActivity, "code", rows, fields=["level", "section", "label", "short_label"]
    )
    pairs = [
        {"naf_division": r["naf_division"], "rome_code": r["code_rome"], "label": r["libelle_metier"]}
        for r in reference.read_csv(reference.NAF_ROME_FILE)
        if r["code_rome"]
    ]
    report.tables["Métiers par division NAF"], _ = sync_table(
        NafDivisionOccupation, ("naf_division", "rome_code"), pairs, fields=["label"]
    )


def _set_m2m(manager, wanted: set[int], table: TableReport) -> None:
    have = set(manager.values_list("pk", flat=True))
    if have != wanted:
        manager.set(wanted)
        table.updated += 1


def _update_fields(obj: models.Model, values: dict, table: TableReport) -> None:
    changed = [k for k, v in values.items() if getattr(obj, k) != v]
    if changed:
        for k in changed:
            setattr(obj, k, values[k])
        obj.save(update_fields=changed)
        table.updated += 1
    else:
        table.unchanged += 1


def _get_or_create(model, lookup: dict, values: dict, table: TableReport):
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model.objects.create(**lookup, **values)
        table.created += 1
    else:
        _update_fields(obj, values, table)
    return obj


def load_territory(
    definition: dict, *, outline: dict | None = None, table: TableReport | None = None
) -> Territory:
    """Create or update one territory, its city contracts and its perimeters from a definition dict."""
    table = table if table is not None else TableReport()
    communes = {c.code: c for c in Commune.objects.filter(code__in=_codes_in(definition))}
    territory = _get_or_create(
        Territory,
        {"slug": definition["slug"]},
        {
            "name": definition["name"],
            "short_name": definition.get("short_name", ""),
            "kind": definition.get("kind", ""),
            "siren": definition.get("siren", ""),
            "labelled_on": _date(definition.get("labelled_on")),
            "is_demo": definition.get("is_demo", False),
            "outline": outline,
        },
        table,
    )
    _set_m2m(territory.communes, {communes[c].pk for c in definition["communes"]}, table)
    contracts = {}
    for cd in definition.get("city_contracts", []):
        contract = _get_or_create(
            CityContract,
            {"territory": territory, "name": cd["name"]},
            {"start_year": cd.get("start_year"), "end_year": cd.get("end_year")},
            table,
        )
        _set_m2m(contract.communes, {communes[c].pk for c in cd["communes"]}, table)
        contracts[cd["name"]] = contract
    for pd in definition["perimeters"]:
        _load_perimeter(territory, pd, contracts, table)
    return territory


def _codes_in(definition: dict) -> set[str]:
    codes = set(definition["communes"])
    for cd in definition.get("city_contracts", []):
        codes.update(cd["communes"])
    for pd in definition["perimeters"]:
        if isinstance(pd["areas"], list):
            codes.update(a["commune"] for a in pd["areas"])
    return codes


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _perimeter_areas(territory: Territory, pd: dict) -> list[dict]:
    if pd["areas"] != ALL_2024_QPV:
        return pd["areas"]
    member_codes = set(territory.communes.values_list("code", flat=True))
    areas = []
    for qpv in QPV.objects.filter(geography_year=2024, communes__code__in=member_codes).distinct():
        qpv_communes = sorted(qpv.communes.values_list("code", flat=True))
        for code in qpv_communes:
            if code in member_codes:
                shared = len(qpv_communes) > 1 and not set(qpv_communes) <= member_codes
                areas.append(
                    {
                        "commune": code,
                        "name": qpv.name,
                        "qpv": qpv.code,
                        "note": "QPV partagé avec une commune hors du territoire : seule cette partie est couverte."
                        if shared
                        else "",
                    }
                )
    return areas


def _load_perimeter(territory: Territory, pd: dict, contracts: dict, table: TableReport) -> Perimeter:
    values = {
        "label": pd["label"],
        "valid_from": _date(pd.get("valid_from")),
        "source": pd.get("source", ""),
    }
    perimeter = _get_or_create(
        Perimeter, {"territory": territory, "geography_year": pd["geography_year"]}, values, table
    )
    if pd.get("is_current") and not perimeter.is_current:
        territory.perimeters.filter(is_current=True).update(is_current=False)
        perimeter.is_current = True
        perimeter.save(update_fields=["is_current"])
        table.updated += 1
    areas = _perimeter_areas(territory, pd)
    qpvs = {q.code: q for q in QPV.objects.filter(code__in={a["qpv"] for a in areas if a.get("qpv")})}
    communes = {c.code: c for c in Commune.objects.filter(code__in={a["commune"] for a in areas})}
    keep = set()
    for a in areas:
        area = _get_or_create(
            PerimeterArea,
            {"perimeter": perimeter, "commune": communes[a["commune"]], "local_name": a["name"]},
            {
                "qpv": qpvs.get(a.get("qpv")),
                "city_contract": contracts.get(a.get("city_contract")),
                "note": a.get("note", ""),
            },
            table,
        )
        keep.add(area.pk)
    stale = perimeter.areas.exclude(pk__in=keep)
    table.updated += stale.count()
    stale.delete()
    return perimeter


@transaction.atomic
def load_reference(progress: Callable[[str], None] | None = None) -> ReferenceReport:
    report = ReferenceReport()
    report.tables["Communes"], communes = sync_table(
        Commune,
        "code",
        _commune_rows(),
        fields=["name", "department", "siren", "postcodes", "population", "geometry"],
    )
    _load_qpv(report, communes)
    _load_rome(report)
    _load_naf(report)
    outlines = {"gpsea": reference.read_json(reference.EPT_OUTLINE_FILE)}
    table = TableReport()
    for definition in reference.territory_definitions():
        outline = outlines.get(definition["slug"])
        load_territory(
            definition, outline=outline["features"][0]["geometry"] if outline else None, table=table
        )
    report.tables["Territoires et périmètres"] = table
    if progress:
        for line in report.lines():
            progress(line)
    return report
