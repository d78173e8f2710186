"""Which host a URL really names, the way the Workers runtime's `fetch` reads it, and whether to fetch it.

Python's `urlsplit` and the WHATWG URL parser used by `fetch` disagree on exactly the inputs an attacker
picks: `http://169.254.169.254\\@cdn.example.com/` is `cdn.example.com` to `urlsplit` but 169.254.169.254 to
WHATWG (for http and https a backslash ends the authority like `/`), and WHATWG turns `2130706433`,
`0x7f000001`, `0177.0.0.1`, `127.1` or full-width digits into 127.0.0.1. A guard that asks `urlsplit` which
host a URL names therefore checks a different host than the one `fetch` connects to.

This module follows the WHATWG URL standard's parser for the special schemes http and https, as far as
the host and port go (https://url.spec.whatwg.org/#concept-basic-url-parser), and judges the host it
finds. Domain-to-ASCII is an approximation of UTS #46 with the stdlib only (it must run under Pyodide):
NFKC, lower-casing, a few ignored code points, a validity check per label, and Punycode. When the
approximation is wrong it refuses a name WHATWG would accept or accepts a name WHATWG rejects (then
`fetch` fails too); the IP address forms, which are what matter for a guard, follow the standard exactly.
The unit test runs node's `URL` over a table of tricky URLs to keep the two in step.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote_to_bytes

DEFAULT_PORTS = {"http": 80, "https": 443}  # the special schemes we follow; every other one is refused
C0_CONTROL_OR_SPACE = "".join(map(chr, range(0x21)))
TAB_OR_NEWLINE = str.maketrans("", "", "\t\n\r")
SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
AUTHORITY = re.compile(r"[/\\]*([^/\\?#]*)")  # any number of slashes after the scheme, either kind
FORBIDDEN_HOST_CODE_POINTS = set("\x00\t\n\r #/:<>?@[\\]^|")
FORBIDDEN_DOMAIN_CODE_POINTS = FORBIDDEN_HOST_CODE_POINTS | set(map(chr, range(0x20))) | {"%", "\x7f"}
IPV6_CHARACTERS = set("0123456789abcdefABCDEF:.")
IPV4_DIGITS = {8: set("01234567"), 10: set("0123456789"), 16: set("0123456789abcdefABCDEF")}

# UTS #46 maps these to nothing (soft hyphen, zero-width space, variation selectors, BOM, ...).
IDNA_IGNORED = dict.fromkeys(
    [
        0x00AD,
        0x034F,
        0x200B,
        0x2060,
        0x2064,
        0xFEFF,
        *range(0x180B, 0x1810),
        *range(0xFE00, 0xFE10),
        *range(0x1BCA0, 0x1BCA4),
        *range(0xE0100, 0xE01F0),
    ]
)
# Code points UTS #46 disallows in a label: controls, format characters (including the joiners, whose
# context rules we do not implement), surrogates, private use, unassigned, separators, U+FFFD.
DISALLOWED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"}
# RFC 5893: a label holding one of these must be a well-formed right-to-left label.
RIGHT_TO_LEFT_CLASSES = {"R", "AL", "AN"}
RTL_LABEL_CLASSES = {"R", "AL", "AN", "EN", "ES", "CS", "ET", "ON", "BN", "NSM"}

NON_PUBLIC_SUFFIXES = (".localhost", ".local", ".internal")
NAT64_LOCAL_USE = ipaddress.ip_network("64:ff9b:1::/48")  # RFC 8215: never globally reachable
# Prefixes whose last 32 bits are an IPv4 address a gateway or stack may connect to instead.
LOW_32_BIT_IPV4_PREFIXES = tuple(
    map(
        ipaddress.ip_network,
        (
            "::/96",  # IPv4-compatible (deprecated)
            "::ffff:0:0:0/96",  # IPv4-translated (RFC 2765)
            "64:ff9b::/96",  # NAT64 well-known prefix (RFC 6052)
        ),
    )
)


class UrlRefused(ValueError):
    """The URL cannot be fetched: a WHATWG parser rejects it, or its scheme is not http or https."""


@dataclass(frozen=True)
class ParsedUrl:
    scheme: str  # "http" or "https"
    host: str  # as WHATWG serialises it: ASCII domain, dotted-decimal IPv4 or "[compressed IPv6]"
    port: int | None  # None when absent or the scheme's default


def _invalid(why: str) -> UrlRefused:
    return UrlRefused(f"not a valid URL: {why}")


# --- the URL around the host ------------------------------------------------------------------


@lru_cache(maxsize=4096)  # a scrape asks about each detail page's URL, and the start URL every time
def parse_host(url: str) -> ParsedUrl:
    """The scheme, host and port a WHATWG parser finds in an http(s) URL; UrlRefused when it finds none."""
    text = url.strip(C0_CONTROL_OR_SPACE).translate(TAB_OR_NEWLINE)
    scheme_match = SCHEME.match(text)
    scheme = scheme_match.group(1).lower() if scheme_match else ""
    if scheme not in DEFAULT_PORTS:
        raise UrlRefused(f"scheme {scheme or '(none)'!r} not allowed")
    authority = AUTHORITY.match(text, scheme_match.end()).group(1)
    host_and_port = authority.rpartition("@")[2]  # userinfo is everything before the last "@"
    host_text, port_text = _split_port(host_and_port)
    if not host_text:
        raise UrlRefused("no host")
    return ParsedUrl(scheme, _parse_host_text(host_text), _parse_port(port_text, scheme))


def _split_port(host_and_port: str) -> tuple[str, str]:
    """Split at the first ":" outside brackets; a second ":" then makes the port invalid, as in WHATWG."""
    inside_brackets = False
    for index, char in enumerate(host_and_port):
        if char == "[":
            inside_brackets = True
        elif char == "]":
            inside_brackets = False
        elif char == ":" and not inside_brackets:
            return host_and_port[:index], host_and_port[index + 1 :]
    return host_and_port, ""


def _parse_port(port_text: str, scheme: str) -> int | None:
    if not port_text:
        return None
    if not (port_text.isascii() and port_text.isdigit()) or int(port_text) > 65535:
        raise _invalid(f"port {port_text!r}")
    port = int(port_text)
    return None if port == DEFAULT_PORTS[scheme] else port


# --- the host ---------------------------------------------------------------------------------


def _parse_host_text(host_text: str) -> str:
    """WHATWG's host parser for special schemes: IPv6 in brackets, else a domain that may be IPv4."""
    if host_text.startswith("["):
        if not host_text.endswith("]"):
            raise _invalid(f"unclosed IPv6 address {host_text!r}")
        return f"[{_parse_ipv6(host_text[1:-1])}]"
    # Invalid UTF-8 becomes U+FFFD and a character `encode` cannot take (a lone surrogate) becomes "?":
    # both are then refused, as WHATWG refuses them.
    domain = unquote_to_bytes(host_text.encode("utf-8", "replace")).decode("utf-8", "replace")
    ascii_domain = _domain_to_ascii(domain)
    forbidden = FORBIDDEN_DOMAIN_CODE_POINTS.intersection(ascii_domain)
    if forbidden:
        raise _invalid(f"host {ascii_domain!r} contains {''.join(sorted(forbidden))!r}")
    if _ends_in_a_number(ascii_domain):
        return _parse_ipv4(ascii_domain)
    return ascii_domain


