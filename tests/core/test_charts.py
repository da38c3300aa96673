import math
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.utils.safestring import SafeString
from hypothesis import given, settings
from hypothesis import strategies as st

from cite_emploi.core.charts import (
    BAR_COLOUR,
    SERIES_COLOURS,
    bar_chart,
    column_chart,
    format_number,
    format_value,
    grouped_bar_chart,
)

SVG = "{http://www.w3.org/2000/svg}"
# What WeasyPrint and browsers both draw; anything else (style, script, foreignObject) is a regression.
ALLOWED = {"svg", "title", "desc", "defs", "pattern", "g", "rect", "line", "path", "text"}


def parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)


def tag(element: ET.Element) -> str:
    return element.tag.removeprefix(SVG)


def bar_groups(root: ET.Element) -> dict[str, ET.Element]:
    """The <g> of each bar, by the text of its <title> (« label : value »)."""
    return {
        g.find(f"{SVG}title").text: g
        for g in root.iter(f"{SVG}g")
        if g.find(f"{SVG}title") is not None and g.find(f"{SVG}g") is None
    }


def texts(element: ET.Element) -> list[str]:
    return [t.text for t in element.iter(f"{SVG}text")]


def view_box(root: ET.Element) -> list[float]:
    return [float(v) for v in root.get("viewBox").split()]


# -- French numbers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (1234.5, None, "1\u202f234,5"),
        (1234, None, "1\u202f234"),
        (1234567.0, None, "1\u202f234\u202f567"),
        (12.0, None, "12"),
        (12.34, None, "12,3"),
        (12.04, None, "12"),
        (0.04, None, "0,04"),
        (-1234.56, None, "-1\u202f234,6"),
        (-0.001, None, "0"),
        (0, None, "0"),
        (12, 1, "12,0"),
        (3.14159, 3, "3,142"),
        (-0.0001, 2, "0,00"),
    ],
)
def test_numbers_are_written_the_french_way(value, decimals, expected):
    assert format_number(value, decimals) == expected


def test_a_value_carries_its_unit_after_a_no_break_space():
    assert format_value(12, "%") == "12\u00a0%"
    assert format_value(1234, "personnes") == "1\u202f234\u00a0personnes"
    assert format_value(7) == "7"
    assert format_value(0.5, "%", lambda v: format_number(v * 100, 0)) == "50\u00a0%"


# -- bar chart ----------------------------------------------------------------------------------------


def test_bar_chart_is_an_accessible_svg_image():
    markup = bar_chart("Freins déclarés", [("Mobilité", 42), ("Logement", 12), ("Santé", 7)])
    assert isinstance(markup, SafeString)
    root = parse(markup)
    assert tag(root) == "svg"
    assert root.get("role") == "img"
    assert root.get("width") == "100%"
    assert "Marianne, Arial, sans-serif" in root.get("font-family")
    x, y, width, height = view_box(root)
    assert (x, y, width) == (0, 0, 640) and height > 0
    title_id, desc_id = root.get("aria-labelledby").split()
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert (title.get("id"), desc.get("id")) == (title_id, desc_id)
    assert title.text == "Freins déclarés"
    assert desc.text == "3 barres ; la plus élevée : Mobilité, 42."
    assert {tag(element) for element in root.iter()} <= ALLOWED
    assert not any("style" in element.attrib for element in root.iter())


def test_bar_lengths_are_proportional_to_the_values_from_zero():
    root = parse(bar_chart("Orientations", [("A", 10), ("B", 25), ("C", 40), ("D", 1234.5)]))
    groups = bar_groups(root)
    widths = {label.split(" : ")[0]: float(g.find(f"{SVG}rect").get("width")) for label, g in groups.items()}
    for label, value in (("A", 10), ("B", 25), ("C", 40)):
        assert widths[label] / widths["D"] == pytest.approx(value / 1234.5, abs=0.001)
    starts = {float(g.find(f"{SVG}rect").get("x")) for g in groups.values()}
    assert len(starts) == 1, "every bar starts on the zero line"
    assert all(rect.get("fill") == BAR_COLOUR for rect in root.iter(f"{SVG}rect"))
    # The longest bar and its value stay inside the drawing.
    d = groups["D : 1\u202f234,5"]
    assert float(d.find(f"{SVG}rect").get("x")) + widths["D"] < 640
    assert texts(d)[-1] == "1\u202f234,5"


