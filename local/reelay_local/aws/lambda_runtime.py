"""Running the real Lambda handlers in this process, the way Lambda would call them.

A `LocalFunction` is one Lambda instance: one loaded copy of the handler module, one event at
a time. `FunctionInstances` is a function that scales out, as an event source with a maximum
concurrency makes it: up to that many instances, each its own copy of the module.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from reelay_local.aws.checkout import checkout_root

REPO_ROOT = checkout_root()

Handler = Callable[[dict[str, Any], Any], Any]

# The function whose handler this thread is running, so that a recorder of AWS calls
# (reelay_local.aws.aws_calls) can tell a handler's calls from the pollers' that stand in for Lambda.
running_function: ContextVar[str | None] = ContextVar("running_function", default=None)
# Called after every invocation with the function's name and the seconds it took.
invocation_observers: list[Callable[[str, float], None]] = []


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


def load_handler(code_uri: str | Path, handler: str = "app.handler", instance: int = 0) -> Handler:
    """Import `functions/<name>/app.py` under a unique module name (every function has an `app`).

    Each `instance` number gets a copy of its own: module-level objects (Powertools' batch
    processor, logger and metrics) are never shared by two instances, as in Lambda, where each
    instance is a process of its own.

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
    if instance:
        unique += f"_instance{instance}"
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
        _own_metric_sets(module)
    return getattr(module, attribute)


def _own_metric_sets(module: ModuleType) -> None:
    """Give each Powertools `Metrics` of a handler module metric, dimension and metadata sets of its own.

    Metrics keeps those on class attributes, shared by every instance in the process: in Lambda a
    process is one function instance, here it holds all of them, and two invocations at once
    would publish (or clear) each other's metrics, or fail serializing a set another thread is
    growing. Checked by a test, so a Powertools release that moves these attributes fails loudly.
    """
    from aws_lambda_powertools import Metrics

    for value in vars(module).values():
        if isinstance(value, Metrics):
            provider = value.provider
            provider.metric_set = value.metric_set = {}
            provider.metadata_set = value.metadata_set = {}
            provider.default_dimensions = value.default_dimensions = dict(provider.default_dimensions)
            provider.dimension_set = value.dimension_set = dict(provider.default_dimensions)


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
        instance: int = 0,
    ) -> LocalFunction:
        function = cls(name=name, handler=load_handler(code_uri, handler, instance), timeout_seconds=timeout)
        if lock is not None:
            function.lock = lock
        return function

    def invoke(self, event: dict[str, Any]) -> Any:
        with self.lock:
            token = running_function.set(self.name)
            started = time.perf_counter()
            try:
                return self.handler(
                    event, LocalContext(function_name=self.name, timeout_seconds=self.timeout_seconds)
                )
            finally:
                running_function.reset(token)
                for observer in list(invocation_observers):
                    observer(self.name, time.perf_counter() - started)


class FunctionInstances:
    """Up to `limit` instances of one function, for invocations that run at the same time.

    Like Lambda, an invocation gets an idle instance if there is one, else a new one while fewer
    than `limit` exist (loaded then, and kept warm), else it waits: so no more than `limit`
    invocations ever run at once, and each has a module copy to itself.
    """

    def __init__(self, first: LocalFunction, load: Callable[[int], LocalFunction], limit: int) -> None:
        if limit < 1:
            raise ValueError("a function needs at least one instance")
        self.limit = limit
        self._load = load
        self._idle: list[LocalFunction] = [first]
        self._loaded = 1
        self._busy = 0
        self._peak = 0
        self._state = threading.Condition()

    @property
    def busy(self) -> int:
        with self._state:
            return self._busy

    @property
    def peak(self) -> int:
        """The most invocations that ran at once."""
        with self._state:
            return self._peak

    @property
    def loaded(self) -> int:
        with self._state:
            return self._loaded

    def acquire(self, timeout: float | None = None) -> LocalFunction | None:
        """An instance to invoke, held until `release`; None if none became free within `timeout`."""
        with self._state:
            if not self._state.wait_for(lambda: self._idle or self._loaded < self.limit, timeout):
                return None
            self._busy += 1
            self._peak = max(self._peak, self._busy)
            if self._idle:
                return self._idle.pop()
            number = self._loaded
            self._loaded += 1
        try:
            # Outside the lock: loading takes a while, and other instances may be released meanwhile.
            return self._load(number)
        except BaseException:
            with self._state:
                self._loaded -= 1
                self._busy -= 1
                self._state.notify_all()
            raise

    def release(self, instance: LocalFunction) -> None:
        with self._state:
            self._busy -= 1
            self._idle.append(instance)
            self._state.notify_all()
