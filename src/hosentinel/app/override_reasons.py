"""Moved to `hosentinel.alerts.reasons` (shared by the app and CDS Hooks); this name stays so that
code written against it keeps working. New code imports `hosentinel.alerts.reasons`."""

from __future__ import annotations

from hosentinel.alerts.reasons import (
    BY_CODE,
    OVERRIDE_REASONS,
    PLAIN,
    SYSTEM,
    VALUE_SET,
    OverrideReason,
    plain_reason,
    reason_display,
)

__all__ = [
    "BY_CODE",
    "OVERRIDE_REASONS",
    "PLAIN",
    "SYSTEM",
    "VALUE_SET",
    "OverrideReason",
    "plain_reason",
    "reason_display",
]
