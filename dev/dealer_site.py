"""Local stand-in for the dealer's website and the vendor CDN that hosts its photos.

Two HTTP servers run side by side:
  * the site (robots.txt, paginated inventory listing, vehicle detail pages,
    plus the /__control, /__reset and /__stats endpoints for tests);
  * the CDN, serving one small deterministic PNG per photo URL.

Everything is deterministic: vehicle N is always the same car, and a given
photo URL always returns the same bytes.
"""

import gzip
import hashlib
import html
import json
import random
import threading
import time
import zlib
from dataclasses import dataclass, replace
from functools import cache
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from dev.custom_layouts import CUSTOM_LAYOUT, custom_detail, custom_listing
from dev.platform_layouts import (
    PLATFORM_LAYOUTS,
    SITEMAP_PATHS,
    VDP_PREFIX,
    api_answer,
    browser_rendered_listing,
    challenge_page,
    is_api_path,
    page_number,
    platform_listing,
    sitemap_document,
    vin_of_vdp_path,
)
from dev.pngs import make_png
from dev.standin_server import Standin, StandinHandler, read_body, send, send_json

DEALER_NAME = "Lambert Demo Motors"
FIRST_STOCK_NUMBER = 10001
BAD_CHECK_DIGIT_INDEXES = (7, 88)  # the two vehicles with an invalid VIN
DUPLICATE_PHOTO_INDEX = 3  # this vehicle lists one photo URL twice
MALFORMED_ENTRY_POSITION = 5  # position of the broken JSON-LD entry on page 1
HANG_SECONDS = 60
SLOW_SECONDS = 3
OVERSIZE_BYTES = 11 * 1024 * 1024
PHOTOS_MODIFIED = "Mon, 01 Jun 2026 12:00:00 GMT"
PHOTO_SIZE = (64, 48)

DEFAULT_KNOBS = {
    "latency_ms": 0,
    "cdn_latency_ms": 0,
    "site_status": None,
    "fail_rate_5xx": 0.0,
    # v1, v2, or a platform's shape: dealer-com, dealeron, nextjs, dealer-inspire (dev/platform_layouts.py),
    # or custom-app: a dealer's own app that only discovery reads (dev/custom_layouts.py)
    "layout": "v1",
    # A bot wall instead of every page but robots.txt: "cloudflare" or "akamai", answered with this status.
    "challenge": None,
    "challenge_status": 403,
    "page_size": 24,
    "vehicle_count": 150,
    "remove_stocks": [],
    # New asking prices by stock number (a price cut between two scrapes).
    "prices": {},
    "empty": False,
    "photos_per_vehicle": None,
    "extra_photos": {},
    "insert_photo": {},
    # The realistic shape: listings show one thumbnail per vehicle; the gallery is on the detail page.
    "thumbnails_only": False,
    # Detail pages wait until this is switched off (or 60 s): proves a scrape answers without them.
    "hold_detail_pages": False,
    # Galleries that change: photo numbers dropped from a stock's gallery, stocks whose order is reversed.
    "drop_photos": {},
    "reverse_photos": [],
    # Photos replaced at the same URL (a re-shot picture): other bytes, so another ETag.
    "replace_photos": {},
    # A listing rendered in the browser (DealerInspire's shape): no vehicle on the page, every one in
    # the sitemap (/sitemap_index.xml) by its detail address /inventory/used-YEAR-MAKE-...-VIN/.
    "sitemap_only": False,
    "photo_faults": {},
    "robots_disallow": False,
    # Hostile pages (the security tests): raw HTML added to page 1 of the listing, a rel=next link
    # of page 1 pointing anywhere, and page 1 padded to this many bytes, sent without a length, or
    # gzip-compressed with the length of its compressed bytes (a small answer that inflates).
    "inject_html": "",
    "next_page_url": None,
    # Numbered page links beside Next (v1 layout), as most dealer sites show: the scraper asks for
    # the pages they name ahead. Off: a Next link only, so later pages are guessed.
    "pager": True,
    "pad_page_bytes": 0,
    "gzip_page_bytes": 0,
}

