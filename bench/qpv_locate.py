"""Benchmark: QPV of every point of a CSV file, end to end from CSV to CSV.

Compares, on the same generated files:

* our path, ``locate_csv`` (what ``cite-emploi locate-qpv`` runs);
* the analyst's path: pandas ``read_csv`` + geopandas ``points_from_xy`` + ``sjoin`` + ``to_csv``;
* PostGIS, when the server at postgresql://postgres@127.0.0.1:5432 has the extension.

Each tool runs in its own subprocess, imports included, so that wall time and peak memory
(``ru_maxrss`` of that child) are measured the same way. The answers (QPV code per row) must
be identical. See bench/README.md.

    python bench/qpv_locate.py [--points N] [--repeat R]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

GOAL = 0.7  # our time must be at most this fraction of the geopandas time
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
ILE_DE_FRANCE = (1.44, 48.12, 3.56, 49.24)
METROPOLE = (-5.2, 41.3, 9.6, 51.1)
# A little of the overseas departments, where there are QPV too.
OVERSEAS = (
    (55.2, -21.4, 55.85, -20.85),  # La Réunion
    (-61.82, 15.95, -61.0, 16.52),  # Guadeloupe
    (-61.24, 14.38, -60.8, 14.9),  # Martinique
    (-52.5, 4.75, -52.2, 5.0),  # Cayenne
)


# -- Data -------------------------------------------------------------------------------------


def generate(path: Path, boxes: list[tuple[float, float, float, float]], weights, n: int, seed: int):
    """n seeded random points over the boxes, with an id and a text column (a tenth of them
    quoted, as spreadsheets do for text with commas)."""
    rng = np.random.default_rng(seed)
    which = rng.choice(len(boxes), size=n, p=weights)
    bounds = np.array(boxes)[which]
    lons = rng.uniform(bounds[:, 0], bounds[:, 2])
    lats = rng.uniform(bounds[:, 1], bounds[:, 3])
    streets = ["rue de la Paix", "avenue du Général-de-Gaulle", "place de l'Église", "allée des Érables"]
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("id,lon,lat,adresse\n")
        for start in range(0, n, 100_000):
            f.writelines(
                f'{i + 1},{lons[i]:.6f},{lats[i]:.6f},"{i % 97 + 1}, {streets[i % 4]}"\n'
                if i % 10 == 0
                else f"{i + 1},{lons[i]:.6f},{lats[i]:.6f},{i % 97 + 1} {streets[i % 4]}\n"
                for i in range(start, min(n, start + 100_000))
            )


def read_codes(path: Path, column: str) -> np.ndarray:
    import pandas as pd

    codes = pd.read_csv(path, usecols=[column], dtype=str, keep_default_na=False)[column]
    return codes.to_numpy()


# -- Workers (run in a subprocess each) -------------------------------------------------------


def worker_ours(source: str, target: str) -> None:
    from cite_emploi.territory.locate_csv import locate_csv

    locate_csv(source, target)


def worker_geopandas(source: str, target: str) -> None:
    import geopandas as gpd
    import pandas as pd

    from cite_emploi.territory.locator import QPV_GEOJSON

    qpv = gpd.read_file(QPV_GEOJSON, columns=["code_qp", "lib_qp"])
    points = pd.read_csv(source)
    points = gpd.GeoDataFrame(points, geometry=gpd.points_from_xy(points["lon"], points["lat"]), crs=qpv.crs)
    joined = gpd.sjoin(points, qpv, how="left", predicate="intersects")
    # sjoin gives one row per (point, QPV) pair: a point in two QPV (slivers of the rounded
    # outlines) keeps the lowest code, as our locator does.
    if joined.index.has_duplicates:
        joined = joined.sort_values("code_qp", kind="stable")
        joined = joined[~joined.index.duplicated(keep="first")].sort_index()
    joined = joined.drop(columns=["geometry", "index_right"])
    joined.rename(columns={"code_qp": "qpv_code", "lib_qp": "qpv_nom"}).to_csv(target, index=False)


def worker_postgis(source: str, target: str) -> None:
    import psycopg

    from cite_emploi.territory.locator import QPV_GEOJSON

    features = json.loads(Path(QPV_GEOJSON).read_text(encoding="utf-8"))["features"]
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        connection.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        connection.execute("CREATE TEMP TABLE qpv (code text, nom text, geom geometry(MultiPolygon, 4326))")
        with connection.cursor().copy("COPY qpv (code, nom, geom) FROM STDIN") as copy:
            for feature in features:
                props = feature["properties"]
                copy.write_row((props["code_qp"], props["lib_qp"], _ewkt(json.dumps(feature["geometry"]))))
        connection.execute("CREATE INDEX ON qpv USING gist (geom)")
        connection.execute("ANALYZE qpv")
        connection.execute(
            "CREATE TEMP TABLE points (n bigserial, id text, lon float8, lat float8, adresse text)"
        )
        with (
            connection.cursor().copy(
                "COPY points (id, lon, lat, adresse) FROM STDIN WITH (FORMAT csv, HEADER true)"
            ) as copy,
            open(source, "rb") as f,
        ):
            while chunk := f.read(1 << 20):
                copy.write(chunk)
        # ST_Intersects rather than ST_Contains: a point on a boundary counts as inside, as in
        # our locator; the lowest code wins for a point in two QPV.
        query = """
            COPY (
                SELECT p.id, p.lon, p.lat, p.adresse, q.code AS qpv_code, q.nom AS qpv_nom
                FROM points p
                LEFT JOIN LATERAL (
                    SELECT code, nom FROM qpv
                    WHERE ST_Intersects(geom, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326))
                    ORDER BY code LIMIT 1
                ) q ON true
                ORDER BY p.n
            ) TO STDOUT WITH (FORMAT csv, HEADER true)
        """
        with connection.cursor().copy(query) as copy, open(target, "wb") as out:
            for data in copy:
                out.write(data)


def _ewkt(geojson: str) -> str:
    import shapely

    return "SRID=4326;" + shapely.from_geojson(geojson).wkt


WORKERS = {"ours": worker_ours, "geopandas": worker_geopandas, "postgis": worker_postgis}


def postgis_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(POSTGRES_URL, connect_timeout=3) as connection:
            row = connection.execute(
                "SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'"
            ).fetchone()
            return row is not None
    except Exception:
        return False


# -- Measuring --------------------------------------------------------------------------------


def measure(tool: str, source: Path, target: Path) -> tuple[float, float, float]:
    """Wall time (s), CPU time (s) and peak resident memory (MB) of one run of a worker, in
    a subprocess. CPU time is reported too because a shared machine inflates wall times."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, __file__, "--worker", tool, str(source), str(target)])
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"Échec de l'outil « {tool} » sur {source.name} (code {child.returncode}).")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024  # Linux: kilobytes


