"""Process entry point: ``celery -A worker.main worker`` / ``celery -A worker.main beat``."""

from web import create_app

# A worker's statements may run longer than a request's (web.timeouts).
flask_app = create_app({"PROCESS_KIND": "worker"})
celery = flask_app.extensions["celery"]
