"""rtviz settings: one module, configured by the environment.

Required outside development: SECRET_KEY. See README.md for every variable.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from redis.connection import parse_url

from rtviz.client_ip import networks_parse
from rtviz.logs import logging_config
from rtviz.redis_hosts import channel_layer_host

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
# Pages on other origins that may open the dashboard socket, besides the site's own origin and
# CSRF_TRUSTED_ORIGINS: full origins, e.g. https://status.example.com (rtviz.origins).
WEBSOCKET_ALLOWED_ORIGINS = env_list("WEBSOCKET_ALLOWED_ORIGINS")

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
    "ninja",  # the API's docs page (its templates and static files)
    "feeds",
    "dashboard",
    "budgets",
]

MIDDLEWARE = [
    # First: it times the whole request, every other middleware included.
    "rtviz.middleware.request_latency",
    "django.middleware.security.SecurityMiddleware",
    "rtviz.middleware.content_security_policy",
    # Above whitenoise, which answers static files itself: they get it too, for browsers
    # that predate CSP's frame-ancestors.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After authentication: its log lines and latency carry the user and the view.
    "rtviz.middleware.request_context",
    "django.contrib.messages.middleware.MessageMiddleware",
    # An unreachable database: a 503 page instead of a 500 (its process_exception).
    "rtviz.unavailable.DatabaseUnavailableMiddleware",
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
# Seconds to wait for a database connection before a page answers 503 (rtviz.unavailable):
# psycopg's pool would otherwise wait 30 s for one, then fail with a 500.
DATABASE_CONNECT_TIMEOUT = float(os.environ.get("DATABASE_CONNECT_TIMEOUT", "5"))
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Each ORM call from a consumer runs in a worker thread that closes its connection after;
    # a pool makes that a return to the pool instead of a new PostgreSQL connection.
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["pool"] = {"timeout": DATABASE_CONNECT_TIMEOUT}
    _options["connect_timeout"] = max(1, round(DATABASE_CONNECT_TIMEOUT))  # libpq: whole s
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

# Channel layer: Redis carries the group messages between processes. One Redis (REDIS_URL) or,
# for failover, a master watched by Redis Sentinel (REDIS_SENTINELS, REDIS_MASTER_NAME;
# docs/operations.md). Redis Cluster is not supported by channels-redis.
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
try:  # at startup: a malformed URL otherwise surfaced at the first broadcast, as a traceback
    parse_url(REDIS_URL)
except ValueError as error:
    raise ImproperlyConfigured(f"REDIS_URL: {error}, got {REDIS_URL!r}") from None
try:
    REDIS_HOST = channel_layer_host(
        redis_url=REDIS_URL,
        sentinels=os.environ.get("REDIS_SENTINELS", ""),
        master_name=os.environ.get("REDIS_MASTER_NAME", ""),
    )
except ValueError as error:
    raise ImproperlyConfigured(str(error)) from None
# CHANNEL_LAYER=pubsub picks channels-redis's publish/subscribe layer instead, for the
# comparison in docs/benchmarks.md (which says why the default is the lists layer).
if os.environ.get("CHANNEL_LAYER", "redis") == "pubsub":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_HOST]},
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [REDIS_HOST],
                # A consumer streaming a long history reads no group messages meanwhile;
                # room for a few seconds of live batches (the generator sends <= 10 a second).
                "capacity": 1000,
                "expiry": 60,
            },
        }
    }

# Daphne's runserver (the daphne command takes --websocket-max-frame-size / -message-size; see
# SECURITY.md). Autobahn checks the message limit on what the server sends too, so it must hold
# the largest server frame (dashboard.wire.MAX_RECORDS_PER_FRAME); the frame limit binds only
# frames received, checked from a frame's header before its payload is read: 4 KiB, the
# protocol's largest client frame (dashboard.protocol, harness.daphne.CLIENT_FRAME_BYTES).
DAPHNE_WEBSOCKET_MAX_MESSAGE_SIZE = 1024 * 1024
DAPHNE_WEBSOCKET_MAX_FRAME_SIZE = 4096

# The API (feeds.api): a batch of up to 5,000 records is about 1 MB of JSON. Django's own limit
# on a body read whole is the same, for a body sent without its length.
API_MAX_BODY_BYTES = int(os.environ.get("API_MAX_BODY_BYTES", 4 * 1024 * 1024))
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES
API_REQUESTS_PER_MINUTE = int(os.environ.get("API_REQUESTS_PER_MINUTE", 600))
# Summaries, within those: the heaviest read (the kept cells of its filters, a range's edge
# records: feeds.selectors.spend_totals), in the one thread a server process runs its views in.
API_SUMMARIES_PER_MINUTE = int(os.environ.get("API_SUMMARIES_PER_MINUTE", 12))
# Seconds an API read (a page, a summary) may take before the database stops it: a 503 asking
# for narrower filters (feeds.api.deadline).
API_READ_SECONDS = float(os.environ.get("API_READ_SECONDS", "10"))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Failed logins lock out one username from one address (not the whole office behind a NAT,
# not every address guessing one name), and an address after LOGIN_FAILURES_PER_ADDRESS
# failures across usernames (password spraying: rtviz.lockout); the attempts live in the
# database, so every server process sees the same count.
AUTHENTICATION_BACKENDS = [
    "rtviz.lockout.LockoutBackend",  # first: it refuses a locked-out login outright
    "django.contrib.auth.backends.ModelBackend",
]
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = 5
LOGIN_FAILURES_PER_ADDRESS = int(os.environ.get("LOGIN_FAILURES_PER_ADDRESS", "30"))
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/login.html"
# The client's address behind a proxy: the right-most X-Forwarded-For hop that is not one of
# TRUSTED_PROXIES (addresses or networks of the proxies in front of daphne, which must then
# run WITHOUT --proxy-headers: that takes the left-most hop, which the client chooses).
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
TRUSTED_PROXY_NETWORKS = networks_parse(TRUSTED_PROXIES)
AXES_CLIENT_IP_CALLABLE = "rtviz.client_ip.client_ip"

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

# One line per event; LOG_FORMAT=json for a log shipper (rtviz.logs, docs/operations.md).
LOGGING = logging_config(
    log_format=os.environ.get("LOG_FORMAT", "plain"),
    level=os.environ.get("RTVIZ_LOG_LEVEL", "INFO"),
)

# /metrics answers only a request bearing this token (Authorization: Bearer ...); unset, it
# answers 404. Health checks (/healthz, /readyz) are open: they say nothing but up or not.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
# /readyz fails when the database or Redis takes longer than this to answer.
READY_TIMEOUT_SECONDS = float(os.environ.get("READY_TIMEOUT_SECONDS", "2"))
# Probes come to each process over plain http from inside: never redirect them to https.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]

# How far ahead of now a record's `created` may be (feeds.validators: the window starts at
# 2000-01-01, fixed in the schema's CHECK). A day: clocks disagree a little; a far-future date
# would stretch the time chart and coarsen the summary cells for good.
SPEND_CREATED_MAX_AHEAD = timedelta(days=1)

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
# Bytes — history, live and answers — a dashboard may leave unacknowledged (its pings carry
# its position) before the server drops it; it then reconnects and replays. Bounds a stalled
# client's server memory; must exceed the largest history (~2 MB: docs/benchmarks.md).
DASHBOARD_MAX_UNACKED_BYTES = int(os.environ.get("DASHBOARD_MAX_UNACKED_BYTES", str(8 * 2**20)))
# An open socket re-checks its session and permission this often (a logout closes it).
DASHBOARD_ACCESS_CHECK_SECONDS = float(os.environ.get("DASHBOARD_ACCESS_CHECK_SECONDS", "15"))
# Client frames a socket may send: this many a second on average, in bursts of up to ...
DASHBOARD_CLIENT_FRAMES_PER_SECOND = float(
    os.environ.get("DASHBOARD_CLIENT_FRAMES_PER_SECOND", "5")
)
DASHBOARD_CLIENT_FRAMES_BURST = int(os.environ.get("DASHBOARD_CLIENT_FRAMES_BURST", "20"))
# Resyncs a socket may ask for (each may be a whole history): far fewer than pings. One over
# the budget waits, coalesced with later ones (dashboard.consumers).
DASHBOARD_RESYNCS_PER_MINUTE = float(os.environ.get("DASHBOARD_RESYNCS_PER_MINUTE", "6"))
DASHBOARD_RESYNCS_BURST = int(os.environ.get("DASHBOARD_RESYNCS_BURST", "2"))
# Open dashboard sockets per user and in all, per server process (dashboard.limits) ...
DASHBOARD_MAX_SOCKETS_PER_USER = int(os.environ.get("DASHBOARD_MAX_SOCKETS_PER_USER", "20"))
DASHBOARD_MAX_SOCKETS = int(os.environ.get("DASHBOARD_MAX_SOCKETS", "4000"))
# ... and connects per user: this many a minute, in bursts of up to (a restart's reconnects).
DASHBOARD_CONNECTS_PER_MINUTE = float(os.environ.get("DASHBOARD_CONNECTS_PER_MINUTE", "60"))
DASHBOARD_CONNECTS_BURST = int(os.environ.get("DASHBOARD_CONNECTS_BURST", "20"))
# Expose the page's chart totals to the browser tests (window.rtvizTotals) and the process's
# socket state (dashboard.state) at /test-hooks/state/; never in production.
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
