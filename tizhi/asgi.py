"""ASGI entry point."""

import os

from django.conf import settings
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tizhi.settings")

application = get_asgi_application()
_ = settings.SECRET_KEY
