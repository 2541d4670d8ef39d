"""Run a shop on its own: `python -m reelay_local.simulators.shop --platform shopify --port 0`.

The first line on stdout is the base URL (and nothing else), so a parent process can read it;
everything else goes to stderr. Drive it over HTTP (see server.py for the /_shop routes), e.g.
`curl -X POST $SHOP/_shop/products -d '{"title": "Mug", "images": 2}'`. Ctrl-C or SIGTERM stops it.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from types import FrameType

from reelay_local.simulators.shop.config import PLATFORMS, ShopConfig
from reelay_local.simulators.shop.errors import ShopError
from reelay_local.simulators.shop.shop import LocalShop


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m reelay_local.simulators.shop", description=__doc__)
    parser.add_argument("--platform", choices=PLATFORMS, default="shopify")
    parser.add_argument("--host", default="127.0.0.1", help="a loopback address")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--shop-domain", default="reelay-demo.myshopify.com", help="X-Shopify-Shop-Domain")
    parser.add_argument("--api-version", default="2025-07", help="X-Shopify-API-Version")
    parser.add_argument("--retry-base-seconds", type=float, default=1.0, help="Shopify's first retry delay")
    parser.add_argument("--max-retries", type=int, default=8, help="Shopify's retries per delivery")
    parser.add_argument(
        "--timeout-seconds",
        type=float,
        default=None,
        help="receiver timeout (default: Shopify 5, WooCommerce 60)",
    )
    parser.add_argument("--workers", type=int, default=8, help="deliveries in flight at once")
    parser.add_argument("--image-size", type=int, default=600, help="long side of product photos")
    parser.add_argument(
        "--media-processing-seconds",
        type=float,
        default=1.0,
        help="Shopify: how long an attached video takes to become READY",
    )
    parser.add_argument("--admin-token", help="Shopify: the Admin API token (default: see /_shop/admin)")
    parser.add_argument(
        "--woo-consumer-key", help="the WooCommerce REST API key it accepts (default: generated)"
    )
    parser.add_argument("--woo-consumer-secret", help="that key's secret (default: generated)")
    parser.add_argument("--webhook", metavar="URL", help="subscribe this loopback URL to every product topic")
    parser.add_argument("--secret", help="the webhook's signing secret (default: generated and printed)")
    parser.add_argument("--verbose", action="store_true", help="log every request and delivery to stderr")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = ShopConfig(
            platform=args.platform,
            shop_domain=args.shop_domain,
            host=args.host,
            port=args.port,
            api_version=args.api_version,
            retry_base_seconds=args.retry_base_seconds,
            max_retries=args.max_retries,
            timeout_seconds=args.timeout_seconds,
            workers=args.workers,
            image_size=args.image_size,
            media_processing_seconds=args.media_processing_seconds,
            admin_access_token=args.admin_token,
            woo_consumer_key=args.woo_consumer_key,
            woo_consumer_secret=args.woo_consumer_secret,
        )
    except ValueError as error:
        parser.error(str(error))
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, stream=sys.stderr)

    done = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    with LocalShop(config) as shop:
        print(shop.base_url, flush=True)
        if args.webhook:
            try:
                webhook = shop.configure_webhook(args.webhook, args.secret)
            except ShopError as error:
                print(f"webhook refused: {error}", file=sys.stderr, flush=True)
                return 2
            print(
                f"webhook {webhook.id} -> {webhook.address} ({', '.join(webhook.topics)}), "
                f"secret {webhook.secret}",
                file=sys.stderr,
                flush=True,
            )
        if config.platform == "woocommerce":
            key = shop.woo_admin.api_key()
            print(
                f"REST API key {key['consumer_key']} secret {key['consumer_secret']} ({key['permissions']})",
                file=sys.stderr,
                flush=True,
            )
        print(
            f"{config.platform} shop simulator at {shop.base_url}; Ctrl-C stops it",
            file=sys.stderr,
            flush=True,
        )
        done.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
