/** Streaming sha256/sha512 computed on one shared worker thread, so digest checks of layers do not hold up the main thread. */
import { createHash, type Hash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Worker } from 'node:worker_threads';
import { ShipshapeError } from '../errors.js';

// The bytes go to the worker through a ring of slots in shared memory: one copy, no message and
// no allocation per block (postMessage with a fresh ArrayBuffer per block cost more main-thread
// time, in allocation, page faults and GC, than it saved). Each slot carries an operation.
const SLOT = 1024 * 1024;
const SLOTS = 4;
// Data smaller than this is hashed on the calling thread: the round trip would cost more.
const LOCAL_MAX = 256 * 1024;
/**
 * Blobs (compressed size) below this are hashed on the calling thread: starting the thread costs
 * ~40 ms of CPU and ~15 MB of memory, and on two cores the extra busy thread competes with zlib's;
 * measured on debian-app (largest layer 28 MB) it made the cold scan slower, on the 1 GB image
 * (a 450 MB layer) faster (docs/performance.md).
 */
export const THREAD_MIN_BYTES = 32 * 1024 * 1024;
const OP_START = 0; // len = 256 | 512 (the algorithm)
const OP_DATA = 1;
const OP_FINISH = 2;
const OP_DROP = 3;
// Bytes queued here while the ring is full before ready() asks the caller to wait.
const MAX_BACKLOG = 2 * SLOT;

// Evaluated as a CommonJS script in the worker (no file to find next to the bundle or dist/).
// ctl[0]: slots published (by the main thread), ctl[1]: slots consumed (by the worker), ctl[2]: 1
// while the main thread waits for free slots (the worker then says so by message).
const WORKER_CODE = `
const { createHash } = require('node:crypto');
const { parentPort, workerData } = require('node:worker_threads');
const { ring, ctlBuf, metaBuf, SLOT, SLOTS } = workerData;
const ctl = new Int32Array(ctlBuf), meta = new Int32Array(metaBuf);
const hashes = new Map();
let read = 0;
for (;;) {
  const written = Atomics.load(ctl, 0);
  if (read === written) { Atomics.wait(ctl, 0, written); continue; }
  const s = read % SLOTS, op = meta[s * 3], id = meta[s * 3 + 1], len = meta[s * 3 + 2];
  if (op === 0) hashes.set(id, createHash(len === 512 ? 'sha512' : 'sha256'));
  else if (op === 1) hashes.get(id).update(new Uint8Array(ring, s * SLOT, len));
  else {
    const h = hashes.get(id);
    hashes.delete(id);
    if (op === 2) parentPort.postMessage({ id, hex: h.digest('hex') });
  }
  read++;
  Atomics.store(ctl, 1, read);
  if (Atomics.compareExchange(ctl, 2, 1, 0) === 1) parentPort.postMessage(0);
}
`;

class HashThread {
  private readonly worker: Worker;
  private readonly ring = new SharedArrayBuffer(SLOT * SLOTS);
  private readonly ctl = new Int32Array(new SharedArrayBuffer(12));
  private readonly meta = new Int32Array(new SharedArrayBuffer(SLOTS * 3 * 4));
  private readonly waiting = new Map<number, { resolve: (hex: string) => void; reject: (err: Error) => void }>();
  private written = 0;
  private nextId = 1;
  // Operations waiting for a free slot, in order (the main thread never blocks on the worker:
  // while it boots it needs this thread's event loop).
  private backlog: Array<{ op: number; id: number; len: number; data?: Buffer }> = [];
  private backlogBytes = 0;
  private drained: Array<() => void> = [];
  broken: Error | undefined;

