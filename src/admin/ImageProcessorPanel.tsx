/**
 * ImageProcessorPanel: the image processor's admin panel as a React component for an admin dashboard.
 *
 * Mirrors the page served at GET /admin (src/inventory/admin_panel.py) and talks to the same
 * endpoints of the image-processor Worker. Not built or tested in this repository (no JavaScript
 * build is part of the test suite); drop it into a React 18+ TypeScript app.
 *
 *   <ImageProcessorPanel baseUrl="https://image-processor.example.workers.dev" getToken={() => token} />
 *
 * The admin token comes from `getToken` (the host app owns sign-in) and is sent as
 * `Authorization: Bearer <token>`, never in a URL. React escapes all rendered text.
 */
import { useCallback, useEffect, useRef, useState } from "react";

export interface ImageStats {
  totalVehicles: number;
  needingProcessing: number;
  fullyProcessed: number;
  partiallyProcessed: number;
  inactiveVehicles: number;
  images: { total: number; uploaded: number; pending: number; failedPermanently: number; inProgress: number };
  lastRun: Record<string, unknown> | null;
  lastScrape: Record<string, unknown> | null;
}

export interface VehicleResult {
  vehicleId: number;
  title: string;
  uploaded: number;
  failed: number;
  notAttempted: number;
  errors: { url: string; reason: string; permanent: boolean }[];
}

export interface ProcessResult {
  processed: number;
  succeeded: number;
  failed: number;
  deferred: number;
  imagesUploaded: number;
  imagesFailed: number;
  imagesNotAttempted: number;
  apiRequests: number;
  durationMs: number;
  results: VehicleResult[];
}

export interface VehicleImage { entry: string; url: string; uploaded: boolean }
export interface Vehicle {
  id: number;
  year: number | null;
  make: string | null;
  model: string | null;
  trim: string | null;
  featured: boolean;
  images: VehicleImage[];
}

export interface ImageProcessorPanelProps {
  /** Origin of the image-processor Worker, e.g. "https://image-processor.example.workers.dev". */
  baseUrl: string;
  /** Returns the admin token (or null when signed out). */
  getToken: () => string | null | Promise<string | null>;
  /** Called on a 401 so the host app can ask for a new token. */
  onUnauthorized?: () => void;
  pageSize?: number;
}

export class PanelError extends Error {
  constructor(public status: number, message: string) {
    super(message);
  }
}

