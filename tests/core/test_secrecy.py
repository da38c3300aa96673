"""Statistical secrecy (core.secrecy): primary and secondary suppression, on hand-made tables.

A table here is a grid of counts with its row totals, column totals and grand total, grouped the
way the indicator registry groups them: each row with its total, each column with its total, the
row of column totals with the grand total, the column of row totals with the grand total.

Three checkers say what an observer holding every shown figure can find back:

* ``alone_in_a_group`` — a hidden figure that is the only hidden member (total or cell) of a group:
  one subtraction gives it. This is what ``protect`` promises never to leave.
* ``found_by_chains`` — the same, repeated: a figure found back becomes known and may leave another
  alone in its group.
* ``found_by_linear_algebra`` — any combination of the groups' equations (rank test): the strongest
  observer. See the expected failure at the end of the file.
"""

import random

import numpy as np

from cite_emploi.core.secrecy import DEFAULT_THRESHOLD, Figure, hide_small, protect, secrecy_threshold

# --- tables and checkers ------------------------------------------------------------------------


def table(inner: list[list[int]]) -> tuple[dict, list]:
    """Figures keyed by (row, column), None standing for the margin, and the groups that add up."""
    rows, columns = range(len(inner)), range(len(inner[0]))
    figures = {(r, c): Figure(inner[r][c]) for r in rows for c in columns}
    for r in rows:
        figures[(r, None)] = Figure(sum(inner[r]))
    for c in columns:
        figures[(None, c)] = Figure(sum(inner[r][c] for r in rows))
    figures[(None, None)] = Figure(sum(map(sum, inner)))
    groups = [((r, None), [(r, c) for c in columns]) for r in [*rows, None]]
    groups += [((None, c), [(r, c) for r in rows]) for c in [*columns, None]]
    return figures, groups


def secure(inner: list[list[int]], threshold: int = DEFAULT_THRESHOLD) -> tuple[dict, list]:
    figures, groups = table(inner)
    hide_small(figures.values(), threshold)
    protect([(figures[total], [figures[k] for k in cells]) for total, cells in groups])
    return figures, groups


def hidden_keys(figures: dict) -> set:
    return {key for key, figure in figures.items() if figure.hidden}


def alone_in_a_group(figures: dict, groups: list, known: set | None = None) -> set:
    """Hidden figures that are the only unknown member of some group (total included)."""
    known = known or set()
    found = set()
    for total, cells in groups:
        unknown = [k for k in (total, *cells) if figures[k].hidden and k not in known]
        if len(unknown) == 1:
            found.add(unknown[0])
    return found


def found_by_chains(figures: dict, groups: list) -> set:
    known: set = set()
    while True:
        new = alone_in_a_group(figures, groups, known) - known
        if not new:
            return known
        known |= new


def found_by_linear_algebra(figures: dict, groups: list) -> set:
    """Hidden figures fixed by the system « total − Σ cells = 0 » once every shown figure is known."""
    hidden = sorted(hidden_keys(figures), key=repr)
    if not hidden:
        return set()
    index = {key: i for i, key in enumerate(hidden)}
    equations = []
    for total, cells in groups:
        row = np.zeros(len(hidden))
        for key, sign in [(total, 1), *((k, -1) for k in cells)]:
            if key in index:
                row[index[key]] += sign
        if row.any():
            equations.append(row)
    system = np.array(equations).reshape(-1, len(hidden))
    rank = np.linalg.matrix_rank(system) if len(equations) else 0
    found = set()
    for key, i in index.items():
        unit = np.zeros((1, len(hidden)))
        unit[0, i] = 1
        if np.linalg.matrix_rank(np.vstack([system, unit])) == rank:
            found.add(key)
    return found


def pattern(figures: dict, inner: list[list[int]]) -> list[str]:
    """The grid as an observer reads it, margins included: « * » where hidden."""
    rows, columns = [*range(len(inner)), None], [*range(len(inner[0])), None]
    return [
        " ".join("*" if figures[(r, c)].hidden else str(figures[(r, c)].value) for c in columns) for r in rows
    ]


# --- the threshold and primary suppression --------------------------------------------------------


