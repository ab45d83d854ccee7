"""Gunicorn settings for production: ``gunicorn -c web/gunicorn_conf.py 'web:create_app()'``."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = 30
graceful_timeout = 20
keepalive = 5
# A worker is replaced after this many requests (a guard against slow leaks). Each new one
# starts cold (templates, SQL compilation caches), so not too often: at 2,000 a busy server
# replaced a worker every few seconds.
max_requests = 20000
max_requests_jitter = 2000
# The app is built once in the master and the workers fork from it: a replaced worker is
# serving again at once and the workers share the imported code's memory. Connections are
# never shared: nothing connects while the app is built, and post_fork drops any pool anyway.
preload_app = True
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_fork(server, worker) -> None:
    """A forked worker starts with empty database pools (never the master's connections), and
    with the themes' language model loaded and run once, so no search waits for it."""
    from web.themes import model

    model.warm()
    app = worker.app.wsgi()
    extension = app.extensions.get("sqlalchemy")
    if extension is not None:
        with app.app_context():
            for engine in extension.engines.values():
                engine.dispose(close=False)
