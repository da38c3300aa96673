"""Benchmark of the offer import: 50,000 data·inclusion services (and their structures).

    python bench/offer_import.py [--services 10000,50000] [--per-structure 20]

For each size, a valid data·inclusion JSON file is generated in a temporary directory, then
imported with the command line (``cite-emploi import-offer``) into a fresh database of the
current engine: SQLite in the temporary directory, or, when ``DATABASE_URL`` names a PostgreSQL
server, a scratch database created on that server and dropped afterwards. Each step runs in its
own process; its peak memory is the child's ``ru_maxrss``. The same file validated by the
official package alone (``model_validate`` on each record, nothing else) is the baseline.

Prints a table in French; see bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

from measure import run
from scratch_db import ScratchDatabase

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 60

THEMATIQUES = [
    "preparer-sa-candidature--realiser-un-cv-et-ou-une-lettre-de-motivation",
    "trouver-un-emploi--repondre-a-des-offres-demploi",
    "mobilite--preparer-un-permis",
    "numerique--maitriser-les-fondamentaux-du-numerique",
    "se-former--trouver-sa-formation",
    "logement-hebergement--louer-un-logement",
    "famille--garde-denfants",
    "sante--acces-aux-soins",
]
PUBLICS = [
    "jeunes",
    "femmes",
    "demandeurs-emploi",
    "residents-qpv-frr",
    "seniors",
    "beneficiaires-des-minimas-sociaux",
]
NETWORKS = ["mission-locale", "france-travail", "plie", "fcsf", "communes", "ccas-cias", "aci"]
COMMUNES = ["94028", "94002", "94011", "94004", "94044", "94071", "94075"]
DESCRIPTION = (
    "Un accompagnement de proximité, au cœur du quartier, pour préparer sa candidature, "
    "rencontrer des employeurs et lever les freins du quotidien : mobilité, garde d'enfants, "
    "démarches en ligne. Sur rendez-vous ou lors des permanences hebdomadaires. "
)


def generate(path: Path, services: int, per_structure: int) -> tuple[int, int]:
    rng = random.Random(services)
    today = date.today()
    structures = (services + per_structure - 1) // per_structure
    with open(path, "w", encoding="utf-8") as out:
        out.write('{"structures": [\n')
        for i in range(structures):
            record = {
                "source": "bench",
                "id": f"bench--s{i}",
                "nom": f"Structure d'insertion numéro {i}",
                "date_maj": (today - timedelta(days=rng.randint(0, 700))).isoformat(),
                "description": DESCRIPTION,
                "adresse": f"{i % 90 + 1} rue de la République",
                "code_postal": "94000",
                "code_insee": rng.choice(COMMUNES),
                "commune": "Créteil",
                "longitude": round(2.40 + rng.random() * 0.18, 5),
                "latitude": round(48.72 + rng.random() * 0.10, 5),
                "telephone": "0143000000",
                "courriel": f"accueil{i}@structure.example.org",
                "site_web": f"https://structure{i}.example.org/",
                "reseaux_porteurs": [rng.choice(NETWORKS)],
            }
            out.write(("," if i else "") + json.dumps(record, ensure_ascii=False) + "\n")
        out.write('],\n"services": [\n')
        for j in range(services):
            s = j // per_structure
            record = {
                "source": "bench",
                "id": f"bench--sv{j}",
                "structure_id": f"bench--s{s}",
                "nom": f"Accompagnement vers l'emploi {j}",
                "description": DESCRIPTION,
                "date_maj": (today - timedelta(days=rng.randint(0, 700))).isoformat(),
                "type": rng.choice(["accompagnement", "atelier", "information", "formation"]),
                "thematiques": rng.sample(THEMATIQUES, 2),
                "frais": rng.choice(["gratuit", "payant"]),
                "frais_precisions": "Adhésion annuelle de 5 €",
                "publics": rng.sample(PUBLICS, 2),
                "modes_accueil": ["en-presentiel"],
                "zone_eligibilite": [rng.choice(COMMUNES)],
                "modes_mobilisation": ["se-presenter", "telephoner"],
                "mobilisable_par": ["usagers", "professionnels"],
                "telephone": "0143000000",
                "courriel": f"service{j}@structure.example.org",
                "adresse": f"{j % 90 + 1} avenue du Général de Gaulle",
                "code_postal": "94000",
                "code_insee": rng.choice(COMMUNES),
                "commune": "Créteil",
                "longitude": round(2.40 + rng.random() * 0.18, 5),
                "latitude": round(48.72 + rng.random() * 0.10, 5),
                "volume_horaire_hebdomadaire": 3.5,
                "nombre_semaines": 8,
            }
            out.write(("," if j else "") + json.dumps(record, ensure_ascii=False) + "\n")
        out.write("]}\n")
    return structures, services


BASELINE = """
import json, sys
from data_inclusion.schema import v1
with open(sys.argv[1], encoding="utf-8") as f:
    data = json.load(f)
