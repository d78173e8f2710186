"""Hostile input under workerd: dealer pages and requests built to crash a Worker, make it reach a host
it should not, exhaust its memory or corrupt the data (issue 10). Each test reproduces one failure
that was seen before the fix."""

import http.client
import json
import select
import socket
import threading
from urllib.parse import urlsplit

import pytest

from dev.client import image_lists, logged, process, reset, seed_vehicles, site_knobs, wait_for
from inventory.dealer_site.vin import check_digit

MB = 1024 * 1024


def scrape(stack, api, expect=200, timeout=30, **body):
    # 30 s: a scrape of the demo answers in about one; before the fixes some of these took 33 s.
    status, answer = api.call(
        "POST", stack.scraper_url + "/api/scrape", {"handoff": "none", **body}, timeout=timeout
    )
    assert status == expect, answer
    return answer


def inject(stack, api, html: str, **knobs):
    site_knobs(stack, api, inject_html=html, photos_per_vehicle=0, **knobs)


def jsonld(data) -> str:
    return (
        f'<script type="application/ld+json">{data if isinstance(data, str) else json.dumps(data)}</script>'
    )


def vin_with_check_digit(first_17: str) -> str:
    return first_17[:8] + check_digit(first_17) + first_17[9:]


def car(vin: str, stock: str, **extra) -> dict:
    return {
        "@type": "Car",
        "vehicleIdentificationNumber": vin,
        "sku": stock,
        "name": "2020 Ford Escape SE",
        "brand": "Ford",
        "model": "Escape",
        "vehicleModelDate": "2020",
        **extra,
    }


def workerd_rss_kb(worker) -> int:
    return worker.rss_kb()


