// A store that cannot be opened: the message names the path and what to do. The CLI prints it
// and exits with status 4 (`warden`, `warden store`); the broker never starts on an empty store in
// its place.
export class StoreError extends Error {
  override readonly name = 'StoreError';
}
