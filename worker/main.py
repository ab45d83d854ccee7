"""Process entry point: ``celery -A worker.main worker`` / ``celery -A worker.main beat``."""

from web import create_app

flask_app = create_app()
celery = flask_app.extensions["celery"]
