"""Django settings for Wicketgate, all read from the environment.

Nothing here is insecure by default: DEBUG is off unless asked for, the secret key is
generated into the data folder on first run, cookies are secure unless the operator
turns that off for a plain-HTTP loopback demo.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from wicketgate.lib.env import envbool, envint, envlevels, envlist, envstr, secret_from_data_dir

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(envstr("WICKETGATE_DATA_DIR") or BASE_DIR / "data").resolve()
NODE_MODULES = Path(envstr("WICKETGATE_NODE_MODULES") or BASE_DIR / "node_modules")

DEBUG = envbool("WICKETGATE_DEBUG", False)
SECRET_KEY = secret_from_data_dir("WICKETGATE_SECRET_KEY", DATA_DIR / "secret_key")
ALLOWED_HOSTS = envlist("WICKETGATE_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = envlist("WICKETGATE_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "ninja",
    "huey.contrib.djhuey",
    "wicketgate.accounts",
    "wicketgate.estate",
    "wicketgate.people",
    "wicketgate.audit",
    "wicketgate.policy",
    "wicketgate.gateway",
    "wicketgate.conduct",
    "wicketgate.contacts",
    "wicketgate.calls",
    "wicketgate.phone",
    "wicketgate.learning",
    "wicketgate.web",
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
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, so that a locked-out attempt is refused after authentication has run.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "wicketgate.urls"
WSGI_APPLICATION = "wicketgate.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wicketgate.web.context_processors.staff_context",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------
DATABASE_URL = envstr("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'wicketgate.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # One writer at a time, taken at BEGIN, so two writers queue instead of
        # failing half-way through a transaction with "database is locked".
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        # secure_delete: deleted rows (a copy of an identity document, once its time is up)
        # are overwritten, not left in the file's free pages.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
        "PRAGMA secure_delete=ON;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Uploads stay in memory, never in a temporary file, cut off past the largest file taken;
# one file a request (no form takes more), so a request holds at most about 5 MB.
FILE_UPLOAD_HANDLERS = ["wicketgate.lib.uploads.BoundedMemoryUploadHandler"]
DATA_UPLOAD_MAX_NUMBER_FILES = 1

# --- Authentication -----------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "wicketgate.accounts.backends.PasswordBackend",
    "wicketgate.accounts.backends.PrisonerPinBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "web:sign-in"
LOGIN_REDIRECT_URL = "web:home"

# Login throttling: a username is locked after this many failures from one address.
AXES_FAILURE_LIMIT = envint("WICKETGATE_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = envint("WICKETGATE_LOGIN_COOLOFF_MINUTES", 15, minimum=1) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"
AXES_VERBOSE = False
# Never keep a typed second-factor code or PIN in the record of failed attempts.
AXES_SENSITIVE_PARAMETERS = ["password", "otp_token", "pin"]

# Prisoner device accounts: wrong PINs never lock an account (one prisoner could lock out
# another); they slow down further tries. After the limit of wrong PINs within the window,
# for an account (or an account at a device it signs in on) or for a device (any
# accounts), tries are refused unchecked for the back-off, doubled for each further wrong
# PIN up to the cap. A device the account signed in on within the trust period is its
# own: wrong PINs typed for it elsewhere do not hold it up there. Staff can clear both.
WICKETGATE_PIN_FAILURE_LIMIT = envint("WICKETGATE_PIN_FAILURE_LIMIT", 5, minimum=1)
WICKETGATE_PIN_DEVICE_FAILURE_LIMIT = envint("WICKETGATE_PIN_DEVICE_FAILURE_LIMIT", 10, minimum=1)
WICKETGATE_PIN_BACKOFF_SECONDS = envint("WICKETGATE_PIN_BACKOFF_SECONDS", 30, minimum=1)
WICKETGATE_PIN_BACKOFF_MAX_SECONDS = envint(
    "WICKETGATE_PIN_BACKOFF_MAX_SECONDS", 4 * 3600, minimum=1
)
WICKETGATE_PIN_FAILURE_WINDOW_HOURS = envint("WICKETGATE_PIN_FAILURE_WINDOW_HOURS", 24, minimum=1)
WICKETGATE_PIN_TRUSTED_DEVICE_DAYS = envint("WICKETGATE_PIN_TRUSTED_DEVICE_DAYS", 30, minimum=0)

# Asking to be a prisoner's contact (prison number and date of birth): requests in any
# 24 hours by one family account, and naming one prison number (from any accounts).
WICKETGATE_CONTACT_REQUESTS_PER_ACCOUNT = envint(
    "WICKETGATE_CONTACT_REQUESTS_PER_ACCOUNT", 5, minimum=1
)
WICKETGATE_CONTACT_REQUESTS_PER_PRISON_NUMBER = envint(
    "WICKETGATE_CONTACT_REQUESTS_PER_PRISON_NUMBER", 10, minimum=1
)

# Prisoners' requests for sites: how many may wait for review at once, per prisoner.
WICKETGATE_SITE_REQUESTS_OPEN_LIMIT = envint("WICKETGATE_SITE_REQUESTS_OPEN_LIMIT", 5, minimum=1)

# --- Audit log -----------------------------------------------------------------------
# Sign the chain's head every N events, and every T seconds when it has moved.
WICKETGATE_AUDIT_CHECKPOINT_EVERY = envint("WICKETGATE_AUDIT_CHECKPOINT_EVERY", 1000, minimum=1)
WICKETGATE_AUDIT_CHECKPOINT_SECONDS = envint("WICKETGATE_AUDIT_CHECKPOINT_SECONDS", 300, minimum=1)
WICKETGATE_AUDIT_SIGNING_KEY_FILE = envstr("WICKETGATE_AUDIT_SIGNING_KEY_FILE") or str(
    DATA_DIR / "audit-signing-key.pem"
)
WICKETGATE_AUDIT_SPOOL_DIR = Path(envstr("WICKETGATE_AUDIT_SPOOL_DIR") or DATA_DIR / "audit-spool")

# --- Video calls (Janus) ------------------------------------------------------------------
# Janus's configuration and secrets (generated once, mode 0600) live here; its HTTP API
# listens on WICKETGATE_JANUS_ADDRESS, which is also the address its media uses: ICE never
# uses loopback, so in production this is an address on the secure network (the tests put
# Janus in a network namespace of its own). WICKETGATE_JANUS_URL is the API as browsers
# and suite devices reach it.
# On one machine (the demo), WICKETGATE_JANUS_NAMESPACE names a network namespace that
# `wicketgate up` makes (as root) for Janus, joined to this machine by a veth pair on
# WICKETGATE_JANUS_NETWORK (a /30: the first address this machine's end, the second
# Janus's); the addresses below then default to that pair's, and the web app listens on
# this machine's end too, for Janus's events. Nothing off the machine can reach either.
WICKETGATE_JANUS_DIR = Path(envstr("WICKETGATE_JANUS_DIR") or DATA_DIR / "janus")
WICKETGATE_JANUS_NAMESPACE = envstr("WICKETGATE_JANUS_NAMESPACE") or ""
WICKETGATE_JANUS_NETWORK = envstr("WICKETGATE_JANUS_NETWORK") or "10.78.250.0/30"
_janus_here, _janus_there = "127.0.0.1", "127.0.0.1"
if WICKETGATE_JANUS_NAMESPACE:
    try:
        _janus_net = ipaddress.IPv4Network(WICKETGATE_JANUS_NETWORK)
    except ValueError as exc:
        raise ImproperlyConfigured(f"WICKETGATE_JANUS_NETWORK: {exc}") from None
    if _janus_net.prefixlen != 30:  # two addresses: this end, Janus's
        raise ImproperlyConfigured("WICKETGATE_JANUS_NETWORK: give a /30 (two addresses)")
    _janus_here, _janus_there = (str(a) for a in _janus_net.hosts())
WICKETGATE_JANUS_ADDRESS = envstr("WICKETGATE_JANUS_ADDRESS") or _janus_there
WICKETGATE_JANUS_INTERFACE = envstr("WICKETGATE_JANUS_INTERFACE") or (
    f"{WICKETGATE_JANUS_NAMESPACE}j" if WICKETGATE_JANUS_NAMESPACE else "lo"
)
WICKETGATE_JANUS_ADMIN_ACL = envstr("WICKETGATE_JANUS_ADMIN_ACL") or _janus_here
WICKETGATE_JANUS_URL = envstr("WICKETGATE_JANUS_URL") or ""
# The web app as Janus reaches it, for Janus's events (joined, media up, hung up, …),
# which go to the audit log. (`wicketgate up` sets it to its own port when not given.)
WICKETGATE_JANUS_EVENTS_TO = envstr("WICKETGATE_JANUS_EVENTS_TO") or f"http://{_janus_here}:8000"
if WICKETGATE_JANUS_NAMESPACE and _janus_here not in ALLOWED_HOSTS:
    ALLOWED_HOSTS = [*ALLOWED_HOSTS, _janus_here]  # Janus posts its events to this end
# How long recordings of calls are kept (calls with legal contacts are never recorded).
WICKETGATE_CALL_RECORDING_DAYS = envint("WICKETGATE_CALL_RECORDING_DAYS", 90, minimum=1)

# --- Phone calls ---------------------------------------------------------------------------
# The SIP realm handsets authenticate in (prison number and phone PIN, digest); changing
# it means setting every phone PIN again, since each is kept only as a digest in it.
WICKETGATE_PHONE_REALM = envstr("WICKETGATE_PHONE_REALM") or "wicketgate"
# How many social numbers a prisoner may have on their list, per incentive level
# ("BAS=10,STD=15,…"); official and legal numbers are not counted.
WICKETGATE_PHONE_SOCIAL_NUMBERS = envlevels(
    "WICKETGATE_PHONE_SOCIAL_NUMBERS", {"BAS": 10, "STD": 15, "ENH": 20, "EN2": 20, "EN3": 20}
)
# Kamailio: where it listens for handsets, the trunk outside calls leave through (the
# dialled number in E.164 as the Request-URI user), its folder, and the web app as it
# reaches it to ask whether a call may be made.
WICKETGATE_PHONE_SIP_LISTEN = envstr("WICKETGATE_PHONE_SIP_LISTEN") or "127.0.0.1:5060"
WICKETGATE_PHONE_TRUNK = envstr("WICKETGATE_PHONE_TRUNK") or "sip:127.0.0.1:5080"
WICKETGATE_PHONE_DIR = Path(envstr("WICKETGATE_PHONE_DIR") or DATA_DIR / "phone")

# Learning: the Ed25519 keys each establishment signs learner credentials with (one PEM a
# code, created on first use, 0600), and the offline library's kiwix-serve.
WICKETGATE_LEARNING_KEYS_DIR = Path(
    envstr("WICKETGATE_LEARNING_KEYS_DIR") or DATA_DIR / "learning" / "keys"
)
# The offline library: ZIM books kiwix-serve serves from WICKETGATE_LIBRARY_DIR, listening
# on WICKETGATE_LIBRARY_LISTEN (loopback), reached by prisoners only through the gateway
# under WICKETGATE_LIBRARY_HOST, a name only the gateway resolves.
# The catalogue categories a course may open to its learners (education staff choose a
# course's sites; a second person approves sites, not each course, so the list is kept to
# learning's own categories, and every other site still needs a rule or an exception).
WICKETGATE_LEARNING_CATEGORIES = envlist(
    "WICKETGATE_LEARNING_CATEGORIES", ["EDUCATION", "EMPLOYMENT", "COURSE_BOOKS"]
)
WICKETGATE_LIBRARY_DIR = Path(envstr("WICKETGATE_LIBRARY_DIR") or DATA_DIR / "library")
WICKETGATE_LIBRARY_LISTEN = envstr("WICKETGATE_LIBRARY_LISTEN", "127.0.0.1:8090")
WICKETGATE_LIBRARY_HOST = envstr("WICKETGATE_LIBRARY_HOST", "library.wicketgate.internal")
# The largest ZIM file staff may upload (streamed to the library's folder, never held in
# memory); larger books are added with `wicketgate learning book add`.
WICKETGATE_LIBRARY_MAX_UPLOAD_MB = envint("WICKETGATE_LIBRARY_MAX_UPLOAD_MB", 2048, minimum=1)
WICKETGATE_PHONE_ASK_URL = envstr("WICKETGATE_PHONE_ASK_URL") or "http://127.0.0.1:8000"
# rtpengine, the calls' media relay: the address it relays audio on (one both handsets and
# the trunk reach), its ng control address (UDP, loopback: it has no authentication), and
# the ports it may use for media.
WICKETGATE_PHONE_MEDIA_ADDRESS = envstr("WICKETGATE_PHONE_MEDIA_ADDRESS") or "127.0.0.1"
WICKETGATE_PHONE_MEDIA_CONTROL = envstr("WICKETGATE_PHONE_MEDIA_CONTROL") or "127.0.0.1:2223"
WICKETGATE_PHONE_MEDIA_PORTS = envstr("WICKETGATE_PHONE_MEDIA_PORTS") or "30000-30999"
# The spoken announcements the called person hears first (espeak-ng's WAVs; rtpengine's
# user must be able to read them).
WICKETGATE_PHONE_ANNOUNCEMENTS_DIR = Path(
    envstr("WICKETGATE_PHONE_ANNOUNCEMENTS_DIR") or WICKETGATE_PHONE_DIR / "announcements"
)
# The called person accepts the call by pressing this key after the announcement (within
# WICKETGATE_PHONE_ACCEPT_SECONDS of its end, or the call is ended and not charged); empty:
# no key asked for, the prisoner is heard when the announcement ends. rtpengine reports
# key presses to WICKETGATE_PHONE_KEYS_LISTEN (UDP, loopback), where the phone watcher hears them.
WICKETGATE_PHONE_ACCEPT_KEY = envstr("WICKETGATE_PHONE_ACCEPT_KEY", "1")
WICKETGATE_PHONE_ACCEPT_SECONDS = envint("WICKETGATE_PHONE_ACCEPT_SECONDS", 30, minimum=5)
WICKETGATE_PHONE_KEYS_LISTEN = envstr("WICKETGATE_PHONE_KEYS_LISTEN") or "127.0.0.1:2224"
# How long recordings of phone calls are kept (legal calls are never recorded).
WICKETGATE_PHONE_RECORDING_DAYS = envint("WICKETGATE_PHONE_RECORDING_DAYS", 90, minimum=1)
# Kamailio's RPC socket (jsonrpcs, Unix datagram), which Wicketgate ends live calls on.
WICKETGATE_PHONE_RPC_SOCKET = Path(
    envstr("WICKETGATE_PHONE_RPC_SOCKET")
    or WICKETGATE_PHONE_DIR / "kamailio" / "run" / "kamailio_rpc.sock"
)
# The most phone credit a prisoner may hold, in pence, per incentive level.
WICKETGATE_PHONE_CREDIT_LIMIT_PENCE = envlevels(
    "WICKETGATE_PHONE_CREDIT_LIMIT_PENCE",
    {"BAS": 2000, "STD": 3500, "ENH": 5000, "EN2": 5000, "EN3": 5000},
)

# --- Web gateway (Squid and its helpers) ------------------------------------------------
# Where Squid listens; where the gateway keeps its configuration, logs and helper socket
# (Squid's helpers run as the unprivileged `proxy` user, so every folder above it must be
# one that user can enter).
WICKETGATE_GATEWAY_LISTEN = envstr("WICKETGATE_GATEWAY_LISTEN", "127.0.0.1:3128")
# The establishments this gateway serves (codes); empty: all of them. Sessions on devices
# elsewhere are refused here.
WICKETGATE_GATEWAY_ESTABLISHMENTS = envlist("WICKETGATE_GATEWAY_ESTABLISHMENTS", [])
WICKETGATE_GATEWAY_DIR = Path(envstr("WICKETGATE_GATEWAY_DIR") or DATA_DIR / "gateway")
# A device session ends after this long without a request, and after this long in all.
WICKETGATE_GATEWAY_IDLE_MINUTES = envint("WICKETGATE_GATEWAY_IDLE_MINUTES", 15, minimum=1)
WICKETGATE_GATEWAY_MAX_MINUTES = envint("WICKETGATE_GATEWAY_MAX_MINUTES", 240, minimum=1)
# How often the gateway looks for policy and session changes (ms), and how long it goes on
# deciding without a fresh look before it refuses everything (s).
WICKETGATE_GATEWAY_POLL_MS = envint("WICKETGATE_GATEWAY_POLL_MS", 250, minimum=10)
WICKETGATE_GATEWAY_GRACE_SECONDS = envint("WICKETGATE_GATEWAY_GRACE_SECONDS", 5, minimum=1)
# Squid's access log is recorded into the audit log as it grows, then started afresh at this size.
WICKETGATE_GATEWAY_LOG_ROTATE_MB = envint("WICKETGATE_GATEWAY_LOG_ROTATE_MB", 64, minimum=1)
# While the gateway is busy, requests reach the audit log at most this late (the access
# log holds them meanwhile); when it is quiet, at once.
WICKETGATE_GATEWAY_RECORD_MAX_LAG_SECONDS = envint(
    "WICKETGATE_GATEWAY_RECORD_MAX_LAG_SECONDS", 30, minimum=1
)
# Where a blocked plain-HTTP request is sent: the portal's block page, which the gateway
# always lets devices reach.
WICKETGATE_GATEWAY_PORTAL_URL = envstr("WICKETGATE_GATEWAY_PORTAL_URL", "http://127.0.0.1:8000")
# The gateways' addresses as the web app sees them: from these only, the portal believes
# the device address the gateway's portal route writes (X-Wicketgate-Device-Address), so
# that wrong PINs typed on the portal are counted per device. Empty: believed from none.
WICKETGATE_TRUSTED_GATEWAYS = envlist("WICKETGATE_TRUSTED_GATEWAYS", [])
# HTTPS is decrypted with the gateway's own CA (installed on managed devices) unless the
# catalogue marks a site as passed through: a setting no longer decides it for all.
if "WICKETGATE_GATEWAY_INTERCEPT" in os.environ:
    raise ImproperlyConfigured(
        "WICKETGATE_GATEWAY_INTERCEPT is gone: HTTPS is inspected unless a catalogue site "
        "says it is passed through (https: pass-through); unset it"
    )
# Networks the gateway never connects to, whatever name led there (DNS rebinding, a
# wildcard entry, the platform's own services, cloud metadata), checked on the address a
# name resolves to, with this machine's own addresses added. Only a catalogue site
# marked as an internal service may be on them. Test upstreams use TEST-NET-2
# (198.51.100.0/24), which is not here.
WICKETGATE_GATEWAY_REFUSED_NETWORKS = envlist(
    "WICKETGATE_GATEWAY_REFUSED_NETWORKS",
    [
        "0.0.0.0/8",  # "this network"
        "10.0.0.0/8",  # RFC 1918
        "100.64.0.0/10",  # carrier-grade NAT
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local, cloud metadata (169.254.169.254)
        "172.16.0.0/12",  # RFC 1918
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # TEST-NET-1 (documentation)
        "192.168.0.0/16",  # RFC 1918
        "198.18.0.0/15",  # benchmarking
        "203.0.113.0/24",  # TEST-NET-3 (documentation); TEST-NET-2 is the tests' internet
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, broadcast
        "::/128",
        "::1/128",  # loopback
        "64:ff9b::/96",  # NAT64
        "64:ff9b:1::/48",  # local-use NAT64
        "2001:db8::/32",  # documentation
        "2002::/16",  # 6to4: may carry any IPv4 address, private ones too
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "ff00::/8",  # multicast
    ],
)
for _network in WICKETGATE_GATEWAY_REFUSED_NETWORKS:
    try:
        ipaddress.ip_network(_network)
    except ValueError as _exc:
        raise ImproperlyConfigured(f"WICKETGATE_GATEWAY_REFUSED_NETWORKS: {_exc}") from None
# With interception, Squid checks upstream certificates itself: against the system's CAs,
# plus this file's if set.
WICKETGATE_GATEWAY_UPSTREAM_CA = envstr("WICKETGATE_GATEWAY_UPSTREAM_CA")
# For tests and benchmarks: resolve names from this hosts file, or send everything to one
# parent server (host:port).
WICKETGATE_GATEWAY_HOSTS_FILE = envstr("WICKETGATE_GATEWAY_HOSTS_FILE")
WICKETGATE_GATEWAY_PARENT = envstr("WICKETGATE_GATEWAY_PARENT")

# --- Background work (Huey; SQLite storage in the data folder by default) ---------------
HUEY = {
    "name": "wicketgate",
    "huey_class": "huey.SqliteHuey",
    "filename": str(DATA_DIR / "huey.sqlite3"),
    "immediate": envbool("WICKETGATE_HUEY_IMMEDIATE", False),
    "consumer": {"workers": 1, "worker_type": "thread", "periodic": True},
}

OTP_TOTP_ISSUER = envstr("WICKETGATE_OTP_ISSUER", "Wicketgate")

# --- Sessions and cookies -------------------------------------------------------------
SESSION_COOKIE_AGE = envint("WICKETGATE_SESSION_IDLE_MINUTES", 30, minimum=1) * 60
SESSION_SAVE_EVERY_REQUEST = True  # the age above is an idle timeout
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
_secure_cookies = envbool("WICKETGATE_SECURE_COOKIES", True)
SESSION_COOKIE_SECURE = _secure_cookies
CSRF_COOKIE_SECURE = _secure_cookies
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = envbool("WICKETGATE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = envint("WICKETGATE_HSTS_SECONDS", 0, minimum=0)
if envbool("WICKETGATE_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}

# --- Internationalisation ---------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en", "English"), ("cy", "Cymraeg")]
TIME_ZONE = envstr("WICKETGATE_TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------------
# GOV.UK Frontend's compiled CSS asks for its fonts and images at /assets/, so static
# files are served from there and the design systems' asset folders sit at its root.
STATIC_URL = "/assets/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise scans it at start-up
STATICFILES_DIRS = [
    NODE_MODULES / "govuk-frontend/dist/govuk/assets",
    NODE_MODULES / "@ministryofjustice/frontend/moj/assets",
    ("govuk", NODE_MODULES / "govuk-frontend/dist/govuk"),
    ("moj", NODE_MODULES / "@ministryofjustice/frontend/moj"),
    ("janus", NODE_MODULES / "janus-gateway/npm/src"),
    ("webrtc-adapter", NODE_MODULES / "webrtc-adapter/out"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": envstr(
            "WICKETGATE_STATICFILES_STORAGE",
            "whitenoise.storage.CompressedManifestStaticFilesStorage",
        ),
    },
}
WHITENOISE_KEEP_ONLY_HASHED_FILES = False

# --- E-mail (the family portal's verification links) -----------------------------------
# Without a configured backend, mail is written to files that `make demo` users can read.
EMAIL_BACKEND = (
    envstr("WICKETGATE_EMAIL_BACKEND") or "django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = DATA_DIR / "outbox"
EMAIL_HOST = envstr("WICKETGATE_EMAIL_HOST", "localhost")
EMAIL_PORT = envint("WICKETGATE_EMAIL_PORT", 25)
DEFAULT_FROM_EMAIL = envstr(
    "WICKETGATE_DEFAULT_FROM_EMAIL", "Wicketgate <no-reply@wicketgate.invalid>"
)

# --- Django Ninja (API) -------------------------------------------------------------------
NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 500

# --- Logging ----------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": envstr("WICKETGATE_LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # The Huey consumer installs its own handler; do not print its lines twice.
        "huey": {"level": "INFO", "propagate": False},
    },
}
