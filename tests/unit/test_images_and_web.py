import json

import pytest

from inventory.api.checks import ApiError, check_admin, id_list, int_in_range, parse_json_body
from inventory.photos.display import display_url, image_id_for
from inventory.photos.transports import multipart
from inventory.photos.verdicts import (
    EXISTS,
    FATAL,
    OK,
    PERMANENT,
    TRANSIENT,
    judge_api_answer,
    judge_vendor_download,
)


def envelope(code=None, message="", result=None):
    return json.dumps(
        {
            "success": code is None,
            "errors": [] if code is None else [{"code": code, "message": message}],
            "messages": [],
            "result": result,
        }
    ).encode()


def test_display_rule_of_the_seed():
    assert display_url("https://cdn.v/1.jpg", "H") == "https://cdn.v/1.jpg"
    assert display_url("abc-1", "H", "thumbnail") == "https://imagedelivery.net/H/abc-1/thumbnail"
    assert (
        display_url("a%b", "H", delivery_base="http://127.0.0.1:8791/")
        == "http://127.0.0.1:8791/H/a%25b/public"
    )


def test_image_ids_are_deterministic_per_source_photo():
    assert image_id_for("http://v/1.png") == image_id_for("http://v/1.png")
    assert image_id_for("http://v/1.png") != image_id_for("http://v/2.png")
    assert len(image_id_for("http://v/" + "x" * 5000)) < 1024


@pytest.mark.parametrize(
    "status, body, headers, kind",
    [
        (200, envelope(result={"id": "x"}), {}, OK),
        (409, envelope(5409, "Resource already exists"), {}, EXISTS),
        (429, envelope(971, "Please wait"), {"retry-after": "7"}, TRANSIENT),
        (503, b"<html>", {}, TRANSIENT),
        (401, envelope(10000, "Authentication error"), {}, FATAL),
        (400, envelope(5455, "Failed to fetch image from URL: (404)"), {}, PERMANENT),
        (400, envelope(5455, "Failed to fetch image from URL: (502)"), {}, TRANSIENT),
        # A socket error at the fetch is no answer from the vendor: the errno is not an HTTP status.
        (
            400,
            envelope(5455, "Failed to fetch image from URL: ([Errno 111] Connection refused)"),
            {},
            TRANSIENT,
        ),
        (
            400,
            envelope(5455, "Failed to fetch image from URL: ([Errno 104] Connection reset by peer)"),
            {},
            TRANSIENT,
        ),
        (400, envelope(5455, "Failed to fetch image from URL: (301)"), {}, PERMANENT),
        (400, envelope(5455, "Failed to fetch image from URL: (410) for photo 503.png"), {}, PERMANENT),
        (415, envelope(5415, "unsupported image format"), {}, PERMANENT),
        (413, envelope(5413, "Image too large"), {}, PERMANENT),
        (400, envelope(5400, "bad"), {}, PERMANENT),
    ],
)
def test_api_answers_are_sorted_into_what_to_do(status, body, headers, kind):
    verdict = judge_api_answer(status, body, headers)
    assert verdict.kind == kind
    if status == 429:
        assert verdict.retry_after_s == 7


def test_vendor_downloads_are_checked_before_upload():
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 10
    assert judge_vendor_download(200, png, {}).kind == OK
    assert judge_vendor_download(404, b"", {}).kind == PERMANENT
    assert judge_vendor_download(500, b"", {}).kind == TRANSIENT
    assert judge_vendor_download(200, b"<html>", {"content-type": "text/html"}).kind == PERMANENT
    assert judge_vendor_download(200, png + b"0" * (11 * 1024 * 1024), {}).kind == PERMANENT


def test_multipart_carries_fields_and_files():
    body, content_type = multipart(
        {"url": "http://v/1", "id": "x"}, {"file": ("a.png", b"\x89PNG", "image/png")}
    )
    boundary = content_type.split("boundary=")[1]
    assert body.count(f"--{boundary}".encode()) == 4 and body.endswith(f"--{boundary}--\r\n".encode())
    assert b'name="url"\r\n\r\nhttp://v/1\r\n' in body and b'filename="a.png"' in body


def test_admin_token_checks():
    check_admin("Bearer s3cret", "s3cret")
    for header in (None, "", "Bearer", "Basic s3cret", "Bearer wrong"):
        with pytest.raises(ApiError) as error:
            check_admin(header, "s3cret")
        assert error.value.status == 401 and "s3cret" not in error.value.message
    with pytest.raises(ApiError):
        check_admin("Bearer x", None)


def test_body_and_parameter_validation():
    assert parse_json_body(b"") == {}
    for raw, words in ((b"{", "malformed JSON"), (b"[1]", "must be an object"), (b" " * 70000, "too large")):
        with pytest.raises(ApiError, match=words):
            parse_json_body(raw)
    for bad in (0, 51, "5", 2.5, True, None):
        with pytest.raises(ApiError, match="batchSize"):
            int_in_range(bad, "batchSize", 1, 50)
    assert id_list([3, 3, 4], "vehicleIds") == [3, 4]
    for bad in ([], "1", [0], ["a"], [True], [2**53 - 1]):
        with pytest.raises(ApiError):
            id_list(bad, "vehicleIds")


def test_photo_urls_are_refused_outside_public_allowed_hosts():
    from inventory.config import host_list as parse_allowed_hosts
    from inventory.net.url_guard import refuse_url as refuse_photo_url

    allowed = parse_allowed_hosts(" cdn.dealer.com, *.photos.net ")
    assert refuse_photo_url("https://cdn.dealer.com/1.jpg", allowed) is None
    assert refuse_photo_url("https://a.b.photos.net/1.jpg", allowed) is None
    assert "ALLOWED_IMAGE_HOSTS" in refuse_photo_url("https://evil.example/1.jpg", allowed)
    for url in (
        "http://127.0.0.1/x",
        "http://10.1.2.3/x",
        "http://169.254.169.254/latest",
        "http://[::1]/x",
        "http://localhost:8080/x",
        "http://printer.local/x",
    ):
        assert "not public" in refuse_photo_url(url, []), url
    assert "scheme" in refuse_photo_url("file:///etc/passwd", [])
    assert "scheme" in refuse_photo_url("ftp://cdn.dealer.com/1.jpg", [])
    assert refuse_photo_url("http://127.0.0.1:8792/p.png", ["127.0.0.1"], allow_private=True) is None
