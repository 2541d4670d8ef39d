"""The local shop's storefront page of a product (`/products/<id>`): its photos and its videos.

A person opens it to see the video Reelay put on the product; a test reads the <video> source
and fetches it. Videos show once the shop has processed them (READY), as on a storefront.
WooCommerce's part of the page (the meta video and the description block) joins here too.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Protocol

from reelay_local.simulators.shop.catalog import Product


class PageVideo(Protocol):
    @property
    def url(self) -> str: ...

    @property
    def mime_type(self) -> str: ...

    @property
    def alt(self) -> str: ...


def product_page(product: Product, videos: Sequence[PageVideo], extra_html: str = "") -> bytes:
    photos = "\n".join(
        f'    <img src="{escape(image.path)}" alt="{escape(image.alt or product.title)}" width="240">'
        for image in product.images
    )
    players = "\n".join(
        f'    <video controls width="480" title="{escape(video.alt)}">'
        f'<source src="{escape(video.url)}" type="{escape(video.mime_type)}"></video>'
        for video in videos
    )
    html = f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{escape(product.title)}</title></head>
<body>
  <h1>{escape(product.title)}</h1>
  <p>{escape(product.description)}</p>
  <section class="media">
{photos}
{players or "    <p class='no-video'>No video yet.</p>"}
  </section>
{extra_html}
</body>
</html>
"""
    return html.encode()
