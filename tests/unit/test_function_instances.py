"""A function scaled out locally: each instance is its own copy of the handler module, at most `limit`."""

from __future__ import annotations

import sys
import threading
from typing import Any

import pytest
from aws_lambda_powertools.metrics import MetricUnit

from reelay_local.aws.lambda_runtime import FunctionInstances, LocalFunction, load_handler

PROVIDER_WORKER = "functions/provider_worker"
# A handler that still keeps a Powertools Metrics object (stage metrics flush per count instead).
SHOP_WEBHOOK = "functions/shop_webhook"


def _module_of(instance: int, function: str = PROVIDER_WORKER) -> Any:
    load_handler(function, "app.handler", instance)
    suffix = f"_instance{instance}" if instance else ""
    return sys.modules[f"reelay_function_{function.removeprefix('functions/')}_app{suffix}"]


def test_each_instance_is_its_own_module_and_a_warm_one_is_reused():
    first, second = _module_of(0), _module_of(1)
    assert first is not second
    assert first.record_handler is not second.record_handler
    assert _module_of(1) is second  # a warm instance is reused, not loaded again


def test_each_instance_has_its_own_metrics():
    # Copies 1 and 2, dropped afterwards: a stack started later in this process loads its own
    # copy 0 with the template's settings (a Metrics made here has no namespace).
    first, second = _module_of(1, SHOP_WEBHOOK), _module_of(2, SHOP_WEBHOOK)
    second.metrics.add_metric(name="OnlyInTheSecond", unit=MetricUnit.Count, value=1)
    try:
        assert "OnlyInTheSecond" in second.metrics.provider.metric_set
        # Powertools keeps metric sets on the class: without the copy, the first would flush it.
        assert "OnlyInTheSecond" not in first.metrics.provider.metric_set
    finally:
        second.metrics.clear_metrics()
        for module in (first, second):
            sys.modules.pop(module.__name__, None)


def _instances(limit: int) -> tuple[FunctionInstances, list[int]]:
    loaded: list[int] = []

    def load(number: int) -> LocalFunction:
        loaded.append(number)
        return LocalFunction(name=f"copy-{number}", handler=lambda event, context: number)

    return FunctionInstances(LocalFunction(name="first", handler=lambda e, c: 0), load, limit), loaded


def test_instances_are_loaded_on_demand_up_to_the_limit_and_then_reused():
    instances, loaded = _instances(limit=2)
    first = instances.acquire(timeout=0)
    second = instances.acquire(timeout=0)
    assert first is not None and second is not None and first is not second
    assert loaded == [1]
    assert instances.acquire(timeout=0.05) is None  # the cap: a third waits
    assert (instances.busy, instances.peak, instances.loaded) == (2, 2, 2)

    freed = threading.Timer(0.05, instances.release, args=(second,))
    freed.start()
    again = instances.acquire(timeout=5)
    assert again is second  # warm, not a third copy
    assert loaded == [1]


def test_an_instance_that_fails_to_load_frees_its_place():
    def broken(number: int) -> LocalFunction:
        raise ImportError("the handler does not import")

    instances = FunctionInstances(LocalFunction(name="first", handler=lambda e, c: 0), broken, limit=2)
    assert instances.acquire(timeout=0) is not None
    with pytest.raises(ImportError):
        instances.acquire(timeout=0)
    assert (instances.busy, instances.loaded) == (1, 1)