  constructor() {
    // Loaded with the first big blob, not at start-up: most scans never start the thread.
    const { Worker: WorkerThread } = createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads');
    this.worker = new WorkerThread(WORKER_CODE, {
      eval: true,
      env: {},
      execArgv: [], // not the parent's (--input-type=module would make this script a module)
      // It allocates next to nothing: a small heap keeps the thread's share of the RSS small.
      resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16 },
      workerData: { ring: this.ring, ctlBuf: this.ctl.buffer, metaBuf: this.meta.buffer, SLOT, SLOTS },
    });
    this.worker.on('message', (m: { id: number; hex: string } | 0) => {
      if (m === 0) {
        this.flushBacklog();
        return;
      }
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      this.idle();
      w?.resolve(m.hex);
    });
    const die = (err: Error) => this.fail(new ShipshapeError('internal', `the hashing thread failed (${err.message})`, { cause: err }));
    this.worker.on('error', die);
    this.worker.on('exit', (code) => die(new Error(`exited with code ${code}`)));
    this.worker.unref(); // after the listeners: adding one refs the thread's port again
  }

  private fail(err: ShipshapeError): void {
    this.broken ??= err;
    if (thread === this) thread = undefined;
    for (const w of this.waiting.values()) w.reject(this.broken);
    this.waiting.clear();
    this.backlog = [];
    this.backlogBytes = 0;
    for (const f of this.drained.splice(0)) f();
    void this.worker.terminate();
  }

  // The thread keeps the process alive only while it owes something: a digest, or room for the
  // backlog; an idle thread must not stop the exit.
  private idle(): void {
    if (!this.waiting.size && !this.backlog.length) this.worker.unref();
  }

  private free(): boolean {
    return this.written - Atomics.load(this.ctl, 1) < SLOTS;
  }

  private put(op: number, id: number, len: number, data?: Uint8Array): void {
    if (this.backlog.length || !this.free()) {
      if (!this.backlog.length) {
        this.worker.ref();
        Atomics.store(this.ctl, 2, 1);
        if (this.free()) queueMicrotask(() => this.flushBacklog()); // freed before the flag was seen
      }
      this.backlog.push({ op, id, len, ...(data ? { data: Buffer.from(data) } : {}) });
      this.backlogBytes += len;
      return;
    }
    const s = this.written % SLOTS;
    if (data) new Uint8Array(this.ring, s * SLOT, len).set(data);
    this.meta[s * 3] = op;
    this.meta[s * 3 + 1] = id;
    this.meta[s * 3 + 2] = len;
    Atomics.store(this.ctl, 0, ++this.written);
    Atomics.notify(this.ctl, 0);
  }

  private flushBacklog(): void {
    const queue = this.backlog;
    this.backlog = [];
    this.backlogBytes = 0;
    Atomics.store(this.ctl, 2, 0);
    for (const q of queue) this.put(q.op, q.id, q.len, q.data);
    if (this.backlogBytes <= MAX_BACKLOG / 2) {
      const d = this.drained;
      this.drained = [];
      for (const f of d) f();
    }
    this.idle();
  }

  start(alg: 'sha256' | 'sha512'): number {
    const id = this.nextId++;
    this.put(OP_START, id, alg === 'sha512' ? 512 : 256);
    return id;
  }

  send(id: number, data: Uint8Array): void {
    for (let off = 0; off < data.length; off += SLOT) {
      const n = Math.min(SLOT, data.length - off);
      this.put(OP_DATA, id, n, off === 0 && n === data.length ? data : data.subarray(off, off + n));
    }
  }

  finish(id: number): Promise<string> {
    if (this.broken) return Promise.reject(this.broken);
    return new Promise((resolve, reject) => {
      this.worker.ref(); // a pending digest keeps the process alive
      this.waiting.set(id, { resolve, reject });
      this.put(OP_FINISH, id, 0);
    });
  }

  drop(id: number): void {
    if (!this.broken) this.put(OP_DROP, id, 0);
  }

  /** Resolves once the backlog is small again (bounded memory when the thread falls behind). */
  whenDrained(): Promise<void> | undefined {
    if (this.backlogBytes <= MAX_BACKLOG || this.broken) return undefined;
    return new Promise((resolve) => this.drained.push(resolve));
  }
}

let thread: HashThread | undefined;
function hashThread(): HashThread | undefined {
  if (process.env.SHIPSHAPE_HASH_THREAD === '0') return undefined;
  try {
    thread ??= new HashThread();
  } catch {
    return undefined; // no worker threads here (resource limits): hash on this thread
  }
  return thread;
}

/**
 * A streaming hash whose work runs on the shared hashing thread once the data passes LOCAL_MAX
 * bytes (smaller data is hashed here). `update` copies the bytes once, so the caller may reuse
 * its buffers at once; `digest` resolves to `<algorithm>:<hex>`.
 */
export class OffThreadHash {
  private local: Hash | undefined;
  private remote: { thread: HashThread; id: number } | undefined;
  private pending: Buffer[] = [];
  private pendingLen = 0;

  /** `expectedBytes`: the size of the blob being checked when known (the thread is used from THREAD_MIN_BYTES). */
  constructor(
    private readonly algorithm: 'sha256' | 'sha512',
    private readonly expectedBytes = Infinity,
  ) {}

  update(chunk: Uint8Array): void {
    if (this.remote) return this.remote.thread.send(this.remote.id, chunk);
    if (this.local) {
      this.local.update(chunk);
      return;
    }
    if (this.pendingLen + chunk.length <= LOCAL_MAX) {
      this.pending.push(Buffer.from(chunk)); // a copy: the caller may reuse its buffer
      this.pendingLen += chunk.length;
      return;
    }
    const t = this.expectedBytes >= THREAD_MIN_BYTES ? hashThread() : undefined;
    if (t && !t.broken) {
      this.remote = { thread: t, id: t.start(this.algorithm) };
      for (const p of this.pending) t.send(this.remote.id, p);
      t.send(this.remote.id, chunk);
    } else {
      this.local = createHash(this.algorithm);
      for (const p of this.pending) this.local.update(p);
      this.local.update(chunk);
    }
    this.pending = [];
    this.pendingLen = 0;
  }

  /** Forgets an unfinished hash (the stream it checked failed). */
  dispose(): void {
    if (this.remote) this.remote.thread.drop(this.remote.id);
    this.remote = undefined;
    this.local = createHash(this.algorithm); // later calls are harmless and stay off the thread
    this.pending = [];
  }

  /** Resolves when the hashing thread has caught up enough for more data (bounded memory). */
  ready(): Promise<void> | undefined {
    return this.remote?.thread.whenDrained();
  }

  async digest(): Promise<string> {
    if (this.remote) {
      const { thread: t, id } = this.remote;
      this.remote = undefined;
      this.local = createHash(this.algorithm); // used up: later calls stay off the thread
      return `${this.algorithm}:${await t.finish(id)}`;
    }
    if (!this.local) {
      this.local = createHash(this.algorithm);
      for (const p of this.pending) this.local.update(p);
      this.pending = [];
    }
    return `${this.algorithm}:${this.local.digest('hex')}`;
  }
}
