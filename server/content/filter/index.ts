// Content filters: JSONata expressions compiled into synchronous predicates over message documents.
export { compileFilter, type CompiledFilter } from './compile-filter.js';
export { FilterError } from './filter-error.js';
