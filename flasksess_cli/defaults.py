"""Flask's defaults, the fixed vocabularies of the command line, and the caps on hostile input.

Plain constants. The command modules (``flasksess_cli.cli``) import this at every
start-up to build their option choices (and TAB completion offers them), so it
imports nothing.
"""

from __future__ import annotations

#: Digests a session interface can sign with (any fixed-size hashlib digest works in itsdangerous), and
#: their output size in bytes; the common one first where several share a size.
DIGEST_SIZES = {
    "sha1": 20, "sha256": 32, "sha512": 64, "sha224": 28, "sha384": 48, "md5": 16,
    "sha3_224": 28, "sha3_256": 32, "sha3_384": 48, "sha3_512": 64, "blake2b": 64, "blake2s": 32,
}  # fmt: skip

#: itsdangerous key derivations; Flask uses "hmac".
KEY_DERIVATIONS = ("hmac", "concat", "django-concat", "none")

#: The token formats ``--format`` names (flasksess_cli.codec.formats.FORMATS, whose order a test holds this to).
TOKEN_FORMATS = (
    "flask-session", "flask-wtf-csrf", "flask-login-remember", "starlette-session", "quart-auth",
    "flask-security-token", "flask-security-confirm", "flask-security-reset", "flask-security-login",
    "flask-security-change-email", "flask-security-tf-validity", "flask-security-tf-setup", "flask-security-us-setup",
    "flask-security-wan", "flask-security-refresh", "itsdangerous", "itsdangerous-untimed", "flask-session-id",
)  # fmt: skip

#: Flask's defaults for its session cookie.
FLASK_SALT = "cookie-session"
FLASK_SESSION_SALT = "flask-session"  # Flask-Session's signed server-side session ids
DEFAULT_COOKIE_NAME = "session"
DEFAULT_MAX_AGE = 31 * 24 * 3600  # PERMANENT_SESSION_LIFETIME, applied to every session on load
#: Flask's MAX_COOKIE_SIZE: Werkzeug warns when a Set-Cookie header is longer.
DEFAULT_MAX_COOKIE_SIZE = 4093

#: audit cookie --workers at most (more never helps a CPU-bound search; one per core is started at most).
MAX_AUDIT_WORKERS = 256

#: Caps on hostile input: the text read, and the JSON a compressed payload may inflate to
#: (by default, and at most with --max-size).
MAX_INPUT_BYTES = 1 << 20
DEFAULT_MAX_JSON_BYTES = 1 << 20
MAX_JSON_BYTES = 1 << 30
#: Caps on what a user may ask for: genkey --count; sizecheck --timeout, in seconds.
MAX_KEY_COUNT = 100_000
MAX_TIMEOUT = 3600

#: sizecheck: the servers whose Cookie header limit ``--server`` picks (rows of sizecheck.limits.LIMITS).
SIZECHECK_SERVERS = (
    "nginx", "apache", "gunicorn", "tomcat", "node", "iis", "alb", "cloudflare", "cloudfront", "werkzeug",
)  # fmt: skip
#: The SameSite values Werkzeug writes.
SAMESITE_VALUES = ("Strict", "Lax", "None")
