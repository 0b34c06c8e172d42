"""What the GCP checks read, as a port: `ProjectReader`, and its REST implementation.

Each method answers the resource as the API's JSON, or None when it does not exist; a
refusal (401/403) raises `NotAllowed`, anything else unexpected `ReadFailed`. The checks
never see HTTP. Endpoints, each read-only (API references):

- services: `GET serviceusage/v1/projects/{p}/services?filter=state:ENABLED`, paged by
  `pageToken` (https://cloud.google.com/service-usage/docs/reference/rest/v1/services/list);
- Identity Platform: `GET identitytoolkit/admin/v2/projects/{p}/config` (`multiTenant.
  allowTenants`; not initialised: 404 or `CONFIGURATION_NOT_FOUND`;
  https://cloud.google.com/identity-platform/docs/reference/rest/v2/projects/getConfig);
- bucket and its IAM: `GET storage/storage/v1/b/{b}` and
  `.../b/{b}/iam?optionsRequestedPolicyVersion=3` (https://cloud.google.com/storage/docs/json_api/v1/buckets);
  its objects under a prefix: `GET storage/storage/v1/b/{b}/o?prefix=` (`items[].name`;
  https://cloud.google.com/storage/docs/json_api/v1/objects/list);
- project number and IAM: `GET cloudresourcemanager/v1/projects/{p}`, `POST
  .../v1/projects/{p}:getIamPolicy` with `{"options": {"requestedPolicyVersion": 3}}`
  (version 3, or conditional bindings are not shown: configuring-resource-based-access);
- pool and provider: `GET iam/v1/projects/{p}/locations/global/workloadIdentityPools/{pool}`
  and `.../providers/{id}` (https://cloud.google.com/iam/docs/reference/rest/v1/
  projects.locations.workloadIdentityPools.providers);
- service accounts, their IAM, custom roles: `GET iam/v1/projects/{p}/serviceAccounts/{email}`,
  `POST ...:getIamPolicy?options.requestedPolicyVersion=3`, `GET iam/v1/projects/{p}/roles/{id}`;
- the key and its IAM: `GET cloudkms/v1/{key}`, `GET
  cloudkms/v1/{key}:getIamPolicy?options.requestedPolicyVersion=3`
  (https://cloud.google.com/kms/docs/reference/rest/v1/projects.locations.keyRings.cryptoKeys).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from reconciler.gcp.rest import Answer, GoogleRest

Json = dict[str, Any]


class NotAllowed(Exception):
    """The identity running the doctor may not read this."""


class QuotaProjectRefused(NotAllowed):
    """The API is off in the project these credentials bill (their quota project)."""

    def __init__(self, what: str, service: str, consumer: str) -> None:
        super().__init__(
            f"{what}: {service} is disabled in {consumer}, the quota project of these credentials"
        )


class ReadFailed(Exception):
    """An answer the doctor cannot use (a 5xx, a malformed body)."""


class ProjectReader(Protocol):
    def enabled_services(self, project: str) -> set[str]: ...

    def identity_config(self, project: str) -> Json | None: ...

    def bucket(self, name: str) -> Json | None: ...

    def bucket_policy(self, name: str) -> Json | None: ...

    def objects(self, bucket: str, prefix: str) -> list[str] | None:
        """Names of the bucket's objects under `prefix` (one page), None if no bucket."""
        ...

    def project(self, project: str) -> Json | None: ...

    def project_policy(self, project: str) -> Json | None: ...

    def pool(self, project: str, pool: str) -> Json | None: ...

    def provider(self, project: str, pool: str, provider: str) -> Json | None: ...

    def service_account(self, project: str, email: str) -> Json | None: ...

    def service_account_policy(self, project: str, email: str) -> Json | None: ...

    def custom_role(self, project: str, role_id: str) -> Json | None: ...

    def crypto_key(self, name: str) -> Json | None: ...

    def crypto_key_policy(self, name: str) -> Json | None: ...


_V3 = {"optionsRequestedPolicyVersion": "3"}
_IAM_V3 = {"options.requestedPolicyVersion": "3"}