def test_values_are_written_at_the_bar_end_in_french_with_their_unit():
    root = parse(bar_chart("Taux", [("QPV", 12.5), ("Commune", 1234)], unit="%"))
    groups = bar_groups(root)
    assert set(groups) == {"QPV : 12,5\u00a0%", "Commune : 1\u202f234\u00a0%"}
    for g in groups.values():
        rect, value = g.find(f"{SVG}rect"), g.findall(f"{SVG}text")[-1]
        assert float(value.get("x")) > float(rect.get("x")) + float(rect.get("width"))


def test_a_hidden_value_has_no_bar_but_the_hidden_label():
    root = parse(bar_chart("Freins", [("Mobilité", 42), ("Santé", None)], unit="%"))
    groups = bar_groups(root)
    hidden = groups["Santé : non diffusé"]
    assert hidden.find(f"{SVG}rect") is None
    assert "non diffusé" in texts(hidden)
    assert len(list(root.iter(f"{SVG}rect"))) == 1
    assert (
        root.find(f"{SVG}desc").text
        == "2 barres, dont 1 non diffusée ; la plus élevée : Mobilité, 42\u00a0%."
    )

    custom = parse(bar_chart("Freins", [("Santé", None)], hidden_label="secret statistique"))
    assert "secret statistique" in texts(custom)
    assert custom.find(f"{SVG}desc").text == "1 barre, non diffusée."


def test_zero_draws_no_bar_and_writes_zero():
    root = parse(bar_chart("Sorties", [("Emploi", 0), ("Formation", 3)]))
    zero = bar_groups(root)["Emploi : 0"]
    assert zero.find(f"{SVG}rect") is None
    assert texts(zero)[-1] == "0"


def test_only_hidden_or_zero_values_still_make_a_chart():
    for bars in ([("A", None), ("B", None)], [("A", 0)], []):
        root = parse(bar_chart("Vide", bars))
        assert list(root.iter(f"{SVG}rect")) == []
    assert parse(bar_chart("Vide", [("A", None), ("B", None)])).find(f"{SVG}desc").text == (
        "2 barres, toutes non diffusées."
    )


def test_negative_values_go_left_of_the_zero_line():
    root = parse(bar_chart("Évolution", [("Hausse", 20), ("Baisse", -10)], unit="%"))
    groups = bar_groups(root)
    up, down = (
        groups["Hausse : 20\u00a0%"].find(f"{SVG}rect"),
        groups["Baisse : -10\u00a0%"].find(f"{SVG}rect"),
    )
    zero = float(up.get("x"))
    assert float(down.get("x")) + float(down.get("width")) == pytest.approx(zero, abs=0.1)
    assert float(down.get("width")) / float(up.get("width")) == pytest.approx(0.5, abs=0.001)
    assert float(down.get("x")) > 190, "negative bars stay right of the label column"


def test_height_grows_with_the_number_of_bars():
    three = view_box(parse(bar_chart("T", [(str(i), i) for i in range(3)])))[3]
    ten = view_box(parse(bar_chart("T", [(str(i), i) for i in range(10)])))[3]
    assert ten > three + 6 * 30


def test_long_labels_are_wrapped_then_cut_with_the_full_label_in_the_title():
    label = "Logement et hébergement d'urgence pour les familles monoparentales du quartier prioritaire"
    root = parse(bar_chart("Freins", [(label, 3)]))
    group = next(iter(bar_groups(root).values()))
    assert group.find(f"{SVG}title").text == f"{label} : 3"
    lines = [t for t in texts(root) if t and t[0].isalpha()]
    assert len(lines) == 2
    assert lines[1].endswith("…")
    assert all(len(line) <= 30 for line in lines)


def test_hostile_labels_are_escaped():
    hostile = "<script>alert(\"x\")</script> & 'quotes' \x01\x0b"
    markup = bar_chart(hostile, [(hostile, 3)], unit="<b>&</b>", hidden_label="<i>")
    assert "<script" not in markup and "<b>" not in markup
    root = parse(markup)  # well-formed despite the control characters
    assert root.find(f"{SVG}title").text == "<script>alert(\"x\")</script> & 'quotes' "
    assert not any(tag(element) in {"script", "b", "i"} for element in root.iter())
    assert "<i>" in texts(parse(bar_chart("T", [("A", None)], hidden_label="<i>")))


