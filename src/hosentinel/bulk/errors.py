"""The one error type of the Bulk Data client: its str() is the one line the CLI prints."""

from __future__ import annotations


class BulkError(Exception):
    """A fetch that cannot go on (authorisation refused, server said no, timeout, bad input)."""
