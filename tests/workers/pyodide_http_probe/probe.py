"""GET /?url=... tries the same request three ways and answers what happened to each."""

import json
from urllib.parse import parse_qs, urlsplit

import js
from workers import Response, WorkerEntrypoint, fetch


def _outcome(error: BaseException | None, detail: str = "") -> dict:
    if error is None:
        return {"ok": True, "detail": detail}
    return {"ok": False, "error": f"{type(error).__name__}: {error}"[:300]}


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        url = parse_qs(urlsplit(request.url).query)["url"][0]
        report = {"xmlHttpRequestAvailable": hasattr(js, "XMLHttpRequest")}
        report["urllibBeforePatching"] = self.urllib_get(url)
        try:
            import pyodide_http

            pyodide_http.patch_all()
            report["pyodideHttpWouldPatch"] = pyodide_http.should_patch()
        except BaseException as error:  # noqa: BLE001 - the point is to see any failure
            report["pyodideHttpImport"] = _outcome(error)
        report["urllibAfterPatchAll"] = self.urllib_get(url)
        try:
            answer = await fetch(url)
            report["workersFetch"] = _outcome(
                None, f"HTTP {answer.status}, {len(await answer.bytes())} bytes"
            )
        except BaseException as error:  # noqa: BLE001
            report["workersFetch"] = _outcome(error)
        return Response(json.dumps(report), headers={"content-type": "application/json"})

    @staticmethod
    def urllib_get(url: str) -> dict:
        try:
            import urllib.request

            body = urllib.request.urlopen(url, timeout=5).read()
            return _outcome(None, f"{len(body)} bytes")
        except BaseException as error:  # noqa: BLE001
            return _outcome(error)
