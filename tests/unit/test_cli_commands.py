"""Which commands `reelay` has with and without the local extra, and how it reports what goes wrong."""

from __future__ import annotations

import argparse
from importlib.metadata import entry_points
from pathlib import Path
from typing import TextIO

import pytest
from botocore.exceptions import ClientError, NoCredentialsError

from reelay.errors import TenantConflict
from reelay_cli.cli import build_parser, main
from reelay_cli.plugins import (
    ENTRY_POINT_GROUP,
    LOCAL_EXTRA_INSTALL,
    Register,
    SubCommands,
    needs_local_extra,
)
from reelay_local.commands.cli import register

NO_PLUGINS = ()


@pytest.mark.parametrize(
    "argv",
    [
        ["up"],
        ["up", "--port", "3000", "--sim-rate-429", "0.2"],
        ["demo", "--help"],
        ["sim-faults", "rate_429=0.3"],
        ["events", "--wait", "5"],
    ],
)
def test_without_the_local_extra_its_commands_exit_2_and_name_the_install_command(
    argv: list[str], capsys: pytest.CaptureFixture[str]
):
    assert main(argv, plugins=NO_PLUGINS) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"reelay {argv[0]}: ")
    assert LOCAL_EXTRA_INSTALL in err
    assert err.count("\n") == 1


def test_help_without_the_local_extra_names_its_commands_and_the_install_in_one_line():
    text = build_parser(plugins=NO_PLUGINS).format_help()

    hint = [line for line in text.splitlines() if "local extra:" in line]
    assert len(hint) == 1
    assert all(name in hint[0] for name in ("up", "demo", "sim-faults", "events", LOCAL_EXTRA_INSTALL))
    listed = text.split("positional arguments:")[1]
    assert "submit" in listed and "tenant" in listed
    assert " up " not in listed and "demo" not in listed


def test_the_operator_commands_need_no_plugin():
    parser = build_parser(plugins=NO_PLUGINS)
    args = parser.parse_args(["tenant", "create", "Acme", "--table", "reelay-tasks"])
    assert (args.command, args.name, args.table) == ("tenant", "Acme", "reelay-tasks")
    assert parser.parse_args(["status", "pv_1", "--wait"]).wait is True


def test_the_local_extra_adds_its_commands_through_the_entry_point():
    registered = {entry.value for entry in entry_points(group=ENTRY_POINT_GROUP)}
    assert "reelay_local.commands.cli:register" in registered

    parser = build_parser()
    for argv in (["up"], ["demo"], ["events"], ["sim-faults"]):
        assert parser.parse_args(argv).handler is not needs_local_extra
    assert "local extra:" not in parser.format_help()


def test_the_local_plugin_adds_nothing_when_a_module_of_the_extra_is_missing():
    def register_without_the_extra(commands: SubCommands) -> list[str]:
        return register(commands, extra_modules=("moto", "reelay_no_such_module"))

    parser = build_parser(plugins=[register_without_the_extra])
    assert parser.parse_args(["up"]).handler is needs_local_extra
    assert "local extra:" in parser.format_help()


def test_a_user_error_is_one_line_on_stderr_and_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.chdir(tmp_path)  # no .reelay/up.json here
    monkeypatch.delenv("REELAY_API_URL", raising=False)
    monkeypatch.delenv("REELAY_API_KEY", raising=False)

    assert main(["status", "pv_1"], plugins=NO_PLUGINS) == 1
    err = capsys.readouterr().err
    assert err.startswith("reelay status: no API to call")
    assert err.count("\n") == 1


def _plugin_raising(error: Exception) -> Register:
    def fail(args: argparse.Namespace, out: TextIO) -> int:
        raise error

    def register_failing(commands: SubCommands) -> list[str]:
        commands.add_parser("failing").set_defaults(handler=fail)
        return []

    return register_failing


@pytest.mark.parametrize(
    "error",
    [
        TenantConflict("tenant acme already exists"),
        ClientError({"Error": {"Code": "ResourceNotFoundException", "Message": "no table"}}, "PutItem"),
        NoCredentialsError(),
    ],
    ids=["tenant-conflict", "aws-said-no", "no-aws-credentials"],
)
def test_an_aws_or_tenant_error_is_one_line_not_a_traceback(
    error: Exception, capsys: pytest.CaptureFixture[str]
):
    assert main(["failing"], plugins=[_plugin_raising(error)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("reelay failing: ")
    assert err.count("\n") == 1


def test_a_bug_in_a_command_keeps_its_traceback():
    with pytest.raises(TypeError):
        main(["failing"], plugins=[_plugin_raising(TypeError("a bug, not the user's mistake"))])


def test_unknown_flags_of_the_operator_commands_are_still_refused(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as exit_info:
        main(["list", "--bogus"], plugins=NO_PLUGINS)
    assert exit_info.value.code == 2
    assert "unrecognized arguments: --bogus" in capsys.readouterr().err
