"""A Lambda instance's start, with Python's cyclic garbage collector paused until its first answer.

Importing boto3 and Powertools and building the first clients allocates hundreds of thousands of
objects that live as long as the instance, and almost none of them is garbage. CPython's cyclic
collector runs after every 700 new container objects and walks the young ones each time: about
eighty passes over the service models' dicts while an instance starts, which measured about an
eighth of a plain boto3 Lambda's cold start (bench/cold_start.py prints that baseline with the
collector paused as well). Reference counting still frees every object that is not in a cycle;
only cycles wait for the collector, and it runs again once the first invocation has returned.

Turning it on again does not collect, and the next allocation would then walk every object
the start made (about 18 ms for boto3, the Logger and two clients), in the first answer's time.
So what the start made is frozen first (`gc.freeze`): those objects live as long as the
instance, and the collector, from then on, walks only what is made after. Any cycle among them
(the first invocation's own included) is kept, once, for the instance's life.

Every handler module imports this before anything else (an `# isort: split` below it keeps it
there), and wraps its handler in `resumes_collector`. The pause applies only in Lambda's
runtime (AWS_EXECUTION_ENV names it); where the handlers are imported by tests, the local stack
or the operator's command, neither the pause nor the wrapper touches the collector.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

H = TypeVar("H", bound=Callable[..., Any])

IN_LAMBDA = os.environ.get("AWS_EXECUTION_ENV", "").startswith("AWS_Lambda_")

if IN_LAMBDA:
    gc.disable()


def resume_collection() -> None:
    """Freeze what the instance's start made, then run the collector again (once: after that,
    and outside Lambda, this does nothing)."""
    if IN_LAMBDA and not gc.isenabled():
        gc.freeze()
        gc.enable()


def resumes_collector(handler: H) -> H:
    """`handler`, after whose first return (or raise) the collector runs again; outside Lambda,
    `handler` itself."""
    if not IN_LAMBDA:
        return handler

    @wraps(handler)
    def invoke(*args: Any, **kwargs: Any) -> Any:
        try:
            return handler(*args, **kwargs)
        finally:
            resume_collection()

    return invoke  # type: ignore[return-value]
