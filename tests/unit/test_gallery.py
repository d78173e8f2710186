"""Galleries: one entry per photo (the largest size, at the first position), no placeholders or stock art."""

from inventory.dealer_site.extract import clean_photo_urls
from inventory.dealer_site.extraction.gallery import GalleryRules, clean_gallery, rules_from_profile
from inventory.dealer_site.profiles import load_profile

PAGE = "https://dealer.example/inventory/used"


def photos(values, rules=None):
    return clean_gallery(values, PAGE, rules or GalleryRules()).photos


def test_query_size_variants_collapse_to_the_largest_at_the_first_position():
    assert photos(
        [
            "https://cdn.example/a.jpg?w=320",
            "https://cdn.example/b.jpg",
            "https://cdn.example/a.jpg?w=1280&q=80",
            "https://cdn.example/a.jpg?width=640",
        ]
    ) == ["https://cdn.example/a.jpg?w=1280&q=80", "https://cdn.example/b.jpg"]


def test_an_unmarked_url_is_the_original_and_beats_every_size():
    assert photos(
        [
            "https://cdn.example/a.jpg?w=4000&h=3000",
            "https://cdn.example/a.jpg",
            "https://cdn.example/a.jpg?impolicy=resize",
        ]
    ) == ["https://cdn.example/a.jpg"]


def test_other_query_parameters_keep_photos_apart():
    assert photos(["https://cdn.example/p?id=1&w=100", "https://cdn.example/p?id=2&w=100"]) == [
        "https://cdn.example/p?id=1&w=100",
        "https://cdn.example/p?id=2&w=100",
    ]


def test_path_segment_wordpress_and_thumbnail_folder_sizes():
    assert photos(
        [
            "https://cdn.example/v/640x480/1.jpg",
            "https://cdn.example/v/1600x1200/1.jpg",
            "https://cdn.example/v/1280x960/1.jpg",
        ]
    ) == ["https://cdn.example/v/1600x1200/1.jpg"]
    assert photos(["https://d.example/up/car-300x200.jpg", "https://d.example/up/car-1024x683.jpg"]) == [
        "https://d.example/up/car-1024x683.jpg"
    ]
    assert photos(["https://d.example/up/car-300x200.jpg", "https://d.example/up/car.jpg"]) == [
        "https://d.example/up/car.jpg"
    ]
    assert photos(
        [
            "//img.example/thumbnails/320/7.jpg",
            "https://img.example/7.jpg",
            "https://img.example/thumbnails/640/8.jpg",
        ]
    ) == ["https://img.example/7.jpg", "https://img.example/thumbnails/640/8.jpg"]


def test_shopify_size_suffixes_collapse_like_wordpress_ones():
    assert photos(
        [
            "https://cdn.shop.example/files/truck-1_1024x1024.jpg?v=17",
            "https://cdn.shop.example/files/truck-2_300x.jpg?v=18",
            "https://cdn.shop.example/files/truck-1_2048x.jpg?v=17",  # a width alone: larger still
            "https://cdn.shop.example/files/truck-2.jpg?v=18",  # the original
        ]
    ) == [
        "https://cdn.shop.example/files/truck-1_2048x.jpg?v=17",
        "https://cdn.shop.example/files/truck-2.jpg?v=18",
    ]


def test_what_is_dropped_and_why():
    gallery = clean_gallery(
        [
            "data:image/gif;base64,R0lGOD",
            "javascript:void(0)",
            "https://cdn.example/camera.svg",
            "https://cdn.example/coming-soon.jpg",
            "https://cdn.example/img/NoPhoto.png",
            "ftp://cdn.example/1.jpg",
            "https://cdn.example/x/placeholder-car.webp",
            "https://cdn.example/image-unavailable.png",
            "https://cdn.example/casino-photo.jpg",
            "https://cdn.example/images/loading.gif",  # what a lazy page shows until the photo loads
            "https://cdn.example/img/spacer-1x1.png",
            "https://cdn.example/photos/loading-dock.jpg",
        ],
        PAGE,
    )
    assert gallery.photos == [  # "no-photo" and "loading" only as words
        "https://cdn.example/casino-photo.jpg",
        "https://cdn.example/photos/loading-dock.jpg",
    ]
    assert [d["reason"] for d in gallery.dropped] == [
        "data: URL",
        "javascript: URL",
        "SVG image",
        "placeholder",
        "placeholder",
        "not an http(s) URL",
        "placeholder",
        "placeholder",
        "placeholder",
        "placeholder",
    ]


def test_profile_placeholders_and_stock_art():
    rules = GalleryRules(placeholders=(r"/awaiting-photos/",), stock_art=(r"cdn\.oem\.example/stock/",))
    gallery = clean_gallery(
        [
            "https://cdn.example/awaiting-photos/1.jpg",
            "https://cdn.oem.example/stock/rav4.jpg",
            "https://cdn.example/real/1.jpg",
        ],
        PAGE,
        rules,
    )
    assert gallery.photos == ["https://cdn.example/real/1.jpg"]
    assert [d["reason"] for d in gallery.dropped] == ["placeholder", "stock art"]


