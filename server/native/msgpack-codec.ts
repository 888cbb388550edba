// The broker's msgpack encoder and decoder. Records and 64-bit bigints are off: untrusted input
// must decode to plain JSON-like values, and output must be plain msgpack any client reads.
import { Packr, Unpackr } from 'msgpackr';

export const msgpack = new Packr({ useRecords: false, int64AsType: 'number' });
export const msgpackIn = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });
