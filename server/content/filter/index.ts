// Content filters: JSONata (or AMPS) expressions compiled into synchronous predicates over message documents.
export { compileFilter, compileFilterWithSyntax, type CompiledFilter } from './compile-filter.js';
export { FilterError } from './filter-error.js';
export { FILTER_SYNTAXES, isFilterSyntax, type FilterSyntax } from './filter-syntax.js';
