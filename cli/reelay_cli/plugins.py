"""Commands other parts of Reelay add to `reelay`, found through the `reelay.commands` entry points.

An entry point names a `register(commands)` function. It adds its subcommands, each with a
`handler` default (see `Handler`), and returns the lines `reelay --help` shows for them; when
what it needs is not installed it adds nothing. The local emulator's commands come this way
from the `local` extra, so this package never imports the emulator, and without the extra
their names still answer, with how to install it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Sequence
from importlib.metadata import entry_points
from typing import TextIO, TypeAlias

ENTRY_POINT_GROUP = "reelay.commands"
LOCAL_EXTRA_COMMANDS = ("up", "demo", "sim-faults", "events")
LOCAL_EXTRA_INSTALL = "pip install '.[local]'"
LOCAL_EXTRA_HINT = (
    f"up, demo, sim-faults and events come with the local extra: {LOCAL_EXTRA_INSTALL} in a Reelay checkout"
)
NEEDS_EXTRA_EXIT_CODE = 2  # as for any other command line the parser cannot run

SubCommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
Handler: TypeAlias = Callable[[argparse.Namespace, TextIO], int]
Register: TypeAlias = Callable[[SubCommands], Sequence[str]]


def installed_plugins() -> list[Register]:
    """The `register` functions of every installed plugin (imported now, each a small module)."""
    registers: list[Register] = []
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            registers.append(entry.load())
        except ImportError:
            # A plugin that cannot be imported is as good as not installed: its commands fall
            # back to the install hint instead of breaking the operator's own commands.
            continue
    return registers


def add_plugin_commands(commands: SubCommands, plugins: Iterable[Register]) -> list[str]:
    """Let each plugin add its commands; returns the help lines, the install hint if the extra is missing."""
    lines: list[str] = []
    for register in plugins:
        lines.extend(register(commands))
    missing = [name for name in LOCAL_EXTRA_COMMANDS if name not in commands.choices]
    for name in missing:
        # No help= keeps the stand-in out of the command list; the hint line speaks for all of them.
        stand_in = commands.add_parser(name, add_help=False)
        stand_in.set_defaults(handler=needs_local_extra, takes_any_arguments=True)
    if missing:
        lines += ["", LOCAL_EXTRA_HINT]
    return lines


def needs_local_extra(args: argparse.Namespace, out: TextIO) -> int:
    sys.stderr.write(
        f"reelay {args.command}: runs Reelay on this machine and comes with the local extra; "
        f"install it in a Reelay checkout with: {LOCAL_EXTRA_INSTALL}, and run it there\n"
    )
    return NEEDS_EXTRA_EXIT_CODE
