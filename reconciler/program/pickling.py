"""One lock around `pulumi.dynamic`'s provider pickling, shared by every dynamic resource.

The reconciler runs several tenants' programs in threads of one process, and the SDK
pickles a dynamic provider by patching the `pickle` module and putting it back: two at once
could leave it patched, or patch the immutable C Pickler and fail. Every dynamic resource of
the program (`tenant_settings.py`, `oidc_flow.py`) registers under this one lock.
"""

from __future__ import annotations

import threading

PICKLING = threading.Lock()
"""Held while a dynamic resource's constructor pickles its provider."""
