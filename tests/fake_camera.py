"""A fake camera for the browser tests: a Y4M video that Chromium plays as its webcam.

Chromium's ``--use-file-for-fake-video-capture=FILE.y4m`` (with
``--use-fake-device-for-media-stream``) shows the frames of a YUV4MPEG2 file, in a loop, to
``getUserMedia``. ``write_y4m`` writes such a file (planar 4:2:0, ``C420jpeg``) from Pillow
images, so no ffmpeg is needed; ``camera_frames`` turns a picture (a certificate's QR code)
into what a phone held over it sees: the picture on a grey desk, a little soft, after a few
frames of the camera finding its focus.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from PIL import Image, ImageFilter

FRAME_SIZE: Final = (640, 480)
FRAMES_PER_SECOND: Final = 10


def camera_args(video: Path) -> list[str]:
    """Chromium flags: a fake camera playing ``video``, the permission prompt accepted."""
    return [
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]


def camera_frames(
    picture: Image.Image,
    *,
    size: tuple[int, int] = FRAME_SIZE,
    blank: int = 3,
    shown: int = 7,
) -> list[Image.Image]:
    """``blank`` grey frames, then ``shown`` frames of ``picture`` filling most of the height,
    each ``size`` (even sides)."""
    width, height = size
    desk = Image.new("RGB", size, (150, 150, 145))
    side = int(height * 0.9)
    held = picture.convert("RGB").resize((side, side), Image.Resampling.NEAREST)
    seen = desk.copy()
    seen.paste(held, ((width - side) // 2, (height - side) // 2))
    seen = seen.filter(ImageFilter.GaussianBlur(0.7))
    return [desk] * blank + [seen] * shown


def write_y4m(frames: Sequence[Image.Image], path: Path) -> Path:
    """``frames`` (all of one size, even sides) as a YUV4MPEG2 file of I420 frames."""
    width, height = frames[0].size
    with path.open("wb") as out:
        header = f"YUV4MPEG2 W{width} H{height} F{FRAMES_PER_SECOND}:1 Ip A1:1 C420jpeg\n"
        out.write(header.encode("ascii"))
        for frame in frames:
            y, cb, cr = frame.convert("RGB").convert("YCbCr").split()
            half = (width // 2, height // 2)
            out.write(b"FRAME\n")
            out.write(y.tobytes())
            out.write(cb.resize(half, Image.Resampling.BOX).tobytes())
            out.write(cr.resize(half, Image.Resampling.BOX).tobytes())
    return path


def photo_of(picture: Image.Image, *, image_format: str = "JPEG") -> bytes:
    """``picture`` as a phone photographs it: a little turned, on a desk, soft, compressed."""
    desk = Image.new("RGB", (1200, 900), (168, 160, 150))
    held = picture.convert("RGB").resize((640, 640), Image.Resampling.NEAREST)
    held = held.rotate(4, expand=True, fillcolor=(168, 160, 150))
    desk.paste(held, (260, 110))
    out = io.BytesIO()
    desk.filter(ImageFilter.GaussianBlur(0.8)).save(out, format=image_format, quality=80)
    return out.getvalue()
