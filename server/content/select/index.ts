// AMPS-style select lists: parse once, compile to a projection, compose entitlement then subscriber.
export { SelectError } from './parse-select.js';
export { MAX_SELECT_LIST_LENGTH, MAX_SELECT_STEPS } from './parse-select.js';
export type { SelectStep } from './parse-select.js';
export { parseSelect } from './parse-select.js';
export { SELECT_ALL, SELECT_NONE } from './canonical-select.js';
export { compileSelect, type CompiledSelect } from './compile-select.js';
export { COMPOSE_SEPARATOR, composeSelects } from './compose-selects.js';
export { DEFAULT_SELECT_CACHE_SIZE, internSelect, SelectCache } from './select-cache.js';
