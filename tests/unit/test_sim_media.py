"""Simulator media: real JPEGs and H.264 MP4s of the right shape, composed from the product when given."""

from __future__ import annotations

import io

import av
import pytest
from PIL import Image

from reelay_local.simulators.creatify import media

SNEAKER_RED = (226, 61, 52)


def close_pixels(image: Image.Image, colour: tuple[int, int, int], tolerance: int = 20) -> int:
    colours = image.convert("RGB").getcolors(image.width * image.height) or []
    return sum(
        count
        for count, rgb in colours
        if all(abs(got - want) < tolerance for got, want in zip(rgb, colour, strict=True))
    )


@pytest.mark.parametrize(
    ("aspect_ratio", "long_side", "size"),
    [
        ("16x9", 640, (640, 360)),
        ("9x16", 640, (360, 640)),
        ("1x1", 640, (640, 640)),
        ("16x9", 100, (100, 56)),
    ],
)
def test_frame_sizes_keep_the_ratio_with_even_sides(
    aspect_ratio: str, long_side: int, size: tuple[int, int]
) -> None:
    assert media.frame_size(aspect_ratio, long_side) == size


def test_product_names_come_from_the_file_name() -> None:
    assert media.product_name_from_url("https://cdn.example.com/p/red-sneaker_v2.PNG?x=1") == "Red Sneaker V2"
    assert media.product_name_from_url("https://cdn.example.com/") == "Product"


@pytest.mark.parametrize("aspect_ratio", ["16x9", "9x16", "1x1"])
def test_preview_is_a_jpeg_of_the_requested_shape(aspect_ratio: str) -> None:
    request = media.PreviewRequest(
        "task-1", aspect_ratio, "Sneaker", image_prompt="on a track", avatar_name="Maya"
    )
    image = Image.open(io.BytesIO(media.render_preview_jpeg(request, None, 320)))
    assert image.format == "JPEG"
    assert image.size == media.frame_size(aspect_ratio, 320)


def test_preview_shows_the_product_image_when_there_is_one() -> None:
    sneaker = media.decode_image(media.sample_product_png("sneaker"))
    request = media.PreviewRequest("task-1", "16x9", "Sneaker")
    with_product = Image.open(io.BytesIO(media.render_preview_jpeg(request, sneaker, 640)))
    stand_in = Image.open(io.BytesIO(media.render_preview_jpeg(request, None, 640)))
    assert close_pixels(with_product, SNEAKER_RED) > 5000
    assert close_pixels(stand_in, SNEAKER_RED) < 100


def test_previews_of_different_tasks_differ() -> None:
    first = media.render_preview_jpeg(media.PreviewRequest("task-1", "1x1", "Mug"), None, 200)
    second = media.render_preview_jpeg(media.PreviewRequest("task-2", "1x1", "Mug"), None, 200)
    assert first != second


def test_video_is_h264_yuv420p_with_the_preview_size_and_about_two_seconds() -> None:
    preview = media.render_preview_jpeg(media.PreviewRequest("t", "9x16", "Watch"), None, 320)
    data = media.render_video_mp4(preview, seconds=2.0, fps=12, talking=True)
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        frames = list(container.decode(video=0))
    assert len(frames) == 24
    assert {(frame.width, frame.height) for frame in frames} == {media.frame_size("9x16", 320)}
    assert frames[0].format.name == "yuv420p"
    # The camera moves: the last frame is not the first one again.
    assert frames[0].to_image().tobytes() != frames[-1].to_image().tobytes()


def test_bytes_that_are_not_an_image_decode_to_none() -> None:
    assert media.decode_image(b"<html>not an image</html>") is None


@pytest.mark.parametrize("name", media.SAMPLE_PRODUCTS)
def test_sample_products_are_cut_out_pngs(name: str) -> None:
    image = Image.open(io.BytesIO(media.sample_product_png(name)))
    assert image.format == "PNG" and image.mode == "RGBA"
    # Transparent corners, an opaque product in the middle.
    assert image.getpixel((0, 0))[3] == 0
    assert image.getchannel("A").getbbox() is not None
