"""Settings of the platform, all driven by environment variables.

Defaults are the safe production ones: DEBUG off, secure cookies, HSTS and CSP.
Local serving over plain HTTP (demo, tests) sets ``HTTPS=off``.
See README.md « Configuration » for every variable.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
VAR_DIR = Path(os.environ.get("CITE_EMPLOI_VAR_DIR", PROJECT_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "on", "yes", "oui"}:
        return True
    if value.lower() in {"0", "false", "off", "no", "non"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} : valeur attendue on/off.")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _secret_key() -> str:
    """SECRET_KEY from the environment, or a random key kept in var/ for a single machine."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = env_bool("DEBUG", False)
HTTPS = env_bool("HTTPS", True)
SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "widget_tweaks",
    "dsfr",
    "django_htmx",
    "axes",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "cite_emploi.core",
    "cite_emploi.territory",
    "cite_emploi.accounts",
    "cite_emploi.partners",
    "cite_emploi.followup",
    "cite_emploi.talent",
    "cite_emploi.outreach",
    "cite_emploi.diagnostic",
    "cite_emploi.steering",
    "cite_emploi.api",
    # Not a domain app: builds the fictitious demo data on top of all the others.
    "cite_emploi.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "cite_emploi.accounts.middleware.TerritoryScopeMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cite_emploi.urls"
WSGI_APPLICATION = "cite_emploi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                # Not dsfr.context_processors.site_config: it read the DsfrConfig table twice per
                # page for a SITE_CONFIG that this processor replaces with constants anyway.
                "cite_emploi.core.context_processors.platform",
            ],
        },
    },
]

# Database: SQLite in var/ unless DATABASE_URL names another engine (PostgreSQL in production).
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # WAL lets the task worker write while pages read.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: each process's memory unless CACHE_URL names a Redis server. Production sets it, so that
# the figures the daily warm-up computes (``core.recent``) and the one refresh a stale figure
# triggers are shared by every gunicorn worker and the task worker.
CACHE_URL = os.environ.get("CACHE_URL", "")
if CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "cite-emploi"),
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"  # why: see the sessions below
elif CACHE_URL:
    # The address may hold a password: it is not repeated in the message.
    raise ImproperlyConfigured("CACHE_URL : adresse Redis attendue (redis://, rediss:// ou unix://).")

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "cite_emploi.accounts.backends.EmailBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

# Password guessing: lock an (e-mail, IP) pair after 5 failures for one hour.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "1"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_LOCKOUT_TEMPLATE = "accounts/lockout.html"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env_bool("AXES_ENABLED", True)

# Optional ProConnect (OIDC) login, off unless its endpoints are configured.
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_RP_CLIENT_ID", "")
PROCONNECT_ENABLED = bool(OIDC_RP_CLIENT_ID)
if PROCONNECT_ENABLED:
    INSTALLED_APPS.append("mozilla_django_oidc")
    AUTHENTICATION_BACKENDS.append("cite_emploi.accounts.backends.ProConnectBackend")
    OIDC_RP_CLIENT_SECRET = os.environ["OIDC_RP_CLIENT_SECRET"]
    OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_RP_SIGN_ALGO", "RS256")
    OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ["OIDC_OP_AUTHORIZATION_ENDPOINT"]
    OIDC_OP_TOKEN_ENDPOINT = os.environ["OIDC_OP_TOKEN_ENDPOINT"]
    OIDC_OP_USER_ENDPOINT = os.environ["OIDC_OP_USER_ENDPOINT"]
    OIDC_OP_JWKS_ENDPOINT = os.environ.get("OIDC_OP_JWKS_ENDPOINT", "")
    OIDC_RP_SCOPES = os.environ.get("OIDC_RP_SCOPES", "openid email given_name usual_name")
    # An account must exist first: ProConnect proves who you are, the platform decides what you see.
    OIDC_CREATE_USER = False

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "staticfiles"))
STATICFILES_DIRS = [PROJECT_DIR / "static"] if (PROJECT_DIR / "static").is_dir() else []
# Hashed, compressed names once ``collectstatic`` has run (production, demo); plain names before (tests).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if (STATIC_ROOT / "staticfiles.json").exists()
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_MANIFEST_STRICT = False
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Spreadsheets of beneficiaries being imported: private (never served), deleted after the import.
BENEFICIARY_IMPORT_DIR = Path(os.environ.get("BENEFICIARY_IMPORT_DIR", VAR_DIR / "private" / "imports"))
MEDIA_URL = "/media/"

