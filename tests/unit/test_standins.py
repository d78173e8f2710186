"""Fast checks of the local stand-ins in dev/ (dealer site, vendor CDN, Images API)."""

import http.client
import json
import re
import struct
import urllib.error
import urllib.request
import uuid
import zlib

import pytest

from dev.pngs import make_png
from dev.standins import start_standins

TOKEN = "test-token"
ACCOUNT = "test-account"
ACCOUNT_HASH = "test-hash"
SMALL_PNG = make_png(8, 8, (200, 10, 10), 1)


@pytest.fixture(scope="module")
def standins():
    running = start_standins(
        site_port=0,
        cdn_port=0,
        images_port=0,
        images_token=TOKEN,
        account_id=ACCOUNT,
        account_hash=ACCOUNT_HASH,
    )
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def fresh_state(standins):
    post_json(standins.site.site_url + "/__reset", {})
    post_json(standins.images.url + "/__reset", {})


@pytest.fixture
def site(standins):
    return standins.site


@pytest.fixture
def images(standins):
    return standins.images


# ----- helpers ---------------------------------------------------------------


def http_get(url):
    """(status, headers, body) without raising on HTTP errors."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def post_json(url, data):
    request = urllib.request.Request(url, json.dumps(data).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def control(base_url, **knobs):
    return post_json(base_url + "/__control", knobs)


def stats(base_url):
    return json.loads(http_get(base_url + "/__stats")[2])


def json_ld_blocks(page_html):
    pattern = r'<script type="application/ld\+json">(.*?)</script>'
    return [json.loads(block) for block in re.findall(pattern, page_html, re.S)]


def cars_of(block):
    if "@graph" in block:
        return [node for node in block["@graph"] if node.get("@type") == "Car"]
    return [element["item"] for element in block["itemListElement"]]


def crawl(site):
    """Follow rel=next from page 1; returns a list of (page number, html)."""
    pages, url = [], site.site_url + "/inventory"
    while url:
        status, _, body = http_get(url)
        assert status == 200
        page_html = body.decode()
        pages.append((len(pages) + 1, page_html))
        next_link = re.search(r'<a rel="next" href="([^"]+)"', page_html)
        url = site.site_url + next_link.group(1) if next_link else None
        assert len(pages) < 50
    return pages


def independent_vin_check(vin):
    values = {c: i % 9 + 1 for i, c in enumerate("ABCDEFGHI")}
    values.update({c: i % 9 + 1 for i, c in enumerate("JKLMN")})
    values.update({"P": 7, "R": 9})
    values.update({c: i + 2 for i, c in enumerate("STUVWXYZ")})
    values.update({str(d): d for d in range(10)})
    weights = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]
    remainder = sum(values[c] * w for c, w in zip(vin, weights, strict=False)) % 11
    return vin[8] == ("X" if remainder == 10 else str(remainder))


def assert_valid_png(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks = 8, {}
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        content = data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length : position + 12 + length])
        assert crc == zlib.crc32(kind + content)
        chunks[kind] = content
        position += 12 + length
    width, height = struct.unpack(">II", chunks[b"IHDR"][:8])
    assert len(zlib.decompress(chunks[b"IDAT"])) == height * (1 + 3 * width)
    assert b"IEND" in chunks
    return width, height


def multipart(fields):
    """Encode {name: bytes | str | (filename, bytes)} as multipart/form-data."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        filename = ""
        if isinstance(value, tuple):
            filename, value = f'; filename="{value[0]}"', value[1]
        if isinstance(value, str):
            value = value.encode()
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"{filename}\r\n\r\n'.encode()
            + value
            + b"\r\n"
        )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def api_call(images, method, path, fields=None, token=TOKEN, account=ACCOUNT, base=None):
    """(status, headers, envelope) for an Images API call."""
    url = base or f"{images.url}/client/v4/accounts/{account}/images/v1{path}"
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = None
    if fields is not None:
        body, headers["Content-Type"] = multipart(fields)
    request = urllib.request.Request(url, body, headers, method=method)
    status, response_headers, raw = None, None, None
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            status, response_headers, raw = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, response_headers, raw = error.code, error.headers, error.read()
    assert response_headers["Content-Type"] == "application/json"
    envelope = json.loads(raw)
    assert set(envelope) == {"success", "errors", "messages", "result"}
    assert envelope["success"] == (status == 200)
    return status, response_headers, envelope


def error_code(envelope):
    assert envelope["result"] is None
    return envelope["errors"][0]["code"]


# ----- dealer site -----------------------------------------------------------


