"""DSFR rules that a template can break without any test of its page noticing."""

import re
from pathlib import Path

import cite_emploi

GROUP = re.compile(r'<ul class="([^"]*\bfr-btns-group\b[^"]*)">(.*?)</ul>', re.S)


def test_a_group_of_buttons_with_icon_and_text_says_so():
    """In a ``fr-btns-group``, a button with an icon keeps its text only when the group is
    ``fr-btns-group--icon-left`` (or right): otherwise the DSFR draws it as an icon alone, 32 px wide."""
    root = Path(cite_emploi.__file__).parent
    wrong = [
        f"{path.relative_to(root)}:{text[: match.start()].count(chr(10)) + 1}"
        for path in sorted(root.rglob("*.html"))
        for text in [path.read_text()]
        for match in GROUP.finditer(text)
        if "fr-btn--icon-left" in match.group(2) and "fr-btns-group--icon-" not in match.group(1)
    ]
    assert wrong == []
