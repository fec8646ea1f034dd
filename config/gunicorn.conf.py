"""gunicorn settings for the web service: `gunicorn config.wsgi -c config/gunicorn.conf.py`.

Every value can be overridden from the environment (see deploy/footprint.env.example) or the
command line. Logs are JSON lines on stdout, like Django's (config/request_id.py).
"""

import multiprocessing
import os
import sys
from pathlib import Path

# Importing the `config` package loads the Celery app, whose default is the *local* settings;
# the web tier must never fall back to those (DEBUG on), so set production first.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gunicorn import glogging  # noqa: E402

from config.request_id import JsonLogFormatter  # noqa: E402


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


# Only this machine by default: the reverse proxy on the same machine connects here, and
# nothing else can reach gunicorn to forge X-Forwarded-For / X-Forwarded-Proto around it.
# A proxy on another machine: GUNICORN_BIND=<private address>:8000 behind a firewall that
# admits only the proxy; a platform whose router is the only way in (the Procfile) binds
# 0.0.0.0:$PORT.
bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
# Sync workers: a request holds one worker; two or more per core keeps the CPU busy while
# others wait on PostgreSQL.
workers = _int("GUNICORN_WORKERS", 2 * multiprocessing.cpu_count() + 1)
threads = _int("GUNICORN_THREADS", 1)
# A request slower than this is killed (and logged) rather than holding a worker forever;
# reports and exports are the slowest pages.
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Longer than the load balancer's idle timeout, so it never reuses a connection we closed.
keepalive = _int("GUNICORN_KEEPALIVE", 75)
# Recycle workers now and then (with jitter so they don't all restart at once).
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)
# Only the proxy/load balancer may say the request came over HTTPS (X-Forwarded-Proto);
# set it to the proxy's address, or "*" when only the proxy can reach this port.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicorn buffers request bodies in /tmp; /dev/shm avoids disk stalls on its heartbeat files.
worker_tmp_dir = os.environ.get("GUNICORN_WORKER_TMP_DIR", "/dev/shm" if os.path.isdir("/dev/shm") else None)
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
proc_name = "footprint-web"


class JsonLogger(glogging.Logger):
    """gunicorn's error and access logs as JSON lines; an access line has method, path,
    status, bytes, duration_ms, the client and forwarded-for addresses and the request id.

    Never the query string: searches (``/children/?q=Daniel+Harper``) carry names of children
    and of adults in DO enquiries, and logs are kept longer and read more widely than records."""

    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(JsonLogFormatter())

    def access(self, resp, req, environ, request_time):
        if not self.cfg.accesslog:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        fields = {
            "method": atoms["m"],
            "path": atoms["U"],
            "status": int(atoms["s"]) if str(atoms["s"]).isdigit() else atoms["s"],
            "bytes": atoms["B"] or 0,
            "duration_ms": atoms["M"],
            "remote_addr": atoms["h"],
            "forwarded_for": atoms.get("{x-forwarded-for}i", ""),
            "user_agent": atoms["a"],
            "request_id": atoms.get("{x-request-id}o") or atoms.get("{x-request-id}i"),
        }
        try:
            self.access_log.info("%s %s %s", fields["method"], fields["path"], fields["status"],
                                 extra=fields)
        except Exception:  # never let logging break a response
            self.exception("Could not write the access log")


logger_class = JsonLogger
