"""Benchmark of the beneficiary import: 100,000 people from a partner's CSV file in under 60 s.

    python bench/beneficiary_import.py [--rows 10000,100000] [--peer-rows 1000]

For each size, a seeded generator writes a CSV file as a partner's spreadsheet exports it (UTF-8 with
BOM, semicolons, French headers and dates, half the people with coordinates in the GPSEA area, the
others with a postcode and an INSEE code, 1 % of repeated lines). A fresh database of the current
engine is prepared (SQLite in a temporary directory, or a scratch PostgreSQL database when
``DATABASE_URL`` names one; see ``scratch_db.py``), with the reference data, one organisation of
GPSEA and one counsellor. Then, each in its own process (wall time around the process, peak memory
= the child's ``ru_maxrss``, CPU = its user + system time):

* ``import-beneficiaries (création)``: ``cite-emploi import-beneficiaries`` into the empty territory;
* ``import-beneficiaries (réimport : doublons)``: the same file again, every line a duplicate;
* the peer, « naive »: one ``services.create_beneficiary()`` call per line (what a loop over the
  one-person service would do: its own transaction, duplicate query, location, audit), on the first
  ``--peer-rows`` lines only; its time for the whole file is **extrapolated** from the rate of that
  loop alone (start-up excluded, which favours the peer). Its rows are deleted afterwards (not timed).

The last column is the peer's extrapolated time divided by ours. Prints a table in French; see
bench/README.md.
"""

from __future__ import annotations

import argparse
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
TARGET_ROWS = 100_000

HEADERS = [
    "Nom",
    "Prénom",
    "Date de naissance",
    "Sexe",
    "Courriel",
    "Téléphone",
    "Adresse",
    "Code postal",
    "Code INSEE",
    "Identifiant France Travail",
    "Niveau de diplôme",
    "Longitude",
    "Latitude",
]
MAPPING = (
    '{"nom": "Nom", "prenom": "Prénom", "date_naissance": "Date de naissance", "sexe": "Sexe", '
    '"courriel": "Courriel", "telephone": "Téléphone", "adresse": "Adresse", "code_postal": "Code postal", '
    '"code_commune": "Code INSEE", "identifiant_france_travail": "Identifiant France Travail", '
    '"niveau_diplome": "Niveau de diplôme", "longitude": "Longitude", "latitude": "Latitude"}'
)
COMMUNES = [("94000", "94028"), ("94140", "94002"), ("94380", "94011"), ("94450", "94044"),
            ("94490", "94055"), ("94370", "94071"), ("94510", "94075")]  # fmt: skip
FIRST = ["Éloïse", "Karim", "Awa", "Léa", "Mohamed", "Inès", "Lucas", "Fatou", "Yanis", "Chloé", "Mamadou",
         "Sarah", "Nathan", "Aïcha", "Hugo", "Camille", "Rayan", "Manon", "Adam", "Jade", "Moussa", "Emma",
         "Ilyès", "Zoé", "Sofiane", "Lina", "Théo", "Maëlys", "Bilal", "Océane"]  # fmt: skip
SYLLABLES = ["ben", "dia", "ma", "du", "pont", "li", "kou", "ra", "mar", "tin", "sa", "ne", "lo", "ga", "bri",
             "cha", "rou", "vi", "ta", "mé", "zi", "ba", "fo", "lé", "do", "ni", "sy", "ka", "te", "mou"]  # fmt: skip
DIPLOMAS = ["aucun", "CAP", "bac", "bac + 2", "licence", "master", "3", "4", ""]


