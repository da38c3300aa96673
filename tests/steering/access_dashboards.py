"""Routes of the steering dashboards, targets and quarterly report for the access matrix
(tests/test_access_matrix.py), with the objects they name.

The coordination, the elected members and the State read the dashboards; counsellors and employers
have no page in /pilotage/. The matrix's elected member follows no commune: a commune's dashboard is
a 403 for them (tests/steering/test_dashboards.py checks an elected member of Créteil). Only the
coordination writes targets and readings; the quarterly report is the coordination's and the
State's. Deleting a target is a POST: a GET is a 405 for whoever passes the role check.
{dashboard_action} and {dashboard_target} belong to the GPSEA plan; objects of another territory
are 404 (tested beside the pages).
"""

from tests.access import LOGIN

OTHERS = {"counsellor": 403, "employer": 403}
COORDINATION = {"coordinator": 200}
STATE = {"coordinator": 200, "funder": 200}
A = "/pilotage/actions/{dashboard_action}/"
T = "/pilotage/objectifs/{dashboard_target}/"

ROUTES = {
    "steering:dashboard": ("/pilotage/", LOGIN, 200, OTHERS),
    "steering:commune_dashboard": ("/pilotage/communes/94028/", LOGIN, 200, {**OTHERS, "elected": 403}),
    "steering:action_dashboard": (A + "tableau-de-bord/", LOGIN, 200, OTHERS),
    "steering:target_create": (A + "objectifs/nouveau/", LOGIN, 403, COORDINATION),
    "steering:target_edit": (T + "modifier/", LOGIN, 403, COORDINATION),
    "steering:target_delete": (T + "supprimer/", LOGIN, 405, OTHERS),
    "steering:target_reading": (T + "releve/", LOGIN, 403, COORDINATION),
    "steering:quarterly": ("/pilotage/rapport-trimestriel/", LOGIN, 403, STATE),
    "steering:quarterly_xlsx": ("/pilotage/rapport-trimestriel.xlsx", LOGIN, 403, STATE),
    "steering:quarterly_pdf": ("/pilotage/rapport-trimestriel.pdf", LOGIN, 403, STATE),
}


def objects() -> dict:
    from tests.steering.factories import ActionFactory, IndicatorTargetFactory

    action = ActionFactory()
    target = IndicatorTargetFactory(action=action, indicator="")
    return {"dashboard_action": action.pk, "dashboard_target": target.pk}
