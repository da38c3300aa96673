"""Statistical secrecy: no aggregate below ``settings.SECRECY_THRESHOLD`` people or events is shown.

Every count, median or flow a page, an export or the API shows about beneficiaries or their
referrals asks this module for the threshold (DESIGN.md, personal data).
"""

from django.conf import settings

DEFAULT_THRESHOLD = 5


def secrecy_threshold() -> int:
    return int(getattr(settings, "SECRECY_THRESHOLD", DEFAULT_THRESHOLD))
