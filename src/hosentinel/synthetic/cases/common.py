"""Medications and options several cases share."""

from __future__ import annotations

ENOXAPARIN = ("67108", "enoxaparin", "enoxaparin 40 MG subcutaneous injection, once daily")


NSAID_INDO = "nsaid-indomethacin"