def test_the_threshold_is_5_unless_the_settings_say_otherwise(settings):
    del settings.SECRECY_THRESHOLD
    assert secrecy_threshold() == DEFAULT_THRESHOLD == 5
    settings.SECRECY_THRESHOLD = "11"
    assert secrecy_threshold() == 11


def test_primary_suppression_hides_1_to_threshold_minus_1_and_shows_0_and_the_threshold(settings):
    settings.SECRECY_THRESHOLD = 5
    figures = [Figure(n) for n in range(8)]
    hide_small(figures)
    assert [f.hidden for f in figures] == [False, True, True, True, True, False, False, False]
    assert [f.shown for f in figures] == [0, None, None, None, None, 5, 6, 7]
    assert [f.value for f in figures] == list(range(8))  # hiding keeps the value for secondary suppression


def test_primary_suppression_takes_an_explicit_threshold_and_never_reveals(settings):
    settings.SECRECY_THRESHOLD = 5
    figures = [Figure(2), Figure(3), Figure(9, hidden=True)]
    hide_small(figures, threshold=3)
    assert [f.hidden for f in figures] == [True, False, True]


def test_every_hidden_figure_reads_secret(settings):
    """One label, whether under the threshold or hidden for a neighbour: two would tell which is which."""
    settings.SECRECY_THRESHOLD = 5
    assert str(Figure(3, hidden=True)) == "secret"
    assert str(Figure(12, hidden=True)) == "secret"
    assert str(Figure(12)) == "12"
    assert Figure(12).shown == 12 and Figure(12, hidden=True).shown is None


# --- secondary suppression, group by group ------------------------------------------------------------


def test_one_hidden_cell_in_a_row_hides_the_smallest_other_non_zero_cell():
    cells = [Figure(2, hidden=True), Figure(0), Figure(9), Figure(7), Figure(12)]
    total = Figure(30)
    protect([(total, cells)])
    assert [c.hidden for c in cells] == [True, False, False, True, False]
    assert not total.hidden


def test_zeros_are_never_hidden_to_protect_a_cell():
    cells = [Figure(3, hidden=True), Figure(0), Figure(0), Figure(40)]
    total = Figure(43)
    protect([(total, cells)])
    assert [c.hidden for c in cells] == [True, False, False, True]


def test_when_every_other_cell_is_zero_the_total_is_hidden():
    cells = [Figure(0), Figure(7, hidden=True), Figure(0)]
    total = Figure(7)
    protect([(total, cells)])
    assert total.hidden
    assert [c.hidden for c in cells] == [False, True, False]


def test_a_hidden_total_whose_cells_are_all_shown_gets_its_smallest_non_zero_cell_hidden():
    cells = [Figure(12), Figure(0), Figure(8)]
    total = Figure(20, hidden=True)
    protect([(total, cells)])
    assert [c.hidden for c in cells] == [False, False, True]


def test_two_hidden_cells_under_a_shown_total_are_left_as_they_are():
    cells = [Figure(2, hidden=True), Figure(3, hidden=True), Figure(9)]
    total = Figure(14)
    protect([(total, cells)])
    assert [c.hidden for c in cells] == [True, True, False] and not total.hidden


# --- secondary suppression in two-dimensional tables -----------------------------------------------------


def test_a_small_table_worked_out_by_hand():
    # Row 0 has one small cell (2): its smallest neighbour (6) is hidden; column 1 then has 6 hidden
    # alone, so its smallest other cell (7) goes too; row 1 then has 7 alone: 8 goes; column 0 has 8
    # and 2 hidden: done. Margins are all shown.
    inner = [
        [2, 6, 10],
        [8, 7, 20],
        [9, 15, 11],
    ]
    figures, groups = secure(inner)
    assert pattern(figures, inner) == [
        "* * 10 18",
        "* * 20 35",
        "9 15 11 35",
        "19 28 41 88",
    ]
    assert not found_by_chains(figures, groups)
    assert not found_by_linear_algebra(figures, groups)


def test_a_column_whose_other_cells_are_zero_hides_its_total_and_the_grand_total_stays():
    # 2 hides 6 in row 0; column 1 is then 6 alone over zeros: its total (6) is hidden; the row of
    # column totals has 2 and 6 hidden under the grand total 8, which stays shown.
    inner = [[2, 6], [0, 0]]
    figures, groups = secure(inner)
    assert pattern(figures, inner) == ["* * 8", "0 0 0", "* * 8"]
    assert not found_by_linear_algebra(figures, groups)


