"""dlquiz settings: one env-driven file.

With no environment variables this is the embedded default: SQLite in ``data/``, DEBUG on, e-mail to
the console, Celery on kombu's filesystem transport (no server needed). ``DLQUIZ_ENV=production``
requires ``SECRET_KEY``, ``DATABASE_URL``, ``REDIS_URL`` and ``ALLOWED_HOSTS`` and stops start-up with
a message naming whichever is missing. Every variable is listed in README.md.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envstr(name: str, default: str = "") -> str:
    """The variable's value; an empty value counts as unset."""
    return os.environ.get(name) or default


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from None


def required(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise ImproperlyConfigured(f"{name} is required when DLQUIZ_ENV=production (see README.md)")
    return value


PRODUCTION = envstr("DLQUIZ_ENV", "development") == "production"
DATA_DIR = Path(envstr("DLQUIZ_DATA_DIR", str(BASE_DIR / "data")))
CONTENT_DIR = Path(envstr("DLQUIZ_CONTENT_DIR", str(BASE_DIR / "content")))
DATA_DIR.mkdir(parents=True, exist_ok=True)
(DATA_DIR / "static").mkdir(exist_ok=True)
OUTLINE_PATH = Path(envstr("DLQUIZ_OUTLINE", str(BASE_DIR.parent / "shared" / "seeds" / "OUTLINE.tsv")))

if PRODUCTION:
    SECRET_KEY = required("SECRET_KEY")
    DATABASE_URL = required("DATABASE_URL")
    REDIS_URL = required("REDIS_URL")
    ALLOWED_HOSTS = [h.strip() for h in required("ALLOWED_HOSTS").split(",") if h.strip()]
    DEBUG = envbool("DEBUG", False)
else:
    SECRET_KEY = envstr("SECRET_KEY", "dev-only-insecure-key-do-not-use-in-production")
    DATABASE_URL = envstr("DATABASE_URL", f"sqlite:///{DATA_DIR / 'dlquiz.sqlite3'}")
    REDIS_URL = envstr("REDIS_URL", "")
    ALLOWED_HOSTS = [h.strip() for h in envstr("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")]
    DEBUG = envbool("DEBUG", True)

SITE_URL = envstr("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# How many proxies of ours stand in front of the app, each appending to X-Forwarded-For; 0 (no proxy):
# a client's address is the TCP peer. dlquiz.api.throttles.client_ip applies the rule.
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 0)
CSRF_TRUSTED_ORIGINS = [o for o in envstr("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "dlquiz.accounts",
    "dlquiz.decks",
    "dlquiz.study",
    "dlquiz.exercises",
    "dlquiz.reminders",
    "dlquiz.scheduler",
    "dlquiz.demos",
    "dlquiz.interop",
    "dlquiz.api",
    "dlquiz.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "dlquiz.web.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",  # the admin's history records who
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "dlquiz.urls"
WSGI_APPLICATION = "dlquiz.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "dlquiz" / "templates"],
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

DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=envint("DB_CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # The cache only holds throttle counters, which fail open: an unreachable Redis must cost a
            # request a second at most, not the operating system's TCP timeout.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
FRONTEND_DIST = BASE_DIR / "frontend" / "dist"
STATICFILES_DIRS = [p for p in [FRONTEND_DIST] if p.is_dir()]
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

LOGIN_URL = "/login"
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION

# -- HTTPS and browser policies ----------------------------------------------------------------------
# Production runs behind a TLS proxy that sets X-Forwarded-Proto (and overwrites any the client sent):
# that header is how the app knows a request came over HTTPS (docs/operations.md).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if PRODUCTION else None
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", PRODUCTION)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31_536_000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", PRODUCTION)
# Sent with every response by dlquiz.web.csp (in development too, so the end-to-end tests run under it).
# Scripts only from our own origin: the built index.html has no inline script. KaTeX's markup carries
# style attributes (style-src-attr); its fonts and style sheet are ours (frontend/dist/assets).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

# -- e-mail ------------------------------------------------------------------------------------------
EMAIL_HOST = envstr("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = envint("EMAIL_PORT", 587)
    EMAIL_HOST_USER = envstr("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = envstr("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "dlquiz <noreply@dlquiz.local>")

# -- REST API ----------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes a missing or bad credential a 401 (a CSRF failure of a
    # signed-in session stays a 403).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "dlquiz.api.auth.Token",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "dlquiz.api.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "login": envstr("THROTTLE_LOGIN", "10/min"),
        "review": envstr("THROTTLE_REVIEW", "10000/min"),
        "answer": envstr("THROTTLE_ANSWER", "600/min"),
        "content": envstr("THROTTLE_CONTENT", "120/min"),
    },
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,  # DRF's own throttles, if any is ever used, follow the same rule
    "DEFAULT_PARSER_CLASSES": ["dlquiz.api.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "dlquiz API",
    "DESCRIPTION": "Study loop, exercises, content browser and settings. Errors share one envelope: "
    '`{"error": {"code": str, "message": str, "fields": {name: [str]}}}`.',
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # /api/v1/docs: Swagger UI served from the package (drf-spectacular-sidecar), never a CDN
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"OwnCardKindEnum": "dlquiz.decks.own.OWN_KINDS"},
    # <id:...> (dlquiz/api/converters.py): a 64-bit row id
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "minimum": 0, "maximum": 2**63 - 1}},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "dlquiz.api.schema.error_responses",
    ],
}
API_MAX_PAGE_SIZE = 200
# The largest JSON request body (bytes); a larger one is refused with 413 before it is read.
API_MAX_BODY_BYTES = envint("API_MAX_BODY_BYTES", 1_048_576)
# Anki imports (dlquiz.interop): the largest .apkg upload, and the most its collection may unpack to.
ANKI_IMPORT_MAX_BYTES = envint("ANKI_IMPORT_MAX_BYTES", 50 * 1_048_576)
ANKI_IMPORT_MAX_EXPANDED_BYTES = envint("ANKI_IMPORT_MAX_EXPANDED_BYTES", 256 * 1_048_576)
THROTTLE_LOGIN_USERNAME = envstr("THROTTLE_LOGIN_USERNAME", "10/hour")
# Device tokens (django-rest-knox's AuthToken, named by dlquiz.accounts.models.Device): stored as SHA-512
# digests; with API_TOKEN_TTL_DAYS > 0 a token expires that many days after its device last used it, 0: never.
KNOX_TOKEN_MODEL = "knox.AuthToken"  # knox's own model (its migrations always create its table)
_TOKEN_TTL_DAYS = envint("API_TOKEN_TTL_DAYS", 0)
REST_KNOX = {
    "TOKEN_TTL": dt.timedelta(days=_TOKEN_TTL_DAYS) if _TOKEN_TTL_DAYS > 0 else None,
    "AUTO_REFRESH": True,
    "AUTH_HEADER_PREFIX": "Token",
}

