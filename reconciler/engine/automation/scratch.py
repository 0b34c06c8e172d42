"""Previews against a copy of a stack's state in a scratch backend (no lock, no decrypt).

The real backend is only read: the stack's checkpoint, one object
(`reconciler.engine.backend.snapshot`). The copy goes into a temporary `file://` backend
whose stack has its own random passphrase:

1. `pulumi stack init` there (passphrase provider: its `encryptionsalt`);
2. `pulumi config set --secret` of the placeholder, for one ciphertext under that key,
   then the setting is dropped again (the program never sees it);
3. `pulumi stack import` of the checkpoint's deployment with every secret's ciphertext
   replaced by that one and the secrets provider by the scratch stack's;
4. the caller previews the scratch stack; the folder is deleted afterwards.

So a preview identity needs read access to the state and nothing else: no KMS decrypt
(nothing of the real stack is decrypted) and no write (the lock Pulumi takes even to
preview is the scratch stack's). Three CLI processes more than a preview in place.
"""

from __future__ import annotations

import json
import secrets
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

from pulumi import automation as auto

from reconciler.engine.backend.snapshot import PLACEHOLDER, placeholder_deployment, read_checkpoint
from reconciler.engine.backend.state import BULK_SCHEMES, open_bucket
from reconciler.engine.port import EngineSettings, PermanentError, Program

PLACEHOLDER_KEY = "reconciler:previewPlaceholder"
WorkspaceOptions = Callable[[Path, str, Mapping[str, str], str], auto.LocalWorkspaceOptions]


Previewed = AbstractContextManager[auto.Stack]


@contextmanager
def new_stack(
    settings: EngineSettings, options: WorkspaceOptions, tenant: str, program: Program
) -> Iterator[auto.Stack]:
    """A tenant with no stack yet, in an empty scratch backend with a random passphrase:
    a pull request's preview never creates stacks in the real one."""
    with tempfile.TemporaryDirectory(prefix="reconciler-preview-") as scratch:
        env = {**settings.env, "PULUMI_CONFIG_PASSPHRASE": secrets.token_hex(16)}
        env.pop("PULUMI_CONFIG_PASSPHRASE_FILE", None)
        opts = options(Path(scratch) / "workspace", "file://" + scratch, env, "passphrase")
        yield auto.create_stack(
            stack_name=tenant, project_name=settings.pulumi_project, program=program, opts=opts
        )


def previewed(
    settings: EngineSettings,
    options: WorkspaceOptions,
    tenant: str,
    program: Program | None,
    in_place: Callable[[], auto.Stack],
    snapshot: bool,
) -> Previewed:
    """The stack a preview runs on. With `snapshot` (a run that reads no secret and must
    not decrypt), the scratch copy where the backend's checkpoints can be read directly
    (file://, gs://); else (without it, or on another backend) the stack itself, `in_place`.

    Only a run that compares no secret may preview the copy. A provider's Diff gets the old
    *outputs* (pulumi `runtime/proto/provider_pb2.pyi` DiffRequest), which in the copy hold the
    placeholder wherever a secret was: a run that reads the secrets (a local preview, apply's
    safety preview, adopt's) would compare each one with it and show it changed."""
    if not snapshot or not settings.backend_url.startswith(BULK_SCHEMES):
        return nullcontext(in_place())
    return snapshot_stack(settings, tenant, program or (lambda: None), options)


@contextmanager
def snapshot_stack(
    settings: EngineSettings, tenant: str, program: Program, options: WorkspaceOptions
) -> Iterator[auto.Stack]:
    """The tenant's stack, copied with placeholder secrets into a scratch backend."""
    bucket = open_bucket(settings.backend_url, settings.storage_emulator)
    checkpoint = read_checkpoint(bucket, settings.pulumi_project, tenant)
    if checkpoint is None:
        raise PermanentError("the stack does not exist in the backend")
    with tempfile.TemporaryDirectory(prefix="reconciler-snapshot-") as scratch:
        env = {**settings.env, "PULUMI_CONFIG_PASSPHRASE": secrets.token_hex(16)}
        env.pop("PULUMI_CONFIG_PASSPHRASE_FILE", None)
        opts = options(Path(scratch) / "workspace", "file://" + scratch, env, "passphrase")
        stack = auto.create_stack(
            stack_name=tenant,
            project_name=settings.pulumi_project,
            program=program,
            opts=opts,
        )
        # State holds a secret's value as JSON text, so the placeholder is a JSON string.
        placeholder = auto.ConfigValue(json.dumps(PLACEHOLDER), secret=True)
        stack.set_config(PLACEHOLDER_KEY, placeholder)
        workspace = stack.workspace
        stack_settings = workspace.stack_settings(tenant)
        config = dict(stack_settings.config or {})
        ciphertext = getattr(config.pop(PLACEHOLDER_KEY, None), "secure", None)
        salt = stack_settings.encryption_salt
        if not ciphertext or not salt:
            raise PermanentError("the scratch stack gave no placeholder ciphertext")
        stack_settings.config = config
        workspace.save_stack_settings(tenant, stack_settings)
        masked = placeholder_deployment(checkpoint, ciphertext, salt)
        stack.import_stack(auto.Deployment(version=3, deployment=masked.deployment))
        yield stack