def test_listing_paginates_with_parseable_json_ld(site):
    pages = crawl(site)
    assert len(pages) == 7  # 150 vehicles, 24 per page

    stocks, malformed = [], 0
    for number, page_html in pages:
        (block,) = json_ld_blocks(page_html)
        assert ("@graph" in block) == (number % 3 == 0)
        cars = cars_of(block)
        for car in cars:
            if "sku" not in car:
                assert "vehicleIdentificationNumber" not in car and "name" not in car
                malformed += 1
                continue
            stocks.append(car["sku"])
            assert car["url"] == f"{site.site_url}/vehicle/{car['sku']}"
            assert all(url.startswith(site.cdn_url + f"/photos/{car['sku']}/") for url in car["image"])
        cards = re.findall(r'<div class="vehicle-card" data-vin="([^"]+)" data-stock="([^"]+)"', page_html)
        assert [stock for _, stock in cards] == [car["sku"] for car in cars if "sku" in car]
    assert malformed == 1
    assert len(stocks) == len(set(stocks)) == 150
    assert stocks[0] == "L10001"

    # vehicle index 3 lists one photo twice, for de-duplication tests
    fourth = cars_of(json_ld_blocks(pages[0][1])[0])[3]
    assert fourth["sku"] == "L10004"
    assert len(fourth["image"]) == len(set(fourth["image"])) + 1


def test_all_vins_but_exactly_two_pass_the_check_digit(site):
    assert independent_vin_check("1M8GDM9AXKP042788")  # textbook example
    vins, featured = [], 0
    for _, page_html in crawl(site):
        vins += re.findall(r'data-vin="([^"]+)"', page_html)
        featured += page_html.count('data-featured="1"')
    assert featured == 15
    assert len(vins) == 150
    assert all(len(vin) == 17 and not set(vin) & set("IOQ") for vin in vins)
    assert sum(not independent_vin_check(vin) for vin in vins) == 2


def test_photos_are_real_deterministic_pngs(site):
    first = http_get(site.cdn_url + "/photos/L10001/1.png")
    assert first[0] == 200 and first[1]["Content-Type"] == "image/png"
    assert assert_valid_png(first[2]) == (64, 48)
    assert http_get(site.cdn_url + "/photos/L10001/1.png")[2] == first[2]
    assert http_get(site.cdn_url + "/photos/L10001/2.png")[2] != first[2]
    assert http_get(site.cdn_url + "/photos/L10002/1.png")[2] != first[2]
    assert http_get(site.cdn_url + "/photos/L10001/999.png")[0] == 404
    assert http_get(site.cdn_url + "/photos/L99999/1.png")[0] == 404


def test_detail_page_and_robots(site):
    status, _, body = http_get(site.site_url + "/vehicle/L10002")
    assert status == 200
    graph = json_ld_blocks(body.decode())[0]["@graph"]
    assert {node["@type"] for node in graph} == {"Car", "AutoDealer"}
    assert 'class="gallery"' in body.decode()
    assert http_get(site.site_url + "/vehicle/NOPE")[0] == 404

    assert http_get(site.site_url + "/robots.txt")[2] == b"User-agent: *\nAllow: /\n"
    control(site.site_url, robots_disallow=True)
    assert b"Disallow: /" in http_get(site.site_url + "/robots.txt")[2]
    assert stats(site.site_url)["requests"]["robots"] == 2


def test_remove_stocks_empty_and_layout_knobs(site):
    control(site.site_url, remove_stocks=["L10001", "L10030"], vehicle_count=30)
    listed = [sku for _, html in crawl(site) for sku in re.findall(r'data-stock="([^"]+)"', html)]
    assert len(listed) == 28 and "L10001" not in listed and "L10030" not in listed
    assert http_get(site.site_url + "/vehicle/L10001")[0] == 404

    control(site.site_url, empty=True)
    status, _, body = http_get(site.site_url + "/inventory?page=1")
    assert status == 200 and "vehicle-card" not in body.decode() and 'rel="next"' not in body.decode()

    control(site.site_url, empty=False, layout="v2")
    page_html = http_get(site.site_url + "/inventory")[2].decode()
    assert json_ld_blocks(page_html) == [] and "vehicle-card" not in page_html
    assert 'class="listing-tile"' in page_html


