"""The fast HTML tree and selector matcher agree with BeautifulSoup and soupsieve on what profiles read."""

import pytest
from bs4 import BeautifulSoup

from inventory.dealer_site.extraction.html_tree import parse_html
from inventory.dealer_site.extraction.selectors import select, simple_selector

SNIPPETS = [
    '<div class="card a" data-vin="V1"><p class="price">$1<p class="miles">5 mi</div>'
    '<div class="card">x</div>',
    '<ul><li class="v">one<li class="v">two</ul><a rel="next" href="/p?a=1&amp;b=2">n</a>',
    '<div class="card"><img src="a.jpg"><br><span>t &lt; u</span></div></span><div class="card">y</div>',
    '<div class="card"><script>var s = "<div class=\'card\'>";</script><style>.card{}</style><b>z</b></div>',
    '<section id="main"><div class="card" data-x="1"><div class="inner"><span class="t">deep</span></div>'
    '</div></section><!-- <div class="card">comment</div> --><div class="card" data-x="2"></div>',
    '<div class="card"><img alt="a > b" data-src="/x.jpg" class="lazy photo"></div>'
    '<DIV CLASS="card">UP</DIV>',
    '<DIV ITEMSCOPE ITEMTYPE="HTTP://Schema.org/Car" class="card"><A REL="Next" HREF="/p2">n</A></DIV>'
    '<a rel="nofollow next" href="/p3">m</a>',
]
SELECTORS = [
    "div.card",
    ".card",
    "li.v",
    "a[rel=next]",
    "div.card img",
    "#main .t",
    "section > div.card",
    "div.card > .inner span",
    "[data-x]",
    "[data-x='2']",
    "img.lazy.photo",
    "p",
    "span, b",
    "div[class~=a]",
    "a[href^='/p']",
    "a[rel~=next], link[rel~=next]",  # rel is matched in any case (HTML), itemtype with the `i` flag
    "[itemtype*='schema.org/car' i]",
    "div[itemtype*='schema.org/car']",
    "a:-soup-contains('Next')",  # soupsieve's text test, also served by the fast matcher
    'div.card :-soup-contains("t < u")',
    "li:-soup-contains('tw') , a:-soup-contains('n')",
]


def describe(elements):
    return [
        (e.name, e.get("class"), " ".join(e.get_text(" ").split()), e.get("href"), e.get("data-src"))
        for e in elements
    ]


def normalised_class(rows):
    return [(n, " ".join(c) if isinstance(c, list) else c, *rest) for n, c, *rest in rows]


@pytest.mark.parametrize("html", SNIPPETS)
@pytest.mark.parametrize("selector", SELECTORS)
def test_the_fast_tree_and_matcher_find_what_beautifulsoup_and_soupsieve_find(html, selector):
    assert simple_selector(selector) is not None
    soup = BeautifulSoup(html, "html.parser")
    expected = normalised_class(describe(soup.select(selector)))
    assert normalised_class(describe(select(parse_html(html), selector))) == expected
    assert normalised_class(describe(select(soup, selector))) == expected


@pytest.mark.parametrize(
    "selector", ["li:first-child", "a:not(.x)", "div + p", "div ~ p", "[data-x|=a]", "a::x"]
)
def test_other_selectors_are_left_to_soupsieve(selector):
    assert simple_selector(selector) is None


CARD_SNIPPETS = [
    *SNIPPETS,
    '<div class="card" data-vin="A"><div class="card" data-vin="NESTED"></div><div>x</div></div>'
    '<div class="card" data-vin="B&amp;C"></div>',
    '<div><div class="card" data-vin="A"><div><div></div></div></div>'
    '<div class="card" data-vin="B"></div></div>',
    '<DIV class="card" data-vin="UP"><Div>in</DIV></div><div class="card" data-vin="after">',
    '<input class="card" data-vin="A"><input class="card" data-vin="B">',
]
OWN_ATTRIBUTE_SOURCES = [
    {"selector": "div.card", "fields": {"vin": "@data-vin", "stock_number": "@data-x|data-vin"}},
    {"selector": "div.card, div[itemscope]", "fields": {"vin": "@data-vin"}},
    {"selector": "input.card", "fields": {"vin": "@data-vin"}},
]


@pytest.mark.parametrize("html", CARD_SNIPPETS)
@pytest.mark.parametrize("source", OWN_ATTRIBUTE_SOURCES)
def test_cards_read_from_start_tags_are_those_the_tree_gives(html, source):
    from inventory.dealer_site.extraction.cards import card_tag_name, read_card_tags, read_cards
    from inventory.dealer_site.profiles import normalise_profile

    source = normalise_profile({"sources": [{"kind": "cards", **source}]})["sources"][0]
    name = card_tag_name(source)
    assert name
    by_tags = read_card_tags(html, source, name, "1:cards", "https://d.example/")
    by_tree = read_cards(parse_html(html), source, "1:cards", "https://d.example/")
    assert [r.values for r in by_tags.records] == [r.values for r in by_tree.records]
    assert by_tags.warnings == by_tree.warnings


def test_cards_that_read_inside_the_card_need_the_tree():
    from inventory.dealer_site.extraction.cards import card_tag_name
    from inventory.dealer_site.profiles import normalise_profile

    for fields in ({"vin": ".vin"}, {"vin": "@data-vin", "price": "span.price"}, {"title": "#text"}):
        source = normalise_profile({"sources": [{"kind": "cards", "selector": "div.card", "fields": fields}]})
        assert card_tag_name(source["sources"][0]) is None, fields