def _idna_map(text: str) -> str:
    """UTS #46's mapping, approximately: drop ignored code points, NFKC, lower-case, full stops to "."."""
    text = unicodedata.normalize("NFKC", text.translate(IDNA_IGNORED))
    # Per character, so a final capital sigma becomes σ as in UTS #46 (str.lower() would give ς).
    text = "".join(char.lower() for char in text)
    return text.replace("\u3002", ".")  # U+3002 itself, and U+FF61 which NFKC turned into it


def _domain_to_ascii(domain: str) -> str:
    ascii_domain = ".".join(_label_to_ascii(label) for label in _idna_map(domain).split("."))
    if not ascii_domain:
        raise UrlRefused("no host")
    return ascii_domain


def _label_to_ascii(label: str) -> str:
    if not label.isascii():
        if label.startswith("xn--"):
            raise _invalid(f"label {label!r} is Punycode and Unicode at once")
        _check_unicode_label(label)
        return "xn--" + label.encode("punycode").decode("ascii")
    if label.startswith("xn--"):
        try:
            decoded = label[4:].encode("ascii").decode("punycode")
        except UnicodeError:
            raise _invalid(f"bad Punycode label {label!r}") from None
        if not decoded or _idna_map(decoded) != decoded:
            raise _invalid(f"bad Punycode label {label!r}")
        _check_unicode_label(decoded)
    return label


