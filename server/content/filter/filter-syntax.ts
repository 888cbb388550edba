// The languages a content filter may be written in: JSONata's expression syntax (the default), or
// the AMPS expression syntax (`/region = 'EU' AND /qty > 10`) that teams moving from AMPS bring.
// Both compile to the same AST and the same closures (docs/filters.md, "The AMPS syntax"). The
// list is the wire protocol's, which a subscribe command names its filter's syntax from.
import { FILTER_SYNTAXES, type FilterSyntax } from '../../../protocol/native.js';

export { FILTER_SYNTAXES, type FilterSyntax };

export function isFilterSyntax(value: unknown): value is FilterSyntax {
  return (FILTER_SYNTAXES as readonly unknown[]).includes(value);
}