def test_ids_are_unique_across_calls_so_charts_share_a_page():
    bars = [("A", 1)]
    first, second = parse(bar_chart("T", bars)), parse(bar_chart("T", bars))
    ids = [e.get("id") for root in (first, second) for e in root.iter() if e.get("id")]
    assert len(ids) == len(set(ids)) == 4
    assert first.get("aria-labelledby") != second.get("aria-labelledby")


def test_value_format_replaces_the_number_formatting():
    root = parse(
        bar_chart("Part", [("A", 0.425)], unit="%", value_format=lambda v: format_number(v * 100, 1))
    )
    assert "A : 42,5\u00a0%" in bar_groups(root)


def test_values_must_be_finite():
    with pytest.raises(ValueError):
        bar_chart("T", [("A", math.nan)])
    with pytest.raises(ValueError):
        column_chart("T", [("2024", math.inf)])


# -- column chart -------------------------------------------------------------------------------------


def test_column_heights_are_proportional_and_periods_read_left_to_right():
    points = [("2021", 10), ("2022", 40), ("2023", None), ("2024", 0), ("2025", 20)]
    root = parse(column_chart("Demandeurs d'emploi", points, unit="personnes"))
    groups = bar_groups(root)
    rects = {label.split(" : ")[0]: g.find(f"{SVG}rect") for label, g in groups.items()}
    assert rects["2023"] is None and rects["2024"] is None
    heights = {period: float(rect.get("height")) for period, rect in rects.items() if rect is not None}
    assert heights["2021"] / heights["2022"] == pytest.approx(0.25, abs=0.001)
    assert heights["2025"] / heights["2022"] == pytest.approx(0.5, abs=0.001)
    bottoms = {float(r.get("y")) + float(r.get("height")) for r in rects.values() if r is not None}
    assert len(bottoms) == 1, "columns stand on the zero line"
    xs = [float(rects[p].get("x")) for p in ("2021", "2022", "2025")]
    assert xs == sorted(xs)
    assert "non diffusé" in texts(groups["2023 : non diffusé"])
    assert texts(groups["2024 : 0\u00a0personnes"])[-1] == "0\u00a0personnes"
    assert {"2021", "2025"} <= set(texts(root))
    assert root.find(f"{SVG}desc").text == (
        "5 périodes, dont 1 non diffusée, de 2021 à 2025 ; la plus élevée : 2022, 40\u00a0personnes ; "
        "la plus basse : 2024, 0\u00a0personnes."
    )


def test_many_columns_write_values_vertically_and_thin_out_period_labels():
    points = [(f"2024-{month:02d}", 1000 + month) for month in range(1, 13)] * 2
    root = parse(column_chart("Mensuel", points))
    assert any("rotate(-90" in (t.get("transform") or "") for t in root.iter(f"{SVG}text"))
    period_labels = [t for t in texts(root) if t.startswith("2024-")]
    assert 0 < len(period_labels) < len(points)
    assert len(bar_groups(root)) == len(set(points))  # duplicate periods share a title, not a column
    assert len(list(root.iter(f"{SVG}rect"))) == len(points)
    _, _, width, height = view_box(root)
    for rect in root.iter(f"{SVG}rect"):
        assert 0 <= float(rect.get("x")) <= width - float(rect.get("width"))
        assert 0 <= float(rect.get("y")) <= height - float(rect.get("height"))


def test_negative_columns_hang_below_the_zero_line():
    root = parse(column_chart("Évolution", [("2022", 12), ("2023", -4)], unit="%"))
    groups = bar_groups(root)
    up, down = groups["2022 : 12\u00a0%"].find(f"{SVG}rect"), groups["2023 : -4\u00a0%"].find(f"{SVG}rect")
    zero = float(up.get("y")) + float(up.get("height"))
    assert float(down.get("y")) == pytest.approx(zero, abs=0.1)
    assert float(down.get("height")) / float(up.get("height")) == pytest.approx(4 / 12, abs=0.001)


# -- grouped bar chart --------------------------------------------------------------------------------