for record in data["structures"]:
    v1.Structure.model_validate(record)
for record in data["services"]:
    v1.Service.model_validate(record)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description="Mesure de l'import de l'offre (data·inclusion).")
    parser.add_argument("--services", default="10000,50000", help="tailles, séparées par des virgules")
    parser.add_argument("--per-structure", type=int, default=20, help="services par structure (défaut : 20)")
    options = parser.parse_args()
    sizes = [int(s) for s in options.services.split(",")]
    load = os.getloadavg()[0]
    cli = [sys.executable, "-m", "cite_emploi.cli"]
    rows = []
    engine = "?"
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="bench-offre-") as tmp:
            workdir = Path(tmp)
            path = workdir / "offre.json"
            structures, services = generate(path, size, options.per_structure)
            records = structures + services
            database = ScratchDatabase(workdir, "cite_emploi_bench")
            engine = database.engine
            env = {
                **os.environ,
                "DATABASE_URL": database.url,
                "HTTPS": "off",
                "CITE_EMPLOI_VAR_DIR": str(workdir),
                "DJANGO_SETTINGS_MODULE": "cite_emploi.settings",
            }
            try:
                for step in (["migrate", "--verbosity", "0"], ["load-reference"]):
                    code = run([*cli, *step], env, quiet=False)[2]
                    if code:
                        sys.exit(f"Échec de la préparation ({' '.join(step)}).")
                baseline = run([sys.executable, "-c", BASELINE, str(path)], env, quiet=False)
                first = run([*cli, "import-offer", str(path), "--territory", "gpsea"], env, quiet=False)
                second = run([*cli, "import-offer", str(path), "--territory", "gpsea"], env, quiet=False)
            finally:
                database.drop()
            if first[2] or second[2]:
                print(first[3], second[3], file=sys.stderr)
                sys.exit("L'import a échoué.")
            mib = path.stat().st_size / 2**20
            rows.append((f"validation seule (paquet officiel), {mib:.0f} Mo", records, baseline, None))
            rows.append(("import-offer (création)", records, first, baseline[0]))
            rows.append(("import-offer (réimport, inchangé)", records, second, baseline[0]))

    print(
        f"Import de l'offre — moteur : {engine} — Python {sys.version.split()[0]} — "
        f"{os.cpu_count()} processeurs, charge moyenne sur 1 min au départ : {load:.1f}"
    )
    head = (
        "étape",
        "enregistrements",
        "durée (s)",
        "CPU (s)",
        "enr./s",
        "mémoire max (Mo)",
        "× validation seule",
    )
    table = [head]
    for label, records, (seconds, memory, _, _, cpu), base in rows:
        table.append(
            (
                label,
                f"{records:,}".replace(",", "\u202f"),
                f"{seconds:.1f}",
                f"{cpu:.1f}",
                f"{records / seconds:,.0f}".replace(",", "\u202f"),
                f"{memory:.0f}",
                "—" if base is None else f"{seconds / base:.1f}",
            )
        )
    widths = [max(len(r[i]) for r in table) for i in range(len(head))]
    for row in table:
        print("  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(row)))
    if max(sizes) < 50_000:
        print(f"Objectif ({TARGET_SECONDS} s pour 50 000 services) non évalué : fichiers plus petits.")
        return
    slowest = max(r[2][0] for r in rows if r[0].startswith("import-offer (création)"))
    verdict = "atteint" if slowest < TARGET_SECONDS else "NON atteint"
    print(
        f"Objectif : moins de {TARGET_SECONDS} s pour 50 000 services — {verdict} ({slowest:.1f} s au plus)."
    )


if __name__ == "__main__":
    main()
