"""ASGI entry point: HTTP through Django, websockets through Channels."""

from __future__ import annotations

import gc
import os
import sys

from django.core.asgi import get_asgi_application
from django.core.exceptions import ImproperlyConfigured

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rtviz.settings")
# Set up Django (apps, models) before importing anything that uses the ORM.
try:
    django_asgi_app = get_asgi_application()
except ImproperlyConfigured as error:  # a bad setting: refuse to start, in one line
    sys.exit(f"rtviz: {error}")

from channels.auth import AuthMiddlewareStack
from channels.routing import ProtocolTypeRouter, URLRouter

from dashboard.daphne_send import server_send_keep
from dashboard.routing import websocket_urlpatterns
from rtviz.middleware import socket_log_context
from rtviz.origins import SameOriginValidator

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # The full origin (scheme, host, port), not only the host name: rtviz.origins. The
        # server's own send is kept for the live frames (dashboard.daphne_send).
        "websocket": server_send_keep(
            SameOriginValidator(
                AuthMiddlewareStack(socket_log_context(URLRouter(websocket_urlpatterns)))
            )
        ),
    }
)

# Everything made so far (Django, its apps, the routing) lives as long as the process: move it
# out of the garbage collector's way. A full collection walks every tracked object holding the
# GIL, stopping every socket and the request in hand: with the start-up objects in it, an API
# batch's garbage set off collections that cost ~130 ms a batch of 1,000 (docs/benchmarks.md).
gc.freeze()
