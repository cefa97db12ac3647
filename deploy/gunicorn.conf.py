"""gunicorn settings (``gunicorn -c deploy/gunicorn.conf.py config.wsgi``), from the
environment: GUNICORN_BIND (default 127.0.0.1:8000, behind nginx), GUNICORN_WORKERS
(default 2 × CPUs + 1), GUNICORN_TIMEOUT (seconds; long work runs in the task worker,
never in a request)."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
# X-Forwarded-Proto is believed from the local nginx only (settings read it through
# SECURE_PROXY_SSL_HEADER; the client's address through core.net and TRUSTED_PROXY_COUNT).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "kjfund"
