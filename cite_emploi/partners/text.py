"""Folded text: what free-text search compares, the same way for the query and the stored text.

« Créteil », « CRETEIL » and « creteil » fold alike, so a search is one ``LIKE`` on both engines
(no ``unaccent`` extension, no regular expression per row).
"""

import re
import unicodedata

MAX_WORDS = 8


def fold(text: str) -> str:
    """Lower case without accents, ligatures spelt out: « Œuvre à Créteil » → « oeuvre a creteil »."""
    decomposed = unicodedata.normalize("NFKD", text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def words(text: str) -> list[str]:
    """The searchable words of a query (letters and digits), folded, at most ``MAX_WORDS``."""
    return re.findall(r"[^\W_]+", fold(text or ""))[:MAX_WORDS]


def service_search_text(name: str, description: str) -> str:
    """The folded copy of a service's name and description that free-text search reads."""
    return fold(f"{name}\n{description}")
