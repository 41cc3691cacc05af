"""The one error of backups."""

from __future__ import annotations


class BackupError(Exception):
    """A backup that cannot be made, read, trusted or restored; the message says why."""
