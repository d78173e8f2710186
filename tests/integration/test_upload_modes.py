"""The two other upload modes under workerd, each on its own image-processor instance sharing the
session's D1 database: `file` (download, check, upload the bytes to the REST API) and `binding`
(`env.IMAGES.hosted.upload`, which wrangler dev emulates)."""

import pytest

from dev.client import image_lists, images_stats, logged, seed_vehicles, site_knobs
from dev.launcher import _port


@pytest.fixture(scope="module")
def variants(stack):
    urls = {
        "file": stack.start_processor_variant(
            "processor-file",
            _port("PROCESSOR_FILE_PORT", 8796),
            _port("PROCESSOR_FILE_INSPECTOR_PORT", 9233),
            {"UPLOAD_MODE": "file"},
        ),
        "binding": stack.start_processor_variant(
            "processor-binding",
            _port("PROCESSOR_BINDING_PORT", 8797),
            _port("PROCESSOR_BINDING_INSPECTOR_PORT", 9234),
            {"UPLOAD_MODE": "binding"},
        ),
    }
    yield urls
    for name in ("processor-file", "processor-binding"):
        stack.stop_worker(name)


def test_file_mode_downloads_checks_and_uploads_the_bytes(fresh, api, database, variants):
    stack = fresh
    seed_vehicles(stack, database, 2, 3)
    site_knobs(
        stack, api, photo_faults={"/photos/L10001/2.png": "not_image", "/photos/L10002/3.png": "oversize"}
    )
    status, answer = api.call("POST", variants["file"] + "/api/process-images", {"batchSize": 5})
    assert status == 200 and answer["imagesUploaded"] == 4 and answer["imagesFailed"] == 2
    reasons = sorted(e["reason"] for r in answer["results"] for e in r["errors"])
    assert reasons[0].startswith("not an image") and reasons[1].startswith("too large")
    stats = images_stats(stack, api)
    # The two bad photos were refused in the Worker: they never cost an API request.
    assert stats["uploads_received"] == 4 and stats["stored"] == 4
    assert sum(e.startswith("http") for images in image_lists(database) for e in images) == 2


def test_binding_mode_uploads_through_the_images_binding(fresh, api, database, variants):
    stack = fresh
    seed_vehicles(stack, database, 2, 2)
    status, answer = api.call("POST", variants["binding"] + "/api/process-images", {"batchSize": 5})
    assert status == 200 and answer["imagesUploaded"] == 4, answer
    assert all(not e.startswith("http") for images in image_lists(database) for e in images)
    assert images_stats(stack, api)["uploads_received"] == 0  # no REST API involved
    # A second run over the same photos (lists reset to URLs) recognises them as already there.
    database.execute("UPDATE vehicles SET images = source_images")
    database.execute("DELETE FROM images")
    log_start = len(stack.workers["processor-binding"].log_text())
    status, again = api.call("POST", variants["binding"] + "/api/process-images", {"batchSize": 5})
    assert again["imagesUploaded"] == 4
    logged(stack.workers["processor-binding"], "already there", since=log_start)
