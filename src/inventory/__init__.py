"""Keep a car dealer's inventory and its photos in sync on Cloudflare.

Plain Python that also runs under CPython; only `inventory.runtime` touches the Workers runtime.
"""

VERSION = "0.1.0"
