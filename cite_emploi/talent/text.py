"""The folded text that talent search reads: a profile's title, skills, experience and target jobs.

Folded like the catalogue (``partners.text.fold``), so a search for « cariste » or « CARISTE » is one
``LIKE`` per word on both engines.
"""

from cite_emploi.partners.text import fold


def profile_search_text(headline: str, skills: list[str], experience: str, job_labels: list[str]) -> str:
    return fold("\n".join([headline, " ; ".join(skills), experience, " ; ".join(job_labels)]))


def clean_terms(values, *, max_items: int = 30, max_length: int = 80) -> list[str]:
    """Skills or languages as typed: trimmed, single spaces, no empty or repeated item (case-insensitive)."""
    seen, result = set(), []
    for value in values or []:
        term = " ".join(str(value).split())[:max_length]
        key = fold(term)
        if term and key not in seen:
            seen.add(key)
            result.append(term)
    return result[:max_items]