class RestProjectReader:
    """`ProjectReader` over Google's REST APIs (or a stand-in at the same paths)."""

    def __init__(self, rest: GoogleRest) -> None:
        self.rest = rest

    def _read(self, answer: Answer, what: str) -> Json | None:
        if answer.ok:
            return dict(answer.body) if isinstance(answer.body, dict) else {}
        if answer.status == 404 or "CONFIGURATION_NOT_FOUND" in answer.reason:
            return None
        disabled = answer.disabled_service() if answer.status == 403 else None
        if disabled is not None:
            raise QuotaProjectRefused(what, *disabled)
        if answer.status in (401, 403):
            raise NotAllowed(f"{what}: {answer.reason}")
        raise ReadFailed(f"{what}: {answer.reason}")

    def enabled_services(self, project: str) -> set[str]:
        found: set[str] = set()
        token = ""
        while True:
            query = {"filter": "state:ENABLED", "pageSize": "200"}
            if token:
                query["pageToken"] = token
            page = self._read(
                self.rest.get("serviceusage", f"v1/projects/{project}/services", query),
                f"the services of {project}",
            )
            page = page or {}
            found |= {str(s.get("config", {}).get("name", "")) for s in page.get("services", [])}
            token = str(page.get("nextPageToken") or "")
            if not token:
                return found - {""}

    def identity_config(self, project: str) -> Json | None:
        answer = self.rest.get("identitytoolkit", f"admin/v2/projects/{project}/config")
        return self._read(answer, f"Identity Platform's config in {project}")

    def bucket(self, name: str) -> Json | None:
        return self._read(self.rest.get("storage", f"storage/v1/b/{name}"), f"bucket {name}")

    def bucket_policy(self, name: str) -> Json | None:
        answer = self.rest.get("storage", f"storage/v1/b/{name}/iam", _V3)
        return self._read(answer, f"the IAM policy of bucket {name}")

    def objects(self, bucket: str, prefix: str) -> list[str] | None:
        query = {"prefix": prefix, "maxResults": "100"}
        answer = self.rest.get("storage", f"storage/v1/b/{bucket}/o", query)
        listed = self._read(answer, f"the objects of gs://{bucket}/{prefix}")
        if listed is None:
            return None
        return [str(item.get("name", "")) for item in listed.get("items") or []]

    def project(self, project: str) -> Json | None:
        answer = self.rest.get("cloudresourcemanager", f"v1/projects/{project}")
        return self._read(answer, f"project {project}")

    def project_policy(self, project: str) -> Json | None:
        body: Mapping[str, Any] = {"options": {"requestedPolicyVersion": 3}}
        answer = self.rest.post("cloudresourcemanager", f"v1/projects/{project}:getIamPolicy", body)
        return self._read(answer, f"the IAM policy of project {project}")

    def pool(self, project: str, pool: str) -> Json | None:
        path = f"v1/projects/{project}/locations/global/workloadIdentityPools/{pool}"
        return self._read(self.rest.get("iam", path), f"Workload Identity pool {pool}")

    def provider(self, project: str, pool: str, provider: str) -> Json | None:
        pools = f"v1/projects/{project}/locations/global/workloadIdentityPools"
        path = f"{pools}/{pool}/providers/{provider}"
        return self._read(self.rest.get("iam", path), f"Workload Identity provider {provider}")

    def service_account(self, project: str, email: str) -> Json | None:
        answer = self.rest.get("iam", f"v1/projects/{project}/serviceAccounts/{email}")
        return self._read(answer, f"service account {email}")

    def service_account_policy(self, project: str, email: str) -> Json | None:
        path = f"v1/projects/{project}/serviceAccounts/{email}:getIamPolicy"
        answer = self.rest.post("iam", path, {}, _IAM_V3)
        return self._read(answer, f"the IAM policy of {email}")

    def custom_role(self, project: str, role_id: str) -> Json | None:
        answer = self.rest.get("iam", f"v1/projects/{project}/roles/{role_id}")
        return self._read(answer, f"custom role {role_id}")

    def crypto_key(self, name: str) -> Json | None:
        return self._read(self.rest.get("cloudkms", f"v1/{name}"), f"KMS key {name}")

    def crypto_key_policy(self, name: str) -> Json | None:
        answer = self.rest.get("cloudkms", f"v1/{name}:getIamPolicy", _IAM_V3)
        return self._read(answer, f"the IAM policy of {name}")
