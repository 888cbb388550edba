// The format of `warden store export` and `import`: JSON Lines (one JSON object a line, UTF-8,
// each line ending in \n), documented in docs/persistence.md:
//
//   {"type":"meta","product":"warden","format":1}
//   {"type":"retained","record":{"topic":"a/b","payload":{"$base64":"aGk="},"qos":1,"properties":null}}
//   {"type":"session","record":{...}}   {"type":"subscription","record":{...}}
//   {"type":"message","record":{...}}   {"type":"will","record":{...}}
//   {"type":"end","counts":{"retained":1,"sessions":0,"subscriptions":0,"messages":0,"wills":0}}
//
// The records are records.ts's, bytes written as {"$base64": "..."}. They come in the store's
// order: retained messages, sessions, subscriptions, messages, wills, each in key order; their fields in the
// order of record-schema.ts. So the same store always exports the same bytes, and an export
// imported and exported again is the same file. The end line's counts tell a complete file from a
// truncated one.
import { STORE_FORMAT, type StoredEntry } from './lmdb-store.js';
import { parseExportedRecord, parseStoredRecord } from './record-schema.js';
import { RECORD_TABLES, type RecordTable, type TableRecords } from './records.js';
import type { StoreCounts } from './store.js';

const PRODUCT = 'warden';

/** A record's `type` in an export, by table. */
export const EXPORT_TYPES: { readonly [T in RecordTable]: string } = {
  retained: 'retained',
  sessions: 'session',
  subscriptions: 'subscription',
  messages: 'message',
  wills: 'will',
};
const TABLE_OF_TYPE: ReadonlyMap<string, RecordTable> = new Map(RECORD_TABLES.map((t) => [EXPORT_TYPES[t], t]));

/** An export line that is not what the format says: `line` is its number, from 1 (0: the input as a whole). */
export class ExportFormatError extends Error {
  override readonly name = 'ExportFormatError';
  constructor(
    readonly line: number,
    detail: string,
  ) {
    super(line === 0 ? detail : `line ${line}: ${detail}`);
  }
}

export function headerLine(): string {
  return JSON.stringify({ type: 'meta', product: PRODUCT, format: STORE_FORMAT });
}

export function recordLine<T extends RecordTable>(table: T, record: TableRecords[T]): string {
  return JSON.stringify({ type: EXPORT_TYPES[table], record: jsonValue(record) });
}

export function endLine(counts: StoreCounts): string {
  const { retained, sessions, subscriptions, messages, wills } = counts;
  return JSON.stringify({ type: 'end', counts: { retained, sessions, subscriptions, messages, wills } });
}

/** Bytes as {"$base64": ...}; the rest as JSON writes it (a field whose value is undefined is left out). */
function jsonValue(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return { $base64: value.toString('base64') };
  if (Array.isArray(value)) return value.map(jsonValue);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([key, v]) => [key, jsonValue(v)]));
  return value;
}

/** Where an export reads its records: a store's tables, entry by entry (LmdbStore). */
export interface RecordSource {
  entries(table: RecordTable): Iterable<StoredEntry>;
}

export interface ExportResult {
  readonly counts: StoreCounts;
  /** Entries that are not valid records, and so were left out: `retained "a/b": payload: expected bytes`. */
  readonly skipped: readonly string[];
}

/**
 * Write the export of `source`, line by line (without the \n), through `write`, which may make
 * the walk wait (a stream's backpressure). An entry that is not a valid record is left out and
 * reported: the rest is still worth having when the store is damaged.
 */
export async function writeExport(
  source: RecordSource,
  write: (line: string) => void | Promise<void>,
): Promise<ExportResult> {
  const counts = { retained: 0, sessions: 0, subscriptions: 0, messages: 0, wills: 0 };
  const skipped: string[] = [];
  await write(headerLine());
  for (const table of RECORD_TABLES) {
    for (const entry of source.entries(table)) {
      const parsed = entry.error === null ? parseStoredRecord(table, entry.value) : null;
      if (parsed?.ok === true) {
        await write(recordLine(table, parsed.record));
        counts[table]++;
      } else {
        skipped.push(
          `${entryName(table, entry.key)}: ${parsed === null ? `cannot be decoded (${entry.error})` : parsed.problem}`,
        );
      }
    }
  }
  await write(endLine(counts));
  return { counts, skipped };
}

/** How a problem names a stored entry: by its key, the record's id (or its digest, for a long one). */
export function entryName(table: RecordTable, key: StoredEntry['key']): string {
  return `${EXPORT_TYPES[table]} ${Array.isArray(key) ? key.map((part) => JSON.stringify(part)).join(' #') : JSON.stringify(key)}`;
}

/** What an export holds: its records by table, in file order. */
export type ExportContents = { readonly [T in RecordTable]: TableRecords[T][] };

