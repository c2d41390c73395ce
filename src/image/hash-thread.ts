/** Streaming sha256/sha512 computed on one shared worker thread, so digest checks of layers do not hold up the main thread. */
import { createHash, type Hash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { ShipshapeError } from '../errors.js';

// Bytes are copied into blocks of this size and each full block is moved (transferred, not
// copied again) to the worker; the worker hands the block back for reuse once hashed.
const BLOCK = 1024 * 1024;
// Bytes in flight to the worker before update() says "wait": bounds memory when it falls behind.
const MAX_IN_FLIGHT = 16 * BLOCK;

// Evaluated as a CommonJS script in the worker (no file to find next to the bundle or dist/).
const WORKER_CODE = `
const { createHash } = require('node:crypto');
const { parentPort } = require('node:worker_threads');
const hashes = new Map();
parentPort.on('message', (m) => {
  if (m.t === 0) { hashes.set(m.id, createHash(m.alg)); return; }
  const h = hashes.get(m.id);
  if (m.t === 1) {
    h.update(new Uint8Array(m.buf, 0, m.len));
    parentPort.postMessage({ t: 1, buf: m.buf, len: m.len }, [m.buf]);
    return;
  }
  hashes.delete(m.id);
  if (m.t === 3) return;
  parentPort.postMessage({ t: 2, id: m.id, hex: h.digest('hex') });
});
`;

type Msg = { t: 1; buf: ArrayBuffer; len: number } | { t: 2; id: number; hex: string };

class HashThread {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve: (hex: string) => void; reject: (err: Error) => void }>();
  private readonly free: ArrayBuffer[] = [];
  private drained: Array<() => void> = [];
  private nextId = 1;
  inFlight = 0;
  broken: Error | undefined;

  constructor() {
    this.worker = new Worker(WORKER_CODE, { eval: true, env: {}, stdout: false, stderr: false });
    this.worker.unref();
    this.worker.on('message', (m: Msg) => {
      if (m.t === 1) {
        this.inFlight -= m.len;
        if (this.free.length < 8) this.free.push(m.buf);
        if (this.inFlight <= MAX_IN_FLIGHT / 2) this.wake();
        this.idle();
        return;
      }
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      this.idle();
      w?.resolve(m.hex);
    });
    const die = (err: Error) => {
      this.broken ??= new ShipshapeError('internal', `the hashing thread failed (${err.message})`, { cause: err });
      if (thread === this) thread = undefined;
      for (const w of this.waiting.values()) w.reject(this.broken);
      this.waiting.clear();
      this.wake();
    };
    this.worker.on('error', die);
    this.worker.on('exit', (code) => die(new Error(`exited with code ${code}`)));
  }

  // The thread keeps the process alive only while it owes an answer: a caller may be waiting for
  // it with nothing else running (a paused stream), and an idle thread must not stop the exit.
  private idle(): void {
    if (this.inFlight === 0 && !this.waiting.size) this.worker.unref();
  }

  private wake(): void {
    const d = this.drained;
    this.drained = [];
    for (const f of d) f();
  }

  block(): ArrayBuffer {
    return this.free.pop() ?? new ArrayBuffer(BLOCK);
  }

  start(alg: string): number {
    const id = this.nextId++;
    this.worker.postMessage({ t: 0, id, alg });
    return id;
  }

  send(id: number, buf: ArrayBuffer, len: number): void {
    this.worker.ref();
    this.inFlight += len;
    this.worker.postMessage({ t: 1, id, buf, len }, [buf]);
  }

  finish(id: number): Promise<string> {
    if (this.broken) return Promise.reject(this.broken);
    return new Promise((resolve, reject) => {
      this.worker.ref();
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ t: 2, id });
    });
  }

  drop(id: number): void {
    if (!this.broken) this.worker.postMessage({ t: 3, id });
  }

  /** Resolves once the bytes in flight have fallen back to half the bound. */
  whenDrained(): Promise<void> | undefined {
    if (this.inFlight <= MAX_IN_FLIGHT || this.broken) return undefined;
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
 * A streaming hash whose work runs on the shared hashing thread once the data passes one block
 * (smaller data is hashed here: starting the thread would cost more). `update` copies the bytes
 * once, so the caller may reuse its buffers; `digest` resolves to `<algorithm>:<hex>`.
 */
export class OffThreadHash {
  private local: Hash | undefined;
  private remote: { thread: HashThread; id: number } | undefined;
  private buf: ArrayBuffer | undefined;
  private len = 0;

  constructor(private readonly algorithm: 'sha256' | 'sha512') {}

  update(chunk: Uint8Array): void {
    if (this.local) {
      this.local.update(chunk);
      return;
    }
    let off = 0;
    while (off < chunk.length) {
      if (!this.buf) {
        // A first block is always local memory; the thread is involved only once it is full.
        this.buf = this.remote ? this.remote.thread.block() : new ArrayBuffer(BLOCK);
        this.len = 0;
      }
      const n = Math.min(chunk.length - off, BLOCK - this.len);
      new Uint8Array(this.buf, this.len, n).set(chunk.subarray(off, off + n));
      this.len += n;
      off += n;
      if (this.len === BLOCK && !this.flush()) {
        this.local!.update(chunk.subarray(off));
        return;
      }
    }
  }

  /** Sends the full block to the thread; false when there is none and hashing went local. */
  private flush(): boolean {
    if (!this.remote) {
      const t = hashThread();
      if (!t || t.broken) {
        this.local = createHash(this.algorithm).update(new Uint8Array(this.buf!, 0, this.len));
        this.buf = undefined;
        return false;
      }
      this.remote = { thread: t, id: t.start(this.algorithm) };
    }
    this.remote.thread.send(this.remote.id, this.buf!, this.len);
    this.buf = undefined;
    return true;
  }

  /** Resolves when the hashing thread has caught up enough for more data (bounded memory). */
  ready(): Promise<void> | undefined {
    return this.remote?.thread.whenDrained();
  }

  /** Forgets an unfinished hash (the stream it checked failed). */
  dispose(): void {
    if (this.remote && !this.local) this.remote.thread.drop(this.remote.id);
    this.local = createHash(this.algorithm); // later calls are harmless and stay off the thread
    this.buf = undefined;
  }

  async digest(): Promise<string> {
    if (!this.remote && !this.local) {
      this.local = createHash(this.algorithm);
      if (this.buf) this.local.update(new Uint8Array(this.buf, 0, this.len));
    }
    if (this.local) return `${this.algorithm}:${this.local.digest('hex')}`;
    const { thread: t, id } = this.remote!;
    if (this.buf && this.len) t.send(id, this.buf, this.len);
    this.buf = undefined;
    this.remote = undefined;
    this.local = createHash(this.algorithm); // used up: later calls stay off the thread
    return `${this.algorithm}:${await t.finish(id)}`;
  }
}
