"""Uploading one photo: the transport contract and its three transports (as httpx has one contract).

RestUrlTransport   the REST API, Cloudflare fetches the photo itself (one subrequest, no bytes here)
RestFileTransport  download the photo, check it, upload the bytes
BindingTransport   env.IMAGES.hosted.upload (no API token; the bytes pass through the Worker)
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Protocol
from urllib.parse import quote, urlsplit

from ..net.http import (
    MAX_REDIRECTS,
    RedirectRefused,
    ResponseTooLarge,
    TransportError,
    get_following_redirects,
)
from ..net.url_guard import refuse_url
from .budget import BudgetSpent
from .verdicts import (
    EXISTS,
    MAX_IMAGE_BYTES,
    OK,
    PERMANENT,
    TRANSIENT,
    Verdict,
    judge_api_answer,
    judge_vendor_download,
    validators_of,
)

MIN_ATTEMPT_S = 1.0  # a background run starts no request with less time than this left
LIST_PAGE = 1000  # images per list request (list v2 takes 10 to 10,000)
DELETE_TIMEOUT_S = 15.0


class ListFailed(Exception):
    """The account's images could not be listed (the sweep stops; nothing is deleted on a guess)."""


def listed_images(images) -> list[dict]:
    """What the sweep needs of a list answer's images, as both the REST API and the binding give them."""
    return [{"id": i.get("id"), "uploaded": i.get("uploaded")} for i in images or []]


class UploadTransport(Protocol):
    """What the processor needs of a transport. `timeout_s` (None: the transport's own) is how long
    a background run has left; no request may take longer."""

    uploads_use_budget: bool  # do uploads count against the account's API rate limit?
    requests_per_attempt: int  # the most requests one upload() makes (the subrequest budget)

    async def prepare(self, budget) -> None:
        """Called once per run before the first upload (e.g. fetch a batch token); may raise BudgetSpent."""

    async def upload(
        self, source_url: str, image_id: str, metadata: dict, timeout_s: float | None = None
    ) -> Verdict:
        """Upload one photo under `image_id`; never raises, the verdict says what happened."""

    async def exists(self, image_id: str, timeout_s: float | None = None) -> bool:
        """Is an image stored under `image_id`? (Confirms an "already exists" answer.)"""

    deletes_use_budget: bool  # do deletions and lists count against the account's API rate limit?

    async def delete(self, image_id: str, timeout_s: float | None = None) -> Verdict:
        """Delete one image; OK also when it is already gone (a 404 is done). Never raises."""

    async def list_images(
        self, cursor: str | None, per_page: int = LIST_PAGE
    ) -> tuple[list[dict], str | None]:
        """One page of the account's images ({"id", "uploaded"}) and the cursor of the next (None: the
        last page); raises ListFailed."""


def multipart(fields: dict, files: dict | None = None) -> tuple[bytes, str]:
    """Encode form fields (str) and files ({name: (filename, bytes, content type)}) as multipart/form-data."""
    boundary = "----inventory-sync-" + hashlib.sha1(repr(sorted(fields.items())).encode()).hexdigest()[:24]
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    for name, (filename, data, content_type) in (files or {}).items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n".encode()
            + data
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def public_hosts_only(url: str) -> str | None:
    """The default redirect check of a download: any public http(s) host."""
    return refuse_url(url, [])