# -- Celery ------------------------------------------------------------------------------------------
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
else:
    _q = DATA_DIR / "broker"
    for _folder in ("queue", "processed", "control"):
        (_q / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_q / "queue"),
        "data_folder_out": str(_q / "queue"),
        "processed_folder": str(_q / "processed"),
        "control_folder": str(_q / "control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
# redelivering the message of a task whose worker died is right only for idempotent tasks: they say so
CELERY_TASK_REJECT_ON_WORKER_LOST = False
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = envint("CELERY_TASK_SOFT_TIME_LIMIT", 60)
CELERY_TASK_TIME_LIMIT = envint("CELERY_TASK_TIME_LIMIT", 90)
# the longest countdown of an autoretry (tasks pass it as retry_backoff_max)
CELERY_TASK_RETRY_BACKOFF_MAX = 60
if REDIS_URL:
    # A message a worker took and never acknowledged (the whole worker was killed) goes back to the queue after
    # this many seconds: longer than a task may run after its longest retry countdown (a retry waiting for its
    # countdown is held unacknowledged), so a live task is never delivered twice; not Redis's default 1 h.
    CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] = (
        CELERY_TASK_RETRY_BACKOFF_MAX + CELERY_TASK_TIME_LIMIT + 30
    )
EMAIL_TIMEOUT = 30  # seconds; a hung mail server fails the send (the task retries) before the soft time limit
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_TIMEZONE = "UTC"
REMINDER_SCAN_SECONDS = envint("REMINDER_SCAN_SECONDS", 300)
# -- FSRS optimisation (dlquiz/scheduler): the `optimize` queue --------------------------------------------
# beat's monthly run optimises a learner with at least this many reviews since their last run
OPTIMIZE_MIN_NEW_REVIEWS = envint("OPTIMIZE_MIN_NEW_REVIEWS", 1000)
OPTIMIZE_SOFT_TIME_LIMIT = envint("OPTIMIZE_SOFT_TIME_LIMIT", 1800)  # seconds; the run ends failed
OPTIMIZE_TIME_LIMIT = envint("OPTIMIZE_TIME_LIMIT", 1860)  # seconds; the worker kills it
# a queued or running run whose heartbeat is older is taken as lost (its worker died) and queued again
OPTIMIZE_STALE_SECONDS = envint("OPTIMIZE_STALE_SECONDS", 600)
OPTIMIZE_RESCHEDULE_BATCH = envint("OPTIMIZE_RESCHEDULE_BATCH", 200)  # cards per rescheduling transaction

