import os
import subprocess
import sys


def _settings(env: dict) -> dict:
    code = (
        "import json, django.conf as c; from cite_emploi import settings as s; "
        "print(json.dumps({'DEBUG': s.DEBUG, 'SECURE': s.SESSION_COOKIE_SECURE, "
        "'HSTS': getattr(s, 'SECURE_HSTS_SECONDS', 0), 'ENGINE': s.DATABASES['default']['ENGINE'], "
        "'NAME': str(s.DATABASES['default']['NAME']), "
        "'CACHE': getattr(s, 'CACHES', {}).get('default', {}).get('BACKEND', ''), "
        "'SESSIONS': getattr(s, 'SESSION_ENGINE', c.global_settings.SESSION_ENGINE)}))"
    )
    base = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "HTTPS", "DATABASE_URL", "CACHE_URL"}}
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


def test_cache_url_selects_redis_and_refuses_another_address_without_repeating_it(tmp_path):
    assert _settings({"CITE_EMPLOI_VAR_DIR": str(tmp_path)})["CACHE"] == ""  # each process's memory
    s = _settings({"CITE_EMPLOI_VAR_DIR": str(tmp_path), "CACHE_URL": "redis://127.0.0.1:6379/1"})
    assert s["CACHE"] == "django.core.cache.backends.redis.RedisCache"
    env = {k: v for k, v in os.environ.items() if k != "CACHE_URL"}
    out = subprocess.run(
        [sys.executable, "-c", "import cite_emploi.settings"],
        env={**env, "CITE_EMPLOI_VAR_DIR": str(tmp_path), "CACHE_URL": "memcached://secret@host"},
        capture_output=True,
        text=True,
    )
    assert out.returncode != 0
    assert "CACHE_URL : adresse Redis attendue" in out.stderr
    assert "secret" not in out.stderr


def test_sessions_are_read_from_the_shared_cache_only_when_there_is_one(tmp_path):
    # Each worker's memory would keep a session a logout ended on another worker: database only.
    alone = _settings({"CITE_EMPLOI_VAR_DIR": str(tmp_path)})
    assert alone["SESSIONS"] == "django.contrib.sessions.backends.db"
    shared = _settings({"CITE_EMPLOI_VAR_DIR": str(tmp_path), "CACHE_URL": "redis://127.0.0.1:6379/1"})
    assert shared["SESSIONS"] == "django.contrib.sessions.backends.cached_db"
