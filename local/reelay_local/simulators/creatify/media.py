"""Real media for simulated tasks: preview JPEGs, short H.264 MP4s and drawn sample products.

Everything is drawn with Pillow and encoded with PyAV so a person can open what Reelay delivers.
Sizes are small on purpose: a test run creates many tasks on a two-core machine, so a preview
takes a few milliseconds and a two-second video stays around a tenth of a second.
"""

from __future__ import annotations

import colorsys
import hashlib
import io
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

import av
import httpx
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from reelay_local.simulators.creatify.outbound import MAX_REDIRECTS, OffMachine, send_on_loopback

log = logging.getLogger(__name__)

ASPECT_RATIOS: dict[str, tuple[int, int]] = {"16x9": (16, 9), "9x16": (9, 16), "1x1": (1, 1)}

# Refuse to decode anything bigger: a product photo never needs more, and Pillow's own bomb
# limit is far higher than a dev tool should spend memory on.
MAX_PRODUCT_BYTES = 15 * 1024 * 1024
SAMPLE_SIZE = 512

_Palette = tuple[tuple[int, int, int], tuple[int, int, int], tuple[int, int, int]]


def frame_size(aspect_ratio: str, long_side: int) -> tuple[int, int]:
    """Pixel size for an aspect ratio, both sides even because yuv420p halves the chroma planes."""
    w_ratio, h_ratio = ASPECT_RATIOS[aspect_ratio]
    if w_ratio >= h_ratio:
        width, height = long_side, long_side * h_ratio / w_ratio
    else:
        width, height = long_side * w_ratio / h_ratio, long_side
    return _even(width), _even(height)


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


@lru_cache(maxsize=32)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _palette(key: str) -> _Palette:
    """Three related colours picked from a key, so each task looks different but stays stable."""
    digest = hashlib.sha256(key.encode()).digest()
    hue = digest[0] / 255

    def rgb(h: float, lightness: float, saturation: float) -> tuple[int, int, int]:
        r, g, b = colorsys.hls_to_rgb(h % 1.0, lightness, saturation)
        return int(r * 255), int(g * 255), int(b * 255)

    return rgb(hue, 0.82, 0.55), rgb(hue + 0.08, 0.55, 0.45), rgb(hue + 0.5, 0.45, 0.65)


def product_name_from_url(url: str) -> str:
    """A readable product name from the image URL's file name ("red-sneaker_v2.png" -> "Red Sneaker V2")."""
    stem = PurePosixPath(unquote(urlsplit(url).path)).stem
    words = stem.replace("-", " ").replace("_", " ").split()
    return " ".join(word.capitalize() for word in words)[:40] or "Product"


# --------------------------------------------------------------------------- product images


def fetch_product_image(client: httpx.Client, url: str) -> Image.Image | None:
    """Download and decode the product image; None when it is off this machine, unreachable or not an image.

    Only loopback addresses are fetched from (checked after resolution, redirects included, see
    outbound.py); for anything else the preview gets a drawn stand-in and nothing is sent.
    """
    try:
        response = send_on_loopback(
            client, "GET", url, redirects=MAX_REDIRECTS, headers={"Accept": "image/*"}
        )
    except OffMachine as refusal:
        log.info("product image not fetched, drawing a stand-in: %s", refusal)
        return None
    except (httpx.HTTPError, ValueError, OSError, RuntimeError):
        # RuntimeError: the simulator stopped and closed the client mid-download.
        return None
    try:
        if response.status_code != 200:
            return None
        content_type = response.headers.get("content-type", "")
        if not content_type.startswith("image/"):
            return None
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > MAX_PRODUCT_BYTES:
                return None
            chunks.append(chunk)
    except (httpx.HTTPError, ValueError, OSError, RuntimeError):
        return None
    finally:
        response.close()
    return decode_image(b"".join(chunks))


def decode_image(data: bytes) -> Image.Image | None:
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    return image.convert("RGBA")


# --------------------------------------------------------------------------- preview image


@dataclass(frozen=True)
class PreviewRequest:
    """What a preview depends on; `variant_key` differs per task so a regenerated image differs."""

    variant_key: str
    aspect_ratio: str
    product_name: str
    image_prompt: str | None = None
    avatar_name: str | None = None


