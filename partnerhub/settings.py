"""PartnerHub settings, read from the environment (12-factor).

With nothing set, the project runs embedded: SQLite, Celery tasks run in-process, e-mail printed
to the console. Set DATABASE_URL and REDIS_URL for PostgreSQL and Redis.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set SECRET_KEY (or DEBUG=1 for local development).")
    SECRET_KEY = "local-development-only-not-a-secret"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_htmx",
    "csp",
    "django_celery_beat",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "partnerhub.accounts",
    "partnerhub.tenancy",
    "partnerhub.api",
    "partnerhub.webhooks",
    "partners",
    "metrics",
    "tiers",
    "training",
    "incentives",
    "portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "partnerhub.middleware.SignedInPagesAreNotStored",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "partnerhub.tenancy.middleware.TenantMiddleware",
    "partnerhub.api.middleware.ApiKeyMiddleware",
]

ROOT_URLCONF = "partnerhub.urls"
WSGI_APPLICATION = "partnerhub.wsgi.application"

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
                "partnerhub.tenancy.context_processors.tenancy",
                "portal.context_processors.notices",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    # A Redis outage must not take pages or logins down: the cache answers "miss" while Redis
    # is unreachable (see partnerhub/cache.py), and gives up on it within half a second.
    CACHES = {
        "default": {
            "BACKEND": "partnerhub.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["allauth.account.auth_backends.AuthenticationBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# django-allauth: e-mail is the identity; sign-up happens only through an invitation.
ACCOUNT_ADAPTER = "partnerhub.accounts.adapter.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
# Per client address only: a per-account limit here would let anyone lock an account's owner
# out. Accounts are protected by a slow-down that spares the owner's browsers instead
# (partnerhub/accounts/throttle.py). Behind N reverse proxies set ALLAUTH_TRUSTED_PROXY_COUNT
# to N, or every visitor shares the proxy's address, and one bucket.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("ALLAUTH_TRUSTED_PROXY_COUNT", default=0)
ACCOUNT_RATE_LIMITS = {
    "login_failed": env.str("LOGIN_FAILED_RATE_LIMIT", default="10/m/ip"),
    "reset_password": "20/m/ip,5/m/key",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "PartnerHub"

# Metric imports: files above this size are refused before they are read; a workbook may not
# unpack to more than the second figure (zip bombs).
METRIC_IMPORT_MAX_BYTES = env.int("METRIC_IMPORT_MAX_BYTES", default=200_000_000)
METRIC_IMPORT_MAX_UNPACKED_BYTES = env.int("METRIC_IMPORT_MAX_UNPACKED_BYTES", default=500_000_000)
# Proof of performance attached to a market development funds claim: per file, and files.
MDF_PROOF_MAX_BYTES = env.int("MDF_PROOF_MAX_BYTES", default=10_000_000)
MDF_PROOF_MAX_FILES = env.int("MDF_PROOF_MAX_FILES", default=10)
LESSON_IMAGE_MAX_BYTES = env.int("LESSON_IMAGE_MAX_BYTES", default=5_000_000)
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")

INVITATION_VALID_DAYS = env.int("INVITATION_VALID_DAYS", default=7)
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="PartnerHub <no-reply@partnerhub.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}

# Celery: without a broker, tasks run in-process so `make run` needs nothing else.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
# How a job survives its worker (README, "How jobs recover"): a task is acknowledged only once
# it ran, and requeued when its process dies, so the job row's claim and heartbeat decide who
# runs it (partnerhub/jobs.py). Redis hands an unacknowledged task to another worker after the
# visibility timeout, so that is longer than any task may run (the time limits below).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("TASK_SOFT_TIME_LIMIT", default=30 * 60)
CELERY_TASK_TIME_LIMIT = CELERY_TASK_SOFT_TIME_LIMIT + 5 * 60
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 60 * 60}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# A pool process that grew past this (in KiB) is replaced after its task: no slow creep.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env.int("WORKER_MAX_MEMORY_KB", default=400_000)
# A program with more partners than RUN_SPLIT_ABOVE is evaluated by several workers, in chunks
# of RUN_SPLIT_CHUNK partners, and applied as one (tiers.evaluation).
RUN_SPLIT_ABOVE = env.int("RUN_SPLIT_ABOVE", default=100_000)
RUN_SPLIT_CHUNK = env.int("RUN_SPLIT_CHUNK", default=25_000)
JOB_HEARTBEAT_SECONDS = env.float("JOB_HEARTBEAT_SECONDS", default=10)
JOB_STALE_SECONDS = env.float("JOB_STALE_SECONDS", default=45)
JOB_SWEEP_AFTER_SECONDS = env.float("JOB_SWEEP_AFTER_SECONDS", default=180)
JOB_QUEUED_TIMEOUT_SECONDS = env.float("JOB_QUEUED_TIMEOUT_SECONDS", default=6 * 60 * 60)
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Static entries, synced into django-celery-beat's tables by beat; `expires` keeps a stale tick
# from running once the next one is due.
CELERY_BEAT_SCHEDULE = {
    "nightly-tier-recalculation": {
        "task": "tiers.tasks.recalculate_due_tenants",
        "schedule": 60 * 15,  # each tenant runs once its local time passes Tenant.nightly_run_at
        "options": {"expires": 60 * 14},
    },
    "sweep-stalled-jobs": {
        "task": "partnerhub.tenancy.tasks.sweep_stalled_jobs",
        "schedule": 60,
        "options": {"expires": 55},
    },
    "accrue-ended-quarters": {
        "task": "incentives.tasks.accrue_ended_quarters",
        "schedule": 60 * 60,  # each tenant accrues on its own quarter's first day
        "options": {"expires": 60 * 55},
    },
    "deliver-due-webhooks": {
        "task": "partnerhub.webhooks.tasks.deliver_due_webhooks",
        "schedule": 60,  # retries; first attempts are asked for when their change commits
        "options": {"expires": 55},
    },
    "prune-idempotent-answers": {
        "task": "partnerhub.api.tasks.prune_idempotent_answers",
        "schedule": 60 * 60,
        "options": {"expires": 60 * 55},
    },
    "certification-expiry-reminders": {
        "task": "training.tasks.send_expiry_reminders_everywhere",
        "schedule": 60 * 60 * 6,
        "options": {"expires": 60 * 60 * 5},
    },
}

# Production hardening; `manage.py check --deploy` is clean with DEBUG off.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # asked over plain HTTP from inside the container
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# No inline script and nothing from another origin. Inline style attributes stay allowed: the
# progress bars and tier colours are style="width: …" / "background: …" set by the server.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        # Lesson videos: players from YouTube (no-cookie) and Vimeo only.
        "frame-src": ["https://www.youtube-nocookie.com", "https://player.vimeo.com"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# SQLite (the embedded default) cannot enforce the placement history's "nulls not distinct"
# uniqueness; PostgreSQL, which production and the tests use, does.
SILENCED_SYSTEM_CHECKS = (
    ["models.W047"] if DATABASES["default"]["ENGINE"].endswith("sqlite3") else []
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# Webhooks may call private and loopback addresses only when this is on (development, tests).
WEBHOOK_ALLOW_PRIVATE = env.bool("WEBHOOK_ALLOW_PRIVATE", default=False)
# A worker holds a delivery this long; one killed mid-call lets it go when the lease runs out.
# Longer than the 10 s call timeout, so a live worker never loses its lease.
WEBHOOK_LEASE_SECONDS = env.int("WEBHOOK_LEASE_SECONDS", default=60)
# The REST API (/api/v1/): API keys, problem details, cursor pages, a limit per key.
# A body may hold 50,000 metric values (about 4 MB of JSON); forms are far below this too.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=16_000_000)
API_HTTPS_ONLY = env.bool("API_HTTPS_ONLY", default=not DEBUG)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["partnerhub.api.auth.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["partnerhub.api.auth.HasApiKeyScope"],
    "DEFAULT_THROTTLE_CLASSES": ["partnerhub.api.auth.PerKeyThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_key": env.str("API_RATE_LIMIT", default="600/min")},
    "DEFAULT_PARSER_CLASSES": ["partnerhub.api.parsers.DecimalJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "partnerhub.api.pagination.StableCursor",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "partnerhub.api.errors.problem_handler",
    "UNAUTHENTICATED_USER": None,
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "PartnerHub API",
    "DESCRIPTION": (
        "Partners, metric values, placements, incentives of one partner program. "
        "Authenticate with `Authorization: Bearer <key>`; errors are RFC 9457 problem details."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}
