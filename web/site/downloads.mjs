// Downloads with progress, kept in Cache Storage after the first visit (runs in the Web Worker).
// A model file's cache key carries its SHA-256 from config.json, so a new export is downloaded again and
// the old copies are dropped; every file is checked against that hash before use.

export const CACHE_NAME = 'yourtts-onnx-v1';

export class DownloadError extends Error {}

async function openCache() {
  try {
    return globalThis.caches ? await caches.open(CACHE_NAME) : null;
  } catch {
    return null; // Cache Storage is off (an insecure origin, a private window that forbids it): no caching
  }
}

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
}

async function sha256(bytes) {
  if (!globalThis.crypto?.subtle) return null; // not a secure context: size checks only
  return hex(await crypto.subtle.digest('SHA-256', bytes));
}

async function readBody(response, url, onBytes) {
  if (!response.body) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    onBytes(bytes.length);
    return bytes;
  }
  const reader = response.body.getReader();
  const parts = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    length += value.length;
    onBytes(value.length);
  }
  const bytes = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  return bytes;
}

/**
 * Fetches files once, then from Cache Storage. `onProgress({loaded, total, file, cached})` after every piece.
 */
export class Downloader {
  constructor(onProgress = () => {}) {
    this.onProgress = onProgress;
    this.total = 0;
    this.loaded = 0;
    this.cache = null;
    this.fromCache = 0;
  }

  async open() {
    this.cache = await openCache();
    return this;
  }

  /** Announce the bytes of a file whose size is known (config.json); others are counted as they arrive. */
  expect(bytes) {
    this.total += bytes;
  }

  /**
   * The bytes of `url`; `sha256`/`bytes` (config.json `files`) are checked when given and key the cache.
   * @returns {Promise<Uint8Array>}
   */
  async get(url, { sha256: want = null, bytes: size = null, name = url } = {}) {
    const key = want ? `${url}?sha256=${want}` : url;
    const cached = this.cache ? await this.cache.match(key) : undefined;
    if (cached) {
      const bytes = new Uint8Array(await cached.arrayBuffer());
      const digest = want ? await sha256(bytes) : null;
      if ((size === null || bytes.length === size) && (digest === null || digest === want)) {
        if (size === null) this.total += bytes.length;
        this.fromCache += 1;
        this.loaded += bytes.length;
        this.onProgress({ loaded: this.loaded, total: this.total, file: name, cached: true });
        return bytes;
      }
      await this.cache.delete(key); // damaged: fetch again
    }
    let response;
    try {
      response = await fetch(url, { cache: 'no-cache' });
    } catch (err) {
      throw new DownloadError(`cannot download ${name}: ${err.message || 'network error'}`);
    }
    if (!response.ok) throw new DownloadError(`cannot download ${name}: HTTP ${response.status} ${response.statusText}`.trim());
    if (size === null) this.total += Number(response.headers.get('content-length')) || 0;
    const start = this.loaded;
    const bytes = await readBody(response, url, (n) => {
      this.loaded += n;
      this.onProgress({ loaded: this.loaded, total: this.total, file: name, cached: false });
    });
    if (size !== null && bytes.length !== size) {
      throw new DownloadError(`${name}: downloaded ${bytes.length} bytes, expected ${size} (an incomplete download)`);
    }
    if (want) {
      const got = await sha256(bytes);
      if (got !== null && got !== want) throw new DownloadError(`${name}: the download is damaged (SHA-256 differs from config.json)`);
    }
    this.loaded = start + bytes.length;
    if (this.cache) {
      try {
        const headers = { 'Content-Type': 'application/octet-stream', 'Content-Length': String(bytes.length) };
        await this.cache.put(key, new Response(bytes, { headers }));
      } catch {
        // quota exceeded or storage off: the page still works, it only downloads again next time
      }
    }
    return bytes;
  }

  /** Drop cached copies under `prefix` that are not in `keep` (older exports of the same site). */
  async prune(prefix, keep) {
    if (!this.cache) return;
    for (const request of await this.cache.keys()) {
      if (request.url.startsWith(prefix) && !keep.has(request.url)) await this.cache.delete(request);
    }
  }
}
