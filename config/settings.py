"""Catena's settings, read from the environment with sane one-machine defaults.

Every value can be set by an environment variable (or a ``.env`` file beside
``manage.py``). Unset, Catena runs on one machine: SQLite and a filesystem broker
under ``var/``, no server process needed.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import environ

from config.database import databases
from config.storage import storage_redirects, storages_setting

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

VAR_DIR: Path = BASE_DIR / env.str("CATENA_VAR_DIR", default="var")
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _development_secret_key() -> str:
    """A key generated once into var/ so sessions survive restarts."""
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


# GENERAL ---------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")  # see SECURITY AND ACCOUNTS
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "axes",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "registry",
    "builder",
    "runner",
    "serving",
    "accounts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.api_paths.ApiPathMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

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
            ],
        },
    },
]

# DATABASE --------------------------------------------------------------------
# SQLite under var/, or DATABASE_URL (PostgreSQL: see config/database.py).
DATABASES = databases(env, VAR_DIR)

# AUTH ------------------------------------------------------------------------
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# SECURITY AND ACCOUNTS -------------------------------------------------------
# Tokens, throttles, login lockout, password reset and HTTPS. Every name here
# can be set in the environment; a value that does not parse stops the start.
from django.core.exceptions import ImproperlyConfigured  # noqa: E402

_LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}
_RATE_UNITS = {"s", "sec", "second", "m", "min", "minute", "h", "hour", "d", "day"}


def _env_flag(name: str, default: bool) -> bool:
    """A strict boolean: true/false, yes/no, on/off, 1/0; anything else is an error."""
    raw = env.str(name, default="").strip().lower()
    if raw == "":
        return default
    if raw in ("true", "yes", "on", "1"):
        return True
    if raw in ("false", "no", "off", "0"):
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (true or false).")


def _env_rate(name: str, default: str) -> str | None:
    """A DRF rate such as ``100/minute``; ``off`` turns the throttle off."""
    raw = env.str(name, default=default).strip().lower()
    if raw in ("off", "none", "0"):
        return None
    count, _, unit = raw.partition("/")
    if not count.isdigit() or int(count) < 1 or unit not in _RATE_UNITS:
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a rate like 100/minute (or off)."
        )
    return str(raw)


def _env_positive_int(name: str, default: int) -> int:
    try:
        value = env.int(name, default=default)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number.") from None
    if value < 0:
        raise ImproperlyConfigured(f"{name}={value} must not be negative.")
    return int(value)


CATENA_HTTPS = _env_flag("CATENA_HTTPS", default=False)
_only_loopback = set(ALLOWED_HOSTS) <= _LOOPBACK_HOSTS
if not SECRET_KEY:
    # A key generated into var/ serves a machine that only serves itself; a site
    # others reach must share one key across its processes and keep it secret.
    if not DEBUG and (CATENA_HTTPS or not _only_loopback):
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. With DEBUG off and a site served beyond "
            "localhost, set SECRET_KEY to a long random value, for example: "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    SECRET_KEY = _development_secret_key()

# HTTPS: on behind TLS, with the proxy's X-Forwarded-Proto trusted if it sets it.
SECURE_SSL_REDIRECT = CATENA_HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
SESSION_COOKIE_SECURE = CATENA_HTTPS
CSRF_COOKIE_SECURE = CATENA_HTTPS
SECURE_HSTS_SECONDS = (
    _env_positive_int("CATENA_HSTS_SECONDS", default=31_536_000) if CATENA_HTTPS else 0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_flag("CATENA_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = _env_flag("CATENA_HSTS_PRELOAD", default=False)
if _env_flag("CATENA_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SILENCED_SYSTEM_CHECKS = (
    []
    if SECURE_HSTS_PRELOAD
    else [
        # Preloading into browsers is an explicit, hard-to-undo opt-in.
        "security.W021"
    ]
)
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Throttles (DRF): per user or token, per address without credentials, and
# wrong tokens per address. The client address is REMOTE_ADDR unless
# CATENA_NUM_PROXIES trusted proxies add X-Forwarded-For entries.
CATENA_NUM_PROXIES = _env_positive_int("CATENA_NUM_PROXIES", default=0)
CATENA_THROTTLE_USER = _env_rate("CATENA_THROTTLE_USER", default="6000/minute")
CATENA_THROTTLE_ANON = _env_rate("CATENA_THROTTLE_ANON", default="60/minute")
CATENA_THROTTLE_TOKEN_FAILURES = _env_rate(
    "CATENA_THROTTLE_TOKEN_FAILURES", default="20/minute"
)
# Throttle counts live in the cache: with several web processes, share one.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

# Login lockout (django-axes): failed logins per username and address.
AUTHENTICATION_BACKENDS = [
    "accounts.backends.LoginLockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = _env_flag("CATENA_LOGIN_LOCKOUT", default=True)
AXES_FAILURE_LIMIT = _env_positive_int("CATENA_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(
    minutes=_env_positive_int("CATENA_LOGIN_COOLOFF_MINUTES", default=15)
)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "accounts.throttles.client_ip"
AXES_LOCKOUT_TEMPLATE = "accounts/lockout.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# Mail and password reset: reset by mail exists only when mail is configured.
if env.str("EMAIL_URL", default=""):
    globals().update(env.email_url("EMAIL_URL"))
elif env.str("EMAIL_HOST", default=""):
    EMAIL_HOST = env.str("EMAIL_HOST")
    EMAIL_PORT = env.int("EMAIL_PORT", default=587)
    EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
    EMAIL_USE_TLS = _env_flag("EMAIL_USE_TLS", default=True)
CATENA_PASSWORD_RESET = bool(env.str("EMAIL_URL", default="")) or bool(
    env.str("EMAIL_HOST", default="")
)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="catena@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# END SECURITY AND ACCOUNTS ---------------------------------------------------

# STATIC, MEDIA AND ARTIFACTS -------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.path("CATENA_STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = Path(env.path("CATENA_MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "media/"
# Model files, data sets and node outputs: MEDIA_ROOT, or S3 (config/storage.py).
CATENA_STORAGE_URL = env.str("CATENA_STORAGE_URL", default="")
CATENA_STORAGE_REDIRECT = storage_redirects(CATENA_STORAGE_URL)
STORAGES = {
    "default": storages_setting(CATENA_STORAGE_URL),
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}
WHITENOISE_USE_FINDERS = True

# UPLOADS AND LIMITS ----------------------------------------------------------
CATENA_MAX_UPLOAD_MB = env.int("CATENA_MAX_UPLOAD_MB", default=200)
# Untrusted model files are inspected in a limited subprocess (registry/formats).
CATENA_SANDBOX_MEMORY_MB = env.int("CATENA_SANDBOX_MEMORY_MB", default=2048)
CATENA_SANDBOX_CPU_SECONDS = env.int("CATENA_SANDBOX_CPU_SECONDS", default=60)
CATENA_SANDBOX_WALL_SECONDS = env.int("CATENA_SANDBOX_WALL_SECONDS", default=120)
CATENA_MAX_UNCOMPRESSED_MB = env.int("CATENA_MAX_UNCOMPRESSED_MB", default=512)
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int(
    "CATENA_MAX_REQUEST_BYTES", default=CATENA_MAX_UPLOAD_MB * 1024 * 1024
)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Rows posted as JSON to POST /api/runs/ (larger inputs go through a data set):
# at most this many rows, in a body of at most this many bytes.
CATENA_MAX_ROWS = env.int("CATENA_MAX_ROWS", default=10_000)
CATENA_MAX_ROWS_BYTES = env.int("CATENA_MAX_ROWS_BYTES", default=8 * 1024 * 1024)
CATENA_MODEL_CACHE_SIZE = env.int("CATENA_MODEL_CACHE_SIZE", default=32)

# SERVING AND REMOTE MODELS, WORKER START: config/*_settings.py ----------------
from config.serving_settings import *  # noqa: E402, F403
from config.worker_settings import *  # noqa: E402, F403

# REST API --------------------------------------------------------------------
REST_FRAMEWORK = {
    # The token class first: DRF answers a missing login with the first class's
    # challenge, so anonymous calls get 401 + ``WWW-Authenticate: Token``.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "accounts.throttles.CatenaUserThrottle",
        "accounts.throttles.CatenaAnonThrottle",
    ],
    "NUM_PROXIES": CATENA_NUM_PROXIES,
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "config.schema.CatenaAutoSchema",
    "DEFAULT_PAGINATION_CLASS": "config.pagination.Pagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "config.exceptions.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Catena API",
    "DESCRIPTION": "Model registry, chains, runs and predictions.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Two "kind" choice sets: what a promotion did, what may replace a node.
    "ENUM_NAME_OVERRIDES": {
        "PromotionKindEnum": "runner.experiment_models.Promotion.Kind",
        "VariantKindEnum": "runner.experiment_apis.VARIANT_KINDS",
    },
}

# API INPUT: JSON PARSER, BODY AND UPLOAD LIMITS -------------------------------
# JSON bodies are read no further than CATENA_MAX_JSON_MB and refused when they
# hold NUL or lone surrogates (config/parsers.py); multipart uploads are refused
# from Content-Length up front, then while streaming, once a file passes
# CATENA_MAX_UPLOAD_MB (config/uploads.py).
CATENA_MAX_JSON_MB = env.float("CATENA_MAX_JSON_MB", default=10)
REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"] = [
    "config.parsers.CatenaJSONParser",
    "rest_framework.parsers.FormParser",
    "rest_framework.parsers.MultiPartParser",
]
FILE_UPLOAD_HANDLERS = [
    "config.uploads.LimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# END API INPUT ----------------------------------------------------------------

# CELERY ----------------------------------------------------------------------
# Default broker: kombu's filesystem transport under var/, so a single machine
# needs no broker server (see bench/broker.py). A worker waits on the queue
# folder (inotify, Linux) and is woken by a message; it also looks every
# CATENA_BROKER_POLL_SECONDS (10 ms), and only looks elsewhere.
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for _sub in ("queue", "processed", "control"):
        (BROKER_DIR / _sub).mkdir(parents=True, exist_ok=True)
    # kombu's own transport can hand a worker a half-written message (see there).
    CELERY_BROKER_TRANSPORT = "runner.broker:FilesystemTransport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
        "polling_interval": env.float("CATENA_BROKER_POLL_SECONDS", default=0.01),
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CATENA_VISIBILITY_TIMEOUT", default=3600),
    }
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CATENA_TASK_SOFT_TIME_LIMIT", default=3600)
CELERY_TASK_TIME_LIMIT = env.int("CATENA_TASK_TIME_LIMIT", default=3660)
CELERY_TASK_ALWAYS_EAGER = False
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery's Django fixup closes the database connection around every task unless
# this is set (CONN_MAX_AGE is ignored); reopening costs ~10 ms per task on
# PostgreSQL. runner.claims.node calls close_old_connections() per node instead.
CELERY_DB_REUSE_MAX = env.int("CATENA_DB_REUSE_MAX", default=1000)

# RUNNER ----------------------------------------------------------------------
# Leases, attempts, retries, the sweep period: config/worker_settings.py.
CELERY_BEAT_SCHEDULE = {
    "runner.runs_sweep": {
        "task": "runner.runs_sweep",
        "schedule": CATENA_SWEEP_SECONDS,  # noqa: F405
        "options": {"expires": CATENA_SWEEP_SECONDS},  # noqa: F405
    },
    # Prediction log entries older than their chain's kept days are deleted.
    "serving.log_prune": {
        "task": "serving.log_prune",
        "schedule": CATENA_SERVE_LOG_PRUNE_SECONDS,  # noqa: F405
        "options": {"expires": CATENA_SERVE_LOG_PRUNE_SECONDS},  # noqa: F405
    },
}

# LOGGING ---------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
