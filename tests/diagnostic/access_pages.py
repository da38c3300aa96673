"""Routes of the diagnostic's pages for the access matrix (tests/test_access_matrix.py).

The diagnostic is aggregated and under statistical secrecy: the coordination, the elected members
and the State read it; counsellors and employers do not (they have their own parts). A QPV or a
commune outside the territory is a 404 (tested in tests/diagnostic/test_views.py).
"""

from tests.access import LOGIN

OTHERS = {"counsellor": 403, "employer": 403}

ROUTES = {
    "diagnostic:overview": ("/diagnostic/", LOGIN, 200, OTHERS),
    "diagnostic:qpv": ("/diagnostic/qpv/QN09405M/", LOGIN, 200, OTHERS),
    "diagnostic:commune": ("/diagnostic/communes/94028/", LOGIN, 200, OTHERS),
    "diagnostic:gaps": ("/diagnostic/besoins/", LOGIN, 200, OTHERS),
    "diagnostic:gaps_csv": ("/diagnostic/besoins.csv", LOGIN, 200, OTHERS),
    "diagnostic:indicators": ("/diagnostic/indicateurs/", LOGIN, 200, OTHERS),
    "diagnostic:indicator_csv": ("/diagnostic/indicateurs/beneficiaires_suivis.csv", LOGIN, 200, OTHERS),
}


def objects() -> dict:
    return {}
