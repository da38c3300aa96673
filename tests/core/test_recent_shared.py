"""With ``CACHE_URL`` (Redis, as in production), a figure computed by one process — the task worker's
daily warm-up — is served by another, a gunicorn worker, without being computed again."""

import os
import subprocess
import sys

from cite_emploi.core.recent import recent
from tests.conftest import REDIS

WARM_UP = (
    "import django; django.setup(); "
    "from cite_emploi.core.recent import recent; "
    "recent('steering:shared', lambda: {'personnes suivies': 42})"
)


def test_a_figure_warmed_by_another_process_is_served_without_computing(shared_cache):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cite_emploi.settings",
        "CACHE_URL": REDIS,
        "CACHE_KEY_PREFIX": shared_cache,
    }
    subprocess.run([sys.executable, "-c", WARM_UP], env=env, check=True, capture_output=True)

    def refuse():
        raise AssertionError("calculé une seconde fois")

    assert recent("steering:shared", refuse) == {"personnes suivies": 42}
