"""Where the functions' output goes locally: a log file, as CloudWatch Logs holds it in AWS.

The handlers write structured logs and EMF metrics to stdout (that is how Lambda ships them
to CloudWatch). In `reelay up` and `reelay demo` they share a process with the CLI, so
stdout is swapped for a log file before the handlers load (Powertools' Logger keeps the
stream it saw at import), and the CLI writes to the console it saved. Library chatter (moto's
notes on resources it skips, request lines, warnings) goes to the same file.
"""

from __future__ import annotations

import logging
import sys
import warnings
from pathlib import Path
from typing import TextIO

# Loggers that talk about every request or every resource; their warnings still reach the file.
_CHATTY = ("werkzeug", "moto", "botocore", "urllib3", "httpx", "httpcore", "samtranslator")


class FunctionLogs:
    """Swaps stdout for `path` (or keeps it, for `path=None`) until `close()`."""

    def __init__(self, path: Path | None) -> None:
        self.console: TextIO = sys.stdout
        self.path = path
        self._file: TextIO | None = None
        self._handler: logging.Handler | None = None

    def open(self) -> FunctionLogs:
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("w", encoding="utf-8", buffering=1)
            sys.stdout = self._file
        self._handler = logging.StreamHandler(self._file if self._file is not None else sys.stderr)
        self._handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root = logging.getLogger()
        root.addHandler(self._handler)
        for name in _CHATTY:
            logging.getLogger(name).setLevel(logging.WARNING)
        logging.captureWarnings(True)
        # Powertools warns on every invocation that publishes no metric; locally that is noise.
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        return self

    def close(self) -> None:
        if self._handler is not None:
            logging.getLogger().removeHandler(self._handler)
            self._handler = None
        if self._file is not None:
            sys.stdout = self.console
            self._file.close()
            self._file = None