/** One JSON call with the panel's error wording. */
async function callApi<T>(baseUrl: string, method: string, path: string, token: string | null,
                          body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers["Authorization"] = `Bearer ${token}`;
  let response: Response;
  try {
    response = await fetch(baseUrl.replace(/\/$/, "") + path, {
      method, headers, cache: "no-store", body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new PanelError(0, "Network down: cannot reach the image processor");
  }
  let data: any = null;
  try { data = await response.json(); } catch { data = null; }
  const detail = data?.error ? String(data.error) : `HTTP ${response.status}`;
  if (response.status === 401) throw new PanelError(401, `Wrong or expired admin token (${detail})`);
  if (response.status === 429 || response.status === 503) {
    throw new PanelError(response.status, `Processor busy or not configured: ${detail}`);
  }
  if (!response.ok || !data || data.success === false) {
    throw new PanelError(response.status, `Request failed (HTTP ${response.status}): ${detail}`);
  }
  return data as T;
}

export function ImageProcessorPanel({ baseUrl, getToken, onUnauthorized, pageSize = 20 }: ImageProcessorPanelProps) {
  const [stats, setStats] = useState<ImageStats | null>(null);
  const [result, setResult] = useState<ProcessResult | null>(null);
  const [vehicles, setVehicles] = useState<Vehicle[]>([]);
  const [total, setTotal] = useState(0);
  const [page, setPage] = useState(1);
  const [running, setRunning] = useState(false);
  const [error, setError] = useState("");
  const mounted = useRef(true);
  useEffect(() => () => { mounted.current = false; }, []);

  const fail = useCallback((e: unknown) => {
    if (!mounted.current) return;
    setError(e instanceof Error ? e.message : String(e));
    if (e instanceof PanelError && e.status === 401) onUnauthorized?.();
  }, [onUnauthorized]);

  const refreshStatus = useCallback(async () => {
    try {
      const data = await callApi<{ stats: ImageStats }>(baseUrl, "GET", "/api/image-status", null);
      if (mounted.current) setStats(data.stats);
    } catch (e) { fail(e); }
  }, [baseUrl, fail]);

  const loadVehicles = useCallback(async () => {
    try {
      const data = await callApi<{ total: number; vehicles: Vehicle[] }>(
        baseUrl, "GET", `/api/vehicles?page=${page}&pageSize=${pageSize}&variant=thumbnail`, null);
      if (mounted.current) { setVehicles(data.vehicles); setTotal(data.total); }
    } catch (e) { fail(e); }
  }, [baseUrl, page, pageSize, fail]);

  // Status every 2 s while a run is going (here or elsewhere), every 10 s otherwise.
  const busy = running || (stats?.images.inProgress ?? 0) > 0;
  useEffect(() => {
    refreshStatus();
    const timer = setInterval(refreshStatus, busy ? 2000 : 10000);
    return () => clearInterval(timer);
  }, [refreshStatus, busy]);
  useEffect(() => { loadVehicles(); }, [loadVehicles]);

  const run = async (batchSize: number, requeueFirst: boolean) => {
    if (running) return;
    setRunning(true);
    setError("");
    try {
      const token = await getToken();
      if (!token) throw new PanelError(401, "Wrong or expired admin token (not signed in)");
      if (requeueFirst) await callApi(baseUrl, "POST", "/api/requeue", token, {});
      const answer = await callApi<ProcessResult>(baseUrl, "POST", "/api/process-images", token, { batchSize });
      if (mounted.current) setResult(answer);
    } catch (e) {
      fail(e);
    } finally {
      if (mounted.current) setRunning(false);
      refreshStatus();
      loadVehicles();
    }
  };

  const images = stats?.images;
  const pct = images && images.total ? Math.floor((images.uploaded * 100) / images.total) : 0;
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const figure = (value: number | undefined) => (value === undefined ? "–" : value);

  return (
    <div className="image-processor-panel">
      {error && <div className="ipp-error" role="alert">{error}</div>}

      <section>
        <h2>Status {busy && <span className="ipp-busy">processing…</span>}</h2>
        <dl className="ipp-stats">
          <div><dt>Active vehicles</dt><dd>{figure(stats?.totalVehicles)}</dd></div>
          <div><dt>Needing processing</dt><dd>{figure(stats?.needingProcessing)}</dd></div>
          <div><dt>Fully processed</dt><dd>{figure(stats?.fullyProcessed)}</dd></div>
          <div><dt>Partially processed</dt><dd>{figure(stats?.partiallyProcessed)}</dd></div>
          <div><dt>Images uploaded</dt><dd>{figure(images?.uploaded)}</dd></div>
          <div><dt>Images pending</dt><dd>{figure(images?.pending)}</dd></div>
          <div><dt>Failed permanently</dt><dd>{figure(images?.failedPermanently)}</dd></div>
        </dl>
        <div role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
          <progress max={100} value={pct} />
          <span>{images ? `${images.uploaded} / ${images.total} images uploaded (${pct}%)` : "Loading…"}</span>
        </div>
      </section>

      <section>
        <h2>Process images</h2>
        <button type="button" disabled={running} onClick={() => run(5, false)}>Process 5 vehicles</button>
        <button type="button" disabled={running} onClick={() => run(10, false)}>Process 10 vehicles</button>
        <button type="button" disabled={running} onClick={() => run(10, true)}>Retry failed</button>
        {result && (
          <table>
            <caption>
              {result.processed} vehicles processed, {result.imagesUploaded} images uploaded,
              {" "}{result.imagesFailed} failed, {result.imagesNotAttempted} left for later
              {" "}({result.apiRequests} API requests in {(result.durationMs / 1000).toFixed(1)} s)
            </caption>
            <thead>
              <tr><th>Vehicle</th><th>Uploaded</th><th>Failed</th><th>Not attempted</th><th>Reasons</th></tr>
            </thead>
            <tbody>
              {result.results.map((r) => (
                <tr key={r.vehicleId}>
                  <td>{r.title || `Vehicle ${r.vehicleId}`}</td>
                  <td>{r.uploaded}</td>
                  <td>{r.failed}</td>
                  <td>{r.notAttempted}</td>
                  <td>{r.errors.map((e) => (e.permanent ? "[permanent] " : "") + e.reason).join("; ")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section>
        <h2>Vehicles</h2>
        <div className="ipp-vehicles">
          {vehicles.map((v) => {
            const title = [v.year, v.make, v.model, v.trim].filter(Boolean).join(" ") || `Vehicle ${v.id}`;
            return (
              <article key={v.id}>
                <h3>{v.featured ? "★ " : ""}{title}</h3>
                {v.images.map((image) => (
                  <span key={image.entry} className={image.uploaded ? "ipp-thumb uploaded" : "ipp-thumb vendor"}>
                    <img src={image.url} alt={title} loading="lazy" className={image.uploaded ? "uploaded" : "vendor"}
                         width={72} height={54} />
                    {!image.uploaded && <span className="ipp-badge">vendor</span>}
                  </span>
                ))}
              </article>
            );
          })}
        </div>
        <button type="button" disabled={page <= 1} onClick={() => setPage(page - 1)}>Previous</button>
        <span> Page {page} of {pages} · {total} vehicles </span>
        <button type="button" disabled={page >= pages} onClick={() => setPage(page + 1)}>Next</button>
      </section>
    </div>
  );
}

export default ImageProcessorPanel;