def _check_unicode_label(label: str) -> None:
    if unicodedata.category(label[0]).startswith("M"):
        raise _invalid(f"label {label!r} starts with a combining mark")
    for char in label:
        if char == "\ufffd" or unicodedata.category(char) in DISALLOWED_CATEGORIES:
            raise _invalid(f"label {label!r} contains U+{ord(char):04X}")
    if not _passes_bidi_rule(label):
        raise _invalid(f"label {label!r} mixes writing directions")


def _passes_bidi_rule(label: str) -> bool:
    """RFC 5893's rule for a label with right-to-left characters (applied per label, as node does)."""
    classes = [unicodedata.bidirectional(char) for char in label]
    if not RIGHT_TO_LEFT_CLASSES.intersection(classes):
        return True
    last = next((bidi_class for bidi_class in reversed(classes) if bidi_class != "NSM"), None)
    return (
        classes[0] in ("R", "AL")
        and RTL_LABEL_CLASSES.issuperset(classes)
        and last in ("R", "AL", "EN", "AN")
        and not {"EN", "AN"}.issubset(classes)
    )


# --- IP addresses -----------------------------------------------------------------------------


def _ends_in_a_number(domain: str) -> bool:
    labels = domain.split(".")
    if labels[-1] == "":
        if len(labels) == 1:
            return False
        labels.pop()
    last = labels[-1]
    return (last.isascii() and last.isdigit()) or _ipv4_number(last) is not None


def _ipv4_number(part: str) -> int | None:
    """One part of an IPv4 address: decimal, 0x-hex or 0-octal; None when it is not a number."""
    radix = 10
    if len(part) >= 2 and part[:2].lower() == "0x":
        part, radix = part[2:], 16
    elif len(part) >= 2 and part[0] == "0":
        part, radix = part[1:], 8
    if not part:
        return None if radix == 10 else 0  # "" is no number, but "0x" and "0" + "" are zero
    if not IPV4_DIGITS[radix].issuperset(part):
        return None
    return int(part, radix)


def _parse_ipv4(domain: str) -> str:
    """1 to 4 parts; every part but the last is one byte, the last fills the remaining bytes."""
    parts = domain.split(".")
    if parts[-1] == "":
        parts.pop()
    numbers = [_ipv4_number(part) for part in parts]
    if len(numbers) > 4 or None in numbers:
        raise _invalid(f"IPv4 address {domain!r}")
    *leading, last = numbers
    if any(number > 255 for number in leading) or last >= 256 ** (5 - len(numbers)):
        raise _invalid(f"IPv4 address {domain!r} out of range")
    value = last + sum(number << (8 * (3 - index)) for index, number in enumerate(leading))
    return str(ipaddress.IPv4Address(value))


def _parse_ipv6(text: str) -> str:
    # The character check also keeps out what `ipaddress` accepts and WHATWG does not: "%scope" suffixes.
    if not text or not IPV6_CHARACTERS.issuperset(text):
        raise _invalid(f"IPv6 address {text!r}")
    try:
        value = int(ipaddress.IPv6Address(text))
    except ValueError:
        raise _invalid(f"IPv6 address {text!r}") from None
    return _serialise_ipv6([(value >> (16 * (7 - index))) & 0xFFFF for index in range(8)])