# (make, model, trim, base price in USD, world manufacturer identifier)
MODELS = [
    ("Toyota", "Camry", "SE", 27000, "4T1"),
    ("Toyota", "RAV4", "XLE", 31000, "2T3"),
    ("Toyota", "Tacoma", "TRD Sport", 36000, "3TM"),
    ("Honda", "Civic", "EX", 25000, "2HG"),
    ("Honda", "CR-V", "EX-L", 33000, "7FA"),
    ("Honda", "Accord", "Sport", 29000, "1HG"),
    ("Ford", "F-150", "XLT", 45000, "1FT"),
    ("Ford", "Escape", "SE", 28000, "1FM"),
    ("Ford", "Explorer", "Limited", 44000, "1FM"),
    ("Chevrolet", "Silverado 1500", "LT", 46000, "1GC"),
    ("Chevrolet", "Equinox", "LT", 29000, "2GN"),
    ("Nissan", "Altima", "2.5 SV", 27000, "1N4"),
    ("Nissan", "Rogue", "SV", 30000, "5N1"),
    ("Subaru", "Outback", "Premium", 31000, "4S4"),
    ("Hyundai", "Elantra", "SEL", 22000, "5NP"),
    ("Jeep", "Grand Cherokee", "Laredo", 40000, "1C4"),
    ("Kia", "Sorento", "LX", 30000, "5XY"),
    ("Mazda", "CX-5", "Touring", 30000, "JM3"),
]

COLOURS = {
    "Silver": (192, 192, 196),
    "White": (240, 240, 236),
    "Black": (24, 24, 28),
    "Gray": (110, 112, 116),
    "Blue": (30, 70, 160),
    "Red": (170, 28, 32),
    "Green": (40, 110, 60),
    "Beige": (210, 195, 160),
}

# ISO 3779 check digit: letters transliterate to numbers, positions are weighted.
VIN_TRANSLITERATION = {
    **{str(d): d for d in range(10)},
    "A": 1,
    "B": 2,
    "C": 3,
    "D": 4,
    "E": 5,
    "F": 6,
    "G": 7,
    "H": 8,
    "J": 1,
    "K": 2,
    "L": 3,
    "M": 4,
    "N": 5,
    "P": 7,
    "R": 9,
    "S": 2,
    "T": 3,
    "U": 4,
    "V": 5,
    "W": 6,
    "X": 7,
    "Y": 8,
    "Z": 9,
}
VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
VIN_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"  # no I, O, Q
VIN_YEAR_CODES = {
    2015: "F",
    2016: "G",
    2017: "H",
    2018: "J",
    2019: "K",
    2020: "L",
    2021: "M",
    2022: "N",
    2023: "P",
    2024: "R",
    2025: "S",
}


def vin_check_digit(vin: str) -> str:
    total = sum(VIN_TRANSLITERATION[c] * w for c, w in zip(vin, VIN_WEIGHTS, strict=False))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


@dataclass(frozen=True)
class Vehicle:
    index: int
    stock: str
    vin: str
    year: int
    make: str
    model: str
    trim: str
    price: int
    mileage: int
    colour: str
    featured: bool
    photo_count: int

    @property
    def title(self) -> str:
        return f"{self.year} {self.make} {self.model} {self.trim}"


