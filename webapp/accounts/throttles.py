"""Login throttling (DRF's ScopedRateThrottle): password guessing gets 429 after LOGIN_THROTTLE_RATE attempts.

The count is kept per client address and username in Django's cache, which must be shared by every web
process (settings.CACHES: Redis): a per-process cache would give each process its own allowance.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from rest_framework.throttling import ScopedRateThrottle


class LoginRateThrottle(ScopedRateThrottle):
    """Counts the login attempts (POST) of one address on one username; other methods (the session's GET on
    every page load, logout) are not logins and pass."""

    scope_attr = "throttle_scope"

    def get_rate(self) -> str:
        return settings.LOGIN_THROTTLE_RATE  # read per request: tests change it

    def allow_request(self, request, view) -> bool:
        if request.method != "POST":
            return True
        self.scope = "login"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super(ScopedRateThrottle, self).allow_request(request, view)

    def get_cache_key(self, request, view) -> str:
        username = ""
        if hasattr(request.data, "get"):
            username = str(request.data.get("username", ""))[:150].strip().lower()
        # Hashed: cache keys stay short and free of spaces, and the cache holds no usernames.
        who = hashlib.sha256(username.encode()).hexdigest()[:16]
        return self.cache_format % {"scope": self.scope, "ident": f"{self.get_ident(request)}:{who}"}
