"""locate_csv and the locate_qpv command, on real QPV outlines: no database needed."""

import csv
import io
import tracemalloc

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cite_emploi.territory import csv_blocks
from cite_emploi.territory.csv_blocks import Layout, split_block
from cite_emploi.territory.locate_csv import ADDED_COLUMNS, LocateCsvError, Stats, locate_csv
from cite_emploi.territory.locator import get_locator

# Interior points of real QPV (representative points of the outlines, rounded).
MONT_MESLY = ("2.46977", "48.7771")  # QN09405M, Créteil
BOIS_ABBE_CHAMPIGNY = ("2.54961", "48.80575")  # QN09424I, Champigny-sur-Marne side
BOIS_ABBE_CHENNEVIERES = ("2.55529", "48.80415")  # QN09424I, Chennevières-sur-Marne side
LUXEMBOURG = ("2.3372", "48.8462")  # Paris, in no QPV
QPV_POINTS = (MONT_MESLY, BOIS_ABBE_CHAMPIGNY, BOIS_ABBE_CHENNEVIERES, LUXEMBOURG)


@pytest.fixture(scope="module", autouse=True)
def locator():
    return get_locator()


def run(tmp_path, content: bytes, **kwargs) -> tuple[bytes, Stats]:
    source = tmp_path / "in.csv"
    source.write_bytes(content)
    target = tmp_path / "out.csv"
    stats = locate_csv(source, target, **kwargs)
    return target.read_bytes(), stats


def rows_of(output: bytes, delimiter=",", encoding="utf-8-sig") -> list[dict]:
    return list(csv.DictReader(io.StringIO(output.decode(encoding), newline=""), delimiter=delimiter))


def test_columns_are_kept_and_qpv_added(tmp_path):
    content = (
        "id,nom,lon,lat,note\n"
        f'1,"Dupont, Jeanne",{MONT_MESLY[0]},{MONT_MESLY[1]},  espaces  \n'
        f'2,Élodie,{LUXEMBOURG[0]},{LUXEMBOURG[1]},"dit ""Lulu"""\n'
        f"3,x,{BOIS_ABBE_CHENNEVIERES[0]},{BOIS_ABBE_CHENNEVIERES[1]},\n"
    ).encode()
    output, stats = run(tmp_path, content)
    lines = output.split(b"\n")
    assert lines[0] == b"id,nom,lon,lat,note,qpv_code,qpv_nom,dans_perimetre,erreur"
    # Every input line is there, byte for byte, before the added columns.
    for original, produced in zip(content.split(b"\n")[1:4], lines[1:4], strict=True):
        assert produced.startswith(original + b",")
    rows = rows_of(output)
    assert [r["qpv_code"] for r in rows] == ["QN09405M", "", "QN09424I"]
    assert rows[0]["qpv_nom"] == "Mont Mesly - La Habette - Coteaux Du Sud"
    assert rows[2]["qpv_nom"] == "Le Bois L'Abbé"
    assert [r["dans_perimetre"] for r in rows] == ["", "", ""]  # no perimeter given
    assert [r["erreur"] for r in rows] == ["", "", ""]
    assert rows[1]["note"] == 'dit "Lulu"'
    assert stats == Stats(rows=3, located=2, in_perimeter=0, errors=0)


def test_perimeter_fills_dans_perimetre(tmp_path):
    content = (
        "lon,lat\n"
        f"{BOIS_ABBE_CHAMPIGNY[0]},{BOIS_ABBE_CHAMPIGNY[1]}\n"
        f"{BOIS_ABBE_CHENNEVIERES[0]},{BOIS_ABBE_CHENNEVIERES[1]}\n"
        f"{MONT_MESLY[0]},{MONT_MESLY[1]}\n"
        f"{LUXEMBOURG[0]},{LUXEMBOURG[1]}\n"
        "abc,48.8\n"
    ).encode()
    perimeter = frozenset({("QN09424I", "94019"), ("QN09405M", "94028")})
    output, stats = run(tmp_path, content, perimeter=perimeter)
    rows = rows_of(output)
    assert [r["dans_perimetre"] for r in rows] == ["non", "oui", "oui", "non", ""]
    assert stats == Stats(rows=5, located=3, in_perimeter=2, errors=1)


