"""rtviz settings: one module, configured by the environment.

Required outside development: SECRET_KEY. See README.md for every variable.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment (or DEBUG=1 for local development)."
        )
    SECRET_KEY = "django-insecure-rtviz-development-only"  # noqa: S105 - used only when DEBUG is on

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "daphne",  # first: its runserver serves HTTP and websockets (ASGI)
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "feeds",
    "dashboard",
    "budgets",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "rtviz.middleware.content_security_policy",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: it turns the lockout that its backend flags into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "rtviz.urls"

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

ASGI_APPLICATION = "rtviz.asgi.application"

# Database: SQLite file by default, PostgreSQL in production, both by DATABASE_URL.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Each ORM call from a consumer runs in a worker thread that closes its connection after;
    # a pool makes that a return to the pool instead of a new PostgreSQL connection.
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The generator and the server are separate processes writing and reading one file:
    # WAL lets readers run beside the writer; IMMEDIATE takes the write lock up front so
    # concurrent writers wait (timeout) instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file beside the database, not memory, so a server that a test starts in another
    # process sees the test data.
    _database_file = Path(DATABASES["default"]["NAME"])
    DATABASES["default"]["TEST"] = {
        "NAME": str(_database_file.with_name(f"test_{_database_file.name}"))
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# HTTPS. Cookies are Secure outside development (browsers keep Secure cookies from
# http://127.0.0.1 and localhost too; SECURE_COOKIES=0 is for other clients over plain http).
# HTTPS=1 when the site is served over TLS, directly or by a proxy: redirect http there and
# pin browsers to it with HSTS. PROXY_SSL_HEADER names the header a TLS-terminating proxy sets
# (e.g. X-Forwarded-Proto): only with a proxy that always sets it, or a client could claim https.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True  # no script of ours reads it: forms carry the token
_https = env_bool("HTTPS")
SECURE_SSL_REDIRECT = _https
SECURE_HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", 365 * 24 * 3600 if _https else 0))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
if _proxy_ssl_header := os.environ.get("PROXY_SSL_HEADER", ""):
    SECURE_PROXY_SSL_HEADER = (f"HTTP_{_proxy_ssl_header.upper().replace('-', '_')}", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Channel layer: Redis carries the group messages between processes.
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            # redis-py 8 times a read out after 5 s by default, exactly as long as
            # channels-redis blocks waiting for a message: on a busy machine the empty reply
            # lands late and the timeout killed live consumers. No read timeout, as before
            # redis-py 8 (a finite one above 5 s made a cancelled receive hang in teardown);
            # connect quickly, so that an outage is noticed.
            "hosts": [{"address": REDIS_URL, "socket_timeout": None, "socket_connect_timeout": 5}],
            # A consumer streaming a long history reads no group messages meanwhile;
            # room for a few seconds of live batches (the generator sends <= 10 a second).
            "capacity": 1000,
            "expiry": 60,
        },
    }
}

# Daphne's runserver: the websocket message limit binds what the server sends too, so it must
# hold the largest record frame (feeds.encoding.MAX_RECORDS_PER_FRAME); the consumer refuses
# client frames over 4 KiB itself (dashboard.protocol).
DAPHNE_WEBSOCKET_MAX_MESSAGE_SIZE = 1024 * 1024
DAPHNE_WEBSOCKET_MAX_FRAME_SIZE = 1024 * 1024

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Failed logins lock out one username from one address (not the whole office behind a NAT,
# not every address guessing one name); the attempts live in the database, so every server
# process sees the same count. Behind a proxy, daphne's --proxy-headers makes the address real.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: it refuses a locked-out login outright
    "django.contrib.auth.backends.ModelBackend",
]
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/login.html"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard:index"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Front-end libraries, installed by npm at the versions in package-lock.json.
    ("vendor/d3", NODE_MODULES / "d3" / "dist"),
    ("vendor/crossfilter2", NODE_MODULES / "crossfilter2"),
    ("vendor/dc", NODE_MODULES / "dc" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "feeds": {"level": os.environ.get("RTVIZ_LOG_LEVEL", "INFO")},
        "dashboard": {"level": os.environ.get("RTVIZ_LOG_LEVEL", "INFO")},
        "budgets": {"level": os.environ.get("RTVIZ_LOG_LEVEL", "INFO")},
        "daphne.server": {"level": "INFO"},  # "Listening on ..." tells where the server is
        # runserver's request log: once, not again through Django's own "django" handler.
        "django.channels.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# Records per history frame sent to a connecting dashboard.
DASHBOARD_HISTORY_CHUNK_SIZE = int(os.environ.get("DASHBOARD_HISTORY_CHUNK_SIZE", "5000"))
# A full history sends this many of the latest records whole and the older ones summarised
# (dashboard.summaries): the cost of a connect stops growing with the number of records.
DASHBOARD_HISTORY_RAW_LIMIT = int(os.environ.get("DASHBOARD_HISTORY_RAW_LIMIT", "20000"))
# At most this many summary rows for all time: past it the time chart's buckets grow, since the
# page's filtering slows with its rows (brushing took 46 ms at 224k rows; docs/benchmarks.md).
DASHBOARD_SUMMARY_MAX_ROWS = int(os.environ.get("DASHBOARD_SUMMARY_MAX_ROWS", "60000"))
# A reconnecting dashboard further behind than this many changes gets the full history instead.
DASHBOARD_REPLAY_LIMIT = int(os.environ.get("DASHBOARD_REPLAY_LIMIT", "50000"))
# Live bytes a dashboard may leave unacknowledged (its pings carry its position) before the
# server drops it; it then reconnects and replays. Bounds a stalled client's server memory.
DASHBOARD_MAX_UNACKED_BYTES = int(os.environ.get("DASHBOARD_MAX_UNACKED_BYTES", str(8 * 2**20)))
# An open socket re-checks its session and permission this often (a logout closes it).
DASHBOARD_ACCESS_CHECK_SECONDS = float(os.environ.get("DASHBOARD_ACCESS_CHECK_SECONDS", "15"))
# Client frames a socket may send: this many a second on average, in bursts of up to ...
DASHBOARD_CLIENT_FRAMES_PER_SECOND = 5.0
DASHBOARD_CLIENT_FRAMES_BURST = 20
# Expose the page's chart totals to the browser tests (window.rtvizTotals); never in production.
DASHBOARD_TEST_HOOKS = env_bool("DASHBOARD_TEST_HOOKS")

# Alert emails (budgets.emails) go to the Team group's members: printed under DEBUG, sent by
# SMTP otherwise (EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS).
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_TIMEOUT = float(os.environ.get("EMAIL_TIMEOUT", "10"))  # a hung server is a failed try
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "rtviz <rtviz@localhost>")
# Tries per alert email, the pause before the second (doubling after), then it stays pending.
ALERT_EMAIL_TRIES = int(os.environ.get("ALERT_EMAIL_TRIES", "3"))
ALERT_EMAIL_RETRY_SECONDS = float(os.environ.get("ALERT_EMAIL_RETRY_SECONDS", "2"))
