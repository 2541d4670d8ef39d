"""Product photos the shop serves: a drawn product on a coloured backdrop, captioned, as JPEG or PNG.

The drawings are the Creatify simulator's sample products; the backdrop colour, the sample, the
frame and the caption (title, product id, position) come from the image's identity, so every
product's images differ from every other's and stay the same across requests. Images are drawn
on first request and kept in a small cache: a burst of 1,000 products costs nothing until a
consumer actually fetches their photos.
"""

from __future__ import annotations

import colorsys
import hashlib
import io
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from PIL import Image, ImageDraw, ImageFont

from reelay_local.simulators.creatify.media import SAMPLE_PRODUCTS, sample_product_png

ImageFormat = Literal["jpg", "png"]
CONTENT_TYPES: dict[str, str] = {"jpg": "image/jpeg", "png": "image/png"}

# Shops hold photos of many shapes; consumers (Reelay, Creatify) must cope with each.
_SHAPES: tuple[tuple[int, int], ...] = ((1, 1), (4, 3), (3, 4))


@dataclass(frozen=True)
class PhotoSpec:
    """Everything a photo depends on; equal specs give equal bytes."""

    product_id: int
    image_id: int
    position: int
    title: str
    width: int
    height: int
    format: ImageFormat


def photo_shape(position: int, long_side: int) -> tuple[int, int]:
    """Width and height of the photo at `position` (1-based): square first, then landscape, portrait."""
    w_ratio, h_ratio = _SHAPES[(position - 1) % len(_SHAPES)]
    scale = long_side / max(w_ratio, h_ratio)
    return round(w_ratio * scale), round(h_ratio * scale)


def photo_format(position: int) -> ImageFormat:
    """JPEG for odd positions, PNG for even ones, so every consumer meets both formats."""
    return "jpg" if position % 2 == 1 else "png"


@lru_cache(maxsize=128)
def render_photo(spec: PhotoSpec) -> bytes:
    digest = hashlib.sha256(f"{spec.product_id}/{spec.image_id}".encode()).digest()
    backdrop_top, backdrop_bottom = _backdrop(digest)
    canvas = Image.composite(
        Image.new("RGB", (spec.width, spec.height), backdrop_bottom),
        Image.new("RGB", (spec.width, spec.height), backdrop_top),
        Image.linear_gradient("L").resize((spec.width, spec.height), Image.Resampling.BILINEAR),
    )
    unit = min(spec.width, spec.height)
    sample = _sample(SAMPLE_PRODUCTS[digest[2] % len(SAMPLE_PRODUCTS)])
    item = sample.resize((int(unit * 0.7), int(unit * 0.7)), Image.Resampling.BILINEAR)
    if digest[3] % 2:
        # Mirrored drawings make two photos of the same sample look like different shots.
        item = item.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    canvas.paste(item, ((spec.width - item.width) // 2, int(spec.height * 0.42 - item.height / 2)), item)

    draw = ImageDraw.Draw(canvas)
    size = max(10, unit // 22)
    band_top = spec.height - int(size * 3.4)
    draw.rectangle((0, band_top, spec.width, spec.height), fill=(20, 20, 24))
    title = spec.title if len(spec.title) <= 40 else spec.title[:39] + "…"
    draw.text((spec.width // 2, band_top + size), title, font=_font(size), fill=(245, 245, 245), anchor="mm")
    label = f"product {spec.product_id} · photo {spec.position}"
    draw.text(
        (spec.width // 2, band_top + int(size * 2.3)),
        label,
        font=_font(size),
        fill=(180, 180, 190),
        anchor="mm",
    )

    out = io.BytesIO()
    if spec.format == "jpg":
        canvas.save(out, format="JPEG", quality=85)
    else:
        canvas.save(out, format="PNG")
    return out.getvalue()


def _backdrop(digest: bytes) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    hue = int.from_bytes(digest[:2], "big") / 65535

    def rgb(h: float, lightness: float) -> tuple[int, int, int]:
        r, g, b = colorsys.hls_to_rgb(h % 1.0, lightness, 0.5)
        return int(r * 255), int(g * 255), int(b * 255)

    return rgb(hue, 0.85), rgb(hue + 0.06, 0.6)


@lru_cache(maxsize=len(SAMPLE_PRODUCTS))
def _sample(name: str) -> Image.Image:
    image = Image.open(io.BytesIO(sample_product_png(name)))
    image.load()
    return image.convert("RGBA")


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)
