/**
 * A fixed pool of worker threads that maps chunks through a task (tasks.ts). Results come back
 * in chunk order. With one thread the task runs inline on this thread.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { SnncError, type DiagnosticCode } from '../../ir/diagnostics.js';
import { TASKS } from './tasks.js';

export function defaultThreads(): number {
  return Math.max(1, Math.min(availableParallelism(), 8));
}

/** Chunks by index: an array, or a list that makes each chunk when it is asked for (run-ann.ts, chunks). */
export interface ChunkList<I> {
  readonly length: number;
  at(index: number): I | undefined;
}

export interface Pool<I, O> {
  /**
   * Results in input order. With `fold`, each result is handed to it in input order instead and
   * not kept (a result that arrives early waits; no more than 2·threads chunks are ahead of the
   * fold), so memory does not grow with the number of inputs.
   */
  map(inputs: ChunkList<I>, onDone?: (index: number) => void, fold?: (output: O, index: number) => void): Promise<O[]>;
  close(): Promise<void>;
}

interface WorkerError {
  message: string;
  name: string;
  code?: string;
  where?: string;
  stack?: string;
}

function rebuild(e: WorkerError): Error {
  if (e.name === 'SnncError' && e.code) return new SnncError(e.code as DiagnosticCode, e.message, e.where);
  const err = new Error(e.message);
  err.stack = e.stack;
  return err;
}

export function createPool<P, I, O>(kind: string, payload: P, threads: number): Pool<I, O> {
  const task = TASKS[kind];
  if (threads <= 1) {
    const state = task.init(payload);
    return {
      map: async (inputs, onDone, fold) => {
        const results: O[] = [];
        for (let i = 0; i < inputs.length; i++) {
          const out = task.run(state, inputs.at(i)!) as O;
          onDone?.(i);
          if (fold) fold(out, i);
          else results.push(out);
        }
        return results;
      },
      close: async () => {},
    };
  }
  const self = import.meta.url;
  // Built code starts worker.js; from TypeScript sources (the test runner) the worker first
  // registers tsx's loader, then imports worker.ts.
  const workerUrl = new URL(self.endsWith('.ts') ? './worker.ts' : './worker.js', self);
  const workers = Array.from({ length: threads }, () => {
    const w = self.endsWith('.ts')
      ? new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(workerUrl.href)}); });`, { eval: true })
      : new Worker(workerUrl);
    w.postMessage({ type: 'init', kind, payload });
    return w;
  });
  return {
    map(inputs, onDone, fold) {
      return new Promise<O[]>((resolve, reject) => {
        const results = new Array<O>(fold ? 0 : inputs.length);
        const early = new Map<number, O>(); // folded results that arrived before their turn
        let folded = 0;
        const idle: Worker[] = [];
        let next = 0;
        let finished = 0;
        let failed = false;
        if (inputs.length === 0) return resolve(results);
        const feed = (w: Worker): void => {
          if (next >= inputs.length || failed) return;
          if (fold && next - folded >= 2 * workers.length) {
            idle.push(w); // back-pressure: wait for the fold to catch up
            return;
          }
          const id = next++;
          w.postMessage({ type: 'run', id, input: inputs.at(id)! });
        };
        const take = (id: number, out: O): void => {
          if (!fold) {
            results[id] = out;
            return;
          }
          early.set(id, out);
          while (early.has(folded)) {
            const o = early.get(folded)!;
            early.delete(folded);
            fold(o, folded++);
          }
          while (idle.length && next - folded < 2 * workers.length) feed(idle.pop()!);
        };
        for (const w of workers) {
          w.removeAllListeners('message');
          w.removeAllListeners('error');
          w.on('message', (m: { id: number; output?: O; error?: WorkerError }) => {
            if (failed) return;
            if (m.error) {
              failed = true;
              return reject(rebuild(m.error));
            }
            try {
              take(m.id, m.output as O);
            } catch (e) {
              failed = true;
              return reject(e);
            }
            onDone?.(m.id);
            if (++finished === inputs.length) resolve(results);
            else feed(w);
          });
          w.on('error', (e) => {
            failed = true;
            reject(e);
          });
          feed(w);
        }
      });
    },
    close: async () => {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

/** As mapChunks, but each chunk's result goes to `fold` in chunk order and is not kept. */
export async function foldChunks<P, I extends { readonly count: number }, O>(kind: string, payload: P, parts: ChunkList<I>, threads: number, fold: (output: O, index: number) => void, onProgress?: (samples: number) => void): Promise<void> {
  const pool = createPool<P, I, O>(kind, payload, Math.min(threads, parts.length));
  const { list, counts } = counted(parts);
  try {
    await pool.map(list, (i) => onProgress?.(counts[i]), fold);
  } finally {
    await pool.close();
  }
}

/**
 * Map the chunks through task `kind` on at most `threads` workers (never more than there are
 * chunks) and close the pool; `onProgress` gets each finished chunk's sample count.
 */
export async function mapChunks<P, I extends { readonly count: number }, O>(kind: string, payload: P, parts: ChunkList<I>, threads: number, onProgress?: (samples: number) => void): Promise<O[]> {
  const pool = createPool<P, I, O>(kind, payload, Math.min(threads, parts.length));
  const { list, counts } = counted(parts);
  try {
    return await pool.map(list, (i) => onProgress?.(counts[i]));
  } finally {
    await pool.close();
  }
}

/** The list, noting each chunk's sample count as it is made (for progress, without making it twice). */
function counted<I extends { readonly count: number }>(parts: ChunkList<I>): { list: ChunkList<I>; counts: number[] } {
  const counts: number[] = [];
  return {
    counts,
    list: {
      length: parts.length,
      at: (k) => {
        const x = parts.at(k)!;
        counts[k] = x.count;
        return x;
      },
    },
  };
}