@cache  # a listing page otherwise costs the size of the whole inventory to serve
def make_vehicle(index: int) -> Vehicle:
    """Vehicle number `index`, always the same whatever the inventory size."""
    rng = random.Random(f"lambert-vehicle-{index}")
    make, model, trim, base_price, wmi = rng.choice(MODELS)
    year = rng.randint(2015, 2025)
    age = 2025 - year
    mileage = age * rng.randint(6000, 14000) + rng.randint(5, 4000)
    price = max(4995, base_price - age * 1800 - mileage // 25 + rng.randint(-1500, 1500))
    price = price // 1000 * 1000 + 995
    colour = rng.choice(sorted(COLOURS))

    descriptor = "".join(rng.choice(VIN_ALPHABET) for _ in range(5))
    plant = rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ")
    serial = f"{100000 + index * 37 % 900000:06d}"
    vin = wmi + descriptor + "0" + VIN_YEAR_CODES[year] + plant + serial
    check = vin_check_digit(vin)
    if index in BAD_CHECK_DIGIT_INDEXES:
        check = "X" if check == "0" else "0"  # deliberately wrong
    vin = vin[:8] + check + vin[9:]

    return Vehicle(
        index=index,
        stock=f"L{FIRST_STOCK_NUMBER + index}",
        vin=vin,
        year=year,
        make=make,
        model=model,
        trim=trim,
        price=price,
        mileage=mileage,
        colour=colour,
        # Own generator, so the featured share stays near 1 in 10 (15 of 150).
        featured=random.Random(f"lambert-featured-{index}").random() < 0.1,
        photo_count=rng.randint(5, 30),
    )


def index_from_stock(stock: str):
    """Vehicle index for a stock number like L10001, or None."""
    if not stock.startswith("L") or not stock[1:].isdigit():
        return None
    index = int(stock[1:]) - FIRST_STOCK_NUMBER
    return index if index >= 0 else None


def photo_names(vehicle: Vehicle, knobs: dict) -> list:
    """File names of a vehicle's photos in display order (no duplicates)."""
    count = knobs["photos_per_vehicle"]
    if count is None:
        count = vehicle.photo_count
    count += int(knobs["extra_photos"].get(vehicle.stock, 0))
    dropped = {int(n) for n in knobs["drop_photos"].get(vehicle.stock, [])}
    names = [f"{n}.png" for n in range(1, count + 1) if n not in dropped]
    if vehicle.stock in knobs["insert_photo"]:
        names.insert(int(knobs["insert_photo"][vehicle.stock]), "new-1.png")
    return names[::-1] if vehicle.stock in knobs["reverse_photos"] else names


def photo_png(stock: str, name: str, replaced: bool = False) -> bytes:
    vehicle = make_vehicle(index_from_stock(stock))
    seed = zlib.crc32(f"{stock}/{name}{' re-shot' if replaced else ''}".encode())
    return make_png(*PHOTO_SIZE, COLOURS[vehicle.colour], seed)


_oversize_body = None


def oversize_png() -> bytes:
    """A PNG signature and header followed by padding, 11 MB in total."""
    global _oversize_body
    if _oversize_body is None:
        head = make_png(*PHOTO_SIZE, (0, 0, 0), 0)[:33]  # signature + IHDR chunk
        _oversize_body = head + b"\0" * (OVERSIZE_BYTES - len(head))
    return _oversize_body


def script_json(data) -> str:
    """JSON safe to embed inside a <script> element."""
    return json.dumps(data, indent=1).replace("</", "<\\/")


class _Handler(StandinHandler):
    server_version = "DemoDealer/1.0"


class DealerSite(Standin):
    """The demo dealer website plus its vendor CDN (two servers)."""

    DEFAULT_KNOBS = DEFAULT_KNOBS
    handler = _Handler

    def __init__(self):
        self._stopping = threading.Event()
        self._detail_pages_released = threading.Event()
        self.site_url = None
        self.cdn_url = None
        super().__init__()

    # ----- lifecycle -------------------------------------------------------

    def start(self, host="127.0.0.1", site_port=8790, cdn_port=8792):
        self._stopping.clear()
        self.site_url = self._serve(host, site_port, "site")
        self.cdn_url = self._serve(host, cdn_port, "cdn")
        return self

    def stop(self):
        self._stopping.set()  # wakes up requests hanging on a "timeout" fault
        self._detail_pages_released.set()
        super().stop()

    def _knobs_changed(self, changes: dict) -> None:
        if changes.get("hold_detail_pages"):
            self._detail_pages_released.clear()
        elif "hold_detail_pages" in changes:
            self._detail_pages_released.set()

    # ----- shared state ----------------------------------------------------

    def _clear_state(self):
        self._detail_pages_released.set()
        self._random = random.Random(20240601)
        self._requests = {
            "robots": 0,
            "listing": 0,
            "detail": 0,
            "api": 0,
            "sitemap": 0,
            "photo": 0,
            "check": 0,  # HEAD requests: the processor asking whether a photo was replaced
            "other": 0,
        }
        self._total = 0
        self._paths = {}  # "site:/inventory" or "cdn:/photos/..." -> requests
        self._user_agents = set()
        self._in_flight = {"site": 0, "cdn": 0}
        self._max_in_flight = {"site": 0, "cdn": 0}

    def stats(self) -> dict:
        with self._lock:
            return {
                "requests": dict(self._requests),
                "total_requests": self._total,
                "paths": dict(self._paths),
                "user_agents": sorted(self._user_agents),
                "max_in_flight": dict(self._max_in_flight),
            }

    def _chance(self, rate: float) -> bool:
        with self._lock:
            return self._random.random() < rate

    def visible_vehicles(self, knobs: dict) -> list:
        removed = set(knobs["remove_stocks"])
        vehicles = (make_vehicle(i) for i in range(int(knobs["vehicle_count"])))
        prices = knobs["prices"]
        visible = (v for v in vehicles if v.stock not in removed)
        return [replace(v, price=prices[v.stock]) if v.stock in prices else v for v in visible]

    # ----- request handling ------------------------------------------------

    def handle(self, request: BaseHTTPRequestHandler, method: str):
        role = request.server.role
        url = urlsplit(request.path)
        body = read_body(request)

        if role == "site" and url.path.startswith("/__"):
            return self.handle_control(request, method, url.path, body)

        kind = "check" if method == "HEAD" else self._request_kind(role, url.path)  # HEAD: a photo check
        with self._lock:
            self._total += 1
            self._requests[kind] += 1
            self._paths[f"{role}:{url.path}"] = self._paths.get(f"{role}:{url.path}", 0) + 1
            self._user_agents.add(request.headers.get("User-Agent", ""))
            self._in_flight[role] += 1
            self._max_in_flight[role] = max(self._max_in_flight[role], self._in_flight[role])
        try:
            if role == "cdn":
                self._serve_photo(request, url.path)
            else:
                self._serve_site(request, kind, url, method, body)
        finally:
            with self._lock:
                self._in_flight[role] -= 1

    @staticmethod
    def _request_kind(role: str, path: str) -> str:
        if role == "cdn":
            return "photo" if path.startswith("/photos/") else "other"
        if path == "/robots.txt":
            return "robots"
        if path == "/inventory":
            return "listing"
        if path.startswith(("/vehicle/", VDP_PREFIX)):
            return "detail"
        if path in SITEMAP_PATHS:
            return "sitemap"
        return "api" if is_api_path(path) else "other"

    def _serve_site(self, request, kind, url, method="GET", body=b""):
        knobs = self.knobs()
        if knobs["latency_ms"]:
            time.sleep(knobs["latency_ms"] / 1000)
        if knobs["site_status"]:
            status = int(knobs["site_status"])
            return send(request, status, "text/html", error_page(status, "Service unavailable"))
        if knobs["challenge"] and kind != "robots":
            wall, headers = challenge_page(knobs["challenge"])
            return send(request, int(knobs["challenge_status"]), "text/html", wall, headers)
        if knobs["fail_rate_5xx"] and self._chance(knobs["fail_rate_5xx"]):
            return send(request, 500, "text/html", error_page(500, "Internal server error"))

        if kind == "robots":
            rule = "Disallow: /" if knobs["robots_disallow"] else "Allow: /"
            return send(request, 200, "text/plain", f"User-agent: *\n{rule}\n")
        if kind == "listing":
            page = page_number(knobs["layout"], parse_qs(url.query), int(knobs["page_size"]))
            if not page.isdigit() or int(page) < 1:
                return send(request, 400, "text/html", error_page(400, "Bad page number"))
            page_html_text = self.listing_page(int(page), knobs)
            if page == "1" and knobs["pad_page_bytes"]:
                return send_padded(request, page_html_text, int(knobs["pad_page_bytes"]))
            if page == "1" and knobs["gzip_page_bytes"]:
                return send_gzipped(request, padded(page_html_text, int(knobs["gzip_page_bytes"])))
            return send(request, 200, "text/html", page_html_text)
        if kind == "api" and method == "POST":
            return send_json(request, *self._api_answer(url, body, knobs))
        if kind == "sitemap" and knobs["sitemap_only"]:
            xml = sitemap_document(url.path, self.visible_vehicles(knobs), self.site_url)
            return send(request, 200, "application/xml", xml)
        if kind == "detail":
            if knobs["hold_detail_pages"]:
                self._detail_pages_released.wait(HANG_SECONDS)
            stock = url.path[len("/vehicle/") :]
            if url.path.startswith(VDP_PREFIX):
                stock = {v.vin: v.stock for v in self.visible_vehicles(knobs)}.get(vin_of_vdp_path(url.path))
            visible = {v.stock: v for v in self.visible_vehicles(knobs)}
            if stock not in visible:
                return send(request, 404, "text/html", error_page(404, "Vehicle not found"))
            return send(request, 200, "text/html", self.detail_page(visible[stock], knobs))
        return send(request, 404, "text/html", error_page(404, "Page not found"))

    def _api_answer(self, url, body: bytes, knobs: dict) -> tuple[int, dict]:
        """The layout's inventory API (dev/platform_layouts.py): every visible vehicle, paged."""
        vehicles = [] if knobs["empty"] else self.visible_vehicles(knobs)
        query = parse_qs(url.query)
        return api_answer(
            knobs["layout"], url.path, query, body, vehicles, lambda v: self.listing_photo_urls(v, knobs)
        )

    def _serve_photo(self, request, path):
        knobs = self.knobs()
        if knobs["cdn_latency_ms"]:
            time.sleep(knobs["cdn_latency_ms"] / 1000)

        fault = knobs["photo_faults"].get(path)
        if fault == "timeout":
            self._stopping.wait(HANG_SECONDS)
            request.close_connection = True  # hang up without an answer
            return
        if fault == "slow":
            time.sleep(SLOW_SECONDS)
        elif fault == "not_image":
            return send(request, 200, "text/html", "<html><body>Image moved</body></html>")
        elif fault == "oversize":
            return send(request, 200, "image/png", oversize_png())
        elif str(fault).startswith("redirect:"):
            request.send_response(302)
            request.send_header("Location", str(fault)[len("redirect:") :])
            request.send_header("Content-Length", "0")
            request.end_headers()
            return
        elif str(fault).isdigit():
            return send(request, int(fault), "text/plain", f"error {fault}\n")

        # /photos/{stock}/{name}
        parts = path.split("/")
        if len(parts) != 4 or parts[1] != "photos":
            return send(request, 404, "text/plain", "not found\n")
        stock, name = parts[2], parts[3]
        index = index_from_stock(stock)
        if index is None or index >= int(knobs["vehicle_count"]):
            return send(request, 404, "text/plain", "not found\n")
        if name not in photo_names(make_vehicle(index), knobs):
            return send(request, 404, "text/plain", "not found\n")
        replaced = name in {f"{n}.png" for n in knobs["replace_photos"].get(stock, [])}
        send_photo(request, photo_png(stock, name, replaced))

    # ----- pages -----------------------------------------------------------

    def photo_urls(self, vehicle: Vehicle, knobs: dict) -> list:
        return [f"{self.cdn_url}/photos/{vehicle.stock}/{name}" for name in photo_names(vehicle, knobs)]

    def listing_photo_urls(self, vehicle: Vehicle, knobs: dict) -> list:
        """What a listing shows: every photo, or (thumbnails_only) a small version of the first."""
        urls = self.photo_urls(vehicle, knobs)
        return [f"{urls[0]}?w=320"] if knobs["thumbnails_only"] and urls else urls

    def _listed_photo_urls(self, vehicle: Vehicle, knobs: dict, listing: bool = True) -> list:
        """Photo URLs as the pages list them, with the deliberate duplicate."""
        if listing and knobs["thumbnails_only"]:
            return self.listing_photo_urls(vehicle, knobs)
        urls = self.photo_urls(vehicle, knobs)
        if vehicle.index == DUPLICATE_PHOTO_INDEX and len(urls) >= 2:
            urls.insert(2, urls[1])
        return urls

    def car_json(self, vehicle: Vehicle, knobs: dict, listing: bool = True) -> dict:
        return {
            "@type": "Car",
            "name": vehicle.title,
            "vehicleIdentificationNumber": vehicle.vin,
            "sku": vehicle.stock,
            "brand": {"@type": "Brand", "name": vehicle.make},
            "model": vehicle.model,
            "vehicleModelDate": str(vehicle.year),
            "vehicleConfiguration": vehicle.trim,
            "mileageFromOdometer": {
                "@type": "QuantitativeValue",
                "value": vehicle.mileage,
                "unitCode": "SMI",
            },
            "color": vehicle.colour,
            "url": f"{self.site_url}/vehicle/{vehicle.stock}",
            "image": self._listed_photo_urls(vehicle, knobs, listing),
            "offers": {"@type": "Offer", "price": str(vehicle.price), "priceCurrency": "USD"},
        }

    def listing_page(self, page: int, knobs: dict) -> str:
        vehicles = [] if knobs["empty"] else self.visible_vehicles(knobs)
        size = int(knobs["page_size"])
        on_page = vehicles[(page - 1) * size : page * size]
        has_next = page * size < len(vehicles)
        if knobs["layout"] == "v2":
            return self._listing_page_v2(page, on_page, has_next, knobs)
        if knobs["layout"] == CUSTOM_LAYOUT:
            first = lambda vehicle: next(iter(self.listing_photo_urls(vehicle, knobs)), None)  # noqa: E731
            return custom_listing(page, on_page, has_next, first, page_html)
        if knobs["sitemap_only"]:
            return browser_rendered_listing()
        if knobs["layout"] in PLATFORM_LAYOUTS:
            return platform_listing(
                knobs["layout"],
                page,
                on_page,
                has_next,
                size,
                lambda vehicle: self.listing_photo_urls(vehicle, knobs),
                self.site_url,
            )

        last_page = max(1, -(-len(vehicles) // size))
        cars = [self.car_json(v, knobs) for v in on_page]
        if page == 1 and cars:
            broken = {
                "@type": "Car",
                "color": "Blue",
                "offers": {"@type": "Offer", "price": "0", "priceCurrency": "USD"},
            }
            cars.insert(MALFORMED_ENTRY_POSITION - 1, broken)
        if page % 3 == 0:
            data = {"@context": "https://schema.org", "@graph": cars}
        else:
            data = {
                "@context": "https://schema.org",
                "@type": "ItemList",
                "itemListElement": [
                    {"@type": "ListItem", "position": position, "item": car}
                    for position, car in enumerate(cars, start=1)
                ],
            }
        cards = "\n".join(self._card_v1(v, knobs) for v in on_page)
        nav = pager(page, last_page) if knobs["pager"] else ""
        if has_next:
            nav += f'<a rel="next" href="/inventory?page={page + 1}">Next</a>'
        if page == 1 and knobs["next_page_url"]:
            nav = f'<a rel="next" href="{html.escape(knobs["next_page_url"])}">Next</a>'
        injected = knobs["inject_html"] if page == 1 else ""
        return page_html(
            f"Inventory - page {page}",
            f'<script type="application/ld+json">{script_json(data)}</script>\n{injected}\n'
            f'<h1>Used inventory</h1>\n<div class="vehicle-list">\n{cards}\n</div>\n'
            f'<nav class="pagination">{nav}</nav>',
        )

    def _card_v1(self, vehicle: Vehicle, knobs: dict) -> str:
        esc = html.escape
        urls = self._listed_photo_urls(vehicle, knobs)
        images = "".join(
            f'<img src="{esc(u)}">' if i == 0 else f'<img data-src="{esc(u)}">' for i, u in enumerate(urls)
        )
        return (
            f'<div class="vehicle-card" data-vin="{esc(vehicle.vin)}" data-stock="{esc(vehicle.stock)}"'
            f' data-featured="{int(vehicle.featured)}">'
            f'<a class="vehicle-link" href="/vehicle/{esc(vehicle.stock)}">'
            f'<h2 class="vehicle-title">{esc(vehicle.title)}</h2></a>'
            f'<span class="price">${vehicle.price:,}</span>'
            f'<span class="mileage">{vehicle.mileage:,} mi</span>'
            f'<span class="color">{esc(vehicle.colour)}</span>'
            f'<div class="photos">{images}</div></div>'
        )

    def _listing_page_v2(self, page, on_page, has_next, knobs) -> str:
        """The redesigned site: new markup and no JSON-LD at all."""
        esc = html.escape
        tiles = []
        for v in on_page:
            images = "".join(
                f'<li><img class="tile-img" data-lazy="{esc(u)}" alt=""></li>'
                for u in self.listing_photo_urls(v, knobs)
            )
            tiles.append(
                f'<article class="listing-tile" data-vehicle-id="{esc(v.vin)}"'
                f' data-stock-number="{esc(v.stock)}" data-spotlight="{str(v.featured).lower()}">'
                f'<a class="tile-link" href="/vehicle/{esc(v.stock)}">'
                f'<h3 class="tile-heading">{esc(v.title)}</h3></a>'
                f'<p class="tile-price">Our price: ${v.price:,}</p>'
                f'<p class="tile-odometer">{v.mileage:,} miles</p>'
                f'<p class="tile-exterior">Exterior: {esc(v.colour)}</p>'
                f'<ul class="tile-gallery">{images}</ul></article>'
            )
        nav = f'<a class="pager-next" href="/inventory?page={page + 1}">More vehicles</a>' if has_next else ""
        body = "\n".join(tiles)
        return page_html(
            f"Shop our inventory ({page})",
            f'<main class="results-grid">\n{body}\n</main>\n<div class="pager">{nav}</div>',
        )

    def detail_page(self, vehicle: Vehicle, knobs: dict) -> str:
        esc = html.escape
        if knobs["layout"] == CUSTOM_LAYOUT:
            return custom_detail(vehicle, self._listed_photo_urls(vehicle, knobs, listing=False), page_html)
        if knobs["layout"] == "v2":
            images = "".join(
                f'<li><img class="tile-img" data-lazy="{esc(u)}" alt=""></li>'
                for u in self.photo_urls(vehicle, knobs)
            )
            return page_html(
                vehicle.title,
                f'<section class="vdp" data-vehicle-id="{esc(vehicle.vin)}">'
                f'<h1 class="vdp-heading">{esc(vehicle.title)}</h1>'
                f'<ul class="vdp-carousel">{images}</ul></section>',
            )
        data = {
            "@context": "https://schema.org",
            "@graph": [
                {"@type": "AutoDealer", "name": DEALER_NAME, "url": self.site_url},
                self.car_json(vehicle, knobs, listing=False),
            ],
        }
        gallery = self._listed_photo_urls(vehicle, knobs, listing=False)
        images = "".join(f'<img data-src="{esc(u)}">' for u in gallery)
        return page_html(
            vehicle.title,
            f'<script type="application/ld+json">{script_json(data)}</script>\n'
            f'<h1 class="vehicle-title">{esc(vehicle.title)}</h1>\n'
            f'<span class="price">${vehicle.price:,}</span>'
            f'<span class="mileage">{vehicle.mileage:,} mi</span>'
            f'<span class="vin">VIN {esc(vehicle.vin)}</span>\n'
            f'<div class="gallery">{images}</div>',
        )


def send_photo(request: BaseHTTPRequestHandler, png: bytes) -> None:
    """A photo with the validators a CDN gives (ETag, Last-Modified, Content-Length), answering a
    matching If-None-Match with 304 (and a HEAD without the body, as send() does)."""
    etag = '"' + hashlib.sha256(png).hexdigest()[:16] + '"'
    headers = {"ETag": etag, "Last-Modified": PHOTOS_MODIFIED, "Cache-Control": "max-age=3600"}
    if request.headers.get("If-None-Match") == etag:
        request.send_response(304)
        for name, value in headers.items():
            request.send_header(name, value)
        request.send_header("Content-Length", "0")
        request.end_headers()
        return
    send(request, 200, "image/png", png, headers)


def pager(page: int, last_page: int) -> str:
    """Numbered links as most dealer sites show them: two pages either side, the first and the last."""
    shown = sorted({1, last_page, *range(max(1, page - 2), min(last_page, page + 2) + 1)})
    links = [
        f'<span class="current">{n}</span>' if n == page else f'<a href="/inventory?page={n}">{n}</a>'
        for n in shown
    ]
    return " ".join(links) + " "


def page_html(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)} | {DEALER_NAME}</title></head>\n"
        f"<body>\n{body}\n</body></html>\n"
    )


def error_page(status: int, message: str) -> str:
    return page_html(f"{status} {message}", f"<h1>{status}</h1><p>{html.escape(message)}</p>")


def padded(page: str, total_bytes: int) -> bytes:
    head = page.encode("utf-8")
    return head + b"<!--" + b"x" * max(0, total_bytes - len(head) - 7) + b"-->"


def send_gzipped(request: BaseHTTPRequestHandler, body: bytes):
    """`body` gzip-compressed, with the compressed length: what the reader is told is not its size."""
    compressed = gzip.compress(body, compresslevel=6)
    request.send_response(200)
    request.send_header("Content-Type", "text/html; charset=utf-8")
    request.send_header("Content-Encoding", "gzip")
    request.send_header("Content-Length", str(len(compressed)))
    request.end_headers()
    try:
        request.wfile.write(compressed)
    except OSError:
        pass  # the reader stopped early, as it should


def send_padded(request: BaseHTTPRequestHandler, page: str, total_bytes: int):
    """The page inside an HTML comment padding it to `total_bytes`, streamed with no Content-Length
    (the body ends when the connection closes), so a reader cannot know its size in advance."""
    head, tail = page.encode("utf-8"), b"-->"
    request.send_response(200)
    request.send_header("Content-Type", "text/html; charset=utf-8")
    request.send_header("Connection", "close")
    request.end_headers()
    request.close_connection = True
    try:
        request.wfile.write(head + b"<!--")
        left, chunk = max(0, total_bytes - len(head) - 7), b"x" * 65536
        while left > 0:
            request.wfile.write(chunk[:left])
            left -= len(chunk)
        request.wfile.write(tail)
    except OSError:
        pass  # the reader stopped early, as it should
