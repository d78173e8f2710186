"""The admin panel page served at GET /admin by the image-processor Worker.

One self-contained page (HTML, CSS and a small vanilla script; no framework, no external resources)
talking to the Worker's JSON endpoints on the same origin. The admin token is asked for once, kept
in sessionStorage and sent as `Authorization: Bearer <token>`; it never goes into a URL. Every text
coming from the API is put into the page through textContent, so titles and reasons are escaped.
"""

PAGE = r"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Image processor · Admin</title>
<style>
  :root { --ink:#1d2733; --muted:#64748b; --line:#e2e8f0; --bg:#f5f7fa; --card:#fff; --accent:#2563eb;
          --ok:#15803d; --warn:#b45309; --bad:#b91c1c; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--ink); background:var(--bg); }
  header { display:flex; align-items:center; gap:12px; padding:14px 28px; background:#0f172a; color:#fff; }
  header h1 { font-size:17px; margin:0; font-weight:600; }
  header .spacer { flex:1; }
  .pill { font-size:12px; padding:2px 10px; border-radius:999px; background:#334155; color:#e2e8f0; }
  .pill.busy { background:#f59e0b; color:#1f2937; }
  main { max-width:1120px; margin:0 auto; padding:22px 28px 40px; }
  .card { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:18px 20px; margin-bottom:18px; }
  .card h2 { font-size:15px; margin:0 0 12px; }
  .error { background:#fef2f2; border:1px solid #fecaca; color:var(--bad); padding:10px 14px; border-radius:8px; margin-bottom:18px; }
  .error:empty { display:none; }
  .notice { color:var(--muted); font-size:13px; }
  #login { max-width:380px; margin:60px auto; }
  #login label { display:block; font-weight:600; margin-bottom:6px; }
  input[type=password] { width:100%; padding:9px 11px; border:1px solid #cbd5e1; border-radius:7px; font:inherit; margin-bottom:12px; }
  button { font:inherit; padding:8px 14px; border-radius:7px; border:1px solid var(--accent); background:var(--accent); color:#fff; cursor:pointer; }
  button.secondary { background:#fff; color:var(--accent); }
  header button { background:transparent; border-color:#475569; color:#e2e8f0; }
  button:disabled { opacity:.5; cursor:not-allowed; }
  .stats { display:grid; grid-template-columns:repeat(auto-fit,minmax(130px,1fr)); gap:12px; margin-bottom:16px; }
  .stat { border:1px solid var(--line); border-radius:8px; padding:10px 12px; }
  .stat b { display:block; font-size:22px; font-variant-numeric:tabular-nums; }
  .stat span { color:var(--muted); font-size:12px; }
  .stat.ok b { color:var(--ok); } .stat.warn b { color:var(--warn); } .stat.bad b { color:var(--bad); }
  .bar { height:12px; background:#e2e8f0; border-radius:999px; overflow:hidden; }
  .bar i { display:block; height:100%; width:0; background:linear-gradient(90deg,#22c55e,#16a34a); transition:width .4s; }
  #progress-text { margin-top:6px; font-variant-numeric:tabular-nums; }
  .actions { display:flex; gap:10px; flex-wrap:wrap; align-items:center; }
  table { width:100%; border-collapse:collapse; margin-top:12px; font-size:13px; }
  th, td { text-align:left; padding:7px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
  th { color:var(--muted); font-weight:600; font-size:12px; white-space:nowrap; }
  td.num { font-variant-numeric:tabular-nums; text-align:right; } th.num { text-align:right; width:110px; }
  th:last-child { width:40%; padding-left:24px; } td.reasons { padding-left:24px; }
  td.reasons { color:var(--bad); font-size:12px; word-break:break-word; }
  .vehicles { display:grid; grid-template-columns:repeat(auto-fill,minmax(250px,1fr)); gap:12px; }
  .vehicle { border:1px solid var(--line); border-radius:8px; padding:10px; }
  .vehicle h3 { font-size:13px; margin:0 0 8px; }
  .thumbs { display:flex; gap:6px; flex-wrap:wrap; }
  .thumb { position:relative; width:72px; height:54px; border-radius:5px; overflow:hidden; background:#e2e8f0; border:2px solid transparent; }
  .thumb img { width:100%; height:100%; object-fit:cover; display:block; }
  .thumb.vendor { border-color:#f59e0b; }
  .thumb.uploaded-box { border-color:#22c55e; }
  .badge { position:absolute; left:2px; bottom:2px; font-size:10px; line-height:1; padding:2px 4px; border-radius:3px; background:#f59e0b; color:#1f2937; }
  .legend { margin:-4px 0 12px; display:flex; align-items:center; gap:6px; }
  .key { display:inline-block; width:12px; height:12px; border-radius:3px; border:2px solid #22c55e; }
  .key.vendor { border-color:#f59e0b; margin-left:12px; }
  .pager { display:flex; gap:10px; align-items:center; margin-top:12px; }
  [hidden] { display:none !important; }
</style>
</head>
<body>
<header>
  <h1>Image processor</h1>
  <span id="run-state" class="pill">idle</span>
  <span class="spacer"></span>
  <button id="sign-out" type="button" hidden>Sign out</button>
</header>
<main>
  <div id="error" class="error" role="alert"></div>

  <form id="login" class="card" autocomplete="off" hidden>
    <h2>Sign in</h2>
    <label for="token">Admin token</label>
    <input id="token" type="password" required>
    <button id="login-button" type="submit">Sign in</button>
    <p class="notice">The token is kept in this browser tab only (sessionStorage).</p>
  </form>

  <div id="panel" hidden>
    <section class="card">
      <h2>Status</h2>
      <div class="stats">
        <div class="stat"><b id="stat-total">–</b><span>Active vehicles</span></div>
        <div class="stat warn"><b id="stat-needing">–</b><span>Needing processing</span></div>
        <div class="stat ok"><b id="stat-fully">–</b><span>Fully processed</span></div>
        <div class="stat"><b id="stat-partially">–</b><span>Partially processed</span></div>
        <div class="stat ok"><b id="img-uploaded">–</b><span>Images uploaded</span></div>
        <div class="stat warn"><b id="img-pending">–</b><span>Images pending</span></div>
        <div class="stat bad"><b id="img-failed">–</b><span>Failed permanently</span></div>
      </div>
      <div id="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow="0">
        <div class="bar"><i id="progress-fill"></i></div>
        <div id="progress-text">Loading…</div>
      </div>
      <p id="last-run" class="notice"></p>
    </section>

    <section class="card">
      <h2>Process images</h2>
      <div class="actions">
        <button id="process-5" type="button">Process 5 vehicles</button>
        <button id="process-10" type="button">Process 10 vehicles</button>
        <button id="retry-failed" type="button" class="secondary">Retry failed</button>
        <span id="run-message" class="notice"></span>
      </div>
      <div id="results-box" hidden>
        <p id="run-summary" class="notice"></p>
        <table id="results">
          <thead><tr><th>Vehicle</th><th class="num">Uploaded</th><th class="num">Failed</th>
            <th class="num">Not attempted</th><th>Reasons</th></tr></thead>
          <tbody></tbody>
        </table>
      </div>
    </section>

    <section class="card">
      <h2>Vehicles</h2>
      <p class="notice legend"><span class="key ok"></span>On Cloudflare Images <span class="key vendor"></span>Still on the vendor URL</p>
      <div id="vehicles" class="vehicles"></div>
      <div class="pager">
        <button id="prev-page" type="button" class="secondary">Previous</button>
        <span id="page-info" class="notice"></span>
        <button id="next-page" type="button" class="secondary">Next</button>
      </div>
    </section>
  </div>
</main>
<script>
(function () {
  "use strict";
  var KEY = "imageProcessorAdminToken", PAGE_SIZE = 20;
  var running = false, busyElsewhere = false, timer = null, page = 1, total = 0;
  var $ = function (id) { return document.getElementById(id); };

  function el(tag, attrs, children) {            // builds nodes; text always goes through textContent
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k]; else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }
  function showError(message) { $("error").textContent = message || ""; }
  function token() { return sessionStorage.getItem(KEY); }

  function ApiError(status, message) { this.status = status; this.message = message; }

  async function call(method, path, body, admin) {
    var headers = {};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (admin) headers["Authorization"] = "Bearer " + (token() || "");
    var response, data = null;
    try {
      response = await fetch(path, { method: method, headers: headers, cache: "no-store",
                                     body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      throw new ApiError(0, "Network down: cannot reach the image processor");
    }
    try { data = await response.json(); } catch (e) { data = null; }
    var detail = data && data.error ? String(data.error) : "HTTP " + response.status;
    if (response.status === 401) throw new ApiError(401, "Wrong or expired admin token (" + detail + ")");
    if (response.status === 429 || response.status === 503)
      throw new ApiError(response.status, "Processor busy or not configured: " + detail);
    if (!response.ok || !data || data.success === false)
      throw new ApiError(response.status, "Request failed (HTTP " + response.status + "): " + detail);
    return data;
  }

  function handle(error) {
    showError(error && error.message ? error.message : String(error));
    if (error && error.status === 401) signOut(true);
  }

  // --- login --------------------------------------------------------------------------------
  function showLogin() {
    $("panel").hidden = true; $("sign-out").hidden = true; $("login").hidden = false;
    $("token").value = ""; $("token").focus();
    clearTimeout(timer);
  }
  function signOut(keepError) {
    sessionStorage.removeItem(KEY);
    if (!keepError) showError("");
    showLogin();
  }
  async function verifyAndEnter() {
    try {
      await call("GET", "/api/failures", undefined, true);
    } catch (error) {
      if (error.status === 401) { sessionStorage.removeItem(KEY); showError(error.message); showLogin(); return; }
      showError(error.message);            // network or server trouble: keep the token, still show the panel
    }
    $("login").hidden = true; $("panel").hidden = false; $("sign-out").hidden = false;
    refreshStatus(); loadVehicles();
  }
  $("login").addEventListener("submit", function (event) {
    event.preventDefault();
    var value = $("token").value.trim();
    if (!value) return;
    showError("");
    sessionStorage.setItem(KEY, value);
    verifyAndEnter();
  });
  $("sign-out").addEventListener("click", function () { signOut(false); });

  // --- status -------------------------------------------------------------------------------
  function setText(id, value) { $(id).textContent = value === undefined || value === null ? "–" : String(value); }
  function schedule() {
    clearTimeout(timer);
    if (!token()) return;
    timer = setTimeout(refreshStatus, running || busyElsewhere ? 2000 : 10000);
  }
  async function refreshStatus() {
    try {
      var stats = (await call("GET", "/api/image-status")).stats, images = stats.images || {};
      setText("stat-total", stats.totalVehicles); setText("stat-needing", stats.needingProcessing);
      setText("stat-fully", stats.fullyProcessed); setText("stat-partially", stats.partiallyProcessed);
      setText("img-uploaded", images.uploaded); setText("img-pending", images.pending);
      setText("img-failed", images.failedPermanently);
      var all = images.total || 0, done = images.uploaded || 0, pct = all ? Math.floor(done * 100 / all) : 0;
      $("progress-fill").style.width = pct + "%";
      $("progress").setAttribute("aria-valuenow", String(pct));
      $("progress-text").textContent = done + " / " + all + " images uploaded (" + pct + "%)";
      busyElsewhere = (images.inProgress || 0) > 0;
      var last = stats.lastRun;
      $("last-run").textContent = last ? "Last run (" + (last.trigger || "?") + ") finished " + (last.finishedAt || "?") +
        ": " + (last.imagesUploaded || 0) + " uploaded, " + (last.imagesFailed || 0) + " failed." : "No run recorded yet.";
      updateRunState();
    } catch (error) { handle(error); }
    schedule();
  }
  function updateRunState() {
    var pill = $("run-state");
    pill.textContent = running ? "processing…" : busyElsewhere ? "processing elsewhere" : "idle";
    pill.className = "pill" + (running || busyElsewhere ? " busy" : "");
    ["process-5", "process-10", "retry-failed"].forEach(function (id) { $(id).disabled = running; });
  }

  // --- runs ---------------------------------------------------------------------------------
  async function run(batchSize, requeueFirst) {
    if (running) return;
    running = true; showError(""); updateRunState(); schedule();
    $("run-message").textContent = requeueFirst ? "Requeueing failed photos…" : "Processing " + batchSize + " vehicles…";
    try {
      if (requeueFirst) {
        var requeued = await call("POST", "/api/requeue", {}, true);
        $("run-message").textContent = requeued.requeued + " photos requeued; processing…";
      }
      var result = await call("POST", "/api/process-images", { batchSize: batchSize }, true);
      showResults(result);
      $("run-message").textContent = "Done.";
    } catch (error) {
      $("run-message").textContent = "";
      handle(error);
    } finally {
      running = false; updateRunState();
      if (token()) { refreshStatus(); loadVehicles(); }
    }
  }
  function showResults(result) {
    var body = $("results").tBodies[0];
    body.textContent = "";
    (result.results || []).forEach(function (r) {
      var reasons = (r.errors || []).map(function (e) {
        return (e.permanent ? "[permanent] " : "") + (e.reason || "unknown");
      }).join("; ");
      body.appendChild(el("tr", {}, [
        el("td", { text: r.title || ("Vehicle " + r.vehicleId) }),
        el("td", { "class": "num", text: String(r.uploaded || 0) }),
        el("td", { "class": "num", text: String(r.failed || 0) }),
        el("td", { "class": "num", text: String(r.notAttempted || 0) }),
        el("td", { "class": "reasons", text: reasons })]));
    });
    if (!body.rows.length) body.appendChild(el("tr", {}, [el("td", { colspan: "5", text: "Nothing needed processing." })]));
    $("run-summary").textContent = (result.processed || 0) + " vehicles processed, " + (result.imagesUploaded || 0) +
      " images uploaded, " + (result.imagesFailed || 0) + " failed, " + (result.imagesNotAttempted || 0) +
      " left for later, " + (result.deferred || 0) + " deferred · " + (result.apiRequests || 0) + " API requests in " +
      ((result.durationMs || 0) / 1000).toFixed(1) + " s";
    $("results-box").hidden = false;
  }
  $("process-5").addEventListener("click", function () { run(5, false); });
  $("process-10").addEventListener("click", function () { run(10, false); });
  $("retry-failed").addEventListener("click", function () { run(10, true); });

  // --- vehicles -----------------------------------------------------------------------------
  async function loadVehicles() {
    try {
      var data = await call("GET", "/api/vehicles?page=" + page + "&pageSize=" + PAGE_SIZE + "&variant=thumbnail");
      total = data.total || 0;
      var box = $("vehicles");
      box.textContent = "";
      (data.vehicles || []).forEach(function (v) {
        var title = [v.year, v.make, v.model, v.trim].filter(function (x) { return x; }).join(" ");
        var thumbs = (v.images || []).map(function (image) {
          var img = el("img", { src: image.url, alt: title, loading: "lazy",
                                "class": image.uploaded ? "uploaded" : "vendor" });
          return el("div", { "class": "thumb " + (image.uploaded ? "uploaded-box" : "vendor"),
                             title: image.uploaded ? "Cloudflare Images" : "Still on the vendor URL" },
                    [img, image.uploaded ? null : el("span", { "class": "badge", text: "vendor" })]);
        });
        box.appendChild(el("div", { "class": "vehicle" }, [
          el("h3", { text: (v.featured ? "★ " : "") + (title || "Vehicle " + v.id) }),
          el("div", { "class": "thumbs" }, thumbs.length ? thumbs : [el("span", { "class": "notice", text: "No photos" })])]));
      });
      if (!box.children.length) box.appendChild(el("p", { "class": "notice", text: "No vehicles yet." }));
      var pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
      $("page-info").textContent = "Page " + page + " of " + pages + " · " + total + " vehicles";
      $("prev-page").disabled = page <= 1; $("next-page").disabled = page >= pages;
    } catch (error) { handle(error); }
  }
  $("prev-page").addEventListener("click", function () { if (page > 1) { page--; loadVehicles(); } });
  $("next-page").addEventListener("click", function () { page++; loadVehicles(); });

  if (token()) verifyAndEnter(); else showLogin();
})();
</script>
</body>
</html>
"""
