"""Moved to `hosentinel.store.audit` (the audit's one home); this name stays so that pages and
branches written against it keep working. New code imports `hosentinel.store.audit`."""

from __future__ import annotations

from hosentinel.store.audit import audit

__all__ = ["audit"]