def _serialise_ipv6(pieces: list[int]) -> str:
    """WHATWG's form: lower-case hex, the first longest run of two or more zero pieces as "::".

    Written out because `str(IPv6Address)` changed in Python 3.13 (it now shows IPv4-mapped addresses
    as ::ffff:1.2.3.4).
    """
    best_start, best_length, start = 0, 0, None
    for index, piece in enumerate(pieces + [1]):  # the sentinel closes a run that reaches the end
        if piece == 0 and start is None:
            start = index
        elif piece != 0 and start is not None:
            if index - start > best_length:
                best_start, best_length = start, index - start
            start = None
    hexes = [f"{piece:x}" for piece in pieces]
    if best_length < 2:
        return ":".join(hexes)
    return ":".join(hexes[:best_start]) + "::" + ":".join(hexes[best_start + best_length :])


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, 6to4, NAT64, ...), if it stands for one."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if any(address in prefix for prefix in LOW_32_BIT_IPV4_PREFIXES):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _is_public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        if address in NAT64_LOCAL_USE:
            return False
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return _is_public_address(embedded)
    # `is_global` says True for multicast; nothing we fetch lives there.
    return address.is_global and not address.is_multicast


# --- the verdicts -----------------------------------------------------------------------------


def _bare_host(host: str) -> str:
    """A host or allowlist entry as compared: IPv6 without brackets, no trailing dots, lower case."""
    return host.strip().lower().rstrip(".").removeprefix("[").removesuffix("]")


def _host_matches(host: str, patterns: Sequence[str]) -> bool:
    """`host` is one of `patterns`, or a subdomain of a `*.example.com` pattern (not example.com itself)."""
    for pattern in map(_bare_host, patterns):
        if host == pattern or (pattern.startswith("*.") and host.endswith(pattern[1:])):
            return True
    return False


def _refuse_non_public(host: str) -> str | None:
    if host == "localhost" or host.endswith(NON_PUBLIC_SUFFIXES):
        return f"host {host} is not public"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None  # a domain name
    if not _is_public_address(address):
        return f"address {host} is not public (loopback, private or link-local)"
    return None


def refuse_url(url: str, allowed_hosts: Sequence[str], allow_private: bool = False) -> str | None:
    """Why this URL must not be fetched (or handed to Cloudflare), or None when it may be.

    Only http(s) that a WHATWG parser accepts; never loopback, private, link-local or otherwise
    non-global addresses, nor localhost, *.local or *.internal (unless `allow_private`, the local dev
    profile); and when `allowed_hosts` is set, only those hosts (`*.example.com` matches its subdomains).
    """
    try:
        host = _bare_host(parse_host(url).host)
    except UrlRefused as refusal:
        return str(refusal)
    if not host:  # "http://./" names no host DNS could answer for
        return "no host"
    if not allow_private:
        reason = _refuse_non_public(host)
        if reason:
            return reason
    if allowed_hosts and not _host_matches(host, allowed_hosts):
        return f"host {host} is not in ALLOWED_IMAGE_HOSTS"
    return None


def same_site(url: str, start_url: str, extra_hosts: Sequence[str] = ()) -> bool:
    """`url` has the start URL's origin (scheme, host and port, compared as WHATWG compares them), or is
    its https upgrade (http on port 80 to https on 443, as sites redirect), or is on one of
    `extra_hosts` (`*.` patterns too) at its scheme's default port. Another port of the dealer's
    host is another origin: another server, never the dealer's site.

    False when either URL does not parse as http(s).
    """
    try:
        target, start = parse_host(url), parse_host(start_url)
    except UrlRefused:
        return False
    host, start_host = _bare_host(target.host), _bare_host(start.host)
    if not host:
        return False
    if host == start_host:
        same_origin = (target.scheme, target.port) == (start.scheme, start.port)
        upgrade = (start.scheme, start.port, target.scheme, target.port) == ("http", None, "https", None)
        return same_origin or upgrade
    return target.port is None and _host_matches(host, extra_hosts)
