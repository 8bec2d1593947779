"""Content-Security-Policy: the pages run only our own scripts and styles.

Django 5.2 has no CSP of its own. Templates hold no inline script or style (only data
attributes), so the policy needs no nonce and no 'unsafe-inline'. d3 and dc.js style elements
through the CSSOM, which a CSP does not restrict.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

# 'self' covers same-origin ws:// and wss:// (CSP Level 3, every current browser), so the
# dashboard's socket needs no scheme-wide ws:/wss: that would let a script reach any host.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def content_security_policy(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response

    return middleware
