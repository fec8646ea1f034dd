"""Settings for the test suite: fast hashing, in-memory email."""

import os
import tempfile

from .base import *  # noqa: F401,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# A file database for SQLite runs, so real Celery worker threads can share it with the tests.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"footprint-test-{os.getpid()}.sqlite3")}
else:
    # Two suites run at once on one server (parallel developers, a helper's focused run) each
    # need their own test database: FOOTPRINT_TEST_DB_NAME names it.
    _test_db_name = os.environ.get("FOOTPRINT_TEST_DB_NAME")
    if _test_db_name:
        DATABASES["default"]["TEST"] = {"NAME": _test_db_name}  # noqa: F405

# django-axes logs every sign-in at INFO; the tests sign in very often.
AXES_VERBOSE = False
LOGGING = {**LOGGING, "loggers": {**LOGGING["loggers"], "axes": {"level": "WARNING"}}}  # noqa: F405

# Import jobs run inline (eager), and their files go to a temporary directory.
FOOTPRINT_IMPORT_IN_THREAD = False
MEDIA_ROOT = Path(tempfile.gettempdir()) / f"footprint-test-media-{os.getpid()}"  # noqa: F405

# WhiteNoise scans every static file (node_modules included) when a handler starts, about 2 s
# for each test Client; looking files up as they are asked for is the same for tests.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

# The DO API's rate limit would slow the fuzz and matrix tests (thousands of calls a minute);
# tests/guarantees/test_lockout_and_api_limits.py sets a small rate where it checks the limit itself.
REST_FRAMEWORK = {**REST_FRAMEWORK,  # noqa: F405
                  "DEFAULT_THROTTLE_RATES": {"designated-officer": "100000/minute", "user": "100000/minute",
                                             "anon": "100000/minute"}}
