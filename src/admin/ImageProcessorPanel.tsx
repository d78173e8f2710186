/**
 * ImageProcessorPanel: the image processor's admin panel, the single source of it.
 *
 * The page at GET /admin (src/admin/main.tsx, built into public/ by the set-up) mounts it after its
 * sign-in form, and a React dashboard imports it the same way:
 *
 *   <ImageProcessorPanel baseUrl="https://image-processor.example.workers.dev" getToken={() => token} />
 *
 * It shows the status figures with a progress bar (refreshed every 2 s while work runs, every 10 s
 * otherwise), runs "Process 5 vehicles", "Process 10 vehicles" and "Retry failed", lists each run's
 * per-vehicle results with reasons, and shows the vehicles with thumbnails (vendor URLs marked).
 * Errors are shown in words. The admin token comes from `getToken` at each admin call and is sent
 * as `Authorization: Bearer <token>`, never in a URL; on a 401 `onUnauthorized` gets the message.
 * React escapes every text from the API. The elements carry fixed ids (#panel, #error, #stat-total,
 * #process-5, #results, #vehicles, ...: the browser test drives them), so mount one panel per page;
 * its class names are styled by src/admin/admin.css.
 */
import { useCallback, useEffect, useState } from "react";

import {
  callApi, type FeedsStatus, type ImageStats, PanelError, type ProcessResult, type RequeueResult, type Storage, type Vehicle,
  type VehicleList,
} from "./api";

export interface ImageProcessorPanelProps {
  /** Origin of the image-processor Worker, e.g. "https://image-processor.example.workers.dev". */
  baseUrl: string;
  /** The admin token (null when signed out); asked for at every admin call. */
  getToken: () => string | null | Promise<string | null>;
  /** Called with the message when the Worker refuses the token, so the host can ask for a new one. */
  onUnauthorized?: (message: string) => void;
  /** Vehicles per page of the vehicles view (default 20). */
  pageSize?: number;
}

const REFRESH_BUSY_MS = 2_000;
const REFRESH_IDLE_MS = 10_000;
const inWords = (error: unknown) => (error instanceof Error ? error.message : String(error));

export function ImageProcessorPanel(
  { baseUrl, getToken, onUnauthorized, pageSize = 20 }: ImageProcessorPanelProps,
) {
  const [stats, setStats] = useState<ImageStats | null>(null);
  const [list, setList] = useState<VehicleList | null>(null);
  const [feeds, setFeeds] = useState<FeedsStatus | null>(null);
  const [page, setPage] = useState(1);
  const [result, setResult] = useState<ProcessResult | null>(null);
  const [running, setRunning] = useState(false);
  const [runMessage, setRunMessage] = useState("");
  const [error, setError] = useState("");

  const refreshStatus = useCallback(async () => {
    try {
      setStats((await callApi<{ stats: ImageStats }>(baseUrl, "GET", "/api/image-status")).stats);
    } catch (e) {
      setError(inWords(e));
    }
  }, [baseUrl]);

  const loadVehicles = useCallback(async () => {
    try {
      setList(await callApi<VehicleList>(
        baseUrl, "GET", `/api/vehicle-images?page=${page}&pageSize=${pageSize}&variant=thumbnail`));
    } catch (e) {
      setError(inWords(e));
    }
  }, [baseUrl, page, pageSize]);

  const loadFeeds = useCallback(async () => {
    try {
      setFeeds(await callApi<FeedsStatus>(baseUrl, "GET", "/api/feeds/status"));
    } catch (e) {
      setError(inWords(e));
    }
  }, [baseUrl]);

  const busy = running || (stats?.images.inProgress ?? 0) > 0;
  useEffect(() => { void refreshStatus(); }, [refreshStatus]);
  useEffect(() => {
    const timer = setInterval(refreshStatus, busy ? REFRESH_BUSY_MS : REFRESH_IDLE_MS);
    return () => clearInterval(timer);
  }, [refreshStatus, busy]);
  useEffect(() => { void loadVehicles(); }, [loadVehicles]);
  useEffect(() => { void loadFeeds(); }, [loadFeeds]);

  /** One run from a button: optionally requeue the failed photos, then process a batch. */
  const run = async (batchSize: number, requeueFirst: boolean) => {
    if (running) return;
    setRunning(true);
    setError("");
    setRunMessage(requeueFirst ? "Requeueing failed photos…" : `Processing ${batchSize} vehicles…`);
    let refused = false;
    try {
      const token = await getToken();
      if (requeueFirst) {
        const requeued = await callApi<RequeueResult>(baseUrl, "POST", "/api/requeue", { token, body: {} });
        setRunMessage(`${requeued.requeued} photos requeued; processing…`);
      }
      setResult(await callApi<ProcessResult>(
        baseUrl, "POST", "/api/process-images", { token, body: { batchSize } }));
      setRunMessage("Done.");
    } catch (e) {
      setRunMessage("");
      setError(inWords(e));
      if (e instanceof PanelError && e.status === 401) {
        refused = true;
        onUnauthorized?.(e.message);
      }
    } finally {
      setRunning(false);
      if (!refused) {
        void refreshStatus();
        void loadVehicles();
        void loadFeeds();
      }
    }
  };

  return (
    <div id="panel" className="image-processor-panel">
      <div id="error" className="error" role="alert">{error}</div>
      <StatusCard stats={stats} running={running} busy={busy} />

      <section className="card">
        <h2>Process images</h2>
        <div className="actions">
          <button id="process-5" type="button" disabled={running} onClick={() => run(5, false)}>
            Process 5 vehicles
          </button>
          <button id="process-10" type="button" disabled={running} onClick={() => run(10, false)}>
            Process 10 vehicles
          </button>
          <button id="retry-failed" type="button" className="secondary" disabled={running}
                  onClick={() => run(10, true)}>
            Retry failed
          </button>
          <span id="run-message" className="notice">{runMessage}</span>
        </div>
        {result && <RunResults result={result} />}
      </section>

      <FeedsCard baseUrl={baseUrl} status={feeds} />
      <VehiclesCard list={list} page={page} pageSize={pageSize} onPage={setPage} />
    </div>
  );
}

