import json
import math
import re
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from django.utils.safestring import SafeString
from hypothesis import given, settings
from hypothesis import strategies as st

import cite_emploi.territory
from cite_emploi.core.choropleth import NO_DATA_COLOUR, PALETTE, MapArea, MapOutline, choropleth

SVG = "{http://www.w3.org/2000/svg}"
DATA = Path(cite_emploi.territory.__file__).parent / "data"
GPSEA_QPV = [
    "QN09403M",
    "QN09404M",
    "QN09405M",
    "QN09406I",
    "QN09420M",
    "QN09424I",
    "QN09431M",
    "QN09438N",
    "QN09439N",
]
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def square(lon: float, lat: float, side: float = 0.01) -> dict:
    ring = [[lon, lat], [lon + side, lat], [lon + side, lat + side], [lon, lat + side], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def row_of_squares(values: list[float | None], **kwargs) -> list[MapArea]:
    return [
        MapArea(
            code=f"QN{i:05d}",
            name=f"Quartier {i}",
            geometry=square(2.40 + i * 0.02, 48.8),
            value=value,
            **kwargs,
        )
        for i, value in enumerate(values)
    ]


def parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)


def area_paths(root: ET.Element) -> list[ET.Element]:
    group = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "quartiers")
    return group.findall(f"{SVG}path")


def points(path: ET.Element) -> list[tuple[float, float]]:
    numbers = [float(n) for n in NUMBER.findall(path.get("d"))]
    return list(zip(numbers[::2], numbers[1::2], strict=True))


def legend_texts(root: ET.Element) -> list[str]:
    group = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "legende")
    return [t.text for t in group.iter(f"{SVG}text")]


def test_a_map_is_an_accessible_svg_image():
    markup = choropleth("Taux de chômage", row_of_squares([10, 20, 30]), unit="%")
    assert isinstance(markup, SafeString)
    root = parse(markup)
    assert root.get("role") == "img"
    assert root.get("width") == "100%"
    x, y, width, _ = (float(v) for v in root.get("viewBox").split())
    assert (x, y, width) == (0, 0, 640)
    title_id, desc_id = root.get("aria-labelledby").split()
    assert root.find(f"{SVG}title").get("id") == title_id
    assert root.find(f"{SVG}title").text == "Taux de chômage"
    assert root.find(f"{SVG}desc").get("id") == desc_id
    assert root.find(f"{SVG}desc").text == "Carte de 3 quartiers ; valeurs de 10 à 30\u00a0%."
    titles = [path.find(f"{SVG}title").text for path in area_paths(root)]
    assert titles == [
        "Quartier 0 (QN00000) : 10\u00a0%",
        "Quartier 1 (QN00001) : 20\u00a0%",
        "Quartier 2 (QN00002) : 30\u00a0%",
    ]
    allowed = {"svg", "title", "desc", "defs", "pattern", "g", "rect", "line", "path", "text"}
    assert {element.tag.removeprefix(SVG) for element in root.iter()} <= allowed


def test_classes_follow_the_values_from_light_to_dark():
    values = [8, 1, 5, 3, 7, 2, 6, 4]
    root = parse(choropleth("T", row_of_squares(values), classes=4))
    fills = [path.get("fill") for path in area_paths(root)]
    ranks = [PALETTE.index(fill) for _, fill in sorted(zip(values, fills, strict=True))]
    assert ranks == sorted(ranks), "a higher value never gets a lighter colour"
    assert len(set(ranks)) == 4
    assert ranks[-1] == len(PALETTE) - 1, "the highest class is the darkest blue"
    assert legend_texts(root)[1:] == ["de 1 à 2", "de 3 à 4", "de 5 à 6", "de 7 à 8"]


def test_equal_values_share_a_class_and_few_values_get_one_class_each():
    root = parse(choropleth("T", row_of_squares([5, 5, 10, 10, 10]), unit="%", classes=4))
    fills = [path.get("fill") for path in area_paths(root)]
    assert fills[0] == fills[1] != fills[2] == fills[3] == fills[4]
    assert legend_texts(root) == ["Légende", "5\u00a0%", "10\u00a0%"]

    skewed = parse(choropleth("T", row_of_squares([1, 1, 1, 1, 1, 1, 2, 3, 4]), classes=4))
    fills = [path.get("fill") for path in area_paths(skewed)]
    assert len(set(fills[:6])) == 1
    ranks = [PALETTE.index(fill) for fill in fills]
    assert ranks == sorted(ranks)


