"""The site key and the manifest's signature: restore refuses a backup not signed with it."""

from __future__ import annotations

import hashlib
import hmac
import os
import tarfile
from pathlib import Path

from hosentinel.settings import Settings
from hosentinel.store.backup.errors import BackupError

# HMAC-SHA256 of manifest.json with the site key: the manifest holds the copy's SHA-256, so the
# signature covers the whole backup. `restore` refuses a backup without it or with another.
SIGNATURE = "manifest.sig"
# The environment variable of `Settings.backup_key`, named in messages.
KEY_SETTING = "HOSENTINEL_BACKUP_KEY"
MIN_KEY = 32


def site_key(settings: Settings | None = None) -> bytes:
    """The site's backup signing key: `HOSENTINEL_BACKUP_KEY`, the key itself or the path of a
    file holding it (at least 32 characters; e.g. `openssl rand -hex 32`). Without `settings`,
    the environment is read now."""
    value = ((settings or Settings()).backup_key or "").strip()
    if value and os.path.isfile(value):
        value = Path(value).read_text(encoding="utf-8").strip()
    if len(value) < MIN_KEY:
        raise BackupError(
            f"set {KEY_SETTING} to the site's backup key (at least {MIN_KEY} characters, or a"
            " file holding it): backups are signed with it and restore checks the signature"
        )
    return value.encode()


def sign(raw_manifest: bytes, key: bytes) -> str:
    return hmac.new(key, raw_manifest, hashlib.sha256).hexdigest()


def check_signature(
    path: Path, tar: tarfile.TarFile, raw_manifest: bytes, settings: Settings | None
) -> None:
    key = site_key(settings)
    try:
        member = tar.extractfile(SIGNATURE)
    except KeyError:
        member = None
    if member is None:
        raise BackupError(f"{path} is not signed: refused (only signed backups are restored)")
    given = member.read(200).decode("ascii", "replace").strip()
    if not hmac.compare_digest(given, sign(raw_manifest, key)):
        raise BackupError(
            f"{path}: the signature does not match (altered, or signed with another site key):"
            " refused"
        )
