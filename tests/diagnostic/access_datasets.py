"""Routes of imported statistics for the access matrix (tests/test_access_matrix.py), with the objects they name.

``ROUTES``: name → (sample path, anonymous answer, answer for each role of the territory,
{role: other answer}). ``objects()`` returns the ids the paths name, created by nobody the matrix
logs in as.

Public statistics are read by the coordination, elected members and funders; only the coordination
imports, downloads the templates and the error report, and deletes. Without a pending error report,
its download sends the coordinator back to the import form (302). {dataset} belongs to GPSEA: a
visitor of another territory gets 404.
"""

from tests.access import LOGIN

D = "/diagnostic/donnees/"
READERS = {"counsellor": 403, "employer": 403}
COORDINATION = {"coordinator": 200}

ROUTES = {
    "diagnostic:datasets": (D, LOGIN, 200, READERS),
    "diagnostic:dataset_import": (D + "importer/", LOGIN, 403, COORDINATION),
    "diagnostic:dataset_import_errors": (D + "importer/erreurs.csv", LOGIN, 403, {"coordinator": 302}),
    "diagnostic:dataset_template": (D + "modele.xlsx", LOGIN, 403, COORDINATION),
    "diagnostic:dataset": (D + "{dataset}/", LOGIN, 200, READERS),
    "diagnostic:dataset_delete": (D + "{dataset}/supprimer/", LOGIN, 403, COORDINATION),
}


def objects() -> dict:
    from tests.diagnostic.factories import DatasetFactory, ObservationFactory

    dataset = DatasetFactory(title="Jeu de données de la matrice")
    ObservationFactory(dataset=dataset)
    return {"dataset": dataset.pk}