def test_bad_rows_are_kept_with_their_line_number(tmp_path):
    content = (
        "id,lon,lat,libelle\n"  # line 1
        "1,,48.8,sans longitude\n"  # 2
        "2,2.35,abc,latitude invalide\n"  # 3
        "3,-73.99,40.73,New York\n"  # 4
        "4,2.35,48.85,un,champ de trop\n"  # 5
        "5,2.35\n"  # 6
        "6,2.35,48.85,\xe9\n"  # 7: not UTF-8 once encoded in latin-1 below
        f"7,{MONT_MESLY[0]},{MONT_MESLY[1]},ok\n"  # 8
        "8, ,nan,vide et nan\n"  # 9
    ).encode("latin-1")
    output, stats = run(tmp_path, content)
    produced = output.split(b"\n")
    assert len(produced) == 10 and produced[-1] == b""
    for original, line in zip(content.split(b"\n"), produced, strict=True):
        assert line.startswith(original)
    rows = list(csv.reader(io.StringIO(output.decode("utf-8", "replace"), newline="")))
    assert [row[-1] for row in rows[1:]] == [
        "ligne 2 : longitude manquante",
        "ligne 3 : latitude « abc » n'est pas un nombre",
        "ligne 4 : point hors de France (lon=-73.99, lat=40.73)",
        "ligne 5 : 5 champs au lieu de 4",
        "ligne 6 : 2 champs au lieu de 4",
        "ligne 7 : ligne illisible (caractères invalides pour l'encodage utf-8)",
        "",
        "ligne 9 : longitude manquante, latitude « nan » n'est pas un nombre",
    ]
    # The short row is padded so that the added columns stay in place.
    assert produced[5] == b"5,2.35,,,,,,ligne 6 : 2 champs au lieu de 4"
    assert b",QN09405M,Mont Mesly - La Habette - Coteaux Du Sud,," in produced[7]
    assert stats == Stats(rows=8, located=1, in_perimeter=0, errors=7)
    # Line by line, most blocks take the vectorised path: same answers.
    assert run(tmp_path, content, block_size=1) == (output, stats)


def test_semicolon_bom_decimal_comma_and_crlf(tmp_path):
    content = (
        "\ufeffId;Longitude;Latitude\r\n"
        f"1;{MONT_MESLY[0].replace('.', ',')};{MONT_MESLY[1].replace('.', ',')}\r\n"
        "2;2,3372;48,8462\r\n"
        "3;abc;def\r\n"
    ).encode()
    output, stats = run(tmp_path, content, lon_col="longitude", lat_col="LATITUDE")
    assert output.startswith(b"\xef\xbb\xbfId;Longitude;Latitude;qpv_code;qpv_nom;dans_perimetre;erreur\r\n")
    assert output.count(b"\r\n") == 4 and output.count(b"\n") == 4
    rows = rows_of(output, delimiter=";")
    assert [r["qpv_code"] for r in rows] == ["QN09405M", "", ""]
    assert rows[2]["erreur"] == (
        "ligne 4 : longitude « abc » n'est pas un nombre, latitude « def » n'est pas un nombre"
    )
    assert stats.located == 1 and stats.errors == 1


def test_quoted_coordinates_and_comma_decimal_in_a_comma_file(tmp_path):
    content = f'lon,lat\n"{MONT_MESLY[0]}","{MONT_MESLY[1]}"\n"2,3372","48,8462"\n'.encode()
    output, _ = run(tmp_path, content)
    assert [(r["qpv_code"], r["erreur"]) for r in rows_of(output)] == [("QN09405M", ""), ("", "")]


