import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { JWK } from 'jose';
import type { RideCodeOptions, RideCodeVerifier, VerifiedRideCode } from '@app/ride-code';
import type { Logger } from '../common/logger';

export interface VerifyWorkerData {
  jwks: JWK[];
  options: RideCodeOptions;
}
export interface VerifyBatch {
  id: number;
  codes: string[];
  nows: number[];
}
/** A thread's first message: its id in the operating system, when it can tell. */
export interface VerifyThreadStarted {
  started: number | null;
}

export interface VerifyAnswer {
  id: number;
  results: VerifiedRideCode[];
}

interface Waiting {
  code: string;
  now: number;
  resolve: (v: VerifiedRideCode) => void;
  reject: (e: unknown) => void;
}

interface Thread {
  worker: Worker;
  out: Map<number, Waiting[]>;
  answered: boolean;
  /** Its id in the operating system, once it has said (null where it cannot tell). */
  osThreadId: number | null;
}

/**
 * Smaller batches are verified on the main thread: for a code or two, the hop to a thread and
 * back costs a lone rider more latency than it frees.
 */
export const OFFLOAD_MIN_BATCH = 4;

/** Threads that die before their first answer, in a row, before the pool stops starting them. */
const MAX_FAILED_STARTS = 3;

/**
 * ES256 verification is the largest single cost of a tap. Codes that arrive in the same turn
 * of the event loop go to a verifying thread as one message, so under load the main thread is
 * left with the rest of the tap. A thread that dies is replaced, and its codes are verified
 * here: a crash never turns a genuine code into an invalid one. Threads that cannot start at
 * all are given up on, and every code is verified here.
 */
export class RideCodeVerifierPool {
  private readonly threads: Thread[] = [];
  private queue: Waiting[] = [];
  private scheduled = false;
  private nextId = 0;
  private failedStarts = 0;
  private sent = 0;

  constructor(
    /** Verifies on this thread: small batches, and whatever a thread could not answer. */
    private readonly local: Pick<RideCodeVerifier, 'verify'>,
    private readonly workerData: VerifyWorkerData,
    threads: number,
    private readonly log: Logger,
  ) {
    for (let i = 0; i < threads; i++) this.threads.push(this.spawn());
  }

  verify(code: string, now: number): Promise<VerifiedRideCode> {
    if (this.threads.length === 0) return this.local.verify(code, now);
    return new Promise((resolve, reject) => {
      this.queue.push({ code, now, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        queueMicrotask(this.flush);
      }
    });
  }

  /** Codes sent to a thread since boot. */
  get offloaded(): number {
    return this.sent;
  }

  get threadCount(): number {
    return this.threads.length;
  }

  /** The running threads' ids in the operating system, as far as they have told them. */
  get osThreadIds(): number[] {
    return this.threads.flatMap((t) => (t.osThreadId === null ? [] : [t.osThreadId]));
  }

  /** Codes out on a thread, and any asked for afterwards, are verified here. */
  async close(): Promise<void> {
    const threads = this.threads.splice(0);
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length < OFFLOAD_MIN_BATCH || this.threads.length === 0)
      return this.verifyHere(batch);
    const thread = this.threads.reduce((a, b) => (b.out.size < a.out.size ? b : a));
    const id = this.nextId++;
    thread.out.set(id, batch);
    const message: VerifyBatch = {
      id,
      codes: batch.map((w) => w.code),
      nows: batch.map((w) => w.now),
    };
    thread.worker.postMessage(message);
    this.sent += batch.length;
  };

  private verifyHere(batch: Waiting[]): void {
    for (const w of batch) this.local.verify(w.code, w.now).then(w.resolve, w.reject);
  }

  private spawn(): Thread {
    // From source (tests, ts-node) the thread needs the TypeScript loaders; compiled, it
    // inherits this process's options, path mapping included.
    const fromSource = extname(__filename) === '.ts';
    const worker = new Worker(join(__dirname, `verify.worker${extname(__filename)}`), {
      workerData: this.workerData,
      // A verify leaves almost nothing alive, so a small young generation is enough; V8 would
      // otherwise size it like the main thread's: 17 MB more peak RSS in the benchmark.
      resourceLimits: { maxYoungGenerationSizeMb: 8 },
      execArgv: fromSource
        ? ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register']
        : process.execArgv,
    });
    const thread: Thread = { worker, out: new Map(), answered: false, osThreadId: null };
    worker.on('message', (a: VerifyAnswer | VerifyThreadStarted) => {
      if ('started' in a) {
        thread.osThreadId = a.started;
        this.log.info({ tid: a.started }, 'ride-code verifying thread started');
        return;
      }
      thread.answered = true;
      this.failedStarts = 0;
      const batch = thread.out.get(a.id);
      thread.out.delete(a.id);
      batch?.forEach((w, i) => w.resolve(a.results[i]));
    });
    worker.on('error', (err) => this.log.error({ err: err.message }, 'ride-code thread failed'));
    worker.on('exit', (code) => this.replace(thread, code));
    worker.unref();
    return thread;
  }

  private replace(thread: Thread, code: number): void {
    for (const batch of thread.out.values()) this.verifyHere(batch);
    thread.out.clear();
    const i = this.threads.indexOf(thread);
    if (i < 0) return;
    if (!thread.answered && ++this.failedStarts >= MAX_FAILED_STARTS) {
      this.threads.splice(i, 1);
      this.log.error({ code }, 'ride-code threads keep failing; verifying on the main thread');
      return;
    }
    this.log.warn({ code }, 'ride-code thread exited; starting another');
    this.threads[i] = this.spawn();
  }
}
