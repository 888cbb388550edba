// A look at an LMDB data file before the library maps it. lmdb-js maps the file and trusts its
// meta pages: a truncated file makes it read past the end of the mapping and the process dies
// with SIGSEGV, which no try/catch sees. So the broker (and `warden store check`) reads the two
// meta pages first and refuses a file that is not an LMDB file or is shorter than its newest meta
// page says it is.
import fs from 'node:fs';
import { StoreError } from './store-error.js';

const MAGIC = 0xbeefc0de;
/** Where the meta record starts in a meta page (after the page header lmdb-js's LMDB writes). */
const META_OFFSET = 24;
/** Offsets within the meta record: the page size (md_pad of the first database), the last page, the transaction id. */
const PAGE_SIZE_AT = 24;
const LAST_PAGE_AT = 120;
const TXN_ID_AT = 128;
const META_BYTES = META_OFFSET + TXN_ID_AT + 8;

export interface LmdbFileFacts {
  readonly bytes: number;
  readonly pageSize: number;
  /** Bytes the newest meta page says the file holds at least. */
  readonly usedBytes: number;
  readonly txnId: number;
}

/** The facts of the LMDB data file at `file`, or a sentence saying what is wrong with it. */
export function checkLmdbFile(file: string): LmdbFileFacts | string {
  const fd = fs.openSync(file, 'r');
  try {
    const bytes = fs.fstatSync(fd).size;
    if (bytes < META_BYTES) return `it is ${bytes} bytes long, too short for an LMDB file (truncated?)`;
    const first = Buffer.alloc(META_BYTES);
    fs.readSync(fd, first, 0, META_BYTES, 0);
    const meta0 = metaOf(first);
    if (meta0 === null) return 'it is not an LMDB data file (no LMDB magic number in its first page)';
    if (bytes < 2 * meta0.pageSize) return `it is ${bytes} bytes long, shorter than its two meta pages (truncated)`;
    const second = Buffer.alloc(META_BYTES);
    fs.readSync(fd, second, 0, META_BYTES, meta0.pageSize);
    const meta1 = metaOf(second);
    if (meta1 === null) return 'its second meta page is damaged (no LMDB magic number)';
    const newest = meta1.txnId > meta0.txnId ? meta1 : meta0;
    const usedBytes = (newest.lastPage + 1) * meta0.pageSize;
    if (bytes < usedBytes)
      return `it is ${bytes} bytes long but its last transaction uses ${usedBytes} bytes (truncated)`;
    return { bytes, pageSize: meta0.pageSize, usedBytes, txnId: newest.txnId };
  } finally {
    fs.closeSync(fd);
  }
}

/** The facts of the data file `file`, or a StoreError that names it and says what to do. */
export function requireLmdbFile(file: string): LmdbFileFacts {
  const facts = checkLmdbFile(file);
  if (typeof facts === 'string')
    throw new StoreError(
      `${file}: the store is damaged: ${facts}. Restore it from a backup (or \`warden store import\` an export), or move the directory aside to start with an empty store.`,
    );
  return facts;
}

function metaOf(page: Buffer): { pageSize: number; lastPage: number; txnId: number } | null {
  if (page.readUInt32LE(META_OFFSET) !== MAGIC) return null;
  const pageSize = page.readUInt32LE(META_OFFSET + PAGE_SIZE_AT);
  // Page sizes are powers of two between 512 bytes and 64 KiB.
  if (pageSize < 512 || pageSize > 65_536 || (pageSize & (pageSize - 1)) !== 0) return null;
  return {
    pageSize,
    lastPage: Number(page.readBigUInt64LE(META_OFFSET + LAST_PAGE_AT)),
    txnId: Number(page.readBigUInt64LE(META_OFFSET + TXN_ID_AT)),
  };
}