def test_multi_line_fields_count_their_lines(tmp_path):
    content = (
        b"id,note,lon,lat\n"  # line 1
        b'1,"une note\nsur deux lignes",2.35,48.85\n'  # lines 2-3
        b"2,x,,48.85\n"  # line 4
        b'3,"trois\r\nlignes\r\nici",abc,48.85\n'  # lines 5-7
        b"4,x,2.35,\n"  # line 8
    )
    output, stats = run(tmp_path, content)
    assert [r["erreur"] for r in rows_of(output)] == [
        "",
        "ligne 4 : longitude manquante",
        "ligne 5 : longitude « abc » n'est pas un nombre",
        "ligne 8 : latitude manquante",
    ]
    assert b'1,"une note\nsur deux lignes",2.35,48.85,,,,\n' in output
    assert stats.rows == 4


def test_broken_quotes_and_blank_lines(tmp_path):
    content = b'lon,lat\n2.35,48.85\n\n"2.35,48.85\n'
    output, stats = run(tmp_path, content)
    lines = output.split(b"\n")
    assert lines[2] == b""  # a blank line is copied, not counted
    assert (
        lines[3]
        == '"2.35,48.85,,,,ligne 4 : ligne illisible (guillemets mal fermés ou champ trop long)'.encode()
    )
    assert stats.rows == 2 and stats.errors == 1


def test_last_line_without_line_end(tmp_path):
    output, stats = run(tmp_path, f"lon,lat\n2.35,48.85\n{MONT_MESLY[0]},{MONT_MESLY[1]}".encode())
    assert output.endswith(b",QN09405M,Mont Mesly - La Habette - Coteaux Du Sud,,\n")
    assert stats.rows == 2


def test_tiny_blocks_give_the_same_output(tmp_path):
    """Block boundaries fall everywhere, including inside quoted multi-line fields."""
    rng = np.random.default_rng(4)
    lines = ["id;note;lon;lat"]
    for i in range(400):
        lon, lat = np.array(QPV_POINTS[i % 4], dtype=float) + rng.normal(0, 5e-4, 2)
        note = ['"deux\nlignes"', "simple", '"a;b"', ""][i % 4] if i % 7 else "x;y"
        lon_text = "" if i % 53 == 0 else f"{lon:.5f}".replace(".", "," if i % 3 else ".")
        lines.append(f"{i};{note};{lon_text};{lat:.5f}")
    content = ("\n".join(lines) + "\n").encode()
    expected, expected_stats = run(tmp_path, content)
    assert expected_stats.located > 20 and expected_stats.errors > 50
    for block_size in (1, 64, 1000):
        output, stats = run(tmp_path, content, block_size=block_size)
        assert output == expected
        assert stats == expected_stats


RICH_RECORDS = [
    "id;note;lon;lat",  # line 1
    f'1;"a;b";{MONT_MESLY[0].replace(".", ",")};{MONT_MESLY[1].replace(".", ",")}',  # 2
    '2;"dit ""x""";2.35;48.85',  # 3
    f'3;"deux\r\nlignes";{BOIS_ABBE_CHENNEVIERES[0]};{BOIS_ABBE_CHENNEVIERES[1]}',  # 4-5
    f'4;"retour\rseul";{BOIS_ABBE_CHAMPIGNY[0]};{BOIS_ABBE_CHAMPIGNY[1]}',  # 6-7
    "",  # 8
    "5;x;;48.8",  # 9
    "6;x;2.35",  # 10
    "7;x;1;2;3",  # 11
    '8;"";"2.35";"48.85"',  # 12
    '9;"";" 2,35 ";"abc"',  # 13
]


