"""Credit budgets through the embedded stack: the API, the provider worker, the fan-out, the CLI."""

from __future__ import annotations

import json

import pytest

from reelay.config import settings
from reelay.deps import Deps
from reelay.logic.tenants import create_tenant
from reelay_cli.cli import main
from reelay_local.consumers.webhook_receiver import WebhookReceiver
from tests.integration.pipeline import (
    SIM_API_ID,
    SIM_API_KEY,
    TenantApi,
    detail_types,
    notification_statuses,
    provider_calls,
    stored,
    wait_for,
)

EXHAUSTED = "credit budget exhausted"


def budgeted(embedded, credits: int | None) -> TenantApi:
    return TenantApi(embedded, create_tenant("Budgeted", Deps(), daily_credit_budget=credits))


def statement(api: TenantApi) -> dict:
    answer = api.request("GET", "/v1/credits")
    assert answer.status == 200, answer.body
    return answer.json()


def test_a_video_past_the_day_s_budget_is_never_paid_and_its_task_fails_announced(embedded, simulator):
    api = budgeted(embedded, 2)  # the preview's 1 credit fits, the video's 3 do not
    with WebhookReceiver(secret=api.tenant.webhook_secret) as receiver:
        task = api.submit(simulator.sample_product_url("mug"), webhook_url=receiver.url)
        done = api.run_until(task["id"])
        (webhook,) = receiver.wait_for(1)

    assert (done["status"], done["failed_reason"]) == ("failed", EXHAUSTED)
    assert len(provider_calls(simulator, "gen_image")) == 1
    assert provider_calls(simulator, "gen_video") == []
    (event,) = embedded.consumers.events()
    assert detail_types([event]) == ["Product Video Failed"]
    assert event["detail"]["failed_reason"] == EXHAUSTED
    assert notification_statuses(embedded.consumers.notifications()) == ["failed"]
    assert json.loads(webhook.body)["failed_reason"] == EXHAUSTED
    assert stored(task["id"]).credits_spent == 1
    credits = statement(api)
    assert (credits["daily_budget"], credits["used_today"], credits["left_today"]) == (2, 1, 1)
    assert credits["remaining_credits"] == simulator.credits(SIM_API_ID)


def test_a_call_creatify_refused_gives_its_credit_back_until_one_goes_through(embedded, simulator):
    simulator.add_account(SIM_API_ID, SIM_API_KEY, credits=0)  # Creatify answers 402, doing nothing
    api = budgeted(embedded, 10)
    task_id = api.submit(simulator.sample_product_url())["id"]
    wait_for(
        lambda: embedded.stack.pump_once() >= 0 and provider_calls(simulator, "gen_image"),
        what="the refused gen_image",
    )
    embedded.stack.pump()

    assert statement(api)["used_today"] == 0
    simulator.add_account(SIM_API_ID, SIM_API_KEY, credits=10)
    assert api.run_until(task_id, timeout=30)["status"] == "video_generated"
    assert [call.status_code for call in provider_calls(simulator, "gen_image")] == [402, 200]
    credits = statement(api)
    assert (credits["used_today"], credits["left_today"]) == (1 + 3, 10 - 4)


def test_an_unlimited_tenant_sees_its_use_and_nothing_as_left(embedded, simulator):
    api = budgeted(embedded, None)  # the stack's DailyCreditBudget, 0 by default: unlimited
    task_id = api.submit(simulator.sample_product_url())["id"]
    api.run_until(task_id)

    credits = statement(api)
    assert (credits["daily_budget"], credits["used_today"], credits["left_today"]) == (None, 4, None)
    assert set(credits) == {
        "remaining_credits",
        "day",
        "daily_budget",
        "used_today",
        "left_today",
        "resets_at",
    }


@pytest.mark.embedded_options(extra_env={"DAILY_CREDIT_BUDGET": "3"})
def test_the_stack_default_applies_until_the_operator_gives_the_tenant_its_own(embedded, simulator, capsys):
    api = budgeted(embedded, None)
    assert statement(api)["daily_budget"] == 3
    table = settings().table_name

    assert main(["tenant", "budget", api.tenant_id, "--table", table, "--daily-credits", "8", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"tenant_id": api.tenant_id, "daily_credit_budget": 8}
    assert statement(api)["daily_budget"] == 8

    assert main(["tenant", "budget", api.tenant_id, "--table", table, "--daily-credits", "0"]) == 0
    assert "unlimited" in capsys.readouterr().out
    assert statement(api)["daily_budget"] is None

    assert main(["tenant", "budget", api.tenant_id, "--table", table, "--stack-default"]) == 0
    assert statement(api)["daily_budget"] == 3


def test_tenant_create_sets_the_budget_and_an_unknown_tenant_is_one_line_of_error(embedded, capsys):
    table = settings().table_name
    argv = ["tenant", "create", "Shoes", "--table", table, "--daily-credit-budget", "25", "--json"]

    assert main(argv) == 0
    created = json.loads(capsys.readouterr().out)
    assert created["daily_credit_budget"] == 25
    assert Deps().tenants.get(created["tenant_id"]).daily_credit_budget == 25

    assert main(["tenant", "budget", "nobody", "--table", table, "--daily-credits", "5"]) == 1
    assert capsys.readouterr().err == "reelay tenant: tenant nobody not found\n"
