"""Routes of this part for the access matrix (tests/test_access_matrix.py), with the objects they name.

``ROUTES``: name → (sample path, anonymous answer, answer for each role of the territory,
{role: other answer}). ``objects()`` returns the ids the paths name, created by nobody the matrix
logs in as.
"""

from tests.access import LOGIN, PROFESSIONALS_ONLY  # noqa: F401

ROUTES = {}


def objects() -> dict:
    return {}
