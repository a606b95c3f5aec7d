"""Diagnostic logging for the command line (``--log-level``, ``-v``).

Logs go to stderr through one stdlib handler carrying :class:`~opsync.redaction.RedactingFilter`:
a filter on the handler, not on a logger, sees every record that reaches it, including
those of loggers opsync does not own (httpx, notion-client), so no level shows a secret.
The values of the environment variables named ``*TOKEN*``, ``*SECRET*``, ``*PASSWORD*`` or
``*API_KEY*`` are masked wherever they appear, on top of the filter's credential patterns.
"""

from __future__ import annotations

import logging
import os
import re
import sys

from opsync.redaction import RedactingFilter

LEVELS = ("debug", "info", "warning", "error")
_SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY", re.IGNORECASE)
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def secrets_from_env() -> list[str]:
    """Values of the environment variables whose names say they hold a credential."""
    return [v for k, v in os.environ.items() if _SECRET_NAME.search(k) and len(v) >= 6]


def configure(level: str) -> None:
    """Send records at ``level`` and above to stderr, redacted; idempotent."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "opsync", False)]:
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.opsync = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.addFilter(RedactingFilter(secrets_from_env()))
    root.addHandler(handler)
    root.setLevel(getattr(logging, level.upper()))
