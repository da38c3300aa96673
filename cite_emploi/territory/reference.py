"""Where the shipped reference files are, and how to read them (no database here)."""

import csv
import json
from collections.abc import Iterator
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
QPV_FILE = DATA_DIR / "qpv_2024_france.geojson"
COMMUNE_SHAPES_FILE = DATA_DIR / "communes_gpsea.geojson"
COMMUNES_FILE = DATA_DIR / "communes_qpv_france.csv"
EPT_OUTLINE_FILE = DATA_DIR / "ept_gpsea.geojson"
ROME_FICHES_FILE = DATA_DIR / "rome_fiches.csv"
ROME_APPELLATIONS_FILE = DATA_DIR / "rome_appellations.csv"
NAF_FILE = DATA_DIR / "naf_rev2.csv"
NAF_ROME_FILE = DATA_DIR / "rome4_metiers_par_division_naf.csv"
TERRITORIES_DIR = DATA_DIR / "territoires"


def read_csv(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        yield from csv.DictReader(fh)


def read_json(path: Path):
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


def territory_definitions() -> list[dict]:
    return [read_json(p) for p in sorted(TERRITORIES_DIR.glob("*.json"))]