def test_grouped_bars_have_one_bar_per_series_and_a_legend():
    categories = ["Jeunes", "Adultes", "Seniors"]
    series = [("QPV", [30, 40.5, None]), ("Commune", [20, 35, 10]), ("Territoire", [18, 25, 12])]
    root = parse(grouped_bar_chart("Taux d'emploi", categories, series, unit="%"))
    groups = bar_groups(root)
    assert "Adultes — QPV : 40,5\u00a0%" in groups
    assert groups["Seniors — QPV : non diffusé"].find(f"{SVG}rect") is None
    fills = {
        label.split(" : ")[0]: g.find(f"{SVG}rect").get("fill")
        for label, g in groups.items()
        if g.find(f"{SVG}rect") is not None
    }
    assert fills["Jeunes — QPV"] == fills["Adultes — QPV"] == SERIES_COLOURS[0]
    assert fills["Jeunes — Commune"] == SERIES_COLOURS[1]
    assert len(set(SERIES_COLOURS[:3])) == 3
    widths = {
        label: float(groups[label].find(f"{SVG}rect").get("width"))
        for label in groups
        if "non diffusé" not in label
    }
    assert widths["Jeunes — Commune : 20\u00a0%"] / widths["Adultes — QPV : 40,5\u00a0%"] == pytest.approx(
        20 / 40.5, abs=0.001
    )
    # Legend: a swatch of each series colour beside its name, in the bars' order.
    legend = [text for text in texts(root) if text in {"QPV", "Commune", "Territoire"}]
    assert legend == ["QPV", "Commune", "Territoire"]
    assert root.find(f"{SVG}desc").text == (
        "3 catégories × 3 séries (QPV, Commune, Territoire) ; 9 valeurs, dont 1 non diffusée ; "
        "la plus élevée : Adultes — QPV, 40,5\u00a0%."
    )


def test_grouped_series_must_match_the_categories():
    with pytest.raises(ValueError):
        grouped_bar_chart("T", ["A", "B"], [("QPV", [1])])
    with pytest.raises(ValueError):
        grouped_bar_chart("T", ["A"], [(str(i), [i]) for i in range(len(SERIES_COLOURS) + 1)])


def test_colours_contrast_with_white():
    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    def contrast(colour: str) -> float:
        return 1.05 / (luminance(colour) + 0.05)

    assert contrast("#161616") >= 4.5
    assert all(contrast(colour) >= 3 for colour in SERIES_COLOURS)


def test_decimal_values_from_money_sums_are_accepted():
    root = parse(
        bar_chart(
            "Dépenses", [("Animation", Decimal("1234.50")), ("Communication", Decimal("617.25"))], unit="€"
        )
    )
    groups = bar_groups(root)
    assert set(groups) == {"Animation : 1\u202f234,5\u00a0€", "Communication : 617,2\u00a0€"}
    widths = [float(g.find(f"{SVG}rect").get("width")) for g in groups.values()]
    assert min(widths) / max(widths) == pytest.approx(0.5, abs=0.001)


@settings(max_examples=60, deadline=None)
@given(
    labels=st.lists(st.text(max_size=80), min_size=1, max_size=8),
    values=st.lists(
        st.one_of(st.none(), st.floats(min_value=-1e9, max_value=1e9, allow_nan=False)),
        min_size=8,
        max_size=8,
    ),
    unit=st.text(max_size=5),
)
def test_any_labels_and_values_give_a_well_formed_chart(labels, values, unit):
    bars = list(zip(labels, values, strict=False))
    for markup in (
        bar_chart("T", bars, unit=unit),
        column_chart("T", bars, unit=unit),
        grouped_bar_chart(
            "T", labels, [("A", values[: len(labels)]), ("B", values[-len(labels) :])], unit=unit
        ),
    ):
        root = parse(markup)
        assert {tag(element) for element in root.iter()} <= ALLOWED
        _, _, width, height = view_box(root)
        for rect in root.iter(f"{SVG}rect"):
            assert -0.1 <= float(rect.get("x")) <= width - float(rect.get("width")) + 0.1
            assert -0.1 <= float(rect.get("y")) <= height - float(rect.get("height")) + 0.1


def test_weasyprint_draws_charts_and_maps_into_a_pdf():
    weasyprint = pytest.importorskip("weasyprint")
    from cite_emploi.core.choropleth import MapArea, choropleth

    square = {"type": "Polygon", "coordinates": [[[2.4, 48.8], [2.41, 48.8], [2.41, 48.81], [2.4, 48.8]]]}
    html = "".join(
        [
            bar_chart("Barres", [("A", 3), ("B", None)], unit="%"),
            column_chart("Colonnes", [("2023", 3), ("2024", 0)]),
            grouped_bar_chart("Groupes", ["A"], [("QPV", [1]), ("Commune", [2])]),
            choropleth("Carte", [MapArea("QN1", "Q", square, None, hidden=True)]),
        ]
    )
    assert weasyprint.HTML(string=f"<html><body>{html}</body></html>").write_pdf().startswith(b"%PDF")
