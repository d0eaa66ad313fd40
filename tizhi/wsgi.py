"""WSGI entry point (gunicorn tizhi.wsgi)."""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tizhi.settings")

application = get_wsgi_application()

# Refuse to start without a secret key: reading an empty SECRET_KEY raises
# ImproperlyConfigured here, at boot, rather than on the first request.
_ = settings.SECRET_KEY