def test_a_hidden_value_is_hatched_and_a_missing_one_is_grey():
    areas = [*row_of_squares([10, 20]), *row_of_squares([None]), *row_of_squares([99], hidden=True)]
    areas[2].code, areas[3].code = "QNVIDE", "QNSECRET"
    root = parse(choropleth("T", areas, unit="%", hidden_label="secret statistique"))
    paths = {path.find(f"{SVG}title").text: path for path in area_paths(root)}
    hatch = root.find(f"{SVG}defs/{SVG}pattern")
    assert paths["Quartier 0 (QNSECRET) : secret statistique"].get("fill") == f"url(#{hatch.get('id')})"
    assert paths["Quartier 0 (QNVIDE) : pas de donnée"].get("fill") == NO_DATA_COLOUR
    assert legend_texts(root)[-2:] == ["secret statistique", "pas de donnée"]
    assert "99" not in "".join(legend_texts(root)), "a hidden value never reaches the legend"
    assert root.find(f"{SVG}desc").text == (
        "Carte de 4 quartiers ; valeurs de 10 à 20\u00a0% ; 1 quartier : secret statistique ; 1 quartier : pas de donnée."
    )


def test_legend_leaves_out_hatch_and_grey_when_no_quartier_uses_them():
    assert legend_texts(parse(choropleth("T", row_of_squares([1, 2])))) == ["Légende", "1", "2"]
    nothing = parse(choropleth("T", row_of_squares([None, None])))
    assert legend_texts(nothing) == ["Légende", "pas de donnée"]
    assert nothing.find(f"{SVG}desc").text == (
        "Carte de 2 quartiers ; aucune valeur diffusée ; 2 quartiers : pas de donnée."
    )


def test_aspect_ratio_is_preserved_by_the_cosine_of_latitude():
    root = parse(choropleth("T", [MapArea("QN1", "Carré", square(2.4, 48.8, side=0.02), 1)]))
    assert root.find(f"{SVG}desc").text == "Carte de 1 quartier ; valeur : 1."
    xs, ys = zip(*points(area_paths(root)[0]), strict=True)
    ratio = (max(xs) - min(xs)) / (max(ys) - min(ys))
    assert ratio == pytest.approx(math.cos(math.radians(48.81)), rel=0.01)


def test_holes_are_drawn_with_the_even_odd_rule():
    outer = [[2.40, 48.80], [2.44, 48.80], [2.44, 48.84], [2.40, 48.84], [2.40, 48.80]]
    hole = [[2.41, 48.81], [2.43, 48.81], [2.43, 48.83], [2.41, 48.83], [2.41, 48.81]]
    geometry = {"type": "MultiPolygon", "coordinates": [[outer, hole], [square(2.5, 48.8)["coordinates"][0]]]}
    path = area_paths(parse(choropleth("T", [MapArea("QN1", "Anneau", geometry, 3)])))[0]
    assert path.get("fill-rule") == "evenodd"
    assert path.get("d").count("M") == 3


def test_outlines_are_a_grey_background_with_optional_names():
    outlines = [
        MapOutline("Créteil", square(2.38, 48.78, side=0.08), show_name=True),
        MapOutline("Valenton", square(2.46, 48.78, side=0.08)),
    ]
    root = parse(choropleth("T", row_of_squares([1]), outlines=outlines))
    background = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "fonds")
    assert [p.find(f"{SVG}title").text for p in background.findall(f"{SVG}path")] == ["Créteil", "Valenton"]
    names = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "noms")
    assert {t.text for t in names.iter(f"{SVG}text")} == {"Créteil"}
    # The extent is the union of outlines and areas: the outlines fill the width.
    xs = [x for p in background.findall(f"{SVG}path") for x, _ in points(p)]
    assert min(xs) == pytest.approx(16, abs=0.1) and max(xs) == pytest.approx(624, abs=0.1)


def test_hostile_names_are_escaped_and_ids_are_unique():
    hostile = "<script>alert(\"x\")</script> & 'q' \x02"
    areas = [MapArea(hostile, hostile, square(2.4, 48.8), 1)]
    first = choropleth(
        hostile, areas, outlines=[MapOutline(hostile, square(2.39, 48.79), show_name=True)], unit="<b>"
    )
    assert "<script" not in first and "<b>" not in first
    roots = [parse(first), parse(choropleth("T", areas))]
    assert not any(e.tag.removeprefix(SVG) in {"script", "b"} for root in roots for e in root.iter())
    ids = [e.get("id") for root in roots for e in root.iter() if e.get("id")]
    assert len(ids) == len(set(ids)) == 6


