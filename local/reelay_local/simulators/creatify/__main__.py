"""Run the simulator on its own: `python -m reelay_local.simulators.creatify --port 0 --image-seconds 3`.

The first line on stdout is the base URL (and nothing else), so a parent process can read it;
everything else goes to stderr. Faults can be changed later over `PUT /_sim/faults`.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from types import FrameType

from reelay_local.simulators.creatify.config import FAIL_STAGES, Faults, SimulatorConfig
from reelay_local.simulators.creatify.server import CreatifySimulator


def _account(text: str) -> tuple[str, str, float]:
    parts = text.split(":")
    if len(parts) not in (2, 3) or not all(parts[:2]):
        raise argparse.ArgumentTypeError("expected API_ID:API_KEY[:CREDITS]")
    try:
        credits = float(parts[2]) if len(parts) == 3 else 100.0
    except ValueError as error:
        raise argparse.ArgumentTypeError("CREDITS must be a number") from error
    return parts[0], parts[1], credits


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m reelay_local.simulators.creatify", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument(
        "--account",
        type=_account,
        action="append",
        metavar="ID:KEY[:CREDITS]",
        help="an API account (repeatable); default sim-api-id:sim-api-key:100",
    )
    parser.add_argument("--image-seconds", type=float, default=30.0)
    parser.add_argument("--video-seconds", type=float, default=120.0)
    parser.add_argument("--media-size", type=int, default=640, help="long side of previews and videos")
    parser.add_argument("--seed", type=int, default=None)
    faults = parser.add_argument_group("faults")
    faults.add_argument("--latency", type=float, default=0.0, help="seconds added to every API answer")
    faults.add_argument(
        "--post-latency", type=float, default=0.0, help="seconds added to every POST (gen_image, gen_video)"
    )
    faults.add_argument("--rate-429", type=float, default=0.0)
    faults.add_argument("--rate-5xx", type=float, default=0.0)
    faults.add_argument("--hang-rate", type=float, default=0.0)
    faults.add_argument("--hang-seconds", type=float, default=30.0)
    faults.add_argument("--fail-rate", type=float, default=0.0)
    faults.add_argument("--fail-stage", choices=FAIL_STAGES, default="any")
    faults.add_argument("--webhook-drop-rate", type=float, default=0.0)
    faults.add_argument("--webhook-duplicate-rate", type=float, default=0.0)
    faults.add_argument("--webhook-reorder", action="store_true")
    faults.add_argument("--webhook-delay", type=float, default=0.0)
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return parser


def config_from_args(args: argparse.Namespace) -> SimulatorConfig:
    faults = Faults()
    faults.update(
        latency_seconds=args.latency,
        post_latency_seconds=args.post_latency,
        rate_429=args.rate_429,
        rate_5xx=args.rate_5xx,
        hang_rate=args.hang_rate,
        hang_seconds=args.hang_seconds,
        fail_rate=args.fail_rate,
        fail_stage=args.fail_stage,
        webhook_drop_rate=args.webhook_drop_rate,
        webhook_duplicate_rate=args.webhook_duplicate_rate,
        webhook_reorder=args.webhook_reorder,
        webhook_delay_seconds=args.webhook_delay,
    )
    config = SimulatorConfig(
        host=args.host,
        port=args.port,
        image_seconds=args.image_seconds,
        video_seconds=args.video_seconds,
        media_size=args.media_size,
        seed=args.seed,
        faults=faults,
    )
    if args.account:
        config.accounts = {api_id: (api_key, credits) for api_id, api_key, credits in args.account}
    return config


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)
    except ValueError as error:
        parser.error(str(error))
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, stream=sys.stderr)

    done = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    with CreatifySimulator(config) as simulator:
        print(simulator.base_url, flush=True)
        accounts = ", ".join(
            f"{api_id} ({credits:g} credits)" for api_id, (_, credits) in config.accounts.items()
        )
        print(f"Creatify simulator ready; accounts: {accounts}; Ctrl-C stops it", file=sys.stderr, flush=True)
        done.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
