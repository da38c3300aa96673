"""The « Aide » pages: the French user guides written in docs/guide/, rendered as they are."""

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import markdown
from django.conf import settings

SLUG = re.compile(r"^[a-z0-9-]+$")


@dataclass(frozen=True)
class Guide:
    slug: str
    title: str
    html: str


def guide_dir() -> Path:
    return Path(settings.HELP_DIR)


def _title(text: str, fallback: str) -> str:
    for line in text.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return fallback


@cache
def _render(path: Path, mtime: float) -> Guide:
    text = path.read_text(encoding="utf-8")
    html = markdown.markdown(text, extensions=["tables", "toc", "fenced_code"], output_format="html")
    # The guides are ours, but their tables still get the DSFR look.
    html = html.replace("<table>", '<div class="fr-table"><table>').replace("</table>", "</table></div>")
    return Guide(path.stem, _title(text, path.stem), html)


def guides() -> list[Guide]:
    paths = sorted(guide_dir().glob("*.md"))
    return [_render(p, p.stat().st_mtime) for p in paths]


def guide(slug: str) -> Guide | None:
    if not SLUG.match(slug):
        return None
    path = guide_dir() / f"{slug}.md"
    return _render(path, path.stat().st_mtime) if path.is_file() else None
