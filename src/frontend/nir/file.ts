/** NIR files on disk: read (HDF5 -> NIR graph -> snn-float) and write (snn-float -> NIR -> HDF5), nothing written on error. */
import { basename } from 'node:path';
import type { Graph } from '../../../ir/types.js';
import { readFileOrFail, writeFilesAtomic } from '../../util/fs.js';
import { readHdf5, writeHdf5 } from './hdf5.js';
import { exportNir, type NirExportOptions } from './export.js';
import { importNir, NIR_DEFAULT_DT, type NirImportOptions } from './import.js';
import { nirGraphOf } from './nir-graph.js';

export async function readNirFile(path: string, o: Partial<Omit<NirImportOptions, 'name'>>): Promise<Graph> {
  const tree = await readHdf5(readFileOrFail(path), path);
  return importNir(nirGraphOf(tree, path), { dt: NIR_DEFAULT_DT, ...o, name: basename(path).replace(/\.nir$/i, '') });
}

export async function writeNirFile(g: Graph, path: string, o: NirExportOptions): Promise<void> {
  const bytes = await writeHdf5(exportNir(g, o));
  writeFilesAtomic([[path, bytes]]);
}
