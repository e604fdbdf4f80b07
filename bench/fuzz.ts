/**
 * Fuzzing campaign: `node dist/bench/fuzz.js [--inputs 1000000] [--seed 1] [--targets onnx,ir,image,npy] [--workers 2]`
 *
 * Input i goes to target i mod (number of targets) and is made from (seed, target, i) alone,
 * so any finding is replayed by its index. Workers take every W-th input; each publishes the
 * index it is running in shared memory, and a watchdog in the main thread calls an input that
 * runs longer than --hang-seconds a hang, restarts the worker past it and reports it. Prints
 * inputs tried, coded errors by code, internal errors (with index and message) and hangs.
 * npm test runs a seeded slice of the same targets (test/fuzz.test.ts).
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { makeTargets, outcome } from './fuzz/targets.js';

interface Job {
  readonly seed: number;
  readonly targets: string[];
  readonly start: number;
  readonly stride: number;
  readonly end: number;
  readonly progress: SharedArrayBuffer;
  readonly slot: number;
}

interface Tally {
  tried: number;
  ok: number;
  coded: Record<string, number>;
  internal: { target: string; index: number; message: string }[];
}

function newTally(): Tally {
  return { tried: 0, ok: 0, coded: {}, internal: [] };
}

/** One entry per distinct message (numbers folded): how often, and the first input that showed it. */
function distinct(fs: Tally['internal']): (Tally['internal'][number] & { count: number })[] {
  const by = new Map<string, Tally['internal'][number] & { count: number }>();
  for (const f of fs) {
    const key = `${f.target}: ${f.message.replace(/[0-9]+/g, '#')}`;
    const seen = by.get(key);
    if (seen) seen.count++;
    else by.set(key, { ...f, count: 1 });
  }
  return [...by.values()];
}

function work(job: Job): void {
  const all = makeTargets().filter((t) => job.targets.includes(t.name));
  const progress = new Int32Array(job.progress);
  const tallies = new Map(all.map((t) => [t.name, newTally()]));
  let sinceReport = 0;
  const report = (done: boolean): void => {
    parentPort!.postMessage({ tallies: Object.fromEntries(tallies), done });
    for (const t of all) tallies.set(t.name, newTally());
    sinceReport = 0;
  };
  for (let i = job.start; i < job.end; i += job.stride) {
    Atomics.store(progress, job.slot, i);
    const target = all[i % all.length];
    const tally = tallies.get(target.name)!;
    const o = outcome(() => target.run(target.input(job.seed, i)));
    tally.tried++;
    if (o.kind === 'ok') tally.ok++;
    else if (o.kind === 'coded') tally.coded[o.code] = (tally.coded[o.code] ?? 0) + 1;
    else tally.internal.push({ target: target.name, index: i, message: `${o.error.name}: ${o.error.message}`.slice(0, 300) });
    if (++sinceReport === 2000) report(false);
  }
  report(true);
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  const inputs = Number(arg('inputs', '1000000'));
  const seed = Number(arg('seed', '1'));
  const targets = arg('targets', 'onnx,ir,image,npy').split(',');
  const workers = Number(arg('workers', '2'));
  const hangSeconds = Number(arg('hang-seconds', '20'));
  const total = new Map(targets.map((t) => [t, newTally()]));
  const hangs: { index: number; target: string }[] = [];
  const progress = new SharedArrayBuffer(4 * workers);
  const current = new Int32Array(progress);
  const t0 = performance.now();
  let lastPrint = t0;

  const merge = (tallies: Record<string, Tally>): void => {
    for (const [name, t] of Object.entries(tallies)) {
      const into = total.get(name)!;
      into.tried += t.tried;
      into.ok += t.ok;
      for (const [c, n] of Object.entries(t.coded)) into.coded[c] = (into.coded[c] ?? 0) + n;
      into.internal.push(...t.internal);
    }
    const now = performance.now();
    if (now - lastPrint > 10_000) {
      lastPrint = now;
      const tried = [...total.values()].reduce((a, t) => a + t.tried, 0);
      process.stderr.write(`fuzz: ${tried} inputs, ${[...total.values()].reduce((a, t) => a + t.internal.length, 0)} internal errors, ${hangs.length} hangs, ${(tried / ((now - t0) / 1000)).toFixed(0)}/s\n`);
    }
  };

  const runSlot = (slot: number, start: number): Promise<void> =>
    new Promise((resolve) => {
      if (start >= inputs) return resolve();
      const w = new Worker(fileURLToPath(import.meta.url), { workerData: { seed, targets, start, stride: workers, end: inputs, progress, slot } satisfies Job });
      Atomics.store(current, slot, start);
      let seen = start;
      let since = performance.now();
      const watchdog = setInterval(() => {
        const now = Atomics.load(current, slot);
        if (now !== seen) {
          seen = now;
          since = performance.now();
        } else if (performance.now() - since > hangSeconds * 1000) {
          clearInterval(watchdog);
          hangs.push({ index: now, target: targets[now % targets.length] });
          void w.terminate().then(() => runSlot(slot, now + workers).then(resolve));
        }
      }, 1000);
      w.on('message', (m: { tallies: Record<string, Tally>; done: boolean }) => {
        merge(m.tallies);
        if (m.done) {
          clearInterval(watchdog);
          resolve();
        }
      });
      w.on('error', (e) => {
        // a crash of the worker itself (e.g. out of memory) is an internal error at that input
        clearInterval(watchdog);
        const at = Atomics.load(current, slot);
        total.get(targets[at % targets.length])!.internal.push({ target: targets[at % targets.length], index: at, message: `worker died: ${e.message}` });
        void runSlot(slot, at + workers).then(resolve);
      });
    });

  await Promise.all(Array.from({ length: workers }, (_, s) => runSlot(s, s)));
  const seconds = (performance.now() - t0) / 1000;
  const rows = [...total].map(([name, t]) => ({ target: name, tried: t.tried, accepted: t.ok, coded: t.coded, internal: t.internal.length }));
  const summary = {
    seed,
    inputs: rows.reduce((a, r) => a + r.tried, 0),
    seconds: Number(seconds.toFixed(1)),
    internalErrors: rows.reduce((a, r) => a + r.internal, 0),
    hangs: hangs.length,
    targets: rows,
    // one line per distinct message: how often, and the first input that showed it
    findings: distinct([...total.values()].flatMap((t) => t.internal)),
    hangInputs: hangs,
  };
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  if (summary.internalErrors || summary.hangs) process.exitCode = 1;
}

if (isMainThread) await main();
else work(workerData as Job);