@pytest.mark.parametrize("eol", ["\n", "\r\n"])
def test_vectorised_and_csv_module_paths_agree(tmp_path, monkeypatch, eol):
    content = (eol.join(RICH_RECORDS) + eol).encode()
    used = []
    vectorised = csv_blocks._split_vectorised
    monkeypatch.setattr(csv_blocks, "_split_vectorised", lambda *a: used.append(1) or vectorised(*a))
    output, stats = run(tmp_path, content)
    assert used and stats == Stats(rows=9, located=3, in_perimeter=0, errors=4)
    monkeypatch.setattr(csv_blocks, "_split_vectorised", lambda *a: None)
    assert run(tmp_path, content) == (output, stats)
    rows = [r for r in csv.reader(io.StringIO(output.decode(), newline=""), delimiter=";") if r][1:]
    assert [r[-4] for r in rows][:4] == ["QN09405M", "", "QN09424I", "QN09424I"]
    # The row with too many fields keeps them: its added columns come after.
    assert [r[-1] for r in rows][4:] == [
        "ligne 9 : longitude manquante",
        "ligne 10 : 3 champs au lieu de 4",
        "ligne 11 : 5 champs au lieu de 4",
        "",
        "ligne 13 : latitude « abc » n'est pas un nombre",
    ]


FUZZ_FIELDS = [
    *["", " ", "a", "b c", "é", "x\ry", "\x00", ";", '"', 'a"b', '"a"b', '""', '"q"', '"x;y"'],
    *['"dé""j"', '"l1\nl2"', '"r\rs"', '"u\r\nv"', "1e1", "-1.5", "2,5", '"2.55"', "48.7771"],
]


def random_file(rng) -> bytes:
    eol = rng.choice(["\n", "\r\n"])
    lines = ["id;t;lon;lat"]
    for _ in range(rng.integers(1, 9)):
        fields = [str(rng.choice(FUZZ_FIELDS)) for _ in range(rng.choice([4, 4, 4, 3, 5, 0]))]
        if len(fields) == 4 and rng.random() < 0.6:
            fields[2] = str(rng.choice(["2.46977", '"2.46977"', "2,46977", "x", ""]))
            fields[3] = str(rng.choice(["48.7771", "48,7771", '"48.7771"']))
        lines.append(";".join(fields))
    content = (eol.join(lines) + rng.choice([eol, "", eol + eol])).encode()
    return content + b"\xff\n" if rng.random() < 0.05 else content


def test_vectorised_and_csv_module_paths_agree_on_random_files(tmp_path, monkeypatch):
    rng = np.random.default_rng(2024)
    vectorised = csv_blocks._split_vectorised
    for _ in range(150):
        content = random_file(rng)
        monkeypatch.setattr(csv_blocks, "_split_vectorised", vectorised)
        expected = run(tmp_path, content)
        assert run(tmp_path, content, block_size=7) == expected, content
        monkeypatch.setattr(csv_blocks, "_split_vectorised", lambda *a: None)
        assert run(tmp_path, content) == expected, content


def test_number_parsing_matches_float():
    """The vectorised decimal reader gives float()'s value, bit for bit."""
    rng = np.random.default_rng(9)
    values = np.concatenate([rng.uniform(-180, 180, 3000), rng.uniform(-1, 1, 1000)])
    texts = [f"{v:.{rng.integers(0, 14)}f}" for v in values[:3000]] + [repr(float(v)) for v in values[3000:]]
    texts += ["+1.5", "-.5", "5.", "0", "-0", "007.50", "123456789012345", "1.23456789012345"]
    texts += [
        "1e5",
        " 2.5 ",
        "1.2.3",
        "--1",
        "1-2",
        "",
        ".",
        "-",
        "inf",
        "0x10",
        "1_0",
        "٣",
        ".........",
        "9" * 20,
        "1" * 16,
    ]
    block = ("".join(f"{t};{t}\n" for t in texts)).encode()
    layout = Layout(";", b"\n", 2, 0, 1, "utf-8")
    records = split_block(block, None, layout, 2)
    for i, text in enumerate(texts):
        try:
            expected = float(text.replace(",", "."))
            expected = expected if np.isfinite(expected) and text.isascii() and "_" not in text else None
        except ValueError:
            expected = None
        if expected is None:
            assert i in records.errors, text
        else:
            assert i not in records.errors, text
            assert records.lons[i] == expected and records.lats[i] == expected, text