def generate(path: Path, rows: int) -> None:
    rng = random.Random(rows)
    start = date(1960, 1, 1)
    kept = []
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        out.write(";".join(HEADERS) + "\r\n")
        for i in range(rows):
            if kept and rng.random() < 0.01:
                out.write(rng.choice(kept))  # a line repeated further down the file
                continue
            last = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()
            first = rng.choice(FIRST)
            born = start + timedelta(days=rng.randint(0, 47 * 365))
            postcode, insee = rng.choice(COMMUNES)
            located = rng.random() < 0.5
            cells = [
                last,
                first,
                born.strftime("%d/%m/%Y"),
                rng.choice("FM"),
                f"{i}@exemple.fr" if rng.random() < 0.6 else "",
                f"06 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
                f"{rng.randint(1, 120)} rue de la République",
                postcode,
                insee,
                f"{i:07d}{chr(65 + i % 26)}" if rng.random() < 0.6 else "",
                rng.choice(DIPLOMAS),
                f"{2.40 + rng.random() * 0.18:.5f}".replace(".", ",") if located else "",
                f"{48.72 + rng.random() * 0.10:.5f}".replace(".", ",") if located else "",
            ]
            line = ";".join(cells) + "\r\n"
            if len(kept) < 1000 and rng.random() < 0.05:
                kept.append(line)
            out.write(line)


SETUP = """
import django
django.setup()
from cite_emploi.accounts.models import Membership, User
from cite_emploi.partners.models import Organisation
from cite_emploi.territory.models import Territory
territory = Territory.objects.get(slug="gpsea")
for name, email in (("Mission locale du banc d'essai", "conseillere@bench.example"),
                    ("Pair naïf du banc d'essai", "pair@bench.example")):
    org = Organisation.objects.create(territory=territory, name=name, kind="mission-locale")
    user = User.objects.create_user(email=email, password=None, first_name="Camille", last_name="Banc")
    Membership.objects.create(user=user, organisation=org, role="counsellor")
    print(org.pk)
"""

PEER = """
import csv, sys, time
from datetime import datetime
import django
django.setup()
from cite_emploi.accounts.models import User
from cite_emploi.core.models import AuditEntry
from cite_emploi.followup import services
from cite_emploi.followup.models import Beneficiary
from cite_emploi.partners.models import Organisation
from cite_emploi.territory.models import Commune

path, rows, org_id = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
org = Organisation.objects.select_related("territory").get(pk=org_id)
user = User.objects.get(email="pair@bench.example")
communes = {c.code: c for c in Commune.objects.all()}
diplomas = {"aucun": "0", "CAP": "3", "bac": "4", "bac + 2": "5", "licence": "6", "master": "7", "3": "3", "4": "4", "": ""}
started = time.perf_counter()
with open(path, encoding="utf-8-sig", newline="") as f:
    for i, row in enumerate(csv.DictReader(f, delimiter=";")):
        if i >= rows:
            break
        data = {
            "last_name": row["Nom"], "first_name": row["Prénom"],
            "birth_date": datetime.strptime(row["Date de naissance"], "%d/%m/%Y").date(),
            "sex": row["Sexe"], "email": row["Courriel"], "phone": row["Téléphone"].replace(" ", ""),
            "address": row["Adresse"], "postcode": row["Code postal"],
            "france_travail_id": row["Identifiant France Travail"],
            "diploma_level": diplomas[row["Niveau de diplôme"]],
        }
        commune = communes.get(row["Code INSEE"])
        if row["Longitude"]:
            location = services.resolve_location(
                org.territory, mode="point", commune=commune,
                longitude=float(row["Longitude"].replace(",", ".")),
                latitude=float(row["Latitude"].replace(",", ".")),
            )
        else:
            location = services.Location(commune=commune)
        try:
            services.create_beneficiary(territory=org.territory, organisation=org, by=user, data=data, location=location)
        except services.DuplicateSuspected:
            pass
print(f"{time.perf_counter() - started:.4f}")
mine = Beneficiary.objects.filter(created_by_organisation=org)
AuditEntry.objects.filter(object_type="followup.beneficiary", object_id__in=[str(pk) for pk in mine.values_list("pk", flat=True)]).delete()
mine.delete()
"""


def _fr(n: float, digits: int = 0) -> str:
    return f"{n:,.{digits}f}".replace(",", "\u202f")


