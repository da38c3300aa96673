import os
import subprocess
import sys


def _settings(env: dict) -> dict:
    code = (
        "import json, django.conf as c; from cite_emploi import settings as s; "
        "print(json.dumps({'DEBUG': s.DEBUG, 'SECURE': s.SESSION_COOKIE_SECURE, "
        "'HSTS': getattr(s, 'SECURE_HSTS_SECONDS', 0), 'ENGINE': s.DATABASES['default']['ENGINE'], "
        "'NAME': str(s.DATABASES['default']['NAME'])}))"
    )
    base = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "HTTPS", "DATABASE_URL"}}
    out = subprocess.run(
        [sys.executable, "-c", code], env={**base, **env}, capture_output=True, text=True, check=True
    )
    import json

    return json.loads(out.stdout)


def test_production_defaults_are_safe(tmp_path):
    s = _settings({"CITE_EMPLOI_VAR_DIR": str(tmp_path)})
    assert s["DEBUG"] is False
    assert s["SECURE"] is True
    assert s["HSTS"] >= 31536000
    assert s["ENGINE"].endswith("sqlite3")
    assert s["NAME"] == str(tmp_path / "db.sqlite3")


def test_database_url_selects_postgresql(tmp_path):
    s = _settings({"CITE_EMPLOI_VAR_DIR": str(tmp_path), "DATABASE_URL": "postgres://u@127.0.0.1:5432/x"})
    assert s["ENGINE"] == "django.db.backends.postgresql"


def test_plain_http_for_local_serving(tmp_path):
    s = _settings({"CITE_EMPLOI_VAR_DIR": str(tmp_path), "HTTPS": "off"})
    assert s["SECURE"] is False and s["HSTS"] == 0