export default ImageProcessorPanel;

const FIGURES: { id: string; label: string; tone: string; value: (s: ImageStats) => number }[] = [
  { id: "stat-total", label: "Active vehicles", tone: "", value: (s) => s.totalVehicles },
  { id: "stat-needing", label: "Needing processing", tone: "warn", value: (s) => s.needingProcessing },
  { id: "stat-fully", label: "Fully processed", tone: "ok", value: (s) => s.fullyProcessed },
  { id: "stat-partially", label: "Partially processed", tone: "", value: (s) => s.partiallyProcessed },
  { id: "img-uploaded", label: "Images uploaded", tone: "ok", value: (s) => s.images.uploaded },
  { id: "img-pending", label: "Images pending", tone: "warn", value: (s) => s.images.pending },
  { id: "img-failed", label: "Failed permanently", tone: "bad", value: (s) => s.images.failedPermanently },
];

function StatusCard({ stats, running, busy }: { stats: ImageStats | null; running: boolean; busy: boolean }) {
  const all = stats?.images.total ?? 0;
  const done = stats?.images.uploaded ?? 0;
  const pct = all ? Math.floor((done * 100) / all) : 0;
  const last = stats?.lastRun;
  return (
    <section className="card">
      <h2>
        Status{" "}
        <span id="run-state" className={busy ? "pill busy" : "pill"}>
          {running ? "processing…" : busy ? "processing elsewhere" : "idle"}
        </span>
      </h2>
      <div className="stats">
        {FIGURES.map(({ id, label, tone, value }) => (
          <div key={id} className={`stat ${tone}`}>
            <b id={id}>{stats ? String(value(stats)) : "–"}</b>
            <span>{label}</span>
          </div>
        ))}
      </div>
      <div id="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
        <div className="bar"><i id="progress-fill" style={{ width: `${pct}%` }} /></div>
        <div id="progress-text">{stats ? `${done} / ${all} images uploaded (${pct}%)` : "Loading…"}</div>
      </div>
      <p id="last-run" className="notice">
        {!stats ? "" : last
          ? `Last run (${last.trigger}) finished ${last.finishedAt}: ${last.imagesUploaded ?? 0} uploaded, `
            + `${last.imagesFailed ?? 0} failed.`
          : "No run recorded yet."}
      </p>
      <p id="storage" className="notice">{stats?.storage ? storageLine(stats.storage) : ""}</p>
      {stats?.storage?.stuckDeletions ? <StuckDeletions storage={stats.storage} /> : null}
    </section>
  );
}

function storageLine(storage: Storage): string {
  const cleanup = storage.lastCleanup;
  const swept = storage.imagesStoredAtLastSweep;
  return `Storage: ${storage.imagesStored} images stored`
    + (swept == null ? "" : ` (${swept} at the last sweep)`)
    + `, about $${storage.estimatedMonthlyCostUsd.toFixed(2)} a month · `
    + `${storage.deletionsQueued} deletions queued, ${storage.deletionsDone} done · `
    + (cleanup
      ? `last cleanup (${cleanup.trigger}) ${cleanup.finishedAt}: ${cleanup.deleted ?? 0} deleted, `
        + `${cleanup.failed ?? 0} failed, ${cleanup.overDailyCap ?? 0} over the daily cap.`
      : "no cleanup yet.");
}

