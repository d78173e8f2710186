"""The REST transports against the Images stand-in, under CPython (urllib), with a SQLite D1."""

import asyncio
import json

import pytest

from dev.dealer_site import DealerSite
from dev.images_api import ImagesApi
from inventory.net.urllib_transport import UrllibHttp
from inventory.photos.run import Processor, Settings, process_batch
from inventory.photos.transports import RestFileTransport, RestUrlTransport
from tests.sqlite_d1 import SqliteD1

TOKEN = "unit-test-token"


@pytest.fixture(scope="module")
def world():
    site = DealerSite().start(site_port=0, cdn_port=0)
    images = ImagesApi().start(port=0, token=TOKEN)
    yield site, images
    site.stop()
    images.stop()


@pytest.fixture(autouse=True)
def clean(world):
    world[1].reset()


def seeded(site, vehicles=2, photos=3):
    d1 = SqliteD1()
    for v in range(vehicles):
        urls = [f"{site.cdn_url}/photos/L{10001 + v}/{n}.png" for n in range(1, photos + 1)]
        d1.con.execute(
            "INSERT INTO vehicles (vehicle_key, images, source_images, first_seen_at, updated_at) "
            "VALUES (?, ?, ?, 'now', 'now')",
            (f"stock:{v}", json.dumps(urls), json.dumps(urls)),
        )
    return d1


def run(d1, transport):
    processor = Processor(
        d1, transport, Settings(api_requests_per_minute=1000, allow_private_hosts=True), log=lambda *_: None
    )
    return asyncio.run(process_batch(processor, batch_size=10))


@pytest.mark.parametrize("kind", [RestUrlTransport, RestFileTransport])
def test_direct_uploads_spend_one_api_request_per_image(world, kind):
    site, images = world
    images_before = images.stats()
    d1 = seeded(site)
    transport = kind(UrllibHttp(), images.url + "/client/v4", "local-account", TOKEN)
    result = run(d1, transport)
    stats = images.stats()
    assert result["imagesUploaded"] == 6 and result["apiRequests"] == 6
    assert stats["requests"] - images_before["requests"] == 6
    assert all(
        not e.startswith("http")
        for r in d1.rows("SELECT images FROM vehicles")
        for e in json.loads(r["images"])
    )


def test_batch_token_uploads_spend_one_api_request_per_run(world):
    site, images = world
    before = images.stats()
    d1 = seeded(site, vehicles=3, photos=4)
    transport = RestUrlTransport(
        UrllibHttp(), images.url + "/client/v4", "local-account", TOKEN, batch_api_base=images.url + "/batch"
    )
    result = run(d1, transport)
    after = images.stats()
    assert result["imagesUploaded"] == 12 and result["apiRequests"] == 1
    assert after["batch_uploads"] - before["batch_uploads"] == 12


def test_a_wrong_token_stops_the_run_and_loses_nothing(world):
    site, images = world
    d1 = seeded(site, vehicles=1, photos=3)
    transport = RestUrlTransport(UrllibHttp(), images.url + "/client/v4", "local-account", "wrong")
    result = run(d1, transport)
    assert result["imagesUploaded"] == 0 and "credentials" in result["stoppedBecause"]
    assert json.loads(d1.rows("SELECT images FROM vehicles")[0]["images"])[0].startswith("http")
    assert d1.rows("SELECT COUNT(*) AS n FROM images WHERE permanent = 1") == [{"n": 0}]


class RecordingHttp(UrllibHttp):
    def __init__(self):
        super().__init__()
        self.timeouts = []

    async def request(self, method, url, headers=None, body=None, timeout_s=15.0, max_bytes=None):
        self.timeouts.append((method, timeout_s))
        return await super().request(
            method, url, headers=headers, body=body, timeout_s=timeout_s, max_bytes=max_bytes
        )


@pytest.mark.parametrize("kind", [RestUrlTransport, RestFileTransport])
def test_a_given_time_left_caps_every_request_and_never_raises_the_default(world, kind):
    site, images = world
    http = RecordingHttp()
    transport = kind(http, images.url + "/client/v4", "local-account", TOKEN, timeout_s=30.0)
    photo = f"{site.cdn_url}/photos/L10001/1.png"
    assert asyncio.run(transport.upload(photo, f"cap-{kind.__name__}", {}, timeout_s=7.5)).kind == "ok"
    assert http.timeouts and all(t <= 7.5 for _, t in http.timeouts), http.timeouts
    http.timeouts.clear()
    asyncio.run(transport.upload(photo, f"cap2-{kind.__name__}", {}, timeout_s=300))
    assert http.timeouts[0][1] == 30.0 and all(t <= 30.0 for _, t in http.timeouts), http.timeouts
