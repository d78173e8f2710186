/**
 * The image-processor Worker's HTTP API as the admin panel uses it: the answers' shapes (as in
 * src/inventory/openapi.py) and one call helper that puts every failure into words.
 */

export interface RunSummary {
  trigger: string;
  startedAt: string;
  finishedAt: string;
  imagesUploaded?: number;
  imagesFailed?: number;
}

export interface CleanupSummary extends RunSummary {
  deleted?: number;
  failed?: number;
  overDailyCap?: number;
}

export interface StuckDeletion {
  imageId: string;
  reason: string;
  attempts: number;
  lastError: string | null;
  lastAttemptAt?: string | null;
  nextAttemptAfter?: string | null;
}

export interface Storage {
  imagesStored: number;
  stuckDeletions?: number;
  stuck?: StuckDeletion[];
  imagesStoredAtLastSweep?: number | null;
  deletionsQueued: number;
  deletionsDone: number;
  deletedToday?: number;
  estimatedMonthlyCostUsd: number;
  lastCleanup: CleanupSummary | null;
}

export interface ImageStats {
  totalVehicles: number;
  needingProcessing: number;
  fullyProcessed: number;
  partiallyProcessed: number;
  inactiveVehicles: number;
  images: { total: number; uploaded: number; pending: number; failedPermanently: number; inProgress: number };
  lastRun: RunSummary | null;
  lastScrape: RunSummary | null;
  storage?: Storage;
}

export interface VehicleResult {
  vehicleId: number;
  title: string;
  uploaded: number;
  failed: number;
  notAttempted: number;
  errors: { url: string; reason: string | null; permanent: boolean }[];
}

export interface ProcessResult {
  processed: number;
  succeeded: number;
  failed: number;
  deferred: number;
  imagesUploaded: number;
  imagesFailed: number;
  imagesNotAttempted?: number;
  apiRequests?: number;
  durationMs?: number;
  results: VehicleResult[];
}

export interface RequeueResult {
  requeued: number;
  jobsQueued?: number;
}

export interface VehicleImage {
  entry: string;
  url: string;
  uploaded: boolean;
}

export interface Vehicle {
  id: number;
  year: number | null;
  make: string | null;
  model: string | null;
  trim: string | null;
  featured: boolean;
  images: VehicleImage[];
}

export interface VehicleList {
  total: number;
  page: number;
  pageSize: number;
  vehicles: Vehicle[];
}

/** One listing feed's counts (GET /api/feeds/status): included, and left out per reason. */
export interface FeedCounts {
  path: string;
  included: number;
  leftOut: number;
  reasons: Record<string, { vehicles: number; examples: number[] }>;
}

export interface FeedsStatus {
  vendorPhotos: boolean;
  variant: string;
  feeds: { google: FeedCounts; meta: FeedCounts };
}

/** A failed call, in words; `status` is the HTTP status, 0 when the Worker could not be reached. */
export class PanelError extends Error {
  constructor(public readonly status: number, message: string) {
    super(message);
    this.name = "PanelError";
  }
}

export interface CallOptions {
  /** Given (even null) for an admin endpoint: sent as `Authorization: Bearer <token>`, never in the URL. */
  token?: string | null;
  /** Sent as JSON. */
  body?: unknown;
}

/** One JSON call to the Worker at `baseUrl`; the answer, or a PanelError saying what went wrong. */
export async function callApi<T>(baseUrl: string, method: string, path: string,
                                 { token, body }: CallOptions = {}): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token !== undefined) headers["Authorization"] = `Bearer ${token ?? ""}`;
  let response: Response;
  try {
    response = await fetch(baseUrl.replace(/\/+$/, "") + path, {
      method, headers, cache: "no-store", body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new PanelError(0, "Network down: cannot reach the image processor");
  }
  let data: unknown = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  const envelope = (typeof data === "object" && data !== null ? data : {}) as
    { success?: unknown; error?: unknown };
  const detail = envelope.error ? String(envelope.error) : `HTTP ${response.status}`;
  if (response.status === 401) throw new PanelError(401, `Wrong or expired admin token (${detail})`);
  if (response.status === 429 || response.status === 503) {
    throw new PanelError(response.status, `Processor busy or not configured: ${detail}`);
  }
  if (!response.ok || data === null || envelope.success === false) {
    throw new PanelError(response.status, `Request failed (HTTP ${response.status}): ${detail}`);
  }
  return data as T;
}

/** Resolves when the Worker accepts `token` as its admin token (an admin read that changes nothing). */
export async function verifyAdminToken(baseUrl: string, token: string): Promise<void> {
  await callApi(baseUrl, "GET", "/api/failures", { token });
}
