"""The production set-up of docs/deploiement.md passes Django's deployment checklist.

``check --deploy`` runs in a fresh process with the guide's environment (DEBUG off, HTTPS on behind
the proxy, a long random SECRET_KEY, the public host name), as the operator would run it. The only
warning allowed is the one the guide justifies: HSTS preloading (security.W021), left to the
operator because it binds the whole domain; with ``SECURE_HSTS_PRELOAD=on`` nothing is left.
"""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "deploiement.md"


def check_deploy(tmp_path, **extra) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "HTTPS", "DATABASE_URL", "SECRET_KEY"}}
    env.update(
        {
            "DEBUG": "off",
            "HTTPS": "on",
            "SECRET_KEY": secrets.token_urlsafe(60),
            "ALLOWED_HOSTS": "cite-emploi.exemple.fr",
            "CSRF_TRUSTED_ORIGINS": "https://cite-emploi.exemple.fr",
            "SITE_URL": "https://cite-emploi.exemple.fr",
            "CITE_EMPLOI_VAR_DIR": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "cite_emploi.settings",
        }
        | extra
    )
    return subprocess.run(
        [sys.executable, "-m", "cite_emploi.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
    )


def issues(result: subprocess.CompletedProcess) -> set[str]:
    return set(re.findall(r"\((\w+\.[WE]\d+)\)", result.stdout + result.stderr))


def test_only_the_justified_warning_is_left(tmp_path):
    result = check_deploy(tmp_path)
    assert issues(result) == {"security.W021"}, result.stdout + result.stderr
    assert "security.W021" in GUIDE.read_text(encoding="utf-8")  # the guide says why


def test_with_hsts_preload_the_checklist_is_clean(tmp_path):
    result = check_deploy(tmp_path, SECURE_HSTS_PRELOAD="on")
    assert result.returncode == 0 and not issues(result), result.stdout + result.stderr


def test_a_short_secret_key_is_caught(tmp_path):
    result = check_deploy(tmp_path, SECRET_KEY="trop-courte")
    assert "security.W009" in issues(result)
