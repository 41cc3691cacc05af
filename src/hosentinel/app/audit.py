"""Moved to `hosentinel.store.audit` (the audit's one home). This name stays only while two
pages split by concurrent changes still import it (tests/test_one_home.py lists them); it goes
when they import `hosentinel.store.audit`."""

from __future__ import annotations

from hosentinel.store.audit import audit

__all__ = ["audit"]
