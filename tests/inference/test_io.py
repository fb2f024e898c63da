"""Reading inputs: types found by content, odd images, huge and tiny frames, broken files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from inference.engine import Engine
from inference.errors import InputError
from inference.io import probe, read_image
from tests.inference.factories import polyp_frame, truncate_half, write_image, write_png_as, write_video


def test_a_png_named_mp4_is_probed_as_an_image(tmp_path: Path) -> None:
    frame, _ = polyp_frame(24, 40)
    src = probe(write_png_as(tmp_path / "clip.mp4", frame))
    assert (src.kind, src.count, src.width, src.height, src.names) == ("image", 1, 40, 24, ("clip",))
    (only,) = list(src.frames())
    assert np.array_equal(only, frame)  # PNG is lossless


def test_a_video_is_probed_with_its_frame_count_size_and_rate(tmp_path: Path) -> None:
    src = probe(write_video(tmp_path / "clip.mp4", 12, w=96, h=80, fps=10))
    assert (src.kind, src.count, src.width, src.height) == ("video", 12, 96, 80)
    assert src.fps == pytest.approx(10.0)
    frames = list(src.frames())
    assert len(frames) == 12
    assert all(f.shape == (80, 96, 3) and f.dtype == np.uint8 for f in frames)


def test_a_video_named_jpg_is_probed_as_a_video(tmp_path: Path) -> None:
    path = write_video(tmp_path / "clip.mp4", 6)
    disguised = tmp_path / "clip.jpg"
    path.rename(disguised)
    assert probe(disguised).kind == "video"


def test_a_folder_lists_images_by_stem_in_order_and_ignores_other_files(tmp_path: Path) -> None:
    for name, (h, w) in {"b.png": (20, 30), "a.jpg": (40, 24), "c.bmp": (16, 16)}.items():
        write_image(tmp_path / name, polyp_frame(h, w)[0])
    (tmp_path / "readme.txt").write_text("not an image")
    (tmp_path / "sub").mkdir()
    src = probe(tmp_path)
    assert (src.kind, src.count, src.names) == ("folder", 3, ("a", "b", "c"))
    assert [f.shape for f in src.frames()] == [(40, 24, 3), (20, 30, 3), (16, 16, 3)]


def test_a_text_file_named_jpg_raises_input_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "notes.jpg"
    path.write_text("this is not a picture\n" * 20)
    with pytest.raises(InputError, match="notes.jpg"):
        probe(path)
    with pytest.raises(InputError, match="notes.jpg"):
        read_image(path)


def test_a_grayscale_png_is_read_as_three_equal_channels(tmp_path: Path) -> None:
    gray = np.arange(20 * 30, dtype=np.uint32).reshape(20, 30).astype(np.uint8)
    img = read_image(write_image(tmp_path / "gray.png", gray))
    assert img.shape == (20, 30, 3) and img.dtype == np.uint8
    for c in range(3):
        assert np.array_equal(img[..., c], gray)


def test_an_rgba_png_is_read_as_bgr_without_alpha(tmp_path: Path) -> None:
    bgra = np.zeros((16, 24, 4), np.uint8)
    bgra[..., 0], bgra[..., 1], bgra[..., 2], bgra[..., 3] = 10, 20, 30, 128
    img = read_image(write_image(tmp_path / "rgba.png", bgra))
    assert img.shape == (16, 24, 3) and img.dtype == np.uint8
    assert img[0, 0].tolist() == [10, 20, 30]
    assert probe(tmp_path / "rgba.png").kind == "image"


def test_a_16_bit_png_is_scaled_to_8_bits(tmp_path: Path) -> None:
    deep = np.full((12, 12, 3), 65535, np.uint16)
    img = read_image(write_image(tmp_path / "deep.png", deep))
    assert img.dtype == np.uint8 and img.shape == (12, 12, 3)
    assert int(img.min()) == 255


@pytest.mark.parametrize("size", [(16, 16), (2160, 3840)], ids=["16x16", "3840x2160"])
def test_tiny_and_4k_images_go_through_the_engine(tmp_path: Path, small_checkpoint: Path, size) -> None:
    h, w = size
    frame, _ = polyp_frame(h, w)
    src = probe(write_image(tmp_path / "frame.png", frame))
    assert (src.width, src.height) == (w, h)
    engine = Engine.from_checkpoint(small_checkpoint, device="cpu")
    (r,) = list(engine.run(src.frames()))
    assert r.prob.shape == (h, w) and r.mask.shape == (h, w)


def test_frames_too_small_or_too_large_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="too small"):
        probe(write_image(tmp_path / "dot.png", np.zeros((4, 4, 3), np.uint8)))
    with pytest.raises(InputError, match="too large"):
        probe(write_image(tmp_path / "wide.png", np.zeros((8, 7700), np.uint8)))


def test_an_empty_file_raises_input_error_saying_empty(tmp_path: Path) -> None:
    path = tmp_path / "upload.mp4"
    path.write_bytes(b"")
    with pytest.raises(InputError, match="upload.mp4.*empty"):
        probe(path)
    with pytest.raises(InputError, match="empty"):
        read_image(path)


def test_a_missing_file_raises_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="ghost.mp4.*not found"):
        probe(tmp_path / "ghost.mp4")


def test_it_rejects_a_truncated_mp4(tmp_path: Path) -> None:
    path = truncate_half(write_video(tmp_path / "cut.mp4", 30))
    with pytest.raises(InputError, match="cut.mp4"):
        src = probe(path)
        for _ in src.frames():
            pass


def test_it_rejects_a_truncated_avi_after_decoding_what_is_there(tmp_path: Path) -> None:
    # MJPG in AVI stays openable when cut, so the short count is found while iterating.
    path = truncate_half(write_video(tmp_path / "cut.avi", 30, fourcc="MJPG"))
    src = probe(path)
    assert src.kind == "video" and src.count == 30
    decoded = 0
    with pytest.raises(InputError, match="cut.avi.*truncated"):
        for _ in src.frames():
            decoded += 1
    assert 0 < decoded < 30


def test_it_rejects_random_bytes_named_mp4(tmp_path: Path) -> None:
    path = tmp_path / "noise.mp4"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 20000, dtype=np.uint8).tobytes())
    with pytest.raises(InputError, match="noise.mp4"):
        probe(path)


def test_it_rejects_a_video_with_zero_frames(tmp_path: Path) -> None:
    path = write_video(tmp_path / "blank.mp4", 0)  # a container header and no frames
    assert path.stat().st_size > 0
    with pytest.raises(InputError, match="blank.mp4"):
        probe(path)


def test_a_folder_without_images_raises_input_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("no images here")
    with pytest.raises(InputError, match="holds no images"):
        probe(tmp_path)


def test_an_unreadable_image_in_a_folder_raises_input_error_naming_it(tmp_path: Path) -> None:
    write_image(tmp_path / "a.png", polyp_frame(16, 16)[0])
    (tmp_path / "b.jpg").write_text("broken")
    frames = probe(tmp_path).frames()
    assert next(frames).shape == (16, 16, 3)
    with pytest.raises(InputError, match="b.jpg"):
        next(frames)
