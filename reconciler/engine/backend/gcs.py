"""A `gs://bucket[/prefix]` DIY backend, read in bulk over the Cloud Storage JSON API.

A no-op plan reads one `.pulumi-tags` object per stack. Cloud Storage takes tens of
milliseconds a request, so reading them one after another would cost tens of seconds for
1,000 stacks; they are read `GCS_READERS` at a time instead, each a single media GET, on one
pool of authorised urllib3 connections (google-auth's AuthorizedHttp: Application Default
Credentials and their token refresh). No google-cloud-storage: its import alone costs more
than reading a thousand objects this way. bench/bench_gcs_plan.py measures it behind a
latency proxy.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from reconciler.engine.backend.errors import BackendAccessError, BackendError

GCS_READERS = 64
"""Object reads in flight at once (and connections kept)."""

GCS_ENDPOINT = "https://storage.googleapis.com"
"""The JSON API's host (media downloads: /download/storage/v1/b/BUCKET/o/OBJECT?alt=media)."""

_CREDENTIALS_HINT = (
    "set up Application Default Credentials (`gcloud auth application-default login`, or "
    "GOOGLE_APPLICATION_CREDENTIALS; in CI the google-github-actions/auth step)"
)


READ_ONLY_SCOPE = "https://www.googleapis.com/auth/devstorage.read_only"
"""All the bulk reader needs: it never writes (the engine does)."""


def access_error(error: Exception, url: str) -> BackendError:
    """A credentials or transport error as the one line a user can act on."""
    from google.auth import exceptions as auth

    if isinstance(error, auth.DefaultCredentialsError | auth.RefreshError):
        return BackendAccessError(
            f"no usable Google credentials to read {url} ({error}): {_CREDENTIALS_HINT}"
        )
    if isinstance(error, auth.TransportError | ConnectionError | OSError):
        return BackendAccessError(f"could not reach {url}: {error}; check the network")
    import urllib3

    if isinstance(error, urllib3.exceptions.HTTPError):
        return BackendAccessError(f"could not reach {url}: {error}; check the network")
    return BackendError(f"could not read {url}: {type(error).__name__}: {error}")


def status_error(status: int, said: str, url: str) -> BackendError:
    """An HTTP error answer of the JSON API, by status."""
    if status in (401, 403):
        return BackendAccessError(
            f"permission denied reading {url}: grant this identity "
            "roles/storage.objectViewer (plan, drift) or roles/storage.objectAdmin (apply) "
            "on the state bucket"
        )
    if status == 404:
        return BackendAccessError(f"the state bucket of {url} does not exist: check the URL")
    return BackendError(f"could not read {url}: HTTP {status}: {said}")


class GcsBucket:
    """A `gs://bucket[/prefix]` backend (google-auth and urllib3 are imported on use)."""

    def __init__(self, url: str, emulator: str | None = None) -> None:
        """`emulator`: the URL of a local Cloud Storage (`Settings.storage_emulator`, from
        STORAGE_EMULATOR_HOST, which the Pulumi CLI's gocloud.dev gcsblob follows too); it
        is sent anonymous requests, as the Google client libraries do in emulator mode."""
        try:
            import urllib3
            from google.auth.transport.urllib3 import AuthorizedHttp
        except ImportError as error:
            raise BackendError(
                "reading a gs:// backend in bulk needs google-auth and urllib3: "
                "pip install 'tenant-gitops[deploy]'"
            ) from error
        bucket_name, _, prefix = url[len("gs://") :].partition("/")
        self._url = url
        self._prefix = prefix.strip("/")
        self._updated: dict[str, float] = {}
        endpoint = emulator
        quoted = urllib.parse.quote(bucket_name, safe="")
        self._objects = f"{endpoint or GCS_ENDPOINT}/storage/v1/b/{quoted}/o"
        self._media = f"{endpoint or GCS_ENDPOINT}/download/storage/v1/b/{quoted}/o/"
        try:
            credentials = _credentials(emulated=endpoint is not None)
        except Exception as error:
            raise access_error(error, url) from error
        pool = urllib3.PoolManager(maxsize=GCS_READERS, retries=urllib3.Retry(3, redirect=False))
        self._http = AuthorizedHttp(credentials, http=pool)

    def _key(self, key: str) -> str:
        return f"{self._prefix}/{key}" if self._prefix else key

    def _get(self, url: str) -> Any:
        try:
            return self._http.request("GET", url)
        except Exception as error:
            raise access_error(error, self._url) from error

    def list(self, prefix: str) -> Iterator[str]:
        strip = len(self._prefix) + 1 if self._prefix else 0
        # `updated` (RFC 3339; each write of an object is a new generation with its own):
        # when a stack's record was written, for the rollout's shards (reconcile/barrier.py).
        query = {"prefix": self._key(prefix), "fields": "items(name,updated),nextPageToken"}
        names: list[str] = []
        while True:
            response = self._get(f"{self._objects}?{urllib.parse.urlencode(query)}")
            if response.status >= 400:
                said = response.data.decode("utf-8", "replace")[:200]
                raise status_error(response.status, said, self._url)
            page = json.loads(response.data)
            names += [item["name"] for item in page.get("items", [])]
            self._updated.update(
                (item["name"][strip:], when)
                for item in page.get("items", [])
                if (when := _seconds(item.get("updated"))) is not None
            )
            if not page.get("nextPageToken"):
                break
            query["pageToken"] = page["nextPageToken"]
        for name in names:
            yield name[strip:]

    def modified(self, key: str) -> float | None:
        """When the object was last written, as the last listing said."""
        return self._updated.get(key)

    def read(self, key: str) -> bytes | None:
        url = self._media + urllib.parse.quote(self._key(key), safe="") + "?alt=media"
        response = self._get(url)
        if response.status == 404:
            return None
        if response.status >= 400:
            said = response.data.decode("utf-8", "replace")[:200]
            raise status_error(response.status, said, self._url)
        data: bytes = response.data
        return data

    def read_many(self, keys: Iterable[str]) -> dict[str, bytes | None]:
        wanted = list(keys)
        if len(wanted) < 2:
            return {key: self.read(key) for key in wanted}
        # Each read is one round trip: keep GCS_READERS of them in flight.
        with ThreadPoolExecutor(max_workers=min(GCS_READERS, len(wanted))) as pool:
            return dict(zip(wanted, pool.map(self.read, wanted), strict=True))


def _credentials(emulated: bool) -> Any:
    """Application Default Credentials, read-only; none for a local emulator (which takes
    anonymous requests)."""
    if emulated:
        from google.auth.credentials import AnonymousCredentials

        return AnonymousCredentials()
    import google.auth

    credentials, _ = google.auth.default(scopes=[READ_ONLY_SCOPE])
    return credentials


def _seconds(text: object) -> float | None:
    """An RFC 3339 time (`2026-12-05T14:54:01.123Z`) in seconds since the epoch."""
    from datetime import datetime

    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