def test_site_failure_and_photo_knobs(site):
    control(site.site_url, site_status=503)
    assert http_get(site.site_url + "/inventory")[0] == 503
    control(
        site.site_url,
        site_status=None,
        photos_per_vehicle=2,
        extra_photos={"L10001": 1},
        insert_photo={"L10001": 0},
        photo_faults={"/photos/L10002/1.png": 410, "/photos/L10002/2.png": "not_image"},
    )
    car = cars_of(json_ld_blocks(http_get(site.site_url + "/inventory")[2].decode())[0])[0]
    assert [url.rsplit("/", 1)[1] for url in car["image"]] == ["new-1.png", "1.png", "2.png", "3.png"]
    assert_valid_png(http_get(site.cdn_url + "/photos/L10001/new-1.png")[2])
    assert http_get(site.cdn_url + "/photos/L10002/1.png")[0] == 410
    status, headers, _ = http_get(site.cdn_url + "/photos/L10002/2.png")
    assert status == 200 and headers["Content-Type"].startswith("text/html")


# ----- Images API ------------------------------------------------------------


def test_upload_file_get_deliver_and_delete(images):
    png = SMALL_PNG
    status, _, envelope = api_call(
        images, "POST", "", {"file": ("car.png", png), "id": "L10001/1", "metadata": json.dumps({"vin": "X"})}
    )
    assert status == 200 and envelope["errors"] == []
    result = envelope["result"]
    assert result["id"] == "L10001/1" and result["filename"] == "car.png"
    assert result["metadata"] == {"vin": "X"} and result["requireSignedURLs"] is False
    assert result["variants"] == [
        f"{images.url}/{ACCOUNT_HASH}/L10001/1/public",
        f"{images.url}/{ACCOUNT_HASH}/L10001/1/thumbnail",
    ]

    delivered = http_get(result["variants"][0])
    assert delivered[0] == 200 and delivered[1]["Content-Type"] == "image/png" and delivered[2] == png
    assert http_get(f"{images.url}/{ACCOUNT_HASH}/L10001/1/huge")[0] == 404

    assert api_call(images, "GET", "/L10001%2F1")[2]["result"] == result
    assert api_call(images, "DELETE", "/L10001/1")[:1] == (200,)
    status, _, envelope = api_call(images, "GET", "/L10001/1")
    assert status == 404 and error_code(envelope) == 5404


def test_duplicate_custom_id_is_409_and_not_overwritten(images):
    api_call(images, "POST", "", {"file": ("a.png", SMALL_PNG), "id": "same"})
    status, _, envelope = api_call(
        images, "POST", "", {"file": ("b.gif", b"GIF89a" + b"\0" * 20), "id": "same"}
    )
    assert status == 409 and error_code(envelope) == 5409
    assert api_call(images, "GET", "/same")[2]["result"]["filename"] == "a.png"
    counters = stats(images.url)
    assert counters["duplicate_uploads"] == 1 and counters["uploads_by_id"] == {"same": 2}
    assert counters["stored_ids"] == ["same"]


def test_auth_account_and_validation_errors(images):
    png = SMALL_PNG
    assert error_code(api_call(images, "POST", "", {"file": ("a.png", png)}, token="wrong")[2]) == 10000
    assert api_call(images, "GET", "/x", token=None)[0] == 401
    status, _, envelope = api_call(images, "GET", "/x", account="other")
    assert status == 404 and error_code(envelope) == 7003

    status, _, envelope = api_call(images, "POST", "", {"file": ("a.txt", b"hello, not an image")})
    assert status == 415 and error_code(envelope) == 5415
    status, _, envelope = api_call(
        images, "POST", "", {"file": ("big.png", png + b"\0" * (10 * 1024 * 1024))}
    )
    assert status == 413 and error_code(envelope) == 5413
    status, _, envelope = api_call(images, "POST", "", {"id": "neither"})
    assert status == 400 and error_code(envelope) == 5400
    status, _, envelope = api_call(
        images, "POST", "", {"file": ("a.png", png), "metadata": json.dumps({"k": "v" * 2000})}
    )
    assert status == 400 and error_code(envelope) == 5411
    status, _, envelope = api_call(
        images, "POST", "", {"file": ("a.png", png), "id": "s", "requireSignedURLs": "true"}
    )
    assert status == 400 and error_code(envelope) == 5412
    assert stats(images.url)["stored"] == 0


def test_url_upload_fetches_from_the_cdn(images, site):
    source = site.cdn_url + "/photos/L10003/2.png"
    status, _, envelope = api_call(images, "POST", "", {"url": source, "id": "L10003-2"})
    assert status == 200 and envelope["result"]["filename"] == "2.png"
    assert http_get(envelope["result"]["variants"][0])[2] == http_get(source)[2]
    assert "Cloudflare-Images-StandIn" in stats(site.site_url)["user_agents"]

    status, _, envelope = api_call(images, "POST", "", {"url": site.cdn_url + "/photos/L10003/999.png"})
    assert status == 400 and error_code(envelope) == 5455 and "(404)" in envelope["errors"][0]["message"]

    control(images.url, fail_urls={source: 500})
    status, _, envelope = api_call(images, "POST", "", {"url": source})
    assert status == 500 and error_code(envelope) == 5500


