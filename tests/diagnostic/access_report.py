"""Routes of the diagnostic report for the access matrix (tests/test_access_matrix.py), with the versions they name.

The live report and its PDF are for the coordination and the funders. Versions are read by them and
by elected members, who see only the shared ones: {draft_version} is not shared (403 for elected
members, here and in a comparison that names it), {shared_version} is. Sharing is a POST of the coordination (405 on GET). Counsellors and
employers do not read the diagnostic. A version of another territory is a 404 (tested in
tests/diagnostic/test_report_views.py).
"""

from tests.access import LOGIN

V = "/diagnostic/rapport/versions/"
LIVE = {"coordinator": 200, "funder": 200}
READERS = {**LIVE, "elected": 200}

ROUTES = {
    "diagnostic:report": ("/diagnostic/rapport/", LOGIN, 403, LIVE),
    "diagnostic:report_pdf": ("/diagnostic/rapport/rapport.pdf?date=2025-06-30", LOGIN, 403, LIVE),
    "diagnostic:report_versions": (V, LOGIN, 403, READERS),
    "diagnostic:report_version": (V + "{draft_version}/", LOGIN, 403, LIVE),
    "diagnostic:report_version_pdf": (V + "{shared_version}/rapport.pdf", LOGIN, 403, READERS),
    "diagnostic:report_version_share": (V + "{shared_version}/partage/", LOGIN, 403, {"coordinator": 405}),
    "diagnostic:report_compare": (
        "/diagnostic/rapport/comparer/?a={draft_version}&b={shared_version}",
        LOGIN,
        403,
        LIVE,
    ),
}


def objects() -> dict:
    from django.utils import timezone

    from cite_emploi.diagnostic.services_report import save_version
    from cite_emploi.territory.models import Territory

    gpsea = Territory.objects.get(slug="gpsea")
    versions = {}
    for key, shared in (("draft_version", False), ("shared_version", True)):
        version = save_version(
            gpsea,
            as_of=timezone.localdate(),
            title=f"Version de la matrice ({key})",
            analysis="",
            action_contours="",
            is_shared=shared,
            by=None,
        )
        versions[key] = version.number
    return versions
