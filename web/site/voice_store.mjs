// Saved voices in IndexedDB: {name, embedding: Float32Array, dim, created, source}, one store keyed by name.
// Embeddings belong to the model's speaker space, so a voice whose size differs from the model's is refused.

const DB = 'yourtts-onnx';
const STORE = 'voices';

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

export class VoiceStore {
  constructor() {
    this.db = null;
  }

  async open() {
    if (!globalThis.indexedDB) throw new Error('this browser has no IndexedDB: voices cannot be saved');
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'name' });
    this.db = await request(req);
    return this;
  }

  store(mode) {
    return this.db.transaction(STORE, mode).objectStore(STORE);
  }

  async list() {
    const all = await request(this.store('readonly').getAll());
    return all.sort((a, b) => a.name.localeCompare(b.name));
  }

  async get(name) {
    return request(this.store('readonly').get(name));
  }

  async save(name, embedding, source) {
    const record = { name, embedding: Float32Array.from(embedding), dim: embedding.length, created: new Date().toISOString(), source };
    await request(this.store('readwrite').put(record));
    return record;
  }

  async delete(name) {
    await request(this.store('readwrite').delete(name));
  }
}
