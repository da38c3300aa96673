"""Routes of the committees, meetings, decisions and committee pack for the access matrix
(tests/test_access_matrix.py), with the objects they name.

The coordination, the elected members and the State's delegate read every page, the pack included
(aggregated figures only); only the coordination writes. Counsellors and employers have no page in
/pilotage/. {committee}, {meeting} and {decision} belong to GPSEA; objects of another territory are
404 (tests/steering/test_committees_views.py).
"""

from tests.access import LOGIN

OTHERS = {"counsellor": 403, "employer": 403}
COORDINATION = {"coordinator": 200}
C = "/pilotage/comites/{committee}/"
M = "/pilotage/reunions/{meeting}/"

ROUTES = {
    "steering:committees": ("/pilotage/comites/", LOGIN, 200, OTHERS),
    "steering:committee_create": ("/pilotage/comites/nouveau/", LOGIN, 403, COORDINATION),
    "steering:committee": (C, LOGIN, 200, OTHERS),
    "steering:committee_edit": (C + "modifier/", LOGIN, 403, COORDINATION),
    "steering:meeting_create": (C + "reunions/nouvelle/", LOGIN, 403, COORDINATION),
    "steering:committee_pack": (C + "dossier.pdf", LOGIN, 200, OTHERS),
    "steering:meeting": (M, LOGIN, 200, OTHERS),
    "steering:meeting_edit": (M + "modifier/", LOGIN, 403, COORDINATION),
    "steering:decision_create": (M + "decisions/nouvelle/", LOGIN, 403, COORDINATION),
    "steering:meeting_pack_preview": (M + "dossier/", LOGIN, 200, OTHERS),
    "steering:meeting_pack": (M + "dossier.pdf", LOGIN, 200, OTHERS),
    "steering:decisions": ("/pilotage/decisions/", LOGIN, 200, OTHERS),
    "steering:decisions_csv": ("/pilotage/decisions.csv", LOGIN, 200, OTHERS),
    "steering:decision_edit": ("/pilotage/decisions/{decision}/modifier/", LOGIN, 403, COORDINATION),
}


def objects() -> dict:
    from datetime import timedelta

    from django.utils import timezone

    from tests.steering.factories import CommitteeFactory, DecisionFactory, MeetingFactory

    meeting = MeetingFactory(committee=CommitteeFactory(), held_on=timezone.localdate() - timedelta(days=7))
    decision = DecisionFactory(meeting=meeting)
    return {"committee": meeting.committee_id, "meeting": meeting.pk, "decision": decision.pk}
