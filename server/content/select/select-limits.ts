// Bounds on a select list, so compiling a hostile one costs a bounded amount of work.

/** Same bound as the protocol's other content expressions (filters). */
export const MAX_SELECT_LIST_LENGTH = 4096;
export const MAX_SELECT_STEPS = 256;
