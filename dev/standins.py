"""Start every local stand-in: the dealer site, its vendor CDN and Cloudflare Images.

Run `python3 -m dev.standins` to keep them up until Ctrl-C.
"""

import os
import time
from dataclasses import dataclass

from dev.dealer_site import DealerSite
from dev.images_api import ImagesApi

DEFAULT_IMAGES_TOKEN = "dev-images-token"
DEFAULT_ACCOUNT_ID = "local-account"
DEFAULT_ACCOUNT_HASH = "local-hash"


@dataclass
class Standins:
    site: DealerSite
    images: ImagesApi

    def stop(self):
        self.site.stop()
        self.images.stop()


def start_standins(
    host="127.0.0.1",
    site_port=8790,
    cdn_port=8792,
    images_port=8791,
    images_token=DEFAULT_IMAGES_TOKEN,
    account_id=DEFAULT_ACCOUNT_ID,
    account_hash=DEFAULT_ACCOUNT_HASH,
) -> Standins:
    site = DealerSite().start(host=host, site_port=site_port, cdn_port=cdn_port)
    try:
        images = ImagesApi().start(
            host=host, port=images_port, token=images_token, account_id=account_id, account_hash=account_hash
        )
    except OSError:
        site.stop()
        raise
    return Standins(site=site, images=images)


def main():
    standins = start_standins(
        site_port=int(os.environ.get("DEMO_SITE_PORT", 8790)),
        cdn_port=int(os.environ.get("VENDOR_CDN_PORT", 8792)),
        images_port=int(os.environ.get("IMAGES_API_PORT", 8791)),
    )
    images = standins.images
    print(f"dealer site:  {standins.site.site_url}/inventory")
    print(f"vendor CDN:   {standins.site.cdn_url}/photos/...")
    print(
        f"images API:   {images.url}/client/v4/accounts/{images.account_id}/images/v1"
        f"  (token {images.token!r})"
    )
    print(f"delivery:     {images.url}/{images.account_hash}/<id>/public")
    print("Ctrl-C to stop.", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        standins.stop()


if __name__ == "__main__":
    main()
