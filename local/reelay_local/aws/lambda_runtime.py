"""Running the real Lambda handlers in this process, the way Lambda would call them."""

from __future__ import annotations

import importlib.util
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reelay_local.aws.checkout import checkout_root

REPO_ROOT = checkout_root()

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass
class LocalContext:
    """The attributes of Lambda's context object that handlers and Powertools read."""

    function_name: str
    timeout_seconds: float = 30.0
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"
    region: str = "us-east-1"
    account_id: str = "123456789012"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"local/{self.aws_request_id}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_seconds - (time.monotonic() - self.started)) * 1000))


def load_handler(code_uri: str | Path, handler: str = "app.handler") -> Handler:
    """Import `functions/<name>/app.py` under a unique module name (every function has an `app`).

    Lambda puts the code directory on sys.path, so a handler imports its sibling modules by
    plain name (`from console_routes import ...`); here the directory is on sys.path while the
    handler module is imported. Sibling modules are then shared by name across the process, so
    they must be imported at the handler's top level and be named uniquely across functions.
    """
    code_dir = Path(code_uri)
    if not code_dir.is_absolute():
        code_dir = REPO_ROOT / code_dir
    module_name, _, attribute = handler.rpartition(".")
    source = code_dir / f"{module_name.replace('.', '/')}.py"
    unique = f"reelay_function_{code_dir.name}_{module_name.replace('.', '_')}"
    module = sys.modules.get(unique)
    if module is None:
        spec = importlib.util.spec_from_file_location(unique, source)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load handler module {source}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[unique] = module
        sys.path.insert(0, str(code_dir))
        try:
            spec.loader.exec_module(module)
        finally:
            sys.path.remove(str(code_dir))
    return getattr(module, attribute)


@dataclass
class LocalFunction:
    name: str
    handler: Handler
    timeout_seconds: float = 30.0
    # One Lambda instance serves one event at a time, and handlers rely on it: Powertools keeps
    # the current event on module- and class-level objects. So invocations holding the same
    # lock take turns; functions that share such state are given one lock.
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def from_code(
        cls,
        name: str,
        code_uri: str | Path,
        handler: str = "app.handler",
        timeout: float = 30.0,
        lock: threading.Lock | None = None,
    ) -> LocalFunction:
        function = cls(name=name, handler=load_handler(code_uri, handler), timeout_seconds=timeout)
        if lock is not None:
            function.lock = lock
        return function

    def invoke(self, event: dict[str, Any]) -> Any:
        with self.lock:
            return self.handler(
                event, LocalContext(function_name=self.name, timeout_seconds=self.timeout_seconds)
            )