def best_of(repeat: int, tool: str, source: Path, target: Path) -> tuple[float, float, float]:
    runs = [measure(tool, source, target) for _ in range(repeat)]
    return min(r[0] for r in runs), min(r[1] for r in runs), max(r[2] for r in runs)


TOOL_LABELS = {
    "ours": "cite-emploi locate_csv",
    "geopandas": "pandas + geopandas sjoin",
    "postgis": "PostGIS ST_Intersects",
}


def fr(value: float, digits: int = 2) -> str:
    return f"{value:,.{digits}f}".replace(",", "\u202f").replace(".", ",")


def main() -> None:
    parser = argparse.ArgumentParser(description="Banc d'essai : QPV de chaque point d'un CSV, de CSV à CSV.")
    parser.add_argument(
        "--points", type=int, default=1_000_000, help="points par fichier (défaut : 1 000 000)"
    )
    parser.add_argument("--repeat", type=int, default=1, help="mesures par outil, la meilleure est gardée")
    parser.add_argument("--keep", type=Path, help="répertoire où garder les fichiers (sinon temporaire)")
    parser.add_argument("--worker", nargs=3, metavar=("OUTIL", "ENTREE", "SORTIE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        tool, source, target = args.worker
        WORKERS[tool](source, target)
        return

    with tempfile.TemporaryDirectory(prefix="bench-qpv-") as tmp:
        directory = args.keep or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        n = args.points
        files = {
            "ile-de-france": directory / f"ile_de_france_{n}.csv",
            "france": directory / f"france_{n}.csv",
        }
        started = time.perf_counter()
        generate(files["ile-de-france"], [ILE_DE_FRANCE], [1.0], n, seed=1)
        generate(files["france"], [METROPOLE, *OVERSEAS], [0.96, 0.01, 0.01, 0.01, 0.01], n, seed=2)
        print(f"{fr(n, 0)} points par fichier, générés en {fr(time.perf_counter() - started, 1)} s.")
        tools = ["ours", "geopandas"]
        with_postgis = postgis_available()
        if with_postgis:
            tools.append("postgis")

        header = (
            f"{'Fichier':<15} {'Outil':<26} {'Temps (s)':>10} {'CPU (s)':>8} {'Points/s':>10} "
            f"{'Mémoire max (Mo)':>17} {'Ratio / geopandas':>18} {'Ratio CPU':>10}"
        )
        print()
        print(header)
        print("-" * len(header))
        verdicts = []
        failed = False
        for name, source in files.items():
            results = {}
            for tool in tools:
                target = directory / f"{source.stem}_{tool}.csv"
                results[tool] = (*best_of(args.repeat, tool, source, target), target)
            reference, reference_cpu = results["geopandas"][:2]
            for tool in tools:
                seconds, cpu, memory, _ = results[tool]
                print(
                    f"{name:<15} {TOOL_LABELS[tool]:<26} {fr(seconds):>10} {fr(cpu):>8} "
                    f"{fr(n / seconds, 0):>10} {fr(memory, 0):>17} {fr(seconds / reference):>18} "
                    f"{fr(cpu / reference_cpu):>10}"
                )
            if not with_postgis:
                print(f"{name:<15} PostGIS absent : ligne omise")

            ours = read_codes(results["ours"][3], "qpv_code")
            located = int((ours != "").sum())
            for tool in tools[1:]:
                theirs = read_codes(results[tool][3], "qpv_code")
                differ = np.flatnonzero(ours != theirs) if len(theirs) == len(ours) else None
                if differ is None or differ.size:
                    failed = True
                    detail = (
                        "nombre de lignes différent" if differ is None else f"{differ.size} lignes diffèrent"
                    )
                    verdicts.append(f"{name} : réponses DIFFÉRENTES de {TOOL_LABELS[tool]} ({detail})")
                else:
                    verdicts.append(
                        f"{name} : réponses identiques à {TOOL_LABELS[tool]} "
                        f"({fr(located, 0)} points dans un QPV sur {fr(n, 0)})"
                    )
            ratio = results["ours"][0] / reference
            met = "atteint" if ratio <= GOAL else "NON atteint"
            verdicts.append(
                f"{name} : objectif ≤ {fr(GOAL, 1)} × le temps de geopandas {met} ({fr(ratio)} ; "
                f"en temps CPU : {fr(results['ours'][1] / reference_cpu)})"
            )
        print()
        print("\n".join(verdicts))
        if failed:
            raise SystemExit("Les réponses diffèrent : voir ci-dessus.")


if __name__ == "__main__":
    main()