def render_preview_jpeg(request: PreviewRequest, product: Image.Image | None, long_side: int) -> bytes:
    """The preview "scene": the product (or a drawn stand-in) on a studio backdrop, as JPEG."""
    width, height = frame_size(request.aspect_ratio, long_side)
    light, mid, accent = _palette(request.variant_key)
    canvas = _gradient(width, height, light, mid)
    draw = ImageDraw.Draw(canvas)
    unit = min(width, height)

    # A floor line and a soft shadow make the product look placed rather than pasted.
    floor_y = int(height * 0.78)
    draw.rectangle((0, floor_y, width, height), fill=_shade(mid, 0.85))
    has_avatar = request.avatar_name is not None
    product_cx = int(width * (0.62 if has_avatar else 0.5))
    box = int(unit * (0.5 if has_avatar else 0.62))
    shadow = Image.new("L", (width, height), 0)
    ImageDraw.Draw(shadow).ellipse(
        (product_cx - box // 2, floor_y - unit // 30, product_cx + box // 2, floor_y + unit // 30), fill=120
    )
    shadow = shadow.filter(ImageFilter.BoxBlur(max(2, unit // 40)))
    canvas.paste((0, 0, 0), (0, 0), shadow)

    if has_avatar:
        _draw_avatar(draw, int(width * 0.27), floor_y, unit, accent)

    item = product if product is not None else _stand_in(request.product_name, accent, box)
    # Cut-out product photos carry transparent margins; trimming them puts the product on the floor.
    alpha_box = item.getchannel("A").getbbox()
    item = item.crop(alpha_box) if alpha_box else item.copy()
    item.thumbnail((box, box), Image.Resampling.BILINEAR)
    top = floor_y - item.height - unit // 40
    canvas.paste(item, (product_cx - item.width // 2, max(0, top)), item)

    _draw_label(draw, (unit // 30, unit // 30), "CREATIFY SIMULATOR", max(10, unit // 32), (255, 255, 255))
    caption = request.image_prompt or request.product_name
    if request.avatar_name:
        caption = f"{request.avatar_name} · {caption}"
    _draw_caption(draw, width, height, caption, max(11, unit // 24))

    out = io.BytesIO()
    canvas.convert("RGB").save(out, format="JPEG", quality=85)
    return out.getvalue()


def _gradient(
    width: int, height: int, top: tuple[int, int, int], bottom: tuple[int, int, int]
) -> Image.Image:
    mask = Image.linear_gradient("L").resize((width, height), Image.Resampling.BILINEAR)
    return Image.composite(
        Image.new("RGBA", (width, height), bottom), Image.new("RGBA", (width, height), top), mask
    )


def _shade(colour: tuple[int, int, int], factor: float) -> tuple[int, int, int]:
    r, g, b = colour
    return int(r * factor), int(g * factor), int(b * factor)


def _stand_in(name: str, colour: tuple[int, int, int], size: int) -> Image.Image:
    """A labelled box that reads as "the product would be here" when the real image is unavailable."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    inset = size // 10
    draw.rounded_rectangle((inset, inset * 2, size - inset, size - 1), radius=size // 10, fill=colour)
    draw.polygon(
        [(inset, inset * 2), (size // 2, inset // 2), (size - inset, inset * 2)], fill=_shade(colour, 0.75)
    )
    font = _font(max(10, size // 9))
    label = name if len(name) <= 14 else name[:13] + "…"
    draw.text((size // 2, size * 0.62), label, font=font, fill=(255, 255, 255), anchor="mm")
    return image


def _draw_avatar(
    draw: ImageDraw.ImageDraw, cx: int, floor_y: int, unit: int, colour: tuple[int, int, int]
) -> None:
    head = unit // 9
    body_top = floor_y - int(unit * 0.42)
    draw.ellipse((cx - head, body_top - 2 * head - 4, cx + head, body_top - 4), fill=(236, 200, 170))
    draw.rounded_rectangle(
        (cx - int(head * 1.6), body_top, cx + int(head * 1.6), floor_y), radius=head // 2, fill=colour
    )


def _draw_label(
    draw: ImageDraw.ImageDraw, xy: tuple[int, int], text: str, size: int, colour: tuple[int, int, int]
) -> None:
    font = _font(size)
    x, y = xy
    left, top, right, bottom = draw.textbbox((x, y), text, font=font)
    pad = size // 3
    draw.rectangle((left - pad, top - pad, right + pad, bottom + pad), fill=(0, 0, 0))
    draw.text((x, y), text, font=font, fill=colour)


def _draw_caption(draw: ImageDraw.ImageDraw, width: int, height: int, text: str, size: int) -> None:
    font = _font(size)
    max_chars = max(10, int(width / (size * 0.55)))
    line = text if len(text) <= max_chars else text[: max_chars - 1] + "…"
    band_top = height - int(size * 2.2)
    draw.rectangle((0, band_top, width, height), fill=(20, 20, 24))
    draw.text((width // 2, (band_top + height) // 2), line, font=font, fill=(245, 245, 245), anchor="mm")


def render_persona_jpeg(name: str, aspect_ratio: str, long_side: int) -> bytes:
    """A persona's preview card: a drawn figure and the creator's name (the catalogue's thumbnails)."""
    width, height = frame_size(aspect_ratio, long_side)
    light, mid, accent = _palette(name)
    canvas = _gradient(width, height, light, mid)
    draw = ImageDraw.Draw(canvas)
    unit = min(width, height)
    floor_y = int(height * 0.85)
    _draw_avatar(draw, width // 2, floor_y, int(unit * 1.6), accent)
    _draw_caption(draw, width, height, name, max(11, unit // 14))
    out = io.BytesIO()
    canvas.convert("RGB").save(out, format="JPEG", quality=80)
    return out.getvalue()


# --------------------------------------------------------------------------- video


def render_video_mp4(preview_jpeg: bytes, *, seconds: float, fps: int, talking: bool = False) -> bytes:
    """A short H.264/yuv420p MP4: a slow ken-burns zoom and pan over the preview image."""
    preview = Image.open(io.BytesIO(preview_jpeg)).convert("RGB")
    width, height = _even(preview.width), _even(preview.height)
    frames = max(1, round(seconds * fps))

    out = io.BytesIO()
    with av.open(out, mode="w", format="mp4") as container:
        stream = container.add_stream(
            "libx264", rate=fps, options={"preset": "ultrafast", "crf": "30", "tune": "stillimage"}
        )
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.time_base = Fraction(1, fps)
        for index in range(frames):
            window = _ken_burns_window(preview, index / max(1, frames - 1))
            if talking:
                _draw_voice_bars(window, index)
            # swscale does the zoom and the colour conversion in one pass: four times faster than
            # resizing in Pillow first, which matters when a test run renders dozens of videos.
            frame = av.VideoFrame.from_image(window).reformat(
                width=width, height=height, format="yuv420p", interpolation="BILINEAR"
            )
            frame.pts = index
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()


def _ken_burns_window(image: Image.Image, progress: float) -> Image.Image:
    """The part of the image the camera sees at `progress` (0..1): zooming in while drifting right.

    It drifts down too, so the caption band stays in shot while the label at the top leaves it.
    """
    eased = 0.5 - 0.5 * math.cos(math.pi * progress)
    zoom = 1.0 + 0.15 * eased
    crop_w, crop_h = image.width / zoom, image.height / zoom
    x0 = (image.width - crop_w) * (0.35 + 0.3 * eased)
    y0 = (image.height - crop_h) * (0.5 + 0.5 * eased)
    return image.crop((round(x0), round(y0), round(x0 + crop_w), round(y0 + crop_h)))


def _draw_voice_bars(image: Image.Image, index: int) -> None:
    """A few bouncing bars: the cue that the avatar is "talking" in this motion style."""
    draw = ImageDraw.Draw(image)
    unit = min(image.size)
    bar_w, gap, base_y = unit // 40 + 1, unit // 60 + 1, image.height - unit // 6
    for bar in range(5):
        level = 0.3 + 0.7 * abs(math.sin(index * 0.9 + bar * 1.3))
        bar_h = int(unit * 0.08 * level) + 2
        x = unit // 20 + bar * (bar_w + gap)
        draw.rectangle((x, base_y - bar_h, x + bar_w, base_y), fill=(255, 255, 255))


# --------------------------------------------------------------------------- sample products


def _draw_sneaker(draw: ImageDraw.ImageDraw, s: int) -> None:
    draw.polygon(
        [(0.08 * s, 0.62 * s), (0.12 * s, 0.40 * s), (0.38 * s, 0.36 * s), (0.55 * s, 0.50 * s),
         (0.86 * s, 0.56 * s), (0.93 * s, 0.66 * s), (0.08 * s, 0.66 * s)],
        fill=(226, 61, 52),
    )  # fmt: skip
    draw.rounded_rectangle((0.06 * s, 0.64 * s, 0.95 * s, 0.72 * s), radius=s // 40, fill=(245, 245, 245))
    for i in range(4):
        x = 0.36 * s + i * 0.05 * s
        draw.line(
            (x, 0.42 * s + i * 0.02 * s, x + 0.04 * s, 0.46 * s + i * 0.02 * s), fill=(255, 255, 255), width=5
        )
    draw.ellipse((0.15 * s, 0.47 * s, 0.25 * s, 0.57 * s), fill=(255, 255, 255))


def _draw_mug(draw: ImageDraw.ImageDraw, s: int) -> None:
    draw.ellipse((0.58 * s, 0.38 * s, 0.86 * s, 0.66 * s), outline=(40, 110, 190), width=s // 22)
    draw.rounded_rectangle((0.18 * s, 0.30 * s, 0.68 * s, 0.80 * s), radius=s // 20, fill=(40, 110, 190))
    draw.ellipse((0.18 * s, 0.26 * s, 0.68 * s, 0.34 * s), fill=(30, 80, 140))
    for i in range(3):
        x = 0.30 * s + i * 0.12 * s
        draw.arc((x, 0.08 * s, x + 0.06 * s, 0.24 * s), 100, 260, fill=(150, 150, 150), width=4)


def _draw_watch(draw: ImageDraw.ImageDraw, s: int) -> None:
    draw.rounded_rectangle((0.40 * s, 0.04 * s, 0.60 * s, 0.96 * s), radius=s // 30, fill=(60, 45, 35))
    draw.ellipse((0.26 * s, 0.26 * s, 0.74 * s, 0.74 * s), fill=(200, 170, 90))
    draw.ellipse((0.30 * s, 0.30 * s, 0.70 * s, 0.70 * s), fill=(250, 248, 240))
    centre = 0.5 * s
    draw.line((centre, centre, centre, 0.36 * s), fill=(20, 20, 20), width=6)
    draw.line((centre, centre, 0.62 * s, 0.56 * s), fill=(20, 20, 20), width=4)


def _draw_headphones(draw: ImageDraw.ImageDraw, s: int) -> None:
    draw.arc((0.18 * s, 0.12 * s, 0.82 * s, 0.80 * s), 180, 360, fill=(35, 35, 40), width=s // 18)
    draw.rounded_rectangle((0.12 * s, 0.42 * s, 0.30 * s, 0.72 * s), radius=s // 25, fill=(90, 90, 100))
    draw.rounded_rectangle((0.70 * s, 0.42 * s, 0.88 * s, 0.72 * s), radius=s // 25, fill=(90, 90, 100))


def _draw_bottle(draw: ImageDraw.ImageDraw, s: int) -> None:
    draw.rounded_rectangle((0.42 * s, 0.06 * s, 0.58 * s, 0.18 * s), radius=s // 60, fill=(30, 30, 30))
    draw.rounded_rectangle((0.32 * s, 0.16 * s, 0.68 * s, 0.94 * s), radius=s // 12, fill=(70, 170, 120))
    draw.rectangle((0.32 * s, 0.46 * s, 0.68 * s, 0.66 * s), fill=(240, 240, 230))


_SAMPLE_DRAWERS: dict[str, Callable[[ImageDraw.ImageDraw, int], None]] = {
    "sneaker": _draw_sneaker,
    "mug": _draw_mug,
    "watch": _draw_watch,
    "headphones": _draw_headphones,
    "bottle": _draw_bottle,
}
SAMPLE_PRODUCTS: tuple[str, ...] = tuple(_SAMPLE_DRAWERS)


@lru_cache(maxsize=len(_SAMPLE_DRAWERS))
def sample_product_png(name: str) -> bytes:
    """A drawn product on a transparent background, like a shop's cut-out product photo."""
    drawer = _SAMPLE_DRAWERS[name]
    image = Image.new("RGBA", (SAMPLE_SIZE, SAMPLE_SIZE), (0, 0, 0, 0))
    drawer(ImageDraw.Draw(image), SAMPLE_SIZE)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