def main() -> None:
    parser = argparse.ArgumentParser(description="Mesure de l'import de bénéficiaires.")
    parser.add_argument("--rows", default="10000,100000", help="tailles, séparées par des virgules")
    parser.add_argument("--peer-rows", type=int, default=1000, help="lignes mesurées pour le pair naïf")
    options = parser.parse_args()
    sizes = [int(s) for s in options.rows.split(",")]
    load = os.getloadavg()
    cli = [sys.executable, "-m", "cite_emploi.cli"]
    table = []
    engine = "?"
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="bench-beneficiaires-") as tmp:
            workdir = Path(tmp)
            path, mapping = workdir / "beneficiaires.csv", workdir / "correspondance.json"
            generate(path, size)
            mapping.write_text(MAPPING, encoding="utf-8")
            database = ScratchDatabase(workdir, "cite_emploi_bench_benef")
            engine = database.engine
            env = {
                **os.environ,
                "DATABASE_URL": database.url,
                "HTTPS": "off",
                "CITE_EMPLOI_VAR_DIR": str(workdir),
                "DJANGO_SETTINGS_MODULE": "cite_emploi.settings",
                "GEOCODER_URL": "",
            }
            try:
                for step in (["migrate", "--verbosity", "0"], ["load-reference"]):
                    if run([*cli, *step], env)[2]:
                        sys.exit(f"Échec de la préparation ({' '.join(step)}).")
                setup = run([sys.executable, "-c", SETUP], env)
                if setup[2]:
                    sys.exit(setup[3])
                org_id, peer_org_id = setup[3].split()[-2:]
                peer_rows = min(options.peer_rows, size)
                peer = run([sys.executable, "-c", PEER, str(path), str(peer_rows), peer_org_id], env)
                if peer[2]:
                    sys.exit(peer[3])
                command = [*cli, "import-beneficiaries", str(path), "--organisation", org_id,
                           "--mapping", str(mapping)]  # fmt: skip
                first = run(command, env)
                second = run(command, env)
            finally:
                database.drop()
            for step in (first, second):
                if step[2]:
                    sys.exit(step[3])
            peer_loop = float(peer[3].split()[-1])
            peer_total = peer_loop / peer_rows * size
            mib = path.stat().st_size / 2**20
            table.append(
                (
                    f"pair naïf : create_beneficiary() par ligne ({_fr(peer_rows)} lignes mesurées, extrapolé)",
                    size,
                    peer_total,
                    None,
                    peer[1],
                    None,
                )
            )
            table.append(
                (
                    f"import-beneficiaries (création), {mib:.0f} Mo",
                    size,
                    first[0],
                    first[4],
                    first[1],
                    peer_total,
                )
            )
            table.append(
                (
                    "import-beneficiaries (réimport : doublons)",
                    size,
                    second[0],
                    second[4],
                    second[1],
                    peer_total,
                )
            )
            print(first[3].splitlines()[2], file=sys.stderr)

    print(
        f"Import de bénéficiaires — moteur : {engine} — Python {sys.version.split()[0]} — {os.cpu_count()} "
        f"processeurs, charge moyenne au départ (1, 5, 15 min) : {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
    )
    head = (
        "étape",
        "lignes",
        "durée (s)",
        "CPU (s)",
        "lignes/s",
        "mémoire max (Mo)",
        "× plus rapide que le pair",
    )
    rows = [head]
    for label, size, seconds, cpu, memory, peer_total in table:
        rows.append(
            (
                label,
                _fr(size),
                f"{seconds:.1f}" + ("*" if cpu is None else ""),
                "—" if cpu is None else f"{cpu:.1f}",
                _fr(size / seconds),
                f"{memory:.0f}" + ("*" if cpu is None else ""),
                "—" if peer_total is None else f"{peer_total / seconds:.0f}",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    for row in rows:
        print("  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(row)))
    print("* pair : durée extrapolée de sa boucle seule ; mémoire de son processus sur l'échantillon.")
    if max(sizes) < TARGET_ROWS:
        print(
            f"Objectif ({TARGET_SECONDS} s pour {_fr(TARGET_ROWS)} lignes) non évalué : fichiers plus petits."
        )
        return
    slowest = max(
        t[2] for t in table if t[0].startswith("import-beneficiaries (création)") and t[1] >= TARGET_ROWS
    )
    verdict = "atteint" if slowest < TARGET_SECONDS else "NON atteint"
    print(
        f"Objectif : moins de {TARGET_SECONDS} s pour {_fr(TARGET_ROWS)} lignes — {verdict} ({slowest:.1f} s)."
    )


if __name__ == "__main__":
    main()