def test_latin1_file(tmp_path):
    content = f"lon;lat;ville\n{MONT_MESLY[0]};{MONT_MESLY[1]};Créteil\n".encode("latin-1")
    output, _ = run(tmp_path, content, encoding="latin-1")
    assert output.decode("latin-1").endswith(";Créteil;QN09405M;Mont Mesly - La Habette - Coteaux Du Sud;;\n")


def test_missing_column_is_fatal_and_writes_nothing(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("id,x,y\n1,2.35,48.85\n")
    target = tmp_path / "out.csv"
    with pytest.raises(LocateCsvError) as error:
        locate_csv(source, target)
    assert str(error.value) == (
        "Colonne de longitude « lon » absente de l'en-tête (colonnes trouvées : « id », « x », « y »)."
    )
    assert not target.exists()


@pytest.mark.parametrize(
    ("content", "kwargs", "message"),
    [
        (b"", {}, "Le fichier est vide"),
        (b"lon,lat\n", {"encoding": "utf-16"}, "Encodage « utf-16 » non pris en charge"),
        (b"lon,lat\n", {"encoding": "klingon"}, "Encodage « klingon » inconnu"),
        (b"lon,lat\n", {"lon_col": "lat"}, "deux colonnes différentes"),
    ],
)
def test_unusable_files(tmp_path, content, kwargs, message):
    with pytest.raises(LocateCsvError, match=message):
        run(tmp_path, content, **kwargs)


def test_refuses_to_overwrite_its_input(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("lon,lat\n2.35,48.85\n")
    with pytest.raises(LocateCsvError, match="différent du fichier d'entrée"):
        locate_csv(source, source)
    assert source.read_text() == "lon,lat\n2.35,48.85\n"


def test_file_objects(tmp_path):
    out = io.BytesIO()
    locate_csv(io.BytesIO(f"lon,lat\n{MONT_MESLY[0]},{MONT_MESLY[1]}\n".encode()), out)
    assert out.getvalue().splitlines()[1].endswith(b",QN09405M,Mont Mesly - La Habette - Coteaux Du Sud,,")


def write_points(path, n: int, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    lons, lats = rng.uniform(1.44, 3.56, n), rng.uniform(48.12, 49.24, n)
    with open(path, "w") as f:
        f.write("id,lon,lat,libelle\n")
        for start in range(0, n, 50_000):
            stop = min(n, start + 50_000)
            f.writelines(f"{i},{lons[i]:.6f},{lats[i]:.6f},point {i}\n" for i in range(start, stop))


def peak_memory(tmp_path, n: int) -> int:
    source = tmp_path / f"points_{n}.csv"
    write_points(source, n)
    tracemalloc.start()
    try:
        stats = locate_csv(source, tmp_path / f"out_{n}.csv", block_size=1 << 20)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert stats.rows == n and stats.errors == 0
    return peak


def test_memory_does_not_grow_with_rows(tmp_path):
    get_locator().grid  # noqa: B018 - built once per process, not part of the streaming cost
    small, large = peak_memory(tmp_path, 100_000), peak_memory(tmp_path, 300_000)
    assert large < 40 * 2**20
    assert large < small * 1.25 + 2**20


# -- The locate_qpv command ---------------------------------------------------------------------


def test_command_writes_the_file_and_a_summary(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text(f"x;y\n{MONT_MESLY[0]};{MONT_MESLY[1]}\n2.35;abc\n")
    target = tmp_path / "out.csv"
    out = io.StringIO()
    call_command("locate_qpv", str(source), "-o", str(target), "--lon-col", "x", "--lat-col", "y", stdout=out)
    assert target.read_text().splitlines()[0] == "x;y;" + ";".join(ADDED_COLUMNS)
    summary = out.getvalue()
    assert "2 lignes traitées en" in summary
    assert "1 dans un QPV, — dans le périmètre, 1 en erreur." in summary


def test_command_reports_a_missing_column_in_french(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("a,b\n1,2\n")
    with pytest.raises(CommandError, match="Colonne de latitude « lat » absente"):
        call_command("locate_qpv", str(source), "-o", str(tmp_path / "out.csv"), "--lon-col", "a")