def test_rate_limit_answers_429_with_retry_after_and_blocks(images):
    control(images.url, rate_limit=3, rate_window_s=60, rate_limit_block_s=120)
    for _ in range(3):
        assert api_call(images, "GET", "/missing")[0] == 404
    status, headers, envelope = api_call(images, "GET", "/missing")
    assert status == 429 and error_code(envelope) == 971
    assert 100 < int(headers["Retry-After"]) <= 120
    assert api_call(images, "GET", "/missing", token="bad")[0] == 429  # still blocked, auth or not
    assert stats(images.url)["rate_limited"] == 2


def test_batch_token_uploads_skip_the_account_limit(images):
    token = api_call(images, "GET", "/batch_token")[2]["result"]["token"]
    control(images.url, rate_limit=1)
    batch_url = images.url + "/batch/images/v1"
    for n in range(3):
        status, _, _ = api_call(
            images, "POST", "", {"file": ("a.png", SMALL_PNG), "id": f"b{n}"}, token=token, base=batch_url
        )
        assert status == 200
    assert api_call(images, "POST", "", {"file": ("a.png", SMALL_PNG)}, token=TOKEN, base=batch_url)[0] == 401
    assert stats(images.url)["batch_uploads"] == 4


def test_lost_response_still_stores_the_image(images):
    control(images.url, lose_response_rate=1.0)
    body, content_type = multipart({"file": ("a.png", SMALL_PNG), "id": "lost"})
    host, port = images.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request(
        "POST",
        f"/client/v4/accounts/{ACCOUNT}/images/v1",
        body,
        {"Authorization": f"Bearer {TOKEN}", "Content-Type": content_type},
    )
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        connection.getresponse()
    connection.close()

    control(images.url, lose_response_rate=0.0)
    assert api_call(images, "GET", "/lost")[0] == 200
    assert stats(images.url)["dropped_connections"] == 1


def list_v2(images, query="", token=TOKEN, base=None):
    url = (base or f"{images.url}/client/v4/accounts/{ACCOUNT}/images/v2") + query
    return api_call(images, "GET", "", token=token, base=url)


def test_list_v2_pages_with_continuation_tokens_and_deletes_are_recorded(images):
    for n in range(25):
        api_call(images, "POST", "", {"file": ("a.png", SMALL_PNG), "id": f"lambert-{n:02d}"})
    seen, query, pages = [], "?per_page=10", 0
    while True:
        status, _, envelope = list_v2(images, query)
        assert status == 200
        seen += [image["id"] for image in envelope["result"]["images"]]
        pages += 1
        token = envelope["result"]["continuation_token"]
        if token is None:
            break
        query = f"?per_page=10&continuation_token={token}"
    assert (pages, seen) == (3, [f"lambert-{n:02d}" for n in range(25)])
    assert list_v2(images, "?per_page=5")[0] == 400  # 10 to 10,000
    assert api_call(images, "DELETE", "/lambert-03")[0] == 200
    assert api_call(images, "DELETE", "/lambert-03")[0] == 404  # gone: the lifecycle counts it done
    assert stats(images.url)["deleted_ids"] == ["lambert-03"] and stats(images.url)["stored"] == 24


def test_the_batch_host_lists_and_deletes_under_a_batch_token(images):
    api_call(images, "POST", "", {"file": ("a.png", SMALL_PNG), "id": "kept"})
    api_call(images, "POST", "", {"file": ("a.png", SMALL_PNG), "id": "gone"})
    token = api_call(images, "GET", "/batch_token")[2]["result"]["token"]
    batch = images.url + "/batch/images"
    listed = list_v2(images, token=token, base=batch + "/v2")[2]["result"]["images"]
    assert [image["id"] for image in listed] == ["kept", "gone"]
    assert api_call(images, "DELETE", "", token=token, base=batch + "/v1/gone")[0] == 200
    assert api_call(images, "DELETE", "", token=TOKEN, base=batch + "/v1/kept")[0] == 401  # account token
    after = stats(images.url)
    assert after["deleted_ids"] == ["gone"] and after["batch_uploads"] == 0 and after["batch_requests"] == 3
