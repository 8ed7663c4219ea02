"""The one settings module. Behaviour is chosen by environment variables (see config/env.py).

With nothing set the service runs on an embedded default: SQLite in ./var and a Celery
filesystem transport, so that a newcomer can start it at once. DATABASE_URL and
CELERY_BROKER_URL switch to PostgreSQL and Redis.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import django_stubs_ext
from csp.constants import NONE as CSP_NONE
from csp.constants import SELF as CSP_SELF

from config import env
from config.beat import beat_schedule
from config.logs import logging_settings

django_stubs_ext.monkeypatch()  # lets admin/queryset generics be subscripted at run time

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env.string("SAX_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env.boolean("DEBUG", False)

SECRET_KEY = env.secret_key("SECRET_KEY", VAR_DIR / "secret_key")
# Encrypts members' private signing keys at rest (SPEC §8). An operator who says DEBUG=0 must give
# it; the embedded default (nothing set) generates a development secret into var/ like SECRET_KEY.
SIGNING_KEYS_SECRET = env.signing_keys_secret(
    "SIGNING_KEYS_SECRET", VAR_DIR / "signing_keys_secret", required=env.raw("DEBUG") is not None and not DEBUG
)
# The public base URL of every absolute link and identifier (e-mails, Atom, CAP sender, FHIR code
# systems, webhook payload links), never a request's host. Required with DEBUG=0 (SPEC §6).
SITE_URL = env.site_url("SITE_URL", required=env.raw("DEBUG") is not None and not DEBUG)

ALLOWED_HOSTS = env.string_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.string_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.syndication",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "axes",
    "exchange",
    "alerts",
]

MIDDLEWARE = [
    # First: every later log line, error page and 503 carries the request id; every answer is counted.
    "config.logs.RequestIdMiddleware",
    "config.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads the body or the query: oversized bodies (413) and NUL characters (400).
    "config.limits.RequestLimitsMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A signed-in user's own language wins over the cookie and Accept-Language (SPEC §10.5).
    "exchange.portal.language.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # The service's own 404 page, in DEBUG as well (Django's debug page lists every URL pattern).
    "config.exceptions.OwnNotFoundPageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: turns a locked-out sign-in into its lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env.database("DATABASE_URL", str(VAR_DIR / "exchange.sqlite3"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
if IS_POSTGRES:
    # No JIT compilation for a request's queries: it pays off only for long analytical scans, and on a
    # high estimate PostgreSQL compiled 80 functions (206 ms) for the inbox's 578 ms query at scale 1.0
    # (bench/volume.py, EXPLAIN ANALYZE). PGOPTIONS and the URL's own options are kept.
    _pg_options: dict[str, str] = dict(DATABASES["default"].get("OPTIONS") or {})  # type: ignore[call-overload]
    _pg_options["options"] = " ".join(
        part for part in (os.environ.get("PGOPTIONS", ""), _pg_options.get("options", ""), "-c jit=off") if part
    )
    DATABASES["default"]["OPTIONS"] = _pg_options

CACHES = {"default": env.cache("REDIS_URL")}

AUTH_USER_MODEL = "exchange.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"

# Sign-in throttling (django-axes): its backend first, so that a locked-out sign-in never reaches the
# password check. Only authenticate() calls that carry a request (the portal's sign-in form) are
# counted; API tokens and sessions do not authenticate through these backends.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The sign-in form keeps Django's field name `username` (it holds the e-mail address).
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False  # no start-up banner in every management command's output

LANGUAGE_CODE = "en-gb"
# The portal, e-mails and public pages are offered in these languages (SPEC §10.5). A signed-in user's
# own `language` wins; signed out, the switcher's cookie, then Accept-Language.
LANGUAGES = [("en", "English"), ("fr", "Français"), ("es", "Español"), ("ja", "日本語")]
# One catalogue folder per part of the portal (each its own django.po per language); Django merges them.
LOCALE_PATHS = sorted(path for path in (BASE_DIR / "locale").glob("*") if path.is_dir()) or [BASE_DIR / "locale"]
# Dates in each language's order: templates name a format ("DATE_FORMAT"), config/formats/<lang> says it.
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.string("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_MANIFEST_STRICT = False

# --- Security: plain HTTP behind a TLS-terminating proxy in production --------------------------
SECURE_SSL_REDIRECT = env.boolean("SECURE_SSL_REDIRECT", False)
if env.boolean("SECURE_PROXY_SSL_HEADER", SECURE_SSL_REDIRECT):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = SECURE_SSL_REDIRECT
CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT
SECURE_HSTS_SECONDS = env.positive_int("SECURE_HSTS_SECONDS", 31536000) if SECURE_SSL_REDIRECT else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_SSL_REDIRECT
SECURE_HSTS_PRELOAD = SECURE_SSL_REDIRECT
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^health/", r"^metrics$"]

# Content Security Policy (django-csp): every asset comes from the service itself, and no page
# carries inline script or style. The API's Swagger UI and ReDoc pages (drf-spectacular's own
# templates, which inline their start-up script and style) are the only exception.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/api/docs/", "/api/redoc/"],
    "DIRECTIVES": {
        "default-src": [CSP_NONE],
        "script-src": [CSP_SELF],
        "style-src": [CSP_SELF],
        "img-src": [CSP_SELF],
        "font-src": [CSP_SELF],
        "connect-src": [CSP_SELF],
        "manifest-src": [CSP_SELF],
        "form-action": [CSP_SELF],
        "frame-ancestors": [CSP_NONE],
        "base-uri": [CSP_NONE],
        "object-src": [CSP_NONE],
    },
}

# --- E-mail -----------------------------------------------------------------------------------------
_email = env.email("EMAIL_URL")
EMAIL_BACKEND = str(_email.get("EMAIL_BACKEND"))
for _key, _value in _email.items():
    if _key != "EMAIL_BACKEND":
        globals()[_key] = _value
DEFAULT_FROM_EMAIL = env.string("DEFAULT_FROM_EMAIL", "AI Safety Alert Exchange <noreply@exchange.example>")
# At most this many immediate e-mails reach one user in an hour; the rest wait for one "and N more"
# e-mail at the end of that hour (SPEC §10.4).
EMAIL_IMMEDIATE_PER_HOUR = env.positive_int("EMAIL_IMMEDIATE_PER_HOUR", 20)
# How often beat looks for due digests and for hours whose held e-mails need their summary.
DIGEST_SWEEP_SECONDS = env.positive_int("DIGEST_SWEEP_SECONDS", 300)

# --- REST API ---------------------------------------------------------------------------------------
API_RATE_LIMIT = env.rate("API_RATE_LIMIT", "600/min")
API_MAX_PAGE_SIZE = 200
# The largest request body any parser (JSON, CSV, multipart) is given; larger is a 413.
API_MAX_BODY_BYTES = env.positive_int("API_MAX_BODY_BYTES", 10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = min(API_MAX_BODY_BYTES, 2_621_440)  # larger uploads spool to a temporary file
API_DEFAULT_PAGE_SIZE = 50

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "exchange.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["exchange.permissions.HasScope"],
    "DEFAULT_THROTTLE_CLASSES": ["exchange.throttling.TokenRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "config.pagination.CursorPagination",
    "DEFAULT_FILTER_BACKENDS": [
        "config.query.KnownQueryParameters",
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["config.parsers.StrictJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "config.schema.AutoSchema",
    "EXCEPTION_HANDLER": "config.exceptions.problem_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "PAGE_SIZE": API_DEFAULT_PAGE_SIZE,
    "SEARCH_PARAM": "search",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DATETIME_FORMAT": "iso-8601",
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append("rest_framework.renderers.BrowsableAPIRenderer")  # type: ignore[attr-defined]

SPECTACULAR_SETTINGS = {
    "TITLE": "AI Safety Alert Exchange API",
    "DESCRIPTION": (
        "Publish, subscribe to and acknowledge safety alerts and real-world performance reports "
        "about AI medical tools. Authenticate with `Authorization: Bearer <token>`. Errors are "
        "`application/problem+json` (RFC 9457)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.schema.answers_optional_fields",
    ],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Several resources have a `status` or `state`; each vocabulary gets its own schema name.
    "ENUM_NAME_OVERRIDES": {
        "MemberStatusEnum": "exchange.choices.MemberStatus",
        "DeliveryStateEnum": "exchange.choices.DeliveryState",
        "AlertStatusEnum": "alerts.choices.AlertStatus",
        "AuthorizationStatusEnum": "alerts.choices.AuthorizationStatus",
        "ReportStatusEnum": "alerts.choices.ReportStatus",
        "SignalStatusEnum": "alerts.choices.SignalStatus",
        "AcknowledgementStateEnum": "alerts.choices.AckState",
        "AlertLinkKindEnum": "alerts.models.links.LinkKind",
        # IMDRF terms and signing keys share the values active/retired: one enum serves both.
        "ActiveOrRetiredEnum": "exchange.choices.SigningKeyStatus",
        # Notification preferences (SPEC §10.4): one mode per kind of item, and the languages.
        "NoticeModeEnum": "exchange.choices.NoticeMode",
        "LanguageEnum": "exchange.choices.Language",
    },
    # Served by the service itself: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "APPEND_COMPONENTS": {
        "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
    },
    "SECURITY": [{"bearerAuth": []}],
}

# --- Celery -----------------------------------------------------------------------------------------
_default_broker = "filesystem://"
CELERY_BROKER_URL = env.broker("CELERY_BROKER_URL", _default_broker)
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
if CELERY_BROKER_URL.startswith("filesystem"):
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("in", "processed", "control"):
        os.makedirs(_broker_dir / _sub, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "in"),
        "data_folder_out": str(_broker_dir / "in"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        # The transport polls its folder; at kombu's default (1 s) with three queues a worker of the
        # embedded default ran about one task a second, so seeding the demo left minutes of backlog.
        "polling_interval": 0.1,
    }
else:
    # Fail fast while the broker is down: the outbox sweeper re-sends what could not be queued.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 0, "socket_connect_timeout": 2, "socket_timeout": 5}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
# Not Celery 6's default (True): with it, Celery 5.7 stops the whole worker ("Unrecoverable error:
# AttributeError ... 'hostname'") when the Redis connection is lost; tests/integration/test_operations.py
# restarts Redis under a worker. A task still running then finishes; the sweeper covers the rest.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_TIMEZONE = "UTC"
# A worker process keeps its database connection from one task to the next (config/celery.py), as a
# web process keeps it between requests (DATABASE_CONN_MAX_AGE): Celery's Django fix-up otherwise
# closes every connection before and after each task, and each delivery pump then started a new
# PostgreSQL backend, with cold catalogue caches, before its first send. The fix-up still closes them
# every 100 tasks.
CELERY_DB_REUSE_MAX = 100

# --- The exchange's own settings (SPEC §6) -------------------------------------------------------------
WEBHOOK_ALLOW_PRIVATE_URLS = env.boolean("WEBHOOK_ALLOW_PRIVATE_URLS", False)
WEBHOOK_TIMEOUT_SECONDS = env.positive_float("WEBHOOK_TIMEOUT_SECONDS", 15)
WEBHOOK_RETRY_SCHEDULE = env.retry_schedule(
    "WEBHOOK_RETRY_SCHEDULE", [0, 5, 300, 1800, 7200, 18000, 36000, 36000]
)
WEBHOOK_DISABLE_AFTER_SECONDS = env.positive_int("WEBHOOK_DISABLE_AFTER_SECONDS", 5 * 24 * 3600)
DELIVERY_LEASE_SECONDS = env.positive_int("DELIVERY_LEASE_SECONDS", 120)
OUTBOX_SWEEP_SECONDS = env.positive_int("OUTBOX_SWEEP_SECONDS", 60)
ACK_DEADLINE_HOURS = env.ack_deadlines("ACK_DEADLINE_HOURS")
ACK_OVERDUE_SWEEP_SECONDS = env.positive_int("ACK_OVERDUE_SWEEP_SECONDS", 300)
RELIANCE_REVIEW_HOURS = env.reliance_review_hours("RELIANCE_REVIEW_HOURS")
SIGNAL_MARGIN = env.proportion("SIGNAL_MARGIN", 0.05)
AUDIT_CHECKPOINT_SECONDS = env.positive_int("AUDIT_CHECKPOINT_SECONDS", 3600)

# --- Operations (SPEC §9, docs/operations.md) ------------------------------------------------------------
EVENT_RETENTION_DAYS = env.positive_int("EVENT_RETENTION_DAYS", 90)
RETENTION_SWEEP_SECONDS = env.positive_int("RETENTION_SWEEP_SECONDS", 3600)
METRICS_TOKEN = env.secret("METRICS_TOKEN")
LOG_FORMAT = env.choice("LOG_FORMAT", "text", ("text", "json"))
LOG_LEVEL = env.choice("LOG_LEVEL", "info", ("debug", "info", "warning", "error", "critical")).upper()

# --- Fan-out and deliveries (exchange/services/fanout.py, deliveries.py) -------------------------------
# Concurrent sends per webhook endpoint in one worker process, so that one slow receiver holds
# only its own slots; and concurrent sends in all per worker process.
WEBHOOK_MAX_CONCURRENCY_PER_ENDPOINT = env.positive_int("WEBHOOK_MAX_CONCURRENCY_PER_ENDPOINT", 8)
DELIVERY_MAX_IN_FLIGHT = env.positive_int("DELIVERY_MAX_IN_FLIGHT", 200)
# Delivery pumps queued at once for a large fan-out (each runs in its own worker process).
DELIVERY_PUMPS = env.positive_int("DELIVERY_PUMPS", 2)
# The delivery store (exchange/services/deliveries/store.py): one statement per claim, record and
# fan-out chunk on PostgreSQL; the ORM elsewhere. Derived from the database, never configured.
DELIVERY_STORE = "postgres" if IS_POSTGRES else "orm"
# After a secret is rotated, the old one keeps signing (beside the new one) this long.
WEBHOOK_SECRET_OVERLAP_SECONDS = env.positive_int("WEBHOOK_SECRET_OVERLAP_SECONDS", 24 * 3600)
# The sweeper runs twice per period, so that anything left behind is picked up within
# OUTBOX_SWEEP_SECONDS, and a lease is held for DELIVERY_LEASE_SECONDS less one sweep interval,
# so that a dead worker's deliveries are retried within DELIVERY_LEASE_SECONDS.
OUTBOX_SWEEP_INTERVAL = max(1.0, min(OUTBOX_SWEEP_SECONDS, DELIVERY_LEASE_SECONDS) / 2)
# A lease shorter than WEBHOOK_TIMEOUT_SECONDS is allowed (tests use short ones): a slow send may
# then be retried while it is still in flight, which at-least-once delivery permits — the retry
# carries the same webhook-id, by which receivers de-duplicate.
DELIVERY_LEASE_HOLD_SECONDS = max(1.0, DELIVERY_LEASE_SECONDS - OUTBOX_SWEEP_INTERVAL)

# --- Periodic tasks (`celery -A config beat`; what each task is for: config/beat.py) -------------------
CELERY_BEAT_SCHEDULE = beat_schedule(
    ack_overdue_sweep_seconds=ACK_OVERDUE_SWEEP_SECONDS,
    signal_sweep_seconds=env.positive_int("SIGNAL_SWEEP_SECONDS", 3600),
    outbox_sweep_interval=OUTBOX_SWEEP_INTERVAL,
    audit_checkpoint_seconds=AUDIT_CHECKPOINT_SECONDS,
    retention_sweep_seconds=RETENTION_SWEEP_SECONDS,
    digest_sweep_seconds=DIGEST_SWEEP_SECONDS,
)

# SQLite ignores the covering columns of the subscription-matching index; PostgreSQL uses them.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

LOGGING = logging_settings(log_format=LOG_FORMAT, log_level=LOG_LEVEL)