def test_protocol_relative_relative_and_http_only_urls_stay_absolute():
    assert photos(["//cdn.example/a.jpg", "/p/b.jpg", "c.jpg", "http://old-host.example/d.jpg"]) == [
        "https://cdn.example/a.jpg",
        "https://dealer.example/p/b.jpg",
        "https://dealer.example/inventory/c.jpg",
        "http://old-host.example/d.jpg",
    ]
    on_http = clean_gallery(["//cdn.example/a.jpg"], "http://dealer.example/")
    assert on_http.photos == ["http://cdn.example/a.jpg"]


def test_full_size_rewrites_only_for_the_hosts_the_profile_lists():
    profile = load_profile(
        {
            "sources": [{"kind": "jsonld"}],
            "full_size": [
                {"host": "pictures.cdn.example", "drop_query": ["impolicy", "w", "h"]},
                {"host": "*.media.example", "drop_query": ["w"]},
            ],
        }
    )
    rules = rules_from_profile(profile)
    assert photos(
        [
            "https://pictures.cdn.example/1.jpg?impolicy=resize&w=640&h=480",
            "https://pictures.cdn.example/2.jpg?w=640&v=3",
            "https://eu.media.example/3.jpg?w=300",
            "https://media.example/4.jpg?w=300",
            "https://other.example/5.jpg?w=640&h=480",
        ],
        rules,
    ) == [
        "https://pictures.cdn.example/1.jpg",
        "https://pictures.cdn.example/2.jpg?v=3",
        "https://eu.media.example/3.jpg",
        "https://media.example/4.jpg?w=300",
        "https://other.example/5.jpg?w=640&h=480",
    ]


def test_drops_are_recorded_for_the_explain_report():
    gallery = clean_gallery(
        ["https://c.example/a.jpg?w=100", "https://c.example/a.jpg", "https://c.example/a.jpg"], PAGE
    )
    assert gallery.photos == ["https://c.example/a.jpg"]
    assert gallery.dropped == [
        {"url": "https://c.example/a.jpg?w=100", "reason": "smaller size of photo 1"},
        {"url": "https://c.example/a.jpg", "reason": "duplicate of photo 1"},
    ]


def test_clean_photo_urls_keeps_host_case_and_order():
    assert clean_photo_urls(["Http://CDN.example/a.jpg", "b.jpg", "b.jpg"], "http://h/x/") == [
        "http://CDN.example/a.jpg",
        "http://h/x/b.jpg",
    ]


def test_a_css_background_names_its_image():
    from inventory.dealer_site.extraction.cards import background_url

    assert background_url("background-image:url('https://c.example/a.jpg')") == "https://c.example/a.jpg"
    assert background_url('background-image: url("/b.jpg"); height: 200px') == "/b.jpg"
    assert background_url("url(c.jpg)") == "c.jpg"
    assert background_url("https://c.example/d.jpg") == "https://c.example/d.jpg"  # data-bg as a plain URL
    assert background_url("height: 200px; color: red") is None  # a style without an image


TRICKY_PATHS = [
    "/photos/a.jpg",
    "/img/coming-soon.jpg",
    "/img/ComingSoon.png",
    "/img/no_photo.png",
    "/img/noimage.jpg",
    "/img/placeholder-car.jpg",
    "/img/image-unavailable.png",
    "/img/photo_coming.jpg",
    "/wp-content/themes/motors/assets/images/plchldr350.png",
    "/img/loading.gif",
    "/assets/spacer.png",
    "/assets/blank-1x1.gif",
    "/photos/a-300x200.jpg",
    "/photos/a_1024x1024.jpg",
    "/photos/a_2048x.jpg",
    "/photos/640x480/a.jpg",
    "/photos/640×480/a.jpg",
    "/thumbnails/small/a.jpg",
    "/Thumbs/w320/a.jpg",
    "/photos/a.svg",
    "/photos/tour.mp4",
    "/photos/brochure.pdf",
    "/photos/nox-sensor.jpg",
    "/photos/2020xt5/12.jpg",
]


def _corpus_photo_urls():
    """Every absolute URL the fixture pages hold, and the tricky paths above on a CDN host."""
    import re
    from pathlib import Path

    found = set()
    for page in (Path(__file__).parents[1] / "fixtures" / "dealer-pages").glob("*.html"):
        found.update(re.findall(r"https?://[^\s\"'<>)\\,]+", page.read_text(errors="replace")))
    return sorted(found | {f"https://cdn.example{path}" for path in TRICKY_PATHS})


def test_the_plain_url_shortcut_agrees_with_the_general_path_on_every_url_it_takes():
    # The shortcut keeps a URL as written; it may only take URLs no rule would change or drop.
    from inventory.dealer_site.extraction.gallery import ORIGINAL, _photo, _plain_identity, identity_and_size

    taken = 0
    for url in _corpus_photo_urls():
        identity = _plain_identity(url)
        if identity is None:
            continue
        taken += 1
        kept, parts, why = _photo(url, PAGE, GalleryRules())
        assert why is None and kept == url, url
        assert identity_and_size(parts) == (identity, ORIGINAL), url
    assert taken > 300  # the shortcut serves most photo URLs


def test_the_plain_url_shortcut_leaves_every_tricky_path_but_the_plain_ones_to_the_rules():
    from inventory.dealer_site.extraction.gallery import _plain_identity

    plain = {"/photos/a.jpg", "/photos/nox-sensor.jpg", "/photos/2020xt5/12.jpg"}
    for path in TRICKY_PATHS:
        assert (_plain_identity(f"https://cdn.example{path}") is not None) == (path in plain), path
