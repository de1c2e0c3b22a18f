"""Photos that carry where they were taken (EXIF GPS) or the camera's serial number are a
warning on accounts whose platform publishes the file as it is (blog, web, mail
magazine), and reach the reviewers with the draft. Real JPEG and PNG files, made with
Pillow the way phones and cameras write their EXIF."""

from __future__ import annotations

import io
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from PIL import ExifTags, Image
from test_pipeline_hostile import AUTHOR, GATEWAY, KACHO, KAKARI, make_gateway, sent

from gateway.checker import CheckContext, Checker
from gateway.checker.photos import photo_metadata_of, read_photo_metadata

# The town hall of Tatsuno, as an iPhone writes it: degrees, minutes, seconds as rationals.
TATSUNO = {
    ExifTags.GPS.GPSLatitudeRef: "N",
    ExifTags.GPS.GPSLatitude: (35.0, 58.0, 55.2),
    ExifTags.GPS.GPSLongitudeRef: "E",
    ExifTags.GPS.GPSLongitude: (137.0, 59.0, 13.2),
    ExifTags.GPS.GPSAltitude: 722.0,
}


def photo(fmt: str = "JPEG", gps: dict | None = None, serial: str | None = None) -> bytes:
    img = Image.new("RGB", (16, 12), (200, 120, 40))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Apple"
    exif[ExifTags.Base.Model] = "iPhone 15"
    if gps is not None:
        exif[ExifTags.IFD.GPSInfo] = gps
    if serial is not None:
        exif[ExifTags.IFD.Exif] = {ExifTags.Base.BodySerialNumber: serial}
    buf = io.BytesIO()
    img.save(buf, fmt, exif=exif)
    return buf.getvalue()


def test_gps_position_is_read_in_signed_degrees() -> None:
    meta = read_photo_metadata("IMG_0001.JPG", photo(gps=TATSUNO))
    assert meta is not None and meta.serial is None
    assert meta.latitude == pytest.approx(35.982, abs=1e-3)
    assert meta.longitude == pytest.approx(137.987, abs=1e-3)
    south_west = dict(TATSUNO)
    south_west[ExifTags.GPS.GPSLatitudeRef] = "S"
    south_west[ExifTags.GPS.GPSLongitudeRef] = "W"
    meta = read_photo_metadata("x.jpg", photo(gps=south_west))
    assert meta is not None and meta.latitude < 0 and meta.longitude < 0


def test_camera_serial_number_is_read() -> None:
    meta = read_photo_metadata("DSC_0042.JPG", photo(serial="4012345"))
    assert meta is not None
    assert (meta.latitude, meta.serial) == (None, "4012345")
    assert "4012345" in meta.describe()


def test_png_with_exif_is_read_too() -> None:
    meta = read_photo_metadata("screenshot.png", photo("PNG", gps=TATSUNO))
    assert meta is not None and meta.latitude is not None


@pytest.mark.parametrize(
    "data",
    [
        photo(),  # EXIF with camera make and model only
        photo(gps={ExifTags.GPS.GPSAltitude: 700.0}),  # GPS block without a position
        b"\xff\xd8" + b"\0" * 4096,  # a broken JPEG
        b"%PDF-1.7 not an image",
        b"",
    ],
)
def test_photos_without_position_or_serial_and_unreadable_files_give_nothing(data) -> None:
    assert read_photo_metadata("f.jpg", data) is None


def test_a_photo_with_position_is_a_warning_on_a_blog_and_not_on_x(checker: Checker) -> None:
    photos = photo_metadata_of(
        [("IMG_0001.JPG", photo(gps=TATSUNO)), ("plain.jpg", photo()), ("a.pdf", b"%PDF")]
    )
    assert len(photos) == 1 and photos[0].startswith("IMG_0001.JPG: ")
    for platform in ("blog", "web", "mail_magazine"):
        found = [
            f
            for f in checker.check(
                "夏祭りの様子です。", CheckContext(platform=platform, photo_metadata=photos)
            )
            if f.rule == "photo-location-metadata"
        ]
        assert [(f.severity, f.clause) for f in found] == [("warning", "3(4)")]
        assert "IMG_0001.JPG" in found[0].message and "位置情報" in found[0].message
    for platform in ("x", "facebook", "instagram"):
        ctx = CheckContext(platform=platform, photo_metadata=photos)
        assert "photo-location-metadata" not in {
            f.rule for f in checker.check("夏祭りの様子です。", ctx)
        }


def _blog_draft(photos: list[tuple[str, bytes]]) -> bytes:
    msg = EmailMessage()
    msg["From"] = AUTHOR
    msg["To"] = GATEWAY
    msg["Subject"] = "夏祭りの写真"
    msg["Message-ID"] = f"<exif-{len(photos)}@town.example.jp>"
    msg.set_content(
        "アカウント: 辰野町ブログ\n\n夏祭りの様子です。たくさんのご来場ありがとうございました。\n"
    )
    for name, data in photos:
        msg.add_attachment(data, maintype="image", subtype="jpeg", filename=name)
    return msg.as_bytes(policy=policy.SMTP)


BLOG = [{"name": "辰野町ブログ", "platform": "blog", "reviewers": [KACHO, KAKARI]}]


def _review_text(gw) -> str:
    (request,) = sent(gw, "review-request", KACHO)
    msg = message_from_bytes(request, policy=policy.default)
    return msg.get_body(("plain",)).get_content()


def test_the_warning_reaches_the_reviewers_with_the_draft(tmp_path) -> None:
    gw, _ = make_gateway(tmp_path, accounts=BLOG)
    raw = _blog_draft([("IMG_0001.JPG", photo(gps=TATSUNO, serial="DNQ1234"))])
    assert gw.handle_raw(raw) == "draft"
    draft = gw.store.get_draft("D-000001")
    rules = {f.rule for f in draft.current.findings}
    assert "photo-location-metadata" in rules
    body = _review_text(gw)
    assert "IMG_0001.JPG" in body and "位置情報" in body and "DNQ1234" in body


def test_a_photo_without_metadata_brings_no_such_warning(tmp_path) -> None:
    gw, _ = make_gateway(tmp_path, accounts=BLOG)
    assert gw.handle_raw(_blog_draft([("IMG_0002.JPG", photo())])) == "draft"
    rules = {f.rule for f in gw.store.get_draft("D-000001").current.findings}
    assert "photo-location-metadata" not in rules


def test_the_daemon_passes_attachment_names_so_a_photo_prompts_a_portrait_check(tmp_path) -> None:
    # photo-attachment (info, 3(4)) asks the reviewers to look at who is in the photo; it
    # needs the attachment names, which the daemon must pass to the checker
    gw, _ = make_gateway(tmp_path, accounts=BLOG)
    assert gw.handle_raw(_blog_draft([("IMG_0002.JPG", photo())])) == "draft"
    found = [f for f in gw.store.get_draft("D-000001").current.findings if f.rule == "photo-attachment"]
    assert found and "IMG_0002.JPG" in found[0].excerpt
