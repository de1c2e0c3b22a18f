"""What an attached photo tells about where it was taken and with which camera (EXIF).

A phone writes the GPS position of every photo into it, and many cameras their serial
number: a blog, the town's web site or a mail magazine publishes the file as it is, so a
photo taken at a resident's home tells every reader where they live (clause 3(4)). X,
Facebook and Instagram strip EXIF on upload; the rule file says which platforms keep it.

Read with Pillow, header only (no pixels are decoded). A file Pillow cannot read gives
nothing: it is no finding of its own, and the photo-attachment rule still asks the
reviewers to look at every photo.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from PIL import ExifTags, Image

_GPS = ExifTags.GPS
_SERIAL_TAGS = (
    ExifTags.Base.BodySerialNumber,  # 0xA431, Exif IFD
    ExifTags.Base.LensSerialNumber,  # 0xA435, Exif IFD
)
# Formats whose EXIF Pillow reads with the header; for others (PNG) getexif() decodes the
# whole image when the EXIF is not before the pixels: never done here for a mail's photo.
_HEADER_EXIF = frozenset({"JPEG", "MPO", "TIFF", "WEBP"})
_DNG_SERIAL = 0xC62F  # CameraSerialNumber, IFD0 (DNG and some cameras' JPEGs)


class PhotoMetadata(NamedTuple):
    filename: str
    latitude: float | None  # degrees, north positive
    longitude: float | None  # degrees, east positive
    serial: str | None  # the camera body's (or lens') serial number

    def describe(self) -> str:
        """`file: what it carries`, in Japanese: one entry of CheckContext.photo_metadata."""
        what = []
        if self.latitude is not None and self.longitude is not None:
            what.append(
                f"撮影場所の位置情報（緯度 {self.latitude:.4f}、経度 {self.longitude:.4f}）"
            )
        if self.serial:
            what.append(f"カメラの製造番号（{self.serial}）")
        return f"{self.filename}: {'、'.join(what)}"


def read_photo_metadata(filename: str, data: bytes | Path) -> PhotoMetadata | None:
    """The GPS position and serial number in a photo's EXIF; None when it has neither
    or is not an image Pillow can read. `data` may be the file that holds the photo
    (Pillow then reads only its header from there)."""
    try:
        with Image.open(data if isinstance(data, Path) else io.BytesIO(data)) as im:
            if "exif" not in im.info and im.format not in _HEADER_EXIF:
                return None  # a PNG's late eXIf chunk would need the pixels decoded
            exif = im.getexif()
            gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
            sub = exif.get_ifd(ExifTags.IFD.Exif)
            lat = _degrees(gps.get(_GPS.GPSLatitude), gps.get(_GPS.GPSLatitudeRef), "S")
            lon = _degrees(gps.get(_GPS.GPSLongitude), gps.get(_GPS.GPSLongitudeRef), "W")
            serial = next(
                (s for s in (_text(sub.get(t)) for t in _SERIAL_TAGS) if s),
                _text(exif.get(_DNG_SERIAL)),
            )
    except Exception:
        return None
    if (lat is None or lon is None) and not serial:
        return None
    return PhotoMetadata(filename, lat, lon, serial)


def _degrees(value: object, ref: object, negative: str) -> float | None:
    """(degrees, minutes, seconds) rationals and N/S/E/W -> signed degrees."""
    try:
        d, m, s = (float(x) for x in value)  # type: ignore[union-attr]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    deg = d + m / 60 + s / 3600
    if deg != deg or deg > 180:  # NaN (0/0 rationals) or nonsense
        return None
    ref_text = _text(ref) or ""
    return -deg if ref_text.upper().startswith(negative) else deg


def _text(value: object) -> str | None:
    """An EXIF string (str or bytes), stripped of NULs and spaces; None when empty."""
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if not isinstance(value, str):
        return None
    value = value.replace("\x00", "").strip()
    return value[:64] or None


def photo_metadata_of(attachments: Iterable[tuple[str, bytes | Path]]) -> tuple[str, ...]:
    """CheckContext.photo_metadata for a draft's attachments (file name, content): one
    entry per photo that carries a position or a serial. Files that are not images cost
    Pillow one look at their first bytes."""
    found = (read_photo_metadata(name, data) for name, data in attachments)
    return tuple(meta.describe() for meta in found if meta is not None)