def test_a_hidden_row_total_spreads_to_the_column_of_totals():
    # Row 2's only count (3) is hidden, and its total (3) too. Column 0 then has 3 alone: its
    # smallest other cell (5) goes. The column of row totals has 3 alone under 50: its smallest
    # other total (12) goes. Row 1 then holds two unknowns (5 and its total): 7 can stay.
    inner = [[7, 20, 8], [5, 7, 0], [3, 0, 0]]
    figures, groups = secure(inner)
    assert pattern(figures, inner) == ["7 20 8 35", "* 7 0 *", "* 0 0 *", "15 27 8 50"]
    assert not found_by_linear_algebra(figures, groups)


def test_shown_figures_keep_their_values_and_primary_cells_stay_hidden():
    inner = [[1, 9, 14], [6, 0, 3], [11, 8, 2]]
    figures, _ = secure(inner)
    values = {key: figure.value for key, figure in table(inner)[0].items()}
    assert {key: figure.value for key, figure in figures.items()} == values
    assert {(0, 0), (1, 2), (2, 2)} <= hidden_keys(figures)
    assert not any(figures[k].hidden for k, v in values.items() if v == 0)


def test_random_tables_never_leave_a_hidden_figure_alone_in_a_group():
    """The brute-force check of ``protect``'s promise, on 400 tables with many small counts and zeros."""
    rng = random.Random(20240701)
    for _ in range(400):
        width = rng.randint(1, 6)
        inner = [
            [rng.choice([0, 0, 0, 1, 2, 3, 4, 5, 6, 8, 12, 25]) for _ in range(width)]
            for _ in range(rng.randint(1, 6))
        ]
        figures, groups = secure(inner)
        assert not alone_in_a_group(figures, groups), pattern(figures, inner)
        assert not found_by_chains(figures, groups), pattern(figures, inner)
        assert not found_by_linear_algebra(figures, groups), pattern(figures, inner)
        zeros = {k for k, f in table(inner)[0].items() if f.value == 0}
        assert not (zeros & hidden_keys(figures)), pattern(figures, inner)
        primary = {k for k, f in table(inner)[0].items() if 0 < f.value < DEFAULT_THRESHOLD}
        assert primary <= hidden_keys(figures)


def test_the_loop_ends_on_a_long_staircase():
    # Each hidden cell forces the next along a staircase of 40 rows: the loop must run to the end
    # and stop. Cells are 1 on the diagonal (primary), 20 just right of it.
    size = 40
    inner = [[1 if c == r else 20 if c == r + 1 else 0 for c in range(size + 1)] for r in range(size)]
    figures, groups = secure(inner)
    assert not alone_in_a_group(figures, groups)
    assert all(figures[(r, r)].hidden for r in range(size))


def test_the_loop_ends_on_large_random_tables():
    rng = random.Random(7)
    inner = [[rng.choice([0, 1, 2, 3, 7, 30]) for _ in range(30)] for _ in range(30)]
    figures, groups = secure(inner)
    assert not alone_in_a_group(figures, groups)
    assert not found_by_linear_algebra(figures, groups)


def test_no_hidden_cell_can_be_found_back_by_combining_groups():
    # Found by the random tables above with the linear-algebra checker (about 2 % of them).
    # After protect():          8  *  *  18
    #                           *  0  *   *      x12 = (x02 + x12 + x22) − (x01 + x02) − (x21 + x22)
    #                          12  *  *  19                + (x01 + x21)
    #                           *  0  0   *          = (10 − 0 − 0) − (18 − 8) − (19 − 12) + (21 − 12)
    #                           0 12  0  12          = 2
    #                          28 21 10  59
    # One group at a time left this pattern, where the 2 of row 1 was found back; the exact check
    # hides more until no combination of groups gives a hidden count back.
    inner = [[8, 4, 6], [5, 0, 2], [12, 5, 2], [3, 0, 0], [0, 12, 0]]
    figures, groups = secure(inner)
    assert not alone_in_a_group(figures, groups)
    assert not found_by_linear_algebra(figures, groups)
