"""Errors the `reelay` command reports in one line: the user can act on them, a traceback would not help."""

from __future__ import annotations


class UserError(RuntimeError):
    """Missing or wrong input, or a service that answered no; the message says what to do."""