# -- Demonstrations (dlquiz/demos, docs/demos.md) ------------------------------------------------------
# Their tasks go to a queue of their own, so a long torch run never delays a reminder.
CELERY_TASK_ROUTES = {"dlquiz.demos.tasks.demo_run_task": {"queue": "demos"}}
DEMO_MAX_QUEUED = envint("DEMO_MAX_QUEUED", 3)  # a learner's queued/running runs at once; beyond: 429
DEMO_SOFT_TIME_LIMIT = envint("DEMO_SOFT_TIME_LIMIT", 30)  # seconds; the run ends failed with a message
DEMO_TIME_LIMIT = envint("DEMO_TIME_LIMIT", 45)  # seconds; the worker kills the computation
if not 0 < DEMO_SOFT_TIME_LIMIT < DEMO_TIME_LIMIT:
    raise ImproperlyConfigured("need 0 < DEMO_SOFT_TIME_LIMIT < DEMO_TIME_LIMIT")
# per demonstration: "overfitting=40:60,receptive_field=40:60" (soft:hard seconds) overrides the two above
DEMO_TIME_LIMITS: dict[str, tuple[int, int]] = {}
for _item in filter(None, (x.strip() for x in envstr("DEMO_TIME_LIMITS", "").split(","))):
    try:
        _name, _limits = _item.split("=")
        _soft, _hard = (int(x) for x in _limits.split(":"))
    except ValueError:
        raise ImproperlyConfigured(f"DEMO_TIME_LIMITS: {_item!r} is not demo=soft:hard") from None
    if not 0 < _soft < _hard:
        raise ImproperlyConfigured(f"DEMO_TIME_LIMITS: {_item!r}: need 0 < soft < hard")
    DEMO_TIME_LIMITS[_name.strip()] = (_soft, _hard)
DEMO_WORKER_THREADS = envint("DEMO_WORKER_THREADS", 1)  # torch intra-op threads per worker process
_RUN_STATUS_ENUMS = {  # two run tables with overlapping status sets: each its own enum name in the schema
    "DemoRunStatusEnum": "dlquiz.demos.models.DemoRun.Status",
    "OptimizeRunStatusEnum": "dlquiz.scheduler.models.OptimizeRun.Status",
}
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].update(_RUN_STATUS_ENUMS)  # type: ignore[attr-defined]
if REDIS_URL:
    # a demonstration's message must not come back while it is still computing
    CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] = max(
        int(str(CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"])),
        max([DEMO_TIME_LIMIT, *(h for _, h in DEMO_TIME_LIMITS.values())]) + 30,
    )
# CELERY_VISIBILITY_TIMEOUT overrides the value computed above (tests: a killed worker's message comes back in
# seconds). Shorter than a task may run, a live task's message is delivered again while it computes: a demo run
# is then taken over by the newer attempt (the older one stops), other tasks may run twice. Leave it unset.
if os.environ.get("CELERY_VISIBILITY_TIMEOUT"):
    _VISIBILITY_TIMEOUT = envint("CELERY_VISIBILITY_TIMEOUT", 0)
    if _VISIBILITY_TIMEOUT <= 0:
        raise ImproperlyConfigured(
            f"CELERY_VISIBILITY_TIMEOUT must be > 0 seconds, not {_VISIBILITY_TIMEOUT}"
        )
    if REDIS_URL:
        CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] = _VISIBILITY_TIMEOUT

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
}
