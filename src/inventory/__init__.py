"""Keep a car dealer's inventory and its photos in sync on Cloudflare.

Plain Python that also runs under CPython; only `inventory.runtime` touches the Workers runtime.
"""

import time

VERSION = "0.1.0"


def iso_utc(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))
