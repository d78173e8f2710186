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