def test_bad_arguments_are_programming_errors():
    with pytest.raises(ValueError):
        choropleth("T", row_of_squares([1]), classes=0)
    with pytest.raises(ValueError):
        choropleth("T", row_of_squares([1]), classes=len(PALETTE) + 1)
    with pytest.raises(ValueError):
        choropleth("T", [MapArea("QN1", "Point", {"type": "Point", "coordinates": [2.4, 48.8]}, 1)])
    with pytest.raises(ValueError):
        choropleth("T", row_of_squares([math.nan]))


def test_an_empty_map_still_renders():
    root = parse(choropleth("T", []))
    assert root.find(f"{SVG}desc").text == "Carte sans quartier."
    assert area_paths(root) == []


def test_gpsea_quartiers_and_communes_render_quickly_inside_the_frame():
    qpv = json.loads((DATA / "qpv_2024_france.geojson").read_text())
    communes = json.loads((DATA / "communes_gpsea.geojson").read_text())
    features = {
        f["properties"]["code_qp"]: f for f in qpv["features"] if f["properties"]["code_qp"] in GPSEA_QPV
    }
    assert sorted(features) == GPSEA_QPV
    areas = [
        MapArea(
            code,
            features[code]["properties"]["lib_qp"],
            features[code]["geometry"],
            value,
            hidden=value == -1,
        )
        for code, value in zip(GPSEA_QPV, [12.5, 30, None, 18, 22.1, 40, 9, -1, 15], strict=True)
    ]
    outlines = [
        MapOutline(f["properties"]["nom"], f["geometry"], show_name=True) for f in communes["features"]
    ]
    assert len(outlines) == 19

    timings = []
    for _ in range(5):
        start = time.perf_counter()
        markup = choropleth("Taux de chômage des quartiers", areas, outlines=outlines, unit="%")
        timings.append(time.perf_counter() - start)
    assert min(timings) < 0.05

    root = parse(markup)
    _, _, width, height = (float(v) for v in root.get("viewBox").split())
    paths = list(root.iter(f"{SVG}path"))
    assert len([p for p in paths if p.find(f"{SVG}title") is not None]) == 9 + 19
    for path in paths:
        if path.find(f"{SVG}title") is None:
            continue  # the hatch tile
        assert re.fullmatch(r"(M[-\d.,]+(L[-\d., ]+)?Z)+", path.get("d"))
        assert all(re.fullmatch(r"-?\d+(\.\d)?", n) for n in NUMBER.findall(path.get("d"))), (
            "one decimal at most"
        )
        for x, y in points(path):
            assert 0 <= x <= width and 0 <= y <= height
    titles = {p.find(f"{SVG}title").text for p in area_paths(root)}
    assert "Chantereine (QN09404M) : 30\u00a0%" in titles
    assert root.find(f"{SVG}desc").text == (
        "Carte de 9 quartiers ; valeurs de 9 à 40\u00a0% ; 1 quartier : non diffusé ; 1 quartier : pas de donnée."
    )


@settings(max_examples=80, deadline=None)
@given(
    values=st.lists(
        st.one_of(st.none(), st.integers(-50, 50), st.floats(-1e6, 1e6)), min_size=1, max_size=15
    ),
    classes=st.integers(1, len(PALETTE)),
)
def test_classes_are_monotonic_for_any_values(values, classes):
    root = parse(choropleth("T", row_of_squares(values), classes=classes))
    fills = [path.get("fill") for path in area_paths(root)]
    shown = sorted(
        (value, PALETTE.index(fill)) for value, fill in zip(values, fills, strict=True) if value is not None
    )
    ranks = [rank for _, rank in shown]
    assert ranks == sorted(ranks)
    assert len(set(ranks)) <= classes
    ranks_by_value: dict[float, set[int]] = {}
    for value, rank in shown:
        ranks_by_value.setdefault(value, set()).add(rank)
    assert all(len(ranks) == 1 for ranks in ranks_by_value.values()), "equal values share a class"
    for value, fill in zip(values, fills, strict=True):
        assert (fill == NO_DATA_COLOUR) == (value is None)
