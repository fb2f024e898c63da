"""Django's ASGI application alone, as webapp.asgi served it before the body guard: the baseline that
tests/webapp/test_limits_body.py measures beside the guarded application (the server imports it by path)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")
application = get_asgi_application()
