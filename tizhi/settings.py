"""Settings for 提质培优管理平台, read from environment variables (see README)."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def envlist(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


DEBUG = envbool("DEBUG")

# Without DEBUG there is no fallback: Django refuses to serve a request with an empty
# SECRET_KEY, and tizhi/wsgi.py reads it at start-up so gunicorn fails to boot instead.
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY and DEBUG:
    SECRET_KEY = "development-only-insecure-key-do-not-use-in-production"

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "whitenoise.runserver_nostatic",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "csp",
    "crispy_forms",
    "crispy_bootstrap5",
    "captcha",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "django_rq",
    "schools",
    "tasks",
    "review",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy, Permissions-Policy, and no-store on signed-in pages and downloads.
    "csp.middleware.CSPMiddleware",
    "tizhi.middleware.PrivacyHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads the request: a body over REQUEST_MAX_BYTES is refused unread (413),
    # then control characters go out of every GET and POST value.
    "tizhi.middleware.RequestSizeMiddleware",
    "tizhi.middleware.CleanInputMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "schools.middleware.ForcePasswordChangeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lockout flagged during authentication into the
    # lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tizhi.urls"

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
                "tasks.context_processors.notices",
            ],
        },
    },
]

WSGI_APPLICATION = "tizhi.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite ignores select_for_update(): IMMEDIATE transactions take the write lock at BEGIN,
    # so two writers queue (for up to `timeout` seconds) instead of failing half-way.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "schools.User"

AUTHENTICATION_BACKENDS = [
    # django-axes first, so a locked username/address pair is refused before the password
    # is even checked.
    "axes.backends.AxesStandaloneBackend",
    # One password check for every account, active or not (schools/backends.py); the sign-in
    # forms refuse inactive accounts, and their sessions end with them.
    "schools.backends.SignInBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    # The manual's rule (6–20 characters, letters and digits), then the list of 20,000 common
    # passwords Django ships, then 12 characters at least for administrators.
    {"NAME": "schools.validators.PortalPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "schools.validators.AdminPasswordLengthValidator"},
]

LOGIN_URL = "home"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 8 * 60 * 60)
SESSION_COOKIE_HTTPONLY = True
HTTPS = envbool("HTTPS")
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
if envbool("BEHIND_TLS_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Number of reverse proxies in front of the app whose X-Forwarded-For is trusted; 0 means
# REMOTE_ADDR is the client (see tizhi.lib.http.client_ip).
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", 0)
# The addresses (or networks) the proxies reach the app from. X-Forwarded-For is read only on a
# request whose REMOTE_ADDR is one of them: a client that reaches gunicorn directly cannot choose
# its address (and so dodge the lockout) by sending the header. Set it to the proxy's address.
TRUSTED_PROXIES = envlist(
    "TRUSTED_PROXIES", "127.0.0.0/8,::1,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7"
)
CSRF_FAILURE_VIEW = "tizhi.views.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# With HTTPS=1: plain HTTP is redirected (the load balancer's /healthz/ excepted) and browsers
# are told to use HTTPS for a year. includeSubDomains and preload bind every subdomain of the
# portal's domain (often a ministry's or a province's shared one): the domain's owner opts in
# with HSTS_INCLUDE_SUBDOMAINS / HSTS_PRELOAD; until then check --deploy's W005 and W021, which
# only say so, are silenced (docs/decisions.md).
SECURE_SSL_REDIRECT = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]
SECURE_HSTS_SECONDS = 31_536_000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("HSTS_INCLUDE_SUBDOMAINS")
SECURE_HSTS_PRELOAD = envbool("HSTS_PRELOAD")
SILENCED_SYSTEM_CHECKS = [
    *([] if SECURE_HSTS_INCLUDE_SUBDOMAINS else ["security.W005"]),
    *([] if SECURE_HSTS_PRELOAD else ["security.W021"]),
]

# Content-Security-Policy (django-csp): every script, style, font and image from the portal
# itself, no inline script or style, no framing, forms post only here. Bootstrap's CSS draws
# its check marks and select arrows as data: SVGs. Django admin (operators only) is left out:
# its pages are Django's own.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/admin/"],
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
# Nothing here uses the camera, microphone, location, payment or USB devices.
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
    "interest-cohort=(), browsing-topics=()"
)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
FIXTURE_DIRS = [BASE_DIR / "fixtures"]
# Uploaded reports and evidence: outside the web root, served only through views that check
# who may read them.
PRIVATE_FILES_ROOT = Path(os.environ.get("PRIVATE_FILES_ROOT", str(BASE_DIR / "var" / "files")))
FILE_UPLOAD_PERMISSIONS = 0o640
# National exports are written here (the "exports" storage), outside the web root, and served
# only to the ministry.
EXPORT_ROOT = Path(os.environ.get("EXPORT_ROOT", str(BASE_DIR / "var" / "exports")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_FILES_ROOT), "base_url": None},
    },
    # National exports: written by a job worker, downloaded through any app server, so with
    # several servers EXPORT_ROOT is shared storage (or this alias another storage backend).
    "exports": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(EXPORT_ROOT), "base_url": None},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# In development whitenoise serves straight from the source folders; in production from
# STATIC_ROOT after `manage.py collectstatic`.
WHITENOISE_USE_FINDERS = DEBUG

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Captcha: four characters, case-insensitive, valid for five minutes and for one attempt.
CAPTCHA_LENGTH = 4
CAPTCHA_TIMEOUT = 5
CAPTCHA_IMAGE_SIZE = (120, 38)
CAPTCHA_FONT_SIZE = 28
# Test mode makes the captcha accept the answer PASSED; it is honoured only with DEBUG on so
# a production deployment can never switch its captcha off by an environment variable.
CAPTCHA_TEST_MODE = DEBUG and envbool("TIZHI_CAPTCHA_TEST_MODE")

# Five failed sign-ins lock that username from that address for 30 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "tizhi.lib.http.client_ip"
AXES_LOCKOUT_CALLABLE = "schools.views.locked_out"
AXES_VERBOSE = False

# The commitment form posts about 7 fields for each of up to ~60 items plus management
# fields; keep room for catalogues that grow.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
    },
}


# Background work (exports, mail, reminders) runs on Django's tasks API (README: background
# work). The database queue needs nothing but the database; JOB_BACKEND=rq moves the queue to
# Redis for larger deployments.
JOB_BACKEND = os.environ.get("JOB_BACKEND", "database").strip().lower()
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks_rq.RQBackend"
            if JOB_BACKEND == "rq"
            else "django_tasks_db.DatabaseBackend"
        ),
        "QUEUES": ["default"],
    }
}
RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 3600}}
# A running job that has not reported for this many seconds is taken for dead (its worker was
# killed or its server lost) and is re-queued by review.jobs.recover_stalled_exports, at most
# EXPORT_MAX_ATTEMPTS runs in all, then marked failed.
JOB_HEARTBEAT_TIMEOUT = envint("JOB_HEARTBEAT_TIMEOUT", 120)
EXPORT_MAX_ATTEMPTS = envint("EXPORT_MAX_ATTEMPTS", 3)
# What `manage.py tick` runs (cron or a systemd timer, every minute; `make run` loops it). Each
# entry is idempotent and safe to run on several servers at once.
PERIODIC_JOBS = [
    "review.jobs.recover_stalled_exports",
    "tasks.jobs.remind_deadlines",
    "tasks.jobs.mail_daily_digests",
    "tasks.jobs.retry_mail",
]

# Mail (README: mail). Notices are mailed by the job engine, never inside a request.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS")
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL")
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 20)
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if envbool("EMAIL_ENABLED", not DEBUG)
    else "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "提质培优管理平台 <noreply@localhost>")
# The address mails link to, e.g. https://tizhi.example.edu.cn (no trailing slash).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# 帮助's line for provincial officials: whom at the ministry to call (name and number), e.g.
# "教育部职成司平台工作组 010-xxxxxxxx". Blank: the page points to the ministry's notice.
HELPDESK = os.environ.get("HELPDESK", "").strip()

# School imports (schools/imports.py): what one file may hold. Past a cap the file is refused
# with a message saying the cap, before it costs more memory or time (README: Imports).
IMPORT_MAX_BYTES = envint("IMPORT_MAX_BYTES", 5 * 1024 * 1024)
IMPORT_MAX_ROWS = envint("IMPORT_MAX_ROWS", 20_000)
IMPORT_MAX_COLUMNS = 20
IMPORT_MAX_ERRORS = 200
IMPORT_MAX_ARCHIVE_ENTRIES = 200
IMPORT_MAX_INFLATED_BYTES = 60 * 1024 * 1024
IMPORT_MAX_COMPRESSION_RATIO = 100

# The largest request body the app reads: the 20 MB upload and the form around it. Larger ones
# get 413 before their body is read (tizhi.middleware.RequestSizeMiddleware).
REQUEST_MAX_BYTES = envint("REQUEST_MAX_BYTES", 25 * 1024 * 1024)
