/** Every pass by its name (the name used in .snnir meta, filetests and diagnostics). */
import { canonicalize } from './canonicalize.js';
import { convert } from './convert.js';
import { foldBatchNorm } from './fold-batchnorm.js';
import type { Pass } from './pass.js';
import { recognizeQcfs } from './recognize-qcfs.js';
import { quantize } from './quantize.js';
import { foldTemporalBias } from './fold-temporal-bias.js';
import { insertDelays } from './insert-delays.js';
import { tpp } from './tpp.js';
import { replicateNeurons } from './replicate-neurons.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const PASSES: Record<string, Pass<any>> = Object.fromEntries([canonicalize, foldBatchNorm, recognizeQcfs, convert, quantize, foldTemporalBias, insertDelays, tpp, replicateNeurons].map((p) => [p.name, p]));