# Security. HTTPS=on (default) assumes a TLS reverse proxy in front.
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 3600)))
# Sessions live in the database. With the shared cache (``CACHE_URL``, above) pages read them from Redis
# (``cached_db``: written to both, read from Redis first), which saves a query on every page; a
# logout clears both, and every worker sees it at once. Without ``CACHE_URL`` the cache is each
# worker's memory, where a logout would clear one worker's copy only: pages then read the database.
# Either way the user and their memberships are read afresh on each page, so a disabled account or
# an ended membership takes effect on the next request.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if HTTPS:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Preloading binds the whole domain to HTTPS in browsers for months, beyond this platform's
    # reach: the operator decides (docs/deploiement.md), so it is off unless asked for.
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)

# Map tiles are optional: QPV and commune outlines show without them.
MAP_TILES_URL = os.environ.get("MAP_TILES_URL", "")
MAP_TILES_ATTRIBUTION = os.environ.get("MAP_TILES_ATTRIBUTION", "")
_tile_origin = "/".join(MAP_TILES_URL.split("/")[:3]) if MAP_TILES_URL else ""

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", *([_tile_origin] if _tile_origin else [])],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'", *env_list("CSP_FORM_ACTION")],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# E-mail: console output unless an SMTP host is configured.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "Cité de l'emploi <ne-pas-repondre@cite-emploi.local>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Geocoder: the national address API (or a self-hosted addok speaking the same protocol).
# Empty means no geocoder: users pick the QPV by hand.
GEOCODER = {
    "URL": os.environ.get("GEOCODER_URL", "").rstrip("/"),
    "TIMEOUT": float(os.environ.get("GEOCODER_TIMEOUT", "5")),
    "RETRIES": int(os.environ.get("GEOCODER_RETRIES", "2")),
    "BACKOFF": float(os.environ.get("GEOCODER_BACKOFF", "0.3")),
    "CSV_TIMEOUT": float(os.environ.get("GEOCODER_CSV_TIMEOUT", "120")),
}

# Background work: django-tasks with the database backend (no broker needed).
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# Statistical secrecy: no aggregate below this count is shown.
SECRECY_THRESHOLD = int(os.environ.get("SECRECY_THRESHOLD", "5"))

DSFR_USE_INTEGRITY_CHECKSUMS = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    # httpx logs request URLs, and a geocoding URL carries a person's address.
    "loggers": {"httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"}},
}
HELP_DIR = os.environ.get("HELP_DIR", str(PROJECT_DIR / "docs" / "guide"))
DSFR_MARK_OPTIONAL_FIELDS = True

# Absolute address of the platform, for links in e-mails sent by background tasks.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Tasks enqueued once a day by « cite-emploi daily-tasks » (cron or a systemd timer).
DAILY_TASKS = [
    "cite_emploi.partners.tasks.request_service_confirmations",
    "cite_emploi.followup.tasks.end_inactive_memberships",
    "cite_emploi.followup.tasks.ask_situation_updates",
    "cite_emploi.followup.tasks_referrals.remind_pending_referrals",
    "cite_emploi.followup.tasks_referrals.expire_overdue_referrals",
    "cite_emploi.core.tasks.refresh_planner_statistics",
    # After the statistics: the day's figures of the overview and the dashboards, before any reader.
    "cite_emploi.diagnostic.tasks.warm_overview",
    "cite_emploi.steering.tasks.warm_dashboards",
]

# Shared follow-up: a membership ends after this many months without activity; closed follow-ups
# are anonymised by « cite-emploi purge » after the retention period.
FOLLOWUP_INACTIVITY_MONTHS = int(os.environ.get("FOLLOWUP_INACTIVITY_MONTHS", "24"))
FOLLOWUP_RETENTION_MONTHS = int(os.environ.get("FOLLOWUP_RETENTION_MONTHS", "24"))
# Referrals: reminder after this many days without an answer; expiry after that many.
REFERRAL_REMINDER_DAYS = int(os.environ.get("REFERRAL_REMINDER_DAYS", "7"))
REFERRAL_EXPIRY_DAYS = int(os.environ.get("REFERRAL_EXPIRY_DAYS", "30"))

# Coverage table: a service within this walking distance (m) of a QPV outline counts for it.
COVERAGE_WALKING_METERS = int(os.environ.get("COVERAGE_WALKING_METERS", "1000"))