/**
 * Read and check a whole export: the header, every record, no record twice, and the end line
 * with the counts of what came before it. Throws an ExportFormatError naming the first line that
 * is wrong, so an import writes nothing from a file it would import only in part.
 */
export async function readExport(lines: AsyncIterable<string> | Iterable<string>): Promise<ExportContents> {
  const contents: ExportContents = { retained: [], sessions: [], subscriptions: [], messages: [], wills: [] };
  /** Each record's line, by its name, to name both lines of a duplicate. */
  const seen = new Map<string, number>();
  let number = 0;
  let ended = false;
  for await (const text of lines) {
    number++;
    if (ended) throw new ExportFormatError(number, 'a line after the end line');
    const line = parseJsonLine(text, number);
    if (number === 1) {
      checkHeader(line, number);
      continue;
    }
    if (line.type === 'end') {
      checkEnd(line, number, contents);
      ended = true;
      continue;
    }
    const table = typeof line.type === 'string' ? TABLE_OF_TYPE.get(line.type) : undefined;
    if (table === undefined)
      throw new ExportFormatError(
        number,
        `unknown type ${JSON.stringify(line.type)} (expected ${[...TABLE_OF_TYPE.keys(), 'end'].join(', ')})`,
      );
    addRecord(contents, table, line, number, seen);
  }
  if (number === 0) throw new ExportFormatError(0, 'the input is empty; expected the output of warden store export');
  if (!ended)
    throw new ExportFormatError(
      0,
      `the input ends after line ${number} without the end line ({"type":"end",...}): is it truncated?`,
    );
  return contents;
}

/** One record line, checked and added to `contents`; `seen` has the line of each record so far, by name. */
function addRecord<T extends RecordTable>(
  contents: ExportContents,
  table: T,
  line: Record<string, unknown>,
  number: number,
  seen: Map<string, number>,
): void {
  const extra = Object.keys(line).find((key) => key !== 'type' && key !== 'record');
  if (extra !== undefined) throw new ExportFormatError(number, `unknown field ${JSON.stringify(extra)}`);
  if (!('record' in line)) throw new ExportFormatError(number, `a ${EXPORT_TYPES[table]} line without "record"`);
  const parsed = parseExportedRecord(table, line.record);
  if (!parsed.ok) throw new ExportFormatError(number, `${EXPORT_TYPES[table]} record: ${parsed.problem}`);
  const name = RECORD_NAMES[table](parsed.record);
  const first = seen.get(name);
  if (first !== undefined) throw new ExportFormatError(number, `a second ${name} (the first is on line ${first})`);
  seen.set(name, number);
  contents[table].push(parsed.record);
}

function parseJsonLine(text: string, number: number): Record<string, unknown> {
  if (text.trim() === '') throw new ExportFormatError(number, 'an empty line');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ExportFormatError(number, `not JSON (${(err as Error).message})`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new ExportFormatError(number, 'expected a JSON object');
  return value as Record<string, unknown>;
}

function checkHeader(line: Record<string, unknown>, number: number): void {
  if (line.type !== 'meta' || line.product !== PRODUCT)
    throw new ExportFormatError(
      number,
      `expected the header ${headerLine()}: is this the output of warden store export?`,
    );
  if (line.format !== STORE_FORMAT)
    throw new ExportFormatError(
      number,
      `the export has format ${JSON.stringify(line.format)}, this Warden reads format ${STORE_FORMAT}`,
    );
  const extra = Object.keys(line).find((key) => !['type', 'product', 'format'].includes(key));
  if (extra !== undefined) throw new ExportFormatError(number, `unknown field ${JSON.stringify(extra)} in the header`);
}

function checkEnd(line: Record<string, unknown>, number: number, contents: ExportContents): void {
  const counts = line.counts as Record<string, unknown> | undefined;
  for (const table of RECORD_TABLES) {
    const read = contents[table].length;
    if (counts?.[table] !== read)
      throw new ExportFormatError(
        number,
        `the end line counts ${JSON.stringify(counts?.[table] ?? null)} ${table}, the lines before it hold ${read}`,
      );
  }
}

/** A record as an error names it; two records with the same name would overwrite each other in the store. */
const RECORD_NAMES: { readonly [T in RecordTable]: (record: TableRecords[T]) => string } = {
  retained: (record) => `retained message for topic ${JSON.stringify(record.topic)}`,
  sessions: (record) => `session for client ${JSON.stringify(record.clientId)}`,
  subscriptions: (record) =>
    `subscription ${JSON.stringify(record.filter)} of client ${JSON.stringify(record.clientId)}`,
  messages: (record) => `message ${record.seq} for client ${JSON.stringify(record.clientId)}`,
  wills: (record) => `will for client ${JSON.stringify(record.clientId)}`,
};
