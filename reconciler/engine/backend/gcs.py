"""A `gs://bucket[/prefix]` DIY backend, read in bulk: lists with google-cloud-storage,
object reads many at a time.

A no-op plan reads one `.pulumi-tags` object per stack. Cloud Storage takes tens of
milliseconds a request, so reading them one after another would cost tens of seconds for
1,000 stacks; they are read `GCS_READERS` at a time instead, each a single media GET on one
pooled, authorised urllib3 connection set (google-auth's AuthorizedHttp: the same
credentials and token refresh as the storage client, without its per-download machinery).
bench/bench_gcs_plan.py measures it behind a latency proxy.
"""

from __future__ import annotations

import os
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


def storage_emulator_endpoint() -> str | None:
    """`STORAGE_EMULATOR_HOST` (read here, and only here), as a URL.

    Set only to point both clients at a local Cloud Storage (tests, benchmarks): the Pulumi
    CLI's gocloud.dev gcsblob wants `host:port`, google-cloud-storage a URL with a scheme.
    google-cloud-storage also reads it itself, and then uses anonymous credentials.
    """
    host = os.environ.get("STORAGE_EMULATOR_HOST", "").strip()
    if not host:
        return None
    return host if "://" in host else f"http://{host}"


def access_error(error: Exception, url: str) -> BackendError:
    """Google client errors, by type, as the one line a user can act on."""
    from google.api_core import exceptions as api
    from google.auth import exceptions as auth

    if isinstance(error, auth.DefaultCredentialsError | auth.RefreshError):
        return BackendAccessError(
            f"no usable Google credentials to read {url} ({error}): {_CREDENTIALS_HINT}"
        )
    if isinstance(error, api.Forbidden | api.Unauthorized):
        return BackendAccessError(
            f"permission denied reading {url}: grant this identity "
            "roles/storage.objectViewer (plan, drift) or roles/storage.objectAdmin (apply) "
            "on the state bucket"
        )
    if isinstance(error, api.NotFound):
        return BackendAccessError(f"the state bucket of {url} does not exist: check the URL")
    if isinstance(error, auth.TransportError | api.GoogleAPICallError | ConnectionError):
        return BackendAccessError(f"could not reach {url}: {error}; check the network")
    return BackendError(f"could not read {url}: {type(error).__name__}: {error}")


class GcsBucket:
    """A `gs://bucket[/prefix]` backend (google-cloud-storage is imported on use)."""

    def __init__(self, url: str) -> None:
        try:
            import urllib3
            from google.auth.transport.urllib3 import AuthorizedHttp
            from google.cloud import storage
        except ImportError as error:
            raise BackendError(
                "reading a gs:// backend in bulk needs google-cloud-storage: "
                "pip install google-cloud-storage"
            ) from error
        bucket_name, _, prefix = url[len("gs://") :].partition("/")
        self._url = url
        self._prefix = prefix.strip("/")
        endpoint = storage_emulator_endpoint()
        options = {"api_endpoint": endpoint} if endpoint else None
        try:
            client = storage.Client(client_options=options)
        except Exception as error:
            raise access_error(error, url) from error
        self._bucket = client.bucket(bucket_name)
        quoted = urllib.parse.quote(bucket_name, safe="")
        self._media = f"{endpoint or GCS_ENDPOINT}/download/storage/v1/b/{quoted}/o/"
        pool = urllib3.PoolManager(maxsize=GCS_READERS, retries=urllib3.Retry(3, redirect=False))
        self._http = AuthorizedHttp(client._credentials, http=pool)

    def _key(self, key: str) -> str:
        return f"{self._prefix}/{key}" if self._prefix else key

    def list(self, prefix: str) -> Iterator[str]:
        strip = len(self._prefix) + 1 if self._prefix else 0
        try:
            names = [blob.name for blob in self._bucket.list_blobs(prefix=self._key(prefix))]
        except Exception as error:
            raise access_error(error, self._url) from error
        for name in names:
            yield name[strip:]

    def read(self, key: str) -> bytes | None:
        from google.api_core.exceptions import from_http_status

        url = self._media + urllib.parse.quote(self._key(key), safe="") + "?alt=media"
        try:
            response: Any = self._http.request("GET", url)
        except Exception as error:
            raise access_error(error, self._url) from error
        if response.status == 404:
            return None
        if response.status >= 400:
            said = response.data.decode("utf-8", "replace")[:200]
            raise access_error(from_http_status(response.status, said), self._url)
        data: bytes = response.data
        return data

    def read_many(self, keys: Iterable[str]) -> dict[str, bytes | None]:
        wanted = list(keys)
        if len(wanted) < 2:
            return {key: self.read(key) for key in wanted}
        # Each read is one round trip: keep GCS_READERS of them in flight.
        with ThreadPoolExecutor(max_workers=min(GCS_READERS, len(wanted))) as pool:
            return dict(zip(wanted, pool.map(self.read, wanted), strict=True))
