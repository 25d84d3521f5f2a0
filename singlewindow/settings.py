"""Settings for every run mode, read from the environment (django-environ).

Embedded default (no variables set): SQLite, tasks run in-process, DEBUG on, a development secret.
Full stack: set DATABASE_URL, CELERY_BROKER_URL, SECRET_KEY (or SECRET_KEY_FILE), DEBUG=false.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
env.smart_cast = False

# The real public data beside the project (schemas, samples, code lists): ../shared/data.
SHARED_DATA_DIR = Path(env.str("SW_SHARED_DATA_DIR", default=str(BASE_DIR.parent / "shared" / "data")))


def _secret(name: str, default: str) -> str:
    """A secret from NAME, or from the file NAME_FILE points at (docker secrets, systemd credentials)."""
    path = env.str(f"{name}_FILE", default="")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return env.str(name, default=default)


DEBUG = env.bool("DEBUG", default=True)
# The embedded default (make run): one machine, SQLite, tasks in-process, demo data. Production
# paths check this, never DEBUG alone: plain-http webhooks and the demo users exist only here.
SW_EMBEDDED = env.bool("SW_EMBEDDED", default=DEBUG)
if DEBUG and not SW_EMBEDDED:
    # Django's debug pages show any visitor the settings and the code: only on the embedded default.
    raise environ.ImproperlyConfigured("DEBUG=true is for the embedded mode only: set DEBUG=false")
# The development key is published in this file: only the embedded default (DEBUG on) may use it.
SECRET_KEY = _secret("SECRET_KEY", "embedded-mode-development-key-not-for-production" if DEBUG else "")
if not SECRET_KEY:
    raise environ.ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) must be set when DEBUG is off")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "accounts.apps.PortalAdminConfig",  # django.contrib.admin behind two-step verification
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "guardian",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "singlewindow",
    "accounts",
    "declarations",
    "nomenclature",
    "agencies",
    "payments",
    "clearance",
    "support",
    "insights",
    "portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.SessionIdleTimeoutMiddleware",
    # After the idle timeout (an expired session is signed out, not sent to give a code).
    "accounts.middleware.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Sees an exception escaping an API view first (axes below has no exception hook): JSON 500.
    "singlewindow.api_errors.ApiErrorMiddleware",
    # Last: turns a sign-in refused by the lockout into the lockout page (accounts.security).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "singlewindow.urls"
WSGI_APPLICATION = "singlewindow.wsgi.application"

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

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
# A persistent connection the server dropped (restart, failover, idle timeout) is replaced at the
# start of the next request instead of failing it.
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded mode serves a small office: wait for the writer instead of failing at once.
    # IMMEDIATE: a transaction takes the write lock when it begins, so two requests writing at once
    # (the bulk upload sends three files together) wait their turn; a deferred transaction that
    # read first and then wrote would get "database is locked" at once, whatever the timeout.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username and address before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Two-step verification (accounts.two_factor): these roles must sign in with a code from an
# authenticator app after the password (staff and superusers count as admin); others may turn it on.
SW_REQUIRE_2FA_ROLES = env.list("SW_REQUIRE_2FA_ROLES", default=["officer", "supervisor", "cashier", "admin"])
OTP_TOTP_ISSUER = env.str("SW_OTP_ISSUER", default="National Single Window")
# Wrong codes slow the device down: 1, 2, 4, 8 … seconds after successive failures. Never 0 (off).
OTP_TOTP_THROTTLE_FACTOR = OTP_STATIC_THROTTLE_FACTOR = 1
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
GUARDIAN_RAISE_403 = False

# Sign-in lockout (django-axes, database handler: one count for every process). Failures are counted
# per username AND address together, so one office behind one NAT is not locked out by one user's
# typos, and a guesser cannot lock a user out from elsewhere.
AXES_FAILURE_LIMIT = env.int("SW_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("SW_LOGIN_COOLOFF_MINUTES", default=15))
if AXES_FAILURE_LIMIT < 1 or AXES_COOLOFF_TIME.total_seconds() < 60:
    raise environ.ImproperlyConfigured(
        "SW_LOGIN_FAILURE_LIMIT and SW_LOGIN_COOLOFF_MINUTES must be at least 1"
    )
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The cool-off runs from the lockout: more tries during it do not extend it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "accounts.security.lockout_response"
AXES_CLIENT_IP_CALLABLE = "accounts.security.lockout_address"  # IPv6 counted by its /64
AXES_USERNAME_CALLABLE = "accounts.security.client_username"
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins belong to the audit log
AXES_VERBOSE = False
# How many reverse proxies of ours stand in front of the portal. 0: X-Forwarded-For is ignored and
# the address is the connection's; N: the N-th address from the right of X-Forwarded-For (the one
# our outermost proxy saw). Drives both the lockout and the API throttles (DRF NUM_PROXIES).
SW_TRUSTED_PROXY_COUNT = env.int("SW_TRUSTED_PROXY_COUNT", default=0)

# API tokens (accounts.models.ApiToken): stored hashed, expire after this many days.
SW_TOKEN_TTL_DAYS = env.int("SW_TOKEN_TTL_DAYS", default=30)
# Password-reset e-mails sent to one address per hour; more requests get the same answer, no e-mail.
SW_PASSWORD_RESET_PER_HOUR = env.int("SW_PASSWORD_RESET_PER_HOUR", default=3)
# A session unused this long ends; the next request goes to sign-in with a message.
SW_SESSION_IDLE_MINUTES = env.int("SW_SESSION_IDLE_MINUTES", default=30)
# The cookie outlives the idle limit so the portal can tell the user why they must sign in again;
# the session is saved (and the cookie renewed) at most once a minute by the idle middleware.
SESSION_COOKIE_AGE = max(SW_SESSION_IDLE_MINUTES * 60 * 2, 12 * 3600)

# /verify/<code>/ (a gate checking a release note, no sign-in): unknown codes one address may try an
# hour before the page refuses (the codes are 59 random bits; this only keeps scanners off).
SW_VERIFY_MISSES_PER_HOUR = env.int("SW_VERIFY_MISSES_PER_HOUR", default=30)

# The default cache carries the API throttles' counts: Redis in the full stack (one count for every
# process), local memory in the embedded mode.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env.str("CACHE_URL")}
    if env.str("CACHE_URL", default="")
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True
# Dates and times in one format with the zone on every page, whatever the language (see the module).
FORMAT_MODULE_PATH = ["singlewindow.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="noreply@singlewindow.invalid")

# Uploads and API bodies: the cap applies before any XML parsing (declarations.wco.parser).
SW_MAX_XML_BYTES = env.int("SW_MAX_XML_BYTES", default=5 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = SW_MAX_XML_BYTES + 64 * 1024
# JSON API bodies (singlewindow.parsers): the same size cap, and a nesting depth far above the
# canonical declaration's (4) that keeps Python's recursive json decoder away from its limit.
SW_MAX_JSON_BYTES = env.int("SW_MAX_JSON_BYTES", default=SW_MAX_XML_BYTES)
SW_MAX_JSON_DEPTH = env.int("SW_MAX_JSON_DEPTH", default=32)
FILE_UPLOAD_MAX_MEMORY_SIZE = SW_MAX_XML_BYTES + 64 * 1024
# The browser form posts about 20 fields per goods item and 3 per document row: a declaration may
# carry 999 items (DE 1/6), with more documents on some. Django's default (1,000 fields) would
# refuse one of 40 items with a bare 400. The body size cap above still bounds the request.
DATA_UPLOAD_MAX_NUMBER_FIELDS = env.int("SW_MAX_FORM_FIELDS", default=100_000)
# Files traders attach to answers (agencies.Attachment): stored under MEDIA_ROOT, never served
# directly; pages and the API hand them out after an access check.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
MEDIA_URL = "media/"
SW_MAX_ATTACHMENT_BYTES = env.int("SW_MAX_ATTACHMENT_BYTES", default=10 * 1024 * 1024)
# How often a process checks the reference-data overrides administrators edit in the admin.
SW_REFDATA_REFRESH_SECONDS = env.float("SW_REFDATA_REFRESH_SECONDS", default=5.0)
# How long a worker routes with its cached routing rules before checking them again (one cheap
# statement). 0: checked on every routing, so an administrator's change applies to the next one.
SW_ROUTING_REFRESH_SECONDS = env.float("SW_ROUTING_REFRESH_SECONDS", default=0.0)
# Country code in issued MRNs (positions 3–4).
SW_MRN_COUNTRY = env.str("SW_MRN_COUNTRY", default="GB")
# The administration's currency: duties are assessed and every trader ledger is kept in it.
SW_CURRENCY = env.str("SW_CURRENCY", default="GBP")
# A deferment account's statement of a month falls due on this day of the next month.
SW_STATEMENT_DUE_DAY = env.int("SW_STATEMENT_DUE_DAY", default=15)
if not 1 <= SW_STATEMENT_DUE_DAY <= 28:
    raise environ.ImproperlyConfigured("SW_STATEMENT_DUE_DAY must be a day from 1 to 28")
# Payments (payments.payments, docs/architecture.md "Payments"). The card provider is chosen here
# (method -> dotted class path), so a real gateway is plugged in by configuration. The built-in test
# provider "testpay" takes no money: refused outside the embedded mode unless SW_PAYMENT_TEST_PROVIDER
# is set (payments.checks fails the start otherwise); with neither, no card payments are offered.
SW_PAYMENT_TEST_PROVIDER = env.bool("SW_PAYMENT_TEST_PROVIDER", default=SW_EMBEDDED)
SW_PAYMENT_PROVIDERS = env.dict(
    "SW_PAYMENT_PROVIDERS",
    default={"card": "payments.providers.testpay.TestPay"} if SW_PAYMENT_TEST_PROVIDER else {},
)
# A card payment the provider has not confirmed within this time is timed out (payments.tasks).
SW_PAYMENT_TIMEOUT_MINUTES = env.int("SW_PAYMENT_TIMEOUT_MINUTES", default=30)
# Provider callbacks signed longer ago than this are refused (a replay of an old one).
SW_PAYMENT_CALLBACK_TOLERANCE_SECONDS = env.int("SW_PAYMENT_CALLBACK_TOLERANCE_SECONDS", default=300)
# The test provider signs its callbacks with this secret and posts them to this site's address.
SW_TESTPAY_SECRET = _secret(
    "SW_TESTPAY_SECRET", "testpay-embedded-secret" if SW_PAYMENT_TEST_PROVIDER else ""
)
SW_TESTPAY_CALLBACK_BASE_URL = env.str("SW_TESTPAY_CALLBACK_BASE_URL", default="http://127.0.0.1:8000")
# Where traders send bank transfers (shown with the payment reference); a cashier confirms them.
SW_BANK_DETAILS = {
    "account_name": env.str("SW_BANK_ACCOUNT_NAME", default="National Single Window Revenue"),
    "bank_name": env.str("SW_BANK_NAME", default="Bank of England"),
    "sort_code": env.str("SW_BANK_SORT_CODE", default="10-53-92"),
    "account_number": env.str("SW_BANK_ACCOUNT_NUMBER", default="23456789"),
    "iban": env.str("SW_BANK_IBAN", default="GB45BKEN10539223456789"),
    "bic": env.str("SW_BANK_BIC", default="BKENGB2L"),
}
# Named in the envelope of every WCO DMS response message (md:ResponsibleAgencyName, at most 70).
SW_RESPONSE_AGENCY_NAME = env.str("SW_RESPONSE_AGENCY_NAME", default="National Single Window")
# The pull of DMS responses (GET /api/v1/notifications/dms) lists only responses written at least
# this long ago, so that one committed late with a smaller id is not skipped by a cursor.
SW_RESPONSE_PULL_SETTLE_SECONDS = env.float("SW_RESPONSE_PULL_SETTLE_SECONDS", default=2.0)
# The shipped DE 2/3 document codes are a partial list (declarations/refdata): a code outside it is a
# warning. An administration that has loaded its full list (Reference codes in the admin) makes it an
# error. (The DE 1/11 additional procedure codes are a complete list and always enforced.)
SW_STRICT_DOCUMENT_CODES = env.bool("SW_STRICT_DOCUMENT_CODES", default=False)
# The help desk's service level per request category, in hours to the first answer (support.models
# holds the defaults; e.g. SW_SERVICE_REQUEST_HOURS=access=4,technical=8 changes those two).
SW_SERVICE_REQUEST_HOURS = env.dict("SW_SERVICE_REQUEST_HOURS", cast={"value": int}, default={})
for _category, _hours in SW_SERVICE_REQUEST_HOURS.items():
    if _category not in {"declaration", "payment", "technical", "access", "other"} or _hours < 1:
        raise environ.ImproperlyConfigured(
            "SW_SERVICE_REQUEST_HOURS: categories are declaration, payment, technical, access, "
            "other; hours at least 1"
        )

SW_LODGE_THROTTLE = env.str("SW_LODGE_THROTTLE", default="600/minute")
# The browser's bulk upload: files in one batch, and their total size (each file is also held to
# SW_MAX_XML_BYTES). A page post over the total is refused before its files are read.
SW_BULK_MAX_FILES = env.int("SW_BULK_MAX_FILES", default=50)
SW_BULK_MAX_BYTES = env.int("SW_BULK_MAX_BYTES", default=50 * 1024 * 1024)
# Django stops parsing a multipart body past this many files; the upload page answers that clearly.
DATA_UPLOAD_MAX_NUMBER_FILES = max(100, SW_BULK_MAX_FILES)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "accounts.api.authentication.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "singlewindow.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "singlewindow.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "token": env.str("SW_TOKEN_THROTTLE", default="120/minute"),
        # Per user (declarations.api.throttling): lodgements through the API and the upload page,
        # and validations (POST /api/v1/declarations/validate, the page's "check only").
        "lodgement": SW_LODGE_THROTTLE,
        "validation": env.str("SW_VALIDATE_THROTTLE", default=SW_LODGE_THROTTLE),
    },
    "NUM_PROXIES": SW_TRUSTED_PROXY_COUNT,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "National Single Window API",
    "DESCRIPTION": "Lodge goods declarations (JSON or WCO DM 3.6 XML) and follow them to release.",
    "VERSION": "1.0",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # The error answers every operation of a kind can give (401, 404, 413, …): singlewindow.api_schema.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "singlewindow.api_schema.add_error_responses",
    ],
    # Served from this site: government networks are often closed, and nothing loads from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "status" or an "outcome": name each choice set after its model.
    "ENUM_NAME_OVERRIDES": {
        "DeclarationStatusEnum": "declarations.models.Status",
        "ReviewStatusEnum": "agencies.models.ReviewStatus",
        "DecisionOutcomeEnum": "agencies.models.DecisionOutcome",
        "ReleaseOutcomeEnum": "clearance.models.Outcome",
        "VersionKindEnum": "declarations.models.VersionKind",
        "RequestKindEnum": "declarations.models.RequestKind",
        "RequestStatusEnum": "declarations.models.RequestStatus",
        "PaymentStatusEnum": "payments.models.PaymentStatus",
        "PaymentMethodEnum": "payments.models.PaymentMethod",
        "LicenceStateEnum": "agencies.models.LicenceState",
        "MoneyStateEnum": ["nothing_due", "due", "paid", "secured"],
        "ServiceRequestStatusEnum": "support.models.RequestStatus",
        "ServiceRequestCategoryEnum": "support.models.Category",
    },
}

# Celery. Without a broker URL the embedded mode runs tasks in-process.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if CELERY_TASK_ALWAYS_EAGER:
    # Tasks run in-process; the in-memory transport keeps Celery from looking for a broker at all.
    CELERY_BROKER_URL = "memory://localhost/"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=90)
# Longer than the longest task, so an unacknowledged task is redelivered only when its worker died.
# The socket options let a worker notice a dead broker connection and reconnect (a PING every 25 s
# on idle connections, TCP keepalive), and bound how long connecting to a dead broker waits.
SW_VISIBILITY_TIMEOUT = CELERY_TASK_TIME_LIMIT * 4
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": SW_VISIBILITY_TIMEOUT,
    "health_check_interval": 25,
    "socket_keepalive": True,
    "socket_connect_timeout": env.float("SW_BROKER_CONNECT_TIMEOUT", default=2.0),
    "retry_on_timeout": True,
}
# A worker never gives up on the broker: the default, 100 attempts, ends the worker process after
# about 50 minutes of outage, and nobody restarts it.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# A task still running when the broker connection drops runs to its end (it is idempotent and
# acknowledged late: if its acknowledgement is lost with the connection, it runs again later).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
# Publishing: one immediate retry (a pooled connection left stale by a broker restart reconnects),
# not three spaced ones: a web request does not wait on a broker that is down.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0,
    "interval_max": 0,
}
# After a failed publish a process stops trying the broker after commit for this long and leaves
# the outbox rows to the sweep (singlewindow.outbox), so lodgement does not wait on a dead broker.
SW_BROKER_CIRCUIT_SECONDS = env.float("SW_BROKER_CIRCUIT_SECONDS", default=5.0)
CELERY_TASK_IGNORE_RESULT = True
# The pipeline (routing, consolidation, notifications) runs on the default queue. Deliveries to an
# agency's own system run on that agency's queue, ``agency.<code>`` (agencies.tasks.route_task), and
# never in the pipeline's pool: a hanging endpoint must not hold up routing. They are served by a
# separate delivery worker, one started on the queue SW_DELIVERIES_QUEUE (``-Q deliveries``), which
# consumes every active agency's queue, re-read every SW_AGENCY_QUEUES_REFRESH_SECONDS
# (agencies.worker); a dedicated pool per agency is started with ``-Q agency.<code>`` alone.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = ["agencies.tasks.route_task", "declarations.tasks.route_task"]
SW_DELIVERIES_QUEUE = env.str("SW_DELIVERIES_QUEUE", default="deliveries")
SW_AGENCY_QUEUES_REFRESH_SECONDS = env.float("SW_AGENCY_QUEUES_REFRESH_SECONDS", default=30.0)
# Webhook deliveries (singlewindow.egress): https to public addresses only, outside the embedded mode.
# ALLOW_PRIVATE lets deliveries reach private and loopback addresses, ALLOW_HTTP plain http: for the
# tests' local receiver and for closed networks, never on a public deployment.
# Agencies that "decide automatically" approve their reviews with nobody looking: demonstrations
# and load tests only. Outside the embedded mode the flag is ignored by routing (and refused in the
# admin) unless this is set on purpose, as the benchmarks do on their throwaway databases.
SW_AUTO_DECIDE_ALLOWED = env.bool("SW_AUTO_DECIDE_ALLOWED", default=SW_EMBEDDED)
SW_WEBHOOK_ALLOW_PRIVATE = env.bool("SW_WEBHOOK_ALLOW_PRIVATE", default=SW_EMBEDDED)
SW_WEBHOOK_ALLOW_HTTP = env.bool("SW_WEBHOOK_ALLOW_HTTP", default=SW_EMBEDDED)
SW_WEBHOOK_CONNECT_TIMEOUT = env.float("SW_WEBHOOK_CONNECT_TIMEOUT", default=3.0)
SW_WEBHOOK_READ_TIMEOUT = env.float("SW_WEBHOOK_READ_TIMEOUT", default=10.0)
# Per-agency circuit breaker: after this many consecutive failed attempts an agency's deliveries are
# parked (kept pending, not attempted) until the cool-off has passed; then one trial delivery.
SW_WEBHOOK_CIRCUIT_FAILURES = env.int("SW_WEBHOOK_CIRCUIT_FAILURES", default=5)
SW_WEBHOOK_CIRCUIT_COOLOFF_SECONDS = env.float("SW_WEBHOOK_CIRCUIT_COOLOFF_SECONDS", default=60.0)
# A declaration still accepted (not routed), or in review with every review decided but no
# release decision, this long after its last change is re-driven by the clearance sweep.
SW_STUCK_SECONDS = env.int("SW_STUCK_SECONDS", default=60)
# What the clearance sweep re-enqueued is not re-enqueued again for this long: while the workers are
# behind it is still in the queue (re-enqueuing it every sweep grew a stalled queue to thousands).
SW_REDRIVE_WAIT_SECONDS = env.int("SW_REDRIVE_WAIT_SECONDS", default=SW_VISIBILITY_TIMEOUT + 60)
# A webhook delivery still pending and untried this long is re-enqueued: longer than the longest
# retry countdown (240 s) and the visibility timeout, so a retry waiting for its time is not doubled.
SW_DELIVERY_STUCK_SECONDS = env.int("SW_DELIVERY_STUCK_SECONDS", default=SW_VISIBILITY_TIMEOUT + 60)
CELERY_BEAT_SCHEDULE = {
    # Re-publish outbox rows the broker missed (it was down, or a process died after commit).
    "outbox-sweep": {
        "task": "singlewindow.tasks.outbox_sweep",
        "schedule": env.float("SW_SWEEP_SECONDS", default=30.0),
    },
    # Re-drive declarations the pipeline left behind (a task lost between broker and worker).
    "clearance-sweep": {
        "task": "clearance.tasks.clearance_sweep",
        "schedule": env.float("SW_CLEARANCE_SWEEP_SECONDS", default=60.0),
    },
    # Agencies' rejections and late payments onto the traders' compliance history (idempotent).
    "risk-compliance-record": {
        "task": "clearance.tasks.compliance_record",
        "schedule": env.float("SW_COMPLIANCE_RECORD_SECONDS", default=300.0),
    },
    # The medians of declared value per unit that undervaluation rules compare with, nightly.
    "risk-medians-refresh": {
        "task": "clearance.tasks.risk_medians_refresh",
        "schedule": crontab(minute=45, hour=1),
    },
    # Released declarations considered for post-clearance audit (criteria, random share), once each.
    "audits-select": {
        "task": "clearance.tasks.audits_select",
        "schedule": crontab(minute=20, hour="*/1"),
    },
    # Re-enqueue pushes of DMS responses to traders' endpoints whose task was lost.
    "response-delivery-sweep": {
        "task": "declarations.tasks.response_delivery_sweep",
        "schedule": env.float("SW_CLEARANCE_SWEEP_SECONDS", default=60.0),
    },
    # Re-enqueue webhook deliveries whose task was lost.
    "delivery-sweep": {
        "task": "agencies.tasks.delivery_sweep",
        "schedule": env.float("SW_CLEARANCE_SWEEP_SECONDS", default=60.0),
    },
    # The Time Release Study: facts the outbox missed, today's and yesterday's histograms.
    "insights-stage-daily-refresh": {
        "task": "insights.tasks.stage_daily_refresh_recent",
        "schedule": env.float("SW_INSIGHTS_REFRESH_SECONDS", default=300.0),
    },
    # Last month's statements of the deferment accounts, early on the 1st (idempotent).
    "statements-generate": {
        "task": "payments.statement_tasks.statements_generate_monthly",
        "schedule": crontab(minute=15, hour=0, day_of_month=1),
    },
    # Statements past their due day become overdue and suspend their account (idempotent).
    "statements-overdue": {
        "task": "payments.statement_tasks.statements_overdue_daily",
        "schedule": crontab(minute=30, hour=0),
    },
    # Time out card payments the provider never confirmed (SW_PAYMENT_TIMEOUT_MINUTES).
    "payment-timeout-sweep": {
        "task": "payments.tasks.payment_timeout_sweep",
        "schedule": env.float("SW_CLEARANCE_SWEEP_SECONDS", default=60.0),
    },
    # Reviews past their service level: their agency's officers and the supervisors, once each.
    "insights-overdue-alerts": {
        "task": "insights.service_levels_tasks.overdue_alerts_send",
        "schedule": env.float("SW_OVERDUE_ALERT_SECONDS", default=300.0),
    },
    # The service-level figures of today and yesterday (the pages read these rows).
    "insights-service-levels-refresh": {
        "task": "insights.service_levels_tasks.service_level_refresh_recent",
        "schedule": env.float("SW_SERVICE_LEVEL_REFRESH_SECONDS", default=600.0),
    },
    # This month's and last month's trade statistics.
    "insights-trade-refresh": {
        "task": "insights.statistics_tasks.trade_monthly_refresh_recent",
        "schedule": crontab(minute=20),
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}

# HTTPS. Outside the embedded mode the portal runs behind a reverse proxy that terminates TLS and
# sets X-Forwarded-Proto on every request, overwriting any the client sent (docs/operations.md):
# plain-http requests are redirected to https, cookies travel over https only, and browsers are
# told to use nothing but https for a year. A plain-http trial turns these off explicitly.
_BEHIND_TLS = not SW_EMBEDDED
if _BEHIND_TLS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=_BEHIND_TLS)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=_BEHIND_TLS)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=_BEHIND_TLS)
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if _BEHIND_TLS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
# Preloading commits the whole registrable domain, for months, in every browser: that is the domain
# owner's decision (hstspreload.org asks software not to opt in by default), so the portal does not
# send "preload" unless told to, and Django's reminder about it (security.W021) is silenced until then.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
# No script reads a cookie: the session, CSRF and language cookies are all out of scripts' reach.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = LANGUAGE_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content-Security-Policy (django-csp): scripts, styles, fonts and frames come from this site only,
# never inline, so an injected <script> or style attribute does nothing. Images may also be data:
# URLs (the empty favicon). Views that need more widen it for themselves alone (csp_update): the
# API reference page (singlewindow/urls.py) and the release note (clearance/views.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}