class RestUrlTransport:
    """With `batch_api_base`, uploads go to the batch host under a short-lived batch token: they do
    not count against the account's rate limit (only fetching the token and read-backs do)."""

    requests_per_attempt = 1  # Cloudflare fetches the photo itself
    downloads_photos = False  # so the vendor's validators come from the first check (replacements.py)

    def __init__(
        self,
        http,
        api_base: str,
        account_id: str,
        token: str,
        timeout_s: float = 30.0,
        batch_api_base: str | None = None,
        check_url=public_hosts_only,
    ):
        self.http, self.token, self.timeout_s = http, token, timeout_s
        self.check_url = check_url  # for downloads (file mode): the photo hosts' rules
        self.images_url = f"{api_base.rstrip('/')}/accounts/{account_id}/images/v1"
        self.batch_url = f"{batch_api_base.rstrip('/')}/images/v1" if batch_api_base else None
        self.batch_token = None

    @property
    def uploads_use_budget(self) -> bool:
        return self.batch_url is None

    def _auth(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    async def prepare(self, budget) -> None:
        """Fetch a batch token (one account API request) when batch uploads are configured."""
        if not self.batch_url or self.batch_token:
            return
        if not await budget.take():
            raise BudgetSpent("no API budget left to fetch a batch token")
        try:
            answer = await self.http.request(
                "GET", f"{self.images_url}/batch_token", headers=self._auth(), timeout_s=self.timeout_s
            )
            self.batch_token = answer.json()["result"]["token"] if answer.ok else None
        except (TransportError, ValueError, KeyError, TypeError):
            self.batch_token = None
        if not self.batch_token:
            self.batch_url = None  # fall back to the account API for this run
            print("⚠️ Could not get a batch token; uploading through the account API")

    def _limit(self, timeout_s: float | None) -> float:
        return self.timeout_s if timeout_s is None else min(self.timeout_s, timeout_s)

    async def _post(self, fields: dict, files: dict | None = None, timeout_s: float | None = None) -> Verdict:
        body, content_type = multipart(fields, files)
        url, auth = self.images_url, self._auth()
        if self.batch_url and self.batch_token:
            url, auth = self.batch_url, {"Authorization": f"Bearer {self.batch_token}"}
        try:
            answer = await self.http.request(
                "POST",
                url,
                body=body,
                timeout_s=self._limit(timeout_s),
                headers={**auth, "Content-Type": content_type},
            )
        except TransportError as error:
            return Verdict(TRANSIENT, f"no answer from the Images API ({error})")
        if answer.status == 401 and url == self.batch_url:
            self.batch_token = None  # expired: the next attempt goes through the account API
            self.batch_url = None
            return Verdict(TRANSIENT, "batch token refused (expired?)")
        return judge_api_answer(answer.status, answer.body, answer.headers)

    async def upload(
        self, source_url: str, image_id: str, metadata: dict, timeout_s: float | None = None
    ) -> Verdict:
        """`timeout_s`: at most this long (a background run's time left), never more than the default."""
        return await self._post(
            {
                "url": source_url,
                "id": image_id,
                "metadata": json.dumps(metadata),
                "requireSignedURLs": "false",
            },
            timeout_s=timeout_s,
        )

    async def exists(self, image_id: str, timeout_s: float | None = None) -> bool:
        try:
            answer = await self.http.request(
                "GET",
                f"{self.images_url}/{quote(image_id, safe='')}",
                headers=self._auth(),
                timeout_s=self._limit(timeout_s),
            )
        except TransportError:
            return False
        return answer.ok

    deletes_use_budget = True  # deletions and lists go through the account API, batch uploads or not

    async def delete(self, image_id: str, timeout_s: float | None = None) -> Verdict:
        try:
            answer = await self.http.request(
                "DELETE",
                f"{self.images_url}/{quote(image_id, safe='')}",
                headers=self._auth(),
                timeout_s=min(DELETE_TIMEOUT_S, self._limit(timeout_s)),
            )
        except TransportError as error:
            return Verdict(TRANSIENT, f"no answer from the Images API ({error})")
        if 200 <= answer.status < 300 or answer.status == 404:
            return Verdict(OK, "already gone" if answer.status == 404 else "", image_id=image_id)
        return judge_api_answer(answer.status, answer.body, answer.headers)

    async def list_images(
        self, cursor: str | None, per_page: int = LIST_PAGE
    ) -> tuple[list[dict], str | None]:
        query = f"per_page={per_page}" + (f"&continuation_token={quote(cursor, safe='')}" if cursor else "")
        url = f"{self.images_url[: -len('v1')]}v2?{query}"
        try:
            answer = await self.http.request("GET", url, headers=self._auth(), timeout_s=self.timeout_s)
            result = answer.json()["result"] if answer.ok else None
        except (TransportError, ValueError, KeyError, TypeError) as error:
            raise ListFailed(f"listing the account's images failed ({error})") from None
        if not isinstance(result, dict):
            raise ListFailed(f"listing the account's images answered HTTP {answer.status}")
        return listed_images(result.get("images")), result.get("continuation_token") or None


async def download_photo(http, source_url: str, timeout_s: float, check_url=public_hosts_only):
    """GET the vendor's photo and judge it: (the answer, OK) or (the answer or None, why not).
    Redirects are followed by hand, each hop checked by `check_url` (the upload's host rules);
    no more than the API's 10 MB is ever read."""
    try:
        photo, _ = await get_following_redirects(
            http, source_url, check_url=check_url, timeout_s=timeout_s, max_bytes=MAX_IMAGE_BYTES
        )
    except TransportError as error:
        return None, Verdict(TRANSIENT, f"vendor did not answer ({error})")
    except ResponseTooLarge as error:
        return None, Verdict(PERMANENT, f"too large: over {error.limit} bytes (limit {MAX_IMAGE_BYTES})")
    except RedirectRefused as error:
        return None, Verdict(PERMANENT, f"refused: {error}")
    return photo, judge_vendor_download(photo.status, photo.body, photo.headers)


class RestFileTransport(RestUrlTransport):
    """Downloads the photo first: checks type and size before spending an API request on it."""

    requests_per_attempt = 1 + MAX_REDIRECTS + 1  # the download and its redirects, the upload
    downloads_photos = True

    async def upload(
        self, source_url: str, image_id: str, metadata: dict, timeout_s: float | None = None
    ) -> Verdict:
        limit, started = self._limit(timeout_s), time.monotonic()
        photo, verdict = await download_photo(self.http, source_url, limit, self.check_url)
        if verdict.kind != OK:
            return verdict
        left = self.timeout_s if timeout_s is None else limit - (time.monotonic() - started)
        if left < MIN_ATTEMPT_S:
            return Verdict(TRANSIENT, "downloaded, but no time left to upload in this run")
        filename = urlsplit(source_url).path.rsplit("/", 1)[-1] or "photo"
        verdict = await self._post(
            {"id": image_id, "metadata": json.dumps(metadata), "requireSignedURLs": "false"},
            {"file": (filename, photo.body, photo.headers.get("content-type", "image/jpeg"))},
            timeout_s=left,
        )
        verdict.validators = validators_of(photo.headers, photo.body)
        return verdict


class BindingTransport:
    """Uploads through `env.IMAGES.hosted` (no API token; the bytes pass through the Worker)."""

    uploads_use_budget = False  # the binding is not the rate-limited REST API
    requests_per_attempt = 1 + MAX_REDIRECTS + 2  # the download and its redirects, exists(), upload()
    downloads_photos = True

    def __init__(self, images_binding, http, to_python, check_url=public_hosts_only):
        self.hosted = images_binding.hosted
        self.http, self.check_url = http, check_url
        self.to_python = to_python  # the runtime's JS-to-Python conversion of the binding's answers

    async def prepare(self, budget) -> None:
        """Nothing to fetch before uploading through the binding."""

    async def upload(
        self, source_url: str, image_id: str, metadata: dict, timeout_s: float | None = None
    ) -> Verdict:
        # The download honours a background run's time left; the binding's upload takes no timeout.
        limit = 30.0 if timeout_s is None else min(30.0, timeout_s)
        photo, verdict = await download_photo(self.http, source_url, limit, self.check_url)
        if verdict.kind != OK:
            return verdict
        if await self.exists(image_id):
            return Verdict(EXISTS, "image id already present")
        self.http.subrequests.spend()  # the binding's calls count like fetches
        try:
            result = self.to_python(
                await self.hosted.upload(photo.body, {"id": image_id, "metadata": metadata})
            )
        except Exception as error:
            message = str(error)
            kind = (
                PERMANENT if "too large" in message.lower() or "unsupported" in message.lower() else TRANSIENT
            )
            return Verdict(kind, f"Images binding: {message[:200]}")
        found = validators_of(photo.headers, photo.body)
        return Verdict(OK, image_id=(result or {}).get("id", image_id), validators=found)

    async def exists(self, image_id: str, timeout_s: float | None = None) -> bool:
        self.http.subrequests.spend()
        try:
            image = await self.hosted.image(image_id)
            return bool(self.to_python(await image.details()))
        except Exception:
            return False

    deletes_use_budget = False

    async def delete(self, image_id: str, timeout_s: float | None = None) -> Verdict:
        self.http.subrequests.spend()
        try:
            image = await self.hosted.image(image_id)
            deleted = self.to_python(await image.delete())
        except Exception as error:
            return Verdict(TRANSIENT, f"Images binding: {str(error)[:200]}")
        return Verdict(OK, "" if deleted else "already gone", image_id=image_id)

    async def list_images(
        self, cursor: str | None, per_page: int = LIST_PAGE
    ) -> tuple[list[dict], str | None]:
        self.http.subrequests.spend()
        options = {"limit": per_page, **({"cursor": cursor} if cursor else {})}
        try:
            answer = self.to_python(await self.hosted.list(options)) or {}
        except Exception as error:
            raise ListFailed(f"Images binding list failed: {str(error)[:200]}") from None
        return listed_images(answer.get("images")), None if answer.get("listComplete", True) else answer.get(
            "cursor"
        )