/** Deletions that failed 10 times: each image, its last error, and when it is tried again. */
function StuckDeletions({ storage }: { storage: Storage }) {
  return (
    <div id="stuck-deletions">
      <p className="notice warn">
        {`${storage.stuckDeletions} ${storage.stuckDeletions === 1 ? "deletion" : "deletions"} failed `
          + "10 times and are tried again once a day:"}
      </p>
      <table>
        <thead>
          <tr><th>Image</th><th>Why queued</th><th className="num">Tries</th><th>Last error</th><th>Next try</th></tr>
        </thead>
        <tbody>
          {(storage.stuck ?? []).map((d) => (
            <tr key={d.imageId}>
              <td>{d.imageId}</td>
              <td>{d.reason}</td>
              <td className="num">{d.attempts}</td>
              <td className="reasons">{d.lastError ?? "unknown"}</td>
              <td>{d.nextAttemptAfter ?? "next run"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const FEED_NAMES: { key: "google" | "meta"; label: string }[] = [
  { key: "google", label: "Google vehicle ads (XML)" },
  { key: "meta", label: "Meta automotive catalog (CSV)" },
];

/** Each listing feed: its link, how many vehicles it lists, and why the others are left out. */
function FeedsCard({ baseUrl, status }: { baseUrl: string; status: FeedsStatus | null }) {
  return (
    <section className="card" id="feeds">
      <h2>Listing feeds</h2>
      {!status ? <p className="notice">Loading…</p> : (
        <table>
          <thead><tr><th>Feed</th><th className="num">Listed</th><th className="num">Left out</th><th>Why</th></tr></thead>
          <tbody>
            {FEED_NAMES.map(({ key, label }) => {
              const feed = status.feeds[key];
              return (
                <tr key={key} id={`feed-${key}`}>
                  <td><a href={baseUrl.replace(/\/+$/, "") + feed.path} target="_blank" rel="noreferrer">{label}</a></td>
                  <td className="num">{feed.included}</td>
                  <td className="num">{feed.leftOut}</td>
                  <td className="reasons">
                    {Object.entries(feed.reasons).map(([reason, r]) => `${reason}: ${r.vehicles}`).join("; ") || "none"}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

function RunResults({ result }: { result: ProcessResult }) {
  const seconds = ((result.durationMs ?? 0) / 1000).toFixed(1);
  return (
    <div id="results-box">
      <p id="run-summary" className="notice">
        {`${result.processed} vehicles processed, ${result.imagesUploaded} images uploaded, `
          + `${result.imagesFailed} failed, ${result.imagesNotAttempted ?? 0} left for later, `
          + `${result.deferred} deferred · ${result.apiRequests ?? 0} API requests in ${seconds} s`}
      </p>
      <table id="results">
        <thead>
          <tr>
            <th>Vehicle</th><th className="num">Uploaded</th><th className="num">Failed</th>
            <th className="num">Not attempted</th><th>Reasons</th>
          </tr>
        </thead>
        <tbody>
          {result.results.map((r) => (
            <tr key={r.vehicleId}>
              <td>{r.title || `Vehicle ${r.vehicleId}`}</td>
              <td className="num">{r.uploaded}</td>
              <td className="num">{r.failed}</td>
              <td className="num">{r.notAttempted}</td>
              <td className="reasons">
                {r.errors.map((e) => (e.permanent ? "[permanent] " : "") + (e.reason || "unknown"))
                  .join("; ")}
              </td>
            </tr>
          ))}
          {result.results.length === 0 && <tr><td colSpan={5}>Nothing needed processing.</td></tr>}
        </tbody>
      </table>
    </div>
  );
}

function VehiclesCard({ list, page, pageSize, onPage }: {
  list: VehicleList | null; page: number; pageSize: number; onPage: (page: number) => void;
}) {
  const total = list?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / pageSize));
  return (
    <section className="card">
      <h2>Vehicles</h2>
      <p className="notice legend">
        <span className="key ok" />On Cloudflare Images <span className="key vendor" />Still on the vendor URL
      </p>
      <div id="vehicles" className="vehicles">
        {list?.vehicles.map((vehicle) => <VehicleCard key={vehicle.id} vehicle={vehicle} />)}
        {list && list.vehicles.length === 0 && <p className="notice">No vehicles yet.</p>}
      </div>
      <div className="pager">
        <button id="prev-page" type="button" className="secondary" disabled={page <= 1}
                onClick={() => onPage(page - 1)}>
          Previous
        </button>
        <span id="page-info" className="notice">
          {list ? `Page ${page} of ${pages} · ${total} vehicles` : ""}
        </span>
        <button id="next-page" type="button" className="secondary" disabled={page >= pages}
                onClick={() => onPage(page + 1)}>
          Next
        </button>
      </div>
    </section>
  );
}

function VehicleCard({ vehicle }: { vehicle: Vehicle }) {
  const title = [vehicle.year, vehicle.make, vehicle.model, vehicle.trim].filter((part) => part).join(" ");
  return (
    <div className="vehicle">
      <h3>{(vehicle.featured ? "★ " : "") + (title || `Vehicle ${vehicle.id}`)}</h3>
      <div className="thumbs">
        {vehicle.images.map((image, index) => (
          <div key={index} className={image.uploaded ? "thumb uploaded-box" : "thumb vendor"}
               title={image.uploaded ? "Cloudflare Images" : "Still on the vendor URL"}>
            <img src={image.url} alt={title} loading="lazy"
                 className={image.uploaded ? "uploaded" : "vendor"} />
            {!image.uploaded && <span className="badge">vendor</span>}
          </div>
        ))}
        {vehicle.images.length === 0 && <span className="notice">No photos</span>}
      </div>
    </div>
  );
}
