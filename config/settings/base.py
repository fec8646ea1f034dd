"""Settings shared by every environment, read from the environment (cookiecutter-django style)."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "insecure-development-key-change-me")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")

INSTALLED_APPS = [
    "config.admin.FootprintAdminConfig",  # django.contrib.admin with Footprint's site (no DO records)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "corsheaders",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "simple_history",
    "crispy_forms",
    "crispy_forms_gds",
    "govuk_frontend_django",
    "django_celery_beat",
    "pgtrigger",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "workflows",
    "people",
    "children",
    "drp",
    "lado",
    "notifications",
    "positive_practice",
    "reports",
    "imports",
    "audit",
    "subject_access",
    "integrations", "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything that answers: a browser's preflight (OPTIONS) for an allowed origin is
    # answered here, and every API answer gets its CORS headers (FOOTPRINT_CORS_ALLOWED_ORIGINS).
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "people.middleware.IdleTimeoutMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # After the sign-in check, before every view: a NUL byte anywhere in a request is a 400.
    "api.middleware.RefuseNulBytesMiddleware",
    "integrations.middleware.IntegrationMiddleware",  # Idempotency-Key, ETag and If-Match (API)
    "django.contrib.messages.middleware.MessageMiddleware",
    "people.middleware.TwoStepVerificationMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "people.middleware.PermissionsPolicyMiddleware",
    "people.middleware.NoStoreMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "config.navigation.navigation",
                "notifications.context_processors.unread",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_max_age=60
    )
}
# PostgreSQL in production has two roles (docs/deployment.md, "The database's two roles"): web,
# worker and beat connect as the application's role (DATABASE_URL), which owns no table and may
# only read and add to the audit tables; the release step (migrate, grant_app_role) connects as
# the tables' owner, DATABASE_OWNER_URL, when FOOTPRINT_DATABASE_AS_OWNER is set.
DATABASE_APP_ROLE = DATABASES["default"].get("USER", "")
DATABASE_OWNER_CONNECTED = env_bool("FOOTPRINT_DATABASE_AS_OWNER") and bool(os.environ.get("DATABASE_OWNER_URL"))
if DATABASE_OWNER_CONNECTED:
    DATABASES["default"] = dj_database_url.parse(os.environ["DATABASE_OWNER_URL"])
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers queue for the lock instead of failing with "database is locked" when two
    # threads or workers (the demo's server and its reminder loop) write at once.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 30, "init_command": "PRAGMA journal_mode=WAL;"})
# An optional streaming read replica of the primary, for reports (docs/deployment.md): reads go
# there only inside workflows.replica.reading_from_replica() (the report selectors); writes and
# everything else stay on "default", and reports fall back to the primary when it is down.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"], conn_max_age=60, conn_health_checks=True)
    if "postgresql" in DATABASES["replica"]["ENGINE"]:
        # An unreachable replica costs a report 3 seconds at most, then the primary answers.
        DATABASES["replica"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 3)
    # Tests never create a database on it: it is the default database seen another way.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
from config.database_options import without_jit  # noqa: E402, I001 (here, beside the databases)
without_jit(DATABASES, keep=env_bool("FOOTPRINT_DATABASE_JIT"))  # JIT off: config/database_options.py
DATABASE_ROUTERS = ["workflows.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "people.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Security: sign-in lockout, sessions, two-step verification, headers -------------------

# django-axes: too many wrong passwords lock sign-in out for a cool-off period (a locked-out
# person sees registration/locked_out.html). Three counts, each with its own limit
# (people/lockout.py): one username from one address; one username from any address (rotating
# addresses); one address against any usernames (one password sprayed across accounts).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's, with a session's user read with their roles in one statement (people/backends.py).
    "people.backends.PasswordBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("FOOTPRINT_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("FOOTPRINT_LOGIN_COOLOFF_MINUTES", "15")))
FOOTPRINT_LOGIN_ACCOUNT_FAILURE_LIMIT = int(os.environ.get("FOOTPRINT_LOGIN_ACCOUNT_FAILURE_LIMIT", "20"))
FOOTPRINT_LOGIN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("FOOTPRINT_LOGIN_ADDRESS_FAILURE_LIMIT", "30"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username", "ip_address"]
AXES_HANDLER = "people.lockout.AxesHandler"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "people.views.locked_out"
AXES_CLIENT_IP_CALLABLE = "people.middleware.client_ip"
AXES_SENSITIVE_PARAMETERS = ["password", "otp_token", "code"]
# Behind a reverse proxy: how many proxies append to X-Forwarded-For (0 = use REMOTE_ADDR).
FOOTPRINT_PROXY_COUNT = int(os.environ.get("FOOTPRINT_PROXY_COUNT", "0"))

# Signed out after this many minutes without a request (a request restarts the clock),
# and when the browser closes.
# Database sessions whose store treats a forged sessionid cookie (say, a NUL byte) as none.
SESSION_ENGINE = "workflows.sessions"
SESSION_COOKIE_AGE = int(os.environ.get("FOOTPRINT_SESSION_IDLE_MINUTES", "30")) * 60
# Used sessions are saved again at most once a minute (people.middleware.IdleTimeoutMiddleware),
# not on every request, so the sign-out comes 29 to 30 idle minutes after the last request.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_REFRESH_SECONDS = 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"

# django-otp: the name authenticator apps show for Footprint's codes.
OTP_TOTP_ISSUER = "Footprint"
# Authenticator devices have no admin at all (people/admin.py unregisters it); should one ever
# be registered again, django-otp still never shows a secret key there.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content-Security-Policy (django-csp 4): only this site's own scripts, styles and images.
# No 'unsafe-inline': templates have no inline <script>, event handlers or style attributes
# (tests/guarantees/test_security.py scans them), and the API docs load their script from a URL.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Front-end packages installed by `npm install`, served under a prefix
    # (e.g. /static/govuk-frontend/govuk/assets/...). Only those present, so
    # Django's checks stay quiet before node_modules exists.
    *(
        (prefix, path)
        for prefix, path in (
            ("govuk-frontend", BASE_DIR / "node_modules/govuk-frontend/dist"),
            ("moj-frontend", BASE_DIR / "node_modules/@ministryofjustice/frontend"),
            ("axe-core", BASE_DIR / "node_modules/axe-core"),
        )
        if path.is_dir()
    ),
]

CRISPY_ALLOWED_TEMPLATE_PACKS = ["gds"]
CRISPY_TEMPLATE_PACK = "gds"

# The API: tokens, rate limits, CORS, DRF and the OpenAPI schema (config/settings/api.py).
from .api import *  # noqa: E402,F401,F403

# Celery, the broker and email delivery (config/settings/tasks.py).
from .tasks import *  # noqa: E402,F401,F403
from .tasks import CELERY_BROKER_URL  # noqa: E402

CELERY_TIMEZONE = TIME_ZONE

# The local authority whose service this is: its name heads every page (Footprint is not a
# GOV.UK service, so it shows no crown or GOV.UK logotype).
FOOTPRINT_AUTHORITY_NAME = os.environ.get("FOOTPRINT_AUTHORITY_NAME", "Example Council")

# Demo accounts and data may only be created when this is set (the quick start sets it).
FOOTPRINT_DEMO = env_bool("FOOTPRINT_DEMO", False)

# How the DRP's overall formal process is limited (IRO Handbook 6.2), in working days.
DRP_OVERALL_WORKING_DAYS = int(os.environ.get("FOOTPRINT_DRP_OVERALL_WORKING_DAYS", "20"))
# Which date that limit runs from: "formal", the first formal stage (as the IRO Handbook says),
# or "raised", the date the DRP was raised (as some authorities count). One setting for the
# clock on the DRP's page, the reminders and every report.
DRP_TIMESCALE_FROM = os.environ.get("FOOTPRINT_DRP_TIMESCALE_FROM", "formal").strip().lower()
if DRP_TIMESCALE_FROM not in {"formal", "raised"}:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("FOOTPRINT_DRP_TIMESCALE_FROM must be 'formal' or 'raised'.")
# Once a response is in, the IRO resolves or escalates within this many working days.
DRP_REVIEW_WORKING_DAYS = int(os.environ.get("FOOTPRINT_DRP_REVIEW_WORKING_DAYS", "5"))
# A clock is "due soon" (amber) when its due date is this many working days away or fewer.
CLOCK_DUE_SOON_WORKING_DAYS = int(os.environ.get("FOOTPRINT_DUE_SOON_WORKING_DAYS", "5"))

# Designated Officer figures in reports for readers outside the DO team (IRO Managers,
# auditors): only for periods that have ended, and counts below this shown as "fewer than N".
FOOTPRINT_SMALL_NUMBER_THRESHOLD = int(os.environ.get("FOOTPRINT_SMALL_NUMBER_THRESHOLD", "5"))
# Tell the DO Manager when a DO enquiry is opened by someone other than its officer and the DO
# Manager (once per person, case and day).
FOOTPRINT_DO_CASE_OPENED_ALERTS = env_bool("FOOTPRINT_DO_CASE_OPENED_ALERTS", True)
# Designated Officer rules (lado.conf explains and checks each). Domain settings are read one way: settings.NAME.
LADO_DECISION_WORKING_DAYS = int(os.environ.get("FOOTPRINT_LADO_DECISION_WORKING_DAYS", "1"))
LADO_FIRST_MEETING_WORKING_DAYS = int(os.environ.get("FOOTPRINT_LADO_FIRST_MEETING_WORKING_DAYS", "5"))
LADO_PENSION_AGE = int(os.environ.get("FOOTPRINT_LADO_PENSION_AGE", "67"))
LADO_NON_RECENT_MONTHS = int(os.environ.get("FOOTPRINT_LADO_NON_RECENT_MONTHS", "12"))
LADO_TARGET_MONTHS = os.environ.get("FOOTPRINT_LADO_TARGET_MONTHS", "1,3,12")
LADO_TARGET_PERCENTAGES = os.environ.get("FOOTPRINT_LADO_TARGET_PERCENTAGES", "80,90,100")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {"celery": {"level": "WARNING"}},
}

# Links in emails are made absolute with this.
FOOTPRINT_BASE_URL = os.environ.get("FOOTPRINT_BASE_URL", "http://127.0.0.1:8000")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "footprint@localhost")
# Who receives the monthly theme report email (comma-separated); empty = every IRO Manager.
FOOTPRINT_MONTHLY_REPORT_TO = os.environ.get("FOOTPRINT_MONTHLY_REPORT_TO", "")

# Uploaded files waiting to be imported (deleted once imported). Several web/worker machines
# need this on shared storage.
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "/media/"  # never served: nothing here is public
# Import files bigger than this run as a background job whose page shows progress.
FOOTPRINT_IMPORT_INLINE_MAX_BYTES = int(os.environ.get("FOOTPRINT_IMPORT_INLINE_MAX_BYTES", 512 * 1024))
# The largest file the import page and API accept (bigger files: manage.py import_records).
FOOTPRINT_IMPORT_MAX_BYTES = int(os.environ.get("FOOTPRINT_IMPORT_MAX_BYTES", 50 * 1024 * 1024))
# With no broker (the demo), run import jobs in a thread of the web process.
FOOTPRINT_IMPORT_IN_THREAD = env_bool("FOOTPRINT_IMPORT_IN_THREAD", not CELERY_BROKER_URL)
# An XLSX file (a zip) that would unpack to more than this is refused before it is opened.
FOOTPRINT_IMPORT_MAX_EXPANDED_BYTES = int(os.environ.get("FOOTPRINT_IMPORT_MAX_EXPANDED_BYTES",
                                                         512 * 1024 * 1024))
# A running import job whose worker has not renewed its lease for this long lost its worker
# (killed, restarted): it is shown as failed, nothing written, and can be tried again.
FOOTPRINT_IMPORT_LEASE_SECONDS = int(os.environ.get("FOOTPRINT_IMPORT_LEASE_SECONDS", 300))
# A queued import no worker has taken after this long (its task could not be queued, or was
# lost) is sent again by beat's import job sweep.
FOOTPRINT_IMPORT_REQUEUE_SECONDS = int(os.environ.get("FOOTPRINT_IMPORT_REQUEUE_SECONDS", 120))
# A failed import keeps its file this long so its uploader can try again; then it is deleted.
FOOTPRINT_IMPORT_RETRY_HOURS = int(os.environ.get("FOOTPRINT_IMPORT_RETRY_HOURS", 24))
# An import of at least this many rows counts the reports' kept counts again once, at its end,
# rather than moving them with every chunk (PostgreSQL; imports.bulk.counts_deferred says why).
FOOTPRINT_IMPORT_RECOUNT_ROWS = int(os.environ.get("FOOTPRINT_IMPORT_RECOUNT_ROWS", 20_000))

# The cache holds the API's rate-limit counts and import progress: Redis when several processes
# or machines serve the app (REDIS_CACHE_URL), else this process's memory.
# A call Redis does not answer within REDIS_CACHE_TIMEOUT is answered from this process's memory,
# and Redis left alone for FOOTPRINT_CACHE_PAUSE_SECONDS (workflows.cache).
FOOTPRINT_CACHE_PAUSE_SECONDS = float(os.environ.get("FOOTPRINT_CACHE_PAUSE_SECONDS", "30"))
if os.environ.get("REDIS_CACHE_URL"):
    _cache_timeout = float(os.environ.get("REDIS_CACHE_TIMEOUT", "1"))
    CACHES = {"default": {"BACKEND": "workflows.cache.RedisCacheOrLocal",
                          "LOCATION": os.environ["REDIS_CACHE_URL"],
                          "OPTIONS": {"socket_connect_timeout": _cache_timeout,
                                      "socket_timeout": _cache_timeout}}}
