// `warden store export` and `import`: the store as JSON Lines (store-export.ts) to a file or
// stdout, and back from a file or stdin. Export writes what it can read and names what it cannot;
// import checks the whole input before it writes anything, and writes only into an empty store
// unless told to replace what it holds.
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import { LmdbStore } from '../store/lmdb-store.js';
import { RECORD_TABLES } from '../store/records.js';
import type { StoreCounts } from '../store/store.js';
import {
  ExportFormatError,
  readExport,
  writeExport,
  type ExportContents,
  type ExportResult,
} from '../store/store-export.js';
import { CliError } from './cli-error.js';
import { EXIT } from './exit-codes.js';
import { requireStore } from './store-location.js';
import { describeCounts, listed, total } from './store-report.js';

/** Write the export of the store in `dir` to `out`, else stdout; a summary goes to stderr. */
export async function exportStore(dir: string, out: string | undefined): Promise<number> {
  requireStore(dir);
  const store = LmdbStore.open({ path: dir, sync: 'none' }, null, null);
  let result;
  try {
    result = out === undefined ? await exportTo(store, process.stdout) : await exportToFile(store, out);
  } finally {
    await store.close();
  }
  process.stderr.write(`warden store export: ${describeCounts(result.counts)} from ${dir}\n`);
  if (result.skipped.length === 0) return EXIT.OK;
  process.stderr.write(
    `warden store export: ${result.skipped.length} damaged ${result.skipped.length === 1 ? 'entry was' : 'entries were'} left out:\n${listed(result.skipped)}`,
  );
  return EXIT.FAILURE;
}

/** Into `FILE.partial`, renamed to FILE once complete: FILE is never half an export. */
async function exportToFile(store: LmdbStore, file: string): Promise<ExportResult> {
  const target = path.resolve(file);
  const partial = `${target}.partial`;
  let stream: fs.WriteStream;
  try {
    stream = fs.createWriteStream(partial, { fd: fs.openSync(partial, 'w') });
  } catch (err) {
    throw new CliError(`cannot write ${partial} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  try {
    const result = await exportTo(store, stream);
    await new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
    fs.renameSync(partial, target);
    return result;
  } catch (err) {
    stream.destroy();
    fs.rmSync(partial, { force: true });
    throw err;
  }
}

/** The export written to `stream`, a line at a time, waiting whenever the stream's buffer is full. */
async function exportTo(store: LmdbStore, stream: Writable): Promise<ExportResult> {
  let failed: Error | null = null;
  // Left on: stdout may report a closed pipe after the last write, and an error without a listener would throw.
  const onError = (err: Error): void => {
    failed = err;
  };
  stream.on('error', onError);
  try {
    const result = await writeExport(store, async (line) => {
      if (failed !== null) throw failed;
      if (!stream.write(`${line}\n`)) await waitForDrain(stream, () => failed);
    });
    if (failed !== null) throw failed;
    return result;
  } catch (err) {
    throw new CliError(`cannot write the export: ${(err as Error).message}`);
  }
}

function waitForDrain(stream: Writable, failed: () => Error | null): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('error', done);
      const err = failed();
      if (err === null) resolve();
      else reject(err);
    };
    stream.on('drain', done);
    stream.on('error', done);
  });
}

/** Read an export from `input`, else stdin, into the store in `dir` (created if missing). */
export async function importStore(dir: string, input: string | undefined, replace: boolean): Promise<number> {
  // The input first: a missing file is refused before anything is created.
  const source = input === undefined ? 'stdin' : path.resolve(input);
  const stream = input === undefined ? process.stdin : openInput(source);
  const store = LmdbStore.open({ path: dir, sync: 'always' }, null, null);
  let contents: ExportContents;
  try {
    const held = store.counts();
    if (total(held) > 0 && !replace)
      throw new CliError(
        `${dir}: the store is not empty (it holds ${describeCounts(held)}). Import into an empty store, or pass --replace to discard what it holds.`,
      );
    contents = await readInput(stream, source);
    // One batch, in one turn of the event loop: lmdb-js commits it together.
    if (replace) store.clear();
    for (const record of contents.retained) store.putRetained(record);
    for (const record of contents.sessions) store.putSession(record);
    for (const record of contents.subscriptions) store.putSubscription(record);
    for (const record of contents.messages) store.putMessage(record);
    for (const record of contents.wills) store.putWill(record);
    try {
      await store.whenDurable();
    } catch (err) {
      throw new CliError(`${dir}: the import could not be written: ${(err as Error).message}`);
    }
    const written = store.counts();
    const expected = countsOf(contents);
    if (RECORD_TABLES.some((table) => written[table] !== expected[table]))
      throw new CliError(
        `${dir}: after the import the store holds ${describeCounts(written)}, not the ${describeCounts(expected)} of the input`,
      );
  } finally {
    stream.destroy();
    await store.close();
  }
  process.stdout.write(`imported ${describeCounts(countsOf(contents))} into ${dir}\n`);
  const orphans = orphansOf(contents);
  if (orphans > 0)
    process.stdout.write(
      `note: ${orphans} record${orphans === 1 ? ' has' : 's have'} no session; the broker drops ${orphans === 1 ? 'it' : 'them'} at start-up\n`,
    );
  return EXIT.OK;
}

function openInput(file: string): fs.ReadStream {
  try {
    return fs.createReadStream(file, { fd: fs.openSync(file, 'r') });
  } catch (err) {
    throw new CliError(`cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

async function readInput(stream: NodeJS.ReadableStream, source: string): Promise<ExportContents> {
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  // readline does not pass on the stream's errors: they end the reading here.
  const failed = new Promise<never>((_, reject) => stream.once('error', reject));
  try {
    return await Promise.race([readExport(lines), failed]);
  } catch (err) {
    if (err instanceof ExportFormatError) throw new CliError(`${source}: ${err.message}. Nothing was imported.`);
    throw new CliError(`cannot read ${source}: ${(err as Error).message}`);
  } finally {
    lines.close();
  }
}

function countsOf(contents: ExportContents): StoreCounts {
  return {
    retained: contents.retained.length,
    sessions: contents.sessions.length,
    subscriptions: contents.subscriptions.length,
    messages: contents.messages.length,
    wills: contents.wills.length,
  };
}

function orphansOf(contents: ExportContents): number {
  const sessions = new Set(contents.sessions.map((s) => s.clientId));
  const orphan = (r: { readonly clientId: string }): boolean => !sessions.has(r.clientId);
  return contents.messages.filter(orphan).length + contents.subscriptions.filter(orphan).length;
}
