// A simplified SASLprep (RFC 4013) for passwords: Unicode NFKC normalization only.
//
// Full SASLprep also maps non-ASCII spaces to U+0020 (NFKC already does this for most of them),
// deletes the "commonly mapped to nothing" characters (soft hyphen, zero-width joiners, variation
// selectors...) and refuses prohibited and bidirectionally mixed strings. Passwords using those
// characters may therefore hash differently here than in a client doing full SASLprep; for every
// other password (all ASCII ones included) the result is the same. The same function runs when a
// credential is made and when it is checked, so Warden is consistent with itself either way.

export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}