def post_chunked(url: str, total_bytes: int, headers: dict) -> int | None:
    """POST `total_bytes` with Transfer-Encoding: chunked (no Content-Length); the answer's status, or
    None when the Worker hung up before the body was sent (it refused it)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.putrequest("POST", parts.path)
    for name, value in {
        "Transfer-Encoding": "chunked",
        "Content-Type": "application/json",
        **headers,
    }.items():
        connection.putheader(name, value)
    connection.endheaders()
    chunk, sent = b" " * 65536, 0
    try:
        while sent < total_bytes:
            connection.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sent += len(chunk)
        connection.send(b"0\r\n\r\n")
        return connection.getresponse().status
    except OSError:
        return None
    finally:
        connection.close()


def post_chunked_listening(url: str, total_bytes: int, headers: dict) -> tuple[int | None, int]:
    """POST up to `total_bytes` chunked, 64 KiB at a time, listening for an early answer between
    chunks as curl does: (the answer's status or None, the bytes sent before it came)."""
    parts = urlsplit(url)
    head = [f"POST {parts.path} HTTP/1.1", f"Host: {parts.netloc}", "Transfer-Encoding: chunked"]
    head += [f"{name}: {value}" for name, value in {"Content-Type": "application/json", **headers}.items()]
    chunk, sent = b" " * 65536, 0
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as connection:
        connection.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        try:
            while sent < total_bytes:
                if select.select([connection], [], [], 0.01)[0]:
                    break
                connection.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
            status_line = connection.recv(4096).split(b"\r\n", 1)[0].split()
        except OSError:
            return None, sent
    return (int(status_line[1]) if len(status_line) > 1 else None), sent


# --- 1. deep JSON -------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_a_deeply_nested_json_ld_block_is_skipped_and_the_scrape_goes_on(fresh, api, database, depth):
    stack = fresh
    inject(stack, api, jsonld("[" * depth + "]" * depth) + jsonld('{"a":' * depth + "1" + "}" * depth))
    answer = scrape(stack, api)
    assert answer["found"] == 150 and len(database.rows("SELECT id FROM vehicles")) == 150
    deep = [e for e in answer["skippedEntries"] if "deep" in e["reason"]]
    assert len(deep) == 2, answer["skippedEntries"]
    assert api.call("GET", stack.scraper_url + "/")[0] == 200  # the isolate is alive


def test_a_deeply_nested_admin_body_is_a_400_and_the_run_in_flight_finishes(fresh, api, database):
    stack = fresh
    seed_vehicles(stack, database, 2, 3)
    site_knobs(stack, api, cdn_latency_ms=700)
    run = {}
    worker = threading.Thread(target=lambda: run.update(answer=process(stack, api, {"batchSize": 5})))
    worker.start()
    wait_for(lambda: database.rows("SELECT 1 FROM images WHERE claimed_by IS NOT NULL"), what="claims")
    deep = b'{"batchSize":' + b"[" * 5000 + b"]" * 5000 + b"}"
    status, answer = api.call("POST", stack.processor_url + "/api/process-images", raw=deep)
    assert status == 400 and "nested too deeply" in answer["error"], answer
    worker.join(120)
    assert run["answer"]["imagesUploaded"] == 6
    assert all(not e.startswith("http") for images in image_lists(database) for e in images)


# --- 2. unbounded bodies and pages -------------------------------------------------------------


def test_a_150_mb_chunked_body_without_a_token_is_refused_unread(fresh, api):
    stack = fresh
    worker = stack.workers["processor"]
    assert api.call("GET", stack.processor_url + "/api/image-status")[0] == 200  # warm
    before = workerd_rss_kb(worker)
    status = post_chunked(stack.processor_url + "/api/process-images", 150 * MB, {})
    growth_mb = (workerd_rss_kb(worker) - before) / 1024
    assert status in (401, None), status  # None: it hung up on the rest of the body, as it may
    assert growth_mb < 20, f"the processor's workerd grew by {growth_mb:.1f} MB"
    print(f"150 MB chunked body without a token: answer {status}, workerd grew by {growth_mb:.1f} MB")
    assert api.call("GET", stack.processor_url + "/")[0] == 200


def test_a_client_that_listens_gets_the_401_before_it_has_sent_a_large_body(fresh, api):
    stack = fresh
    status, sent = post_chunked_listening(stack.processor_url + "/api/process-images", 150 * MB, {})
    print(f"150 MB chunked body without a token, client listening: {status} after {sent / MB:.1f} MB")
    # wrangler dev breaks a connection whose answer precedes the unread body, so the Worker reads and
    # drops up to UNREAD_CAP_BYTES (1 MiB) first; the 401 comes then, with 149 MB never sent.
    assert status == 401 and sent < 4 * MB, (status, sent)


def test_a_chunked_body_over_the_route_limit_is_a_413_and_is_never_held(fresh, api):
    stack = fresh
    worker = stack.workers["processor"]
    token = {"Authorization": f"Bearer {stack.secrets['ADMIN_TOKEN']}"}
    assert post_chunked(stack.processor_url + "/api/process-images", 200 * 1024, token) == 413
    before = workerd_rss_kb(worker)
    assert post_chunked(stack.processor_url + "/api/process-images", 150 * MB, token) in (413, None)
    growth_mb = (workerd_rss_kb(worker) - before) / 1024
    # Up to 16 MiB of a refused body are read and dropped (so wrangler dev sends the whole 413).
    assert growth_mb < 40, f"the processor's workerd grew by {growth_mb:.1f} MB"
    print(f"150 MB refused body with a token: workerd grew by {growth_mb:.1f} MB")


@pytest.mark.parametrize(
    "knob, what",
    [
        ("pad_page_bytes", "50 MB page"),
        # Its Content-Length (about 50 kB) is the compressed size: the body is read against the limit.
        ("gzip_page_bytes", "50 MB page in 50 kB of gzip"),
    ],
)
def test_a_50_mb_page_is_a_site_error_and_is_never_read_whole(fresh, api, database, knob, what):
    stack = fresh
    worker = stack.workers["scraper"]
    scrape(stack, api)  # the scraper's modules loaded first: run alone, their memory is not the page's
    reset(stack, api, database)
    before = workerd_rss_kb(worker)
    site_knobs(stack, api, **{knob: 50 * MB})
    answer = scrape(stack, api, expect=502, timeout=60)
    growth_mb = (workerd_rss_kb(worker) - before) / 1024
    assert "MAX_PAGE_BYTES" in answer["error"], answer
    assert growth_mb < 20, f"the scraper's workerd grew by {growth_mb:.1f} MB"
    print(f"{what}: the scraper's workerd grew by {growth_mb:.1f} MB")
    assert database.rows("SELECT id FROM vehicles") == []


# --- 3. the photo-URL guard, end to end in file mode --------------------------------------------


@pytest.fixture(scope="module")
def file_mode(stack):
    from dev.launcher import _port

    url = stack.start_processor_variant(
        "processor-guard",
        _port("PROCESSOR_GUARD_PORT", 8798),
        _port("PROCESSOR_GUARD_INSPECTOR_PORT", 9235),
        {"UPLOAD_MODE": "file"},
    )
    yield url
    stack.stop_worker("processor-guard")


def test_file_mode_fetches_no_url_the_guard_reads_differently_and_checks_every_redirect(
    fresh, api, database, file_mode
):
    stack = fresh
    cdn = stack.standins.site.cdn_url
    port = urlsplit(cdn).port
    # urlsplit reads this host as 127.0.0.1 (allowed); fetch, as WHATWG does, as localhost (not allowed).
    trick = f"http://localhost:{port}\\@127.0.0.1:{port}/photos/L10001/2.png"
    [vehicle] = seed_vehicles(stack, database, 1, 3, images=lambda _, urls: [urls[0], trick, urls[2]])
    # An allowed host that redirects to a host the allowlist does not hold.
    site_knobs(
        stack,
        api,
        photo_faults={"/photos/L10001/3.png": f"redirect:http://localhost:{port}/photos/L10002/1.png"},
    )
    status, answer = api.call("POST", file_mode + "/api/process-images", {"vehicleIds": [vehicle]})
    assert status == 200 and answer["imagesUploaded"] == 1 and answer["imagesFailed"] == 2, answer
    paths = api.call("GET", stack.site_url + "/__stats", token=None)[1]["paths"]
    assert not any("@" in path for path in paths), paths
    assert "cdn:/photos/L10002/1.png" not in paths, paths
    entries = image_lists(database)[0]
    assert entries[1:] == [trick, f"{cdn}/photos/L10001/3.png"]  # kept as vendor URLs
    reasons = sorted(e["reason"] for r in answer["results"] for e in r["errors"])
    assert "localhost" in reasons[0] and "redirect" in reasons[1], reasons


# --- 4. pagination stays on the dealer's host --------------------------------------------------


def test_a_next_link_to_another_host_is_not_followed(fresh, api, database):
    stack = fresh
    port = urlsplit(stack.site_url).port
    site_knobs(stack, api, photos_per_vehicle=0, next_page_url=f"http://localhost:{port}/inventory?page=2")
    answer = scrape(stack, api)
    assert (answer["pages"], answer["found"]) == (1, 24)
    assert any("next page" in w["reason"] for w in answer["warningEntries"]), answer["warningEntries"]
    paths = api.call("GET", stack.site_url + "/__stats", token=None)[1]["paths"]
    assert paths["site:/inventory"] == 1


def test_a_next_link_to_the_dealers_host_on_another_port_is_not_followed(fresh, api, database):
    """Same site means same origin: the vendor CDN stand-in runs on the dealer's host (127.0.0.1) on
    another port, another server; its /inventory is never asked for."""
    stack = fresh
    cdn_port = urlsplit(stack.standins.site.cdn_url).port
    other = f"http://127.0.0.1:{cdn_port}/inventory?page=2"
    site_knobs(stack, api, photos_per_vehicle=0, next_page_url=other)
    answer = scrape(stack, api)
    assert (answer["pages"], answer["found"]) == (1, 24)
    assert any("next page" in w["reason"] and str(cdn_port) in w["entry"] for w in answer["warningEntries"])
    paths = api.call("GET", stack.site_url + "/__stats", token=None)[1]["paths"]
    assert not [path for path in paths if path.startswith("cdn:/inventory")], paths


# --- 5. a linear JSON-LD scan ------------------------------------------------------------------


def test_thousands_of_unclosed_json_ld_tags_do_not_stall_the_scrape(fresh, api, database):
    stack = fresh
    inject(stack, api, '<script type="application/ld+json">' * 8000)
    answer = scrape(stack, api)  # 32.6 s before the fix: over this call's 30 s
    # As in a browser, the first unclosed <script> holds the rest of page 1 (its cards and its next
    # link): the 24 vehicles of the page's own JSON-LD block, before the tags, are what it shows.
    assert (answer["found"], answer["pages"]) == (24, 1)


# --- 6. numbers --------------------------------------------------------------------------------


def test_absurd_and_negative_numbers_are_dropped_with_a_warning_not_a_500(fresh, api, database):
    stack = fresh
    first, second = vin_with_check_digit("1FMCU0GD5LUA00001"), vin_with_check_digit("1FMCU0GD5LUA00002")
    cars = [
        car(first, "HOSTILE1", mileageFromOdometer=1e300, offers={"price": "$1e308"}),
        car(second, "HOSTILE2", mileageFromOdometer={"value": "-12000"}, offers={"price": "-5000"}),
    ]
    inject(stack, api, jsonld({"@context": "https://schema.org", "@graph": cars}))
    answer = scrape(stack, api)
    assert answer["found"] == 152
    rows = database.rows(
        "SELECT vin, price, mileage FROM vehicles WHERE stock_number LIKE 'HOSTILE%' ORDER BY vin"
    )
    assert rows == [
        {"vin": first, "price": None, "mileage": None},
        {"vin": second, "price": None, "mileage": None},
    ]
    reasons = " ".join(w["reason"].lower() for w in answer["warningEntries"])
    assert "mileage" in reasons and "price" in reasons, answer["warningEntries"]


# --- 8. huge listings --------------------------------------------------------------------------


def test_a_listing_over_max_vehicles_is_a_site_error_and_writes_nothing(fresh, api, database):
    stack = fresh
    cars = [
        {
            "@type": "Car",
            "sku": f"BOGUS{n:05d}",
            "name": "2020 Ford Escape",
            "brand": "Ford",
            "model": "Escape",
            "vehicleModelDate": "2020",
        }
        for n in range(10_000)
    ]
    inject(stack, api, jsonld({"@context": "https://schema.org", "@graph": cars}))
    answer = scrape(stack, api, expect=502)
    assert "MAX_VEHICLES" in answer["error"], answer
    assert database.rows("SELECT id FROM vehicles") == []


# --- 9. the photo guard ------------------------------------------------------------------------


def test_a_listing_that_lost_every_photo_keeps_the_photo_lists(fresh, api, database):
    stack = fresh
    site_knobs(stack, api, vehicle_count=12)
    scrape(stack, api)
    before = database.rows("SELECT vehicle_key, images, source_images FROM vehicles ORDER BY vehicle_key")
    assert all(json.loads(row["images"]) for row in before)
    site_knobs(stack, api, photos_per_vehicle=0)  # the photo markup changed: no photo anywhere
    answer = scrape(stack, api)
    assert answer["photoListsKept"] and "12 of the 12" in answer["photoListsKept"], answer
    assert (
        database.rows("SELECT vehicle_key, images, source_images FROM vehicles ORDER BY vehicle_key")
        == before
    )
    logged(stack.workers["scraper"], "their photo lists are kept")


# --- 10. query parameters ----------------------------------------------------------------------


@pytest.mark.parametrize("query", ["page=%D9%A5", "page=5_0", "pageSize=%EF%BC%95", "variant=caf%C3%A9"])
def test_non_ascii_query_values_are_a_400(fresh, api, query):
    status, answer = api.call("GET", fresh.processor_url + f"/api/vehicle-images?{query}")
    assert status == 400 and answer["success"] is False, answer
