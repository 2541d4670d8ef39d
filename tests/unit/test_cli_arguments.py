"""The `reelay` command turns flags into the stack's settings and the simulator's fault knobs."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from reelay_cli.cli import build_parser, submit_request
from reelay_local.commands.cli import launch_options
from reelay_local.commands.launcher import LaunchOptions, launch, real_creatify_from_env
from reelay_local.commands.sim_faults import parse_assignments
from reelay_local.simulators.creatify import Faults


def test_up_flags_become_simulator_timings_faults_and_stack_settings():
    args = build_parser().parse_args(
        [
            "up",
            "--image-seconds",
            "2",
            "--video-seconds",
            "4",
            "--sim-rate-429",
            "0.1",
            "--sim-webhook-drop-rate",
            "0.5",
            "--sim-post-latency",
            "1.5",
            "--sim-fail-stage",
            "video",
            "--sim-webhook-reorder",
            "--port",
            "3000",
            "--stage",
            "dev",
            "--logs",
            "-",
        ]
    )
    options = launch_options(args)

    assert (options.simulator.image_seconds, options.simulator.video_seconds) == (2.0, 4.0)
    assert options.simulator.faults == {
        "rate_429": 0.1,
        "webhook_drop_rate": 0.5,
        "post_latency_seconds": 1.5,
        "fail_stage": "video",
        "webhook_reorder": True,
    }
    Faults().update(**options.simulator.faults)  # the simulator accepts every one of them
    assert (options.gateway_port, options.stage, options.log_path) == (3000, "dev", None)


def test_demo_defaults_are_fast_enough_for_a_one_minute_demo_and_log_to_a_file():
    options = launch_options(build_parser().parse_args(["demo"]))
    assert options.simulator.image_seconds + options.simulator.video_seconds <= 10
    assert options.simulator.faults == {}
    assert options.log_path == Path(".reelay/logs/demo.log")
    assert options.shop is None  # without --shop, the demo is the API one


@pytest.mark.parametrize("command", ["demo", "up"])
def test_shop_starts_a_local_shop_of_that_platform_and_no_other(command):
    options = launch_options(build_parser().parse_args([command, "--shop", "woocommerce"]))
    assert options.shop == "woocommerce"
    with pytest.raises(SystemExit):
        build_parser().parse_args([command, "--shop", "magento"])


def test_submit_sends_only_the_fields_given():
    args = build_parser().parse_args(
        ["submit", "https://shop.example/p.jpg", "--aspect-ratio", "9x16", "--no-auto-video"]
    )
    assert submit_request(args) == {
        "product_url": "https://shop.example/p.jpg",
        "aspect_ratio": "9x16",
        "auto_video": False,
    }


def test_tenant_create_needs_a_table_or_a_stack():
    with pytest.raises(SystemExit):
        build_parser().parse_args(["tenant", "create", "Acme"])
    args = build_parser().parse_args(["tenant", "create", "Acme", "--stack", "reelay"])
    assert (args.name, args.stack_name, args.table) == ("Acme", "reelay", None)


def test_fault_assignments_are_read_as_json_when_they_can_be():
    assert parse_assignments(
        ["rate_429=0.2", "webhook_reorder=true", "error_queue=[429, 503]", "fail_stage=video"]
    ) == {
        "rate_429": 0.2,
        "webhook_reorder": True,
        "error_queue": [429, 503],
        "fail_stage": "video",
    }
    with pytest.raises(ValueError):
        parse_assignments(["rate_429"])


def test_real_creatify_is_used_only_when_both_credentials_are_set():
    assert real_creatify_from_env({"CREATIFY_API_ID": "id"}) is None
    real = real_creatify_from_env({"CREATIFY_API_ID": "id", "CREATIFY_API_KEY": "key"})
    assert real is not None and real.base_url == "https://api.creatify.ai"
    other = real_creatify_from_env(
        {"CREATIFY_API_ID": "id", "CREATIFY_API_KEY": "key", "CREATIFY_BASE_URL": "http://127.0.0.1:9"}
    )
    assert other is not None and other.base_url == "http://127.0.0.1:9"


def test_a_local_shop_with_the_real_creatify_is_refused_before_anything_starts():
    real = {"CREATIFY_API_ID": "id", "CREATIFY_API_KEY": "key"}
    with pytest.raises(ValueError, match="cannot fetch"):
        launch(LaunchOptions(shop="shopify"), environ=real)


def test_tenant_budget_takes_credits_or_the_stack_default_never_both_nor_a_negative():
    parse = build_parser().parse_args
    args = parse(["tenant", "budget", "acme", "--table", "t", "--daily-credits", "40"])
    assert (args.tenant_id, args.daily_credits, args.stack_default) == ("acme", 40, False)
    assert parse(["tenant", "budget", "acme", "--stack", "s", "--stack-default"]).stack_default is True
    for wrong in (
        ["tenant", "budget", "acme", "--table", "t"],
        ["tenant", "budget", "acme", "--table", "t", "--daily-credits", "5", "--stack-default"],
        ["tenant", "budget", "acme", "--table", "t", "--daily-credits", "-1"],
        ["tenant", "create", "Acme", "--table", "t", "--daily-credit-budget", "lots"],
    ):
        with pytest.raises(SystemExit):
            parse(wrong)


def _connect(argv: list[str], stdin_text: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    from reelay_cli import shop_commands

    for variable in ("REELAY_SHOP_SECRET", "REELAY_SHOPIFY_ADMIN_TOKEN", "REELAY_WOO_CONSUMER_KEY"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.delenv("REELAY_WOO_CONSUMER_SECRET", raising=False)
    args = build_parser().parse_args(["shop", "connect", *argv])
    return shop_commands.connect_request(args, io.StringIO(stdin_text))


def test_shop_connect_with_write_back_reads_the_admin_token_like_the_secret_never_from_argv(monkeypatch):
    request = _connect(["shopify", "acme.myshopify.com", "--write-back"], "whsec-1\nshpat_abc\n", monkeypatch)

    assert request == {
        "platform": "shopify",
        "shop": "acme.myshopify.com",
        "webhook_secret": "whsec-1",
        "write_back": True,
        "admin_access_token": "shpat_abc",
    }
    with pytest.raises(SystemExit):  # no option takes a credential on the command line
        build_parser().parse_args(["shop", "connect", "shopify", "a.myshopify.com", "--admin-access-token=x"])


def test_shop_connect_with_write_back_takes_woocommerce_keys_from_the_environment(monkeypatch):
    monkeypatch.setenv("REELAY_WOO_CONSUMER_KEY", "ck_1")
    monkeypatch.setenv("REELAY_WOO_CONSUMER_SECRET", "cs_1")
    from reelay_cli import shop_commands

    argv = ["shop", "connect", "woocommerce", "https://shop.example", "--write-back"]
    argv.append("--woo-video-in-description")
    request = shop_commands.connect_request(build_parser().parse_args(argv), io.StringIO("wc-secret\n"))

    assert (request["consumer_key"], request["consumer_secret"], request["woo_video_in_description"]) == (
        "ck_1",
        "cs_1",
        True,
    )


def test_shop_connect_without_write_back_asks_for_no_admin_credential(monkeypatch):
    request = _connect(["shopify", "acme.myshopify.com"], "whsec-1\nshpat_never_read\n", monkeypatch)

    assert "admin_access_token" not in request and "write_back" not in request
