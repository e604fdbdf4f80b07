/** Worker-thread entry: builds a task's state from the first message, then answers chunks. */
import { parentPort } from 'node:worker_threads';
import { TASKS } from './tasks.js';

let state: unknown;
let kind = '';
parentPort!.on('message', (msg: { type: 'init'; kind: string; payload: unknown } | { type: 'run'; id: number; input: unknown }) => {
  try {
    if (msg.type === 'init') {
      kind = msg.kind;
      state = TASKS[kind].init(msg.payload);
      return;
    }
    parentPort!.postMessage({ id: msg.id, output: TASKS[kind].run(state, msg.input) });
  } catch (e) {
    const err = e as Error & { code?: string; where?: string };
    parentPort!.postMessage({ id: (msg as { id?: number }).id ?? -1, error: { message: err.message, name: err.name, code: err.code, where: err.where, stack: err.stack } });
  }
});
