// Parses a filter in the AMPS expression syntax (AMPS User Guide, "AMPS Expressions": XPath
// identifiers and SQL-92 predicates) into the same AST the JSONata syntax is narrowed to
// (filter-ast.ts), so both compile to the same closures under the same limits and value rules.
// Keywords are case-insensitive. Precedence, loosest first: OR, AND, NOT, the predicates
// (comparisons, IN, BETWEEN, LIKE, BEGINS/ENDS WITH, IS NULL), + -, * / %, unary -.
import {
  arithmetic,
  between,
  comparison,
  lower,
  matching,
  membership,
  nullTest,
  valueOf,
  type ComparisonText,
  type Condition,
} from './amps-conditions.js';
import { affixRegex, likeRegex } from './amps-like.js';
import { syntaxError, tokenize, type OperatorText, type Token } from './amps-tokens.js';
import type { ArithmeticOperator, FilterNode, RegexNode } from './filter-ast.js';
import { FilterError, unsupportedConstruct } from './filter-error.js';
import { MAX_FILTER_DEPTH, MAX_FILTER_LENGTH } from './filter-limits.js';

const COMPARISONS: Readonly<Partial<Record<OperatorText, ComparisonText>>> = Object.freeze({
  '=': '=',
  '==': '=',
  '!=': '!=',
  '<>': '!=',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
});

/** Words that continue a predicate after `NOT`: `x NOT IN (...)`, `x NOT LIKE '...'`, ... */
const NEGATABLE = new Set(['IN', 'BETWEEN', 'LIKE', 'BEGINS', 'ENDS']);

/** Throws FilterError naming the construct and its position for anything outside the mapped syntax. */
export function parseAmpsFilter(expression: unknown): FilterNode {
  if (typeof expression !== 'string') throw new FilterError('filter must be a string', 'type');
  if (expression.length > MAX_FILTER_LENGTH) {
    throw new FilterError(`filter is longer than ${MAX_FILTER_LENGTH} characters`, 'expression length');
  }
  const root = new AmpsParser(tokenize(expression)).parse();
  checkDepth(root, 1);
  return root;
}

class AmpsParser {
  private next = 0;
  /** Nesting of parentheses, NOT and unary minus: bounds the recursion on untrusted input. */
  private depth = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  parse(): FilterNode {
    const condition = this.or();
    const token = this.peek();
    if (token.kind !== 'end') throw this.unexpected(token, 'AND, OR or the end of the filter');
    return lower(condition, false);
  }

  private or(): Condition {
    let lhs = this.and();
    for (let token = this.peek(); this.isWord(token, 'OR'); token = this.peek()) {
      this.next++;
      lhs = { kind: 'or', position: token.position, lhs, rhs: this.and() };
    }
    return lhs;
  }

  private and(): Condition {
    let lhs = this.not();
    for (let token = this.peek(); this.isWord(token, 'AND'); token = this.peek()) {
      this.next++;
      lhs = { kind: 'and', position: token.position, lhs, rhs: this.not() };
    }
    return lhs;
  }

  private not(): Condition {
    const token = this.peek();
    if (!this.isWord(token, 'NOT')) return this.predicate();
    this.next++;
    return this.nested(token.position, () => ({ kind: 'not', position: token.position, operand: this.not() }));
  }

  private predicate(): Condition {
    const lhs = this.additive();
    const token = this.peek();
    if (token.kind === 'operator') {
      const operator = COMPARISONS[token.text];
      if (operator === undefined) return lhs;
      this.next++;
      const condition = comparison(operator, valueOf(lhs), valueOf(this.additive()), token.position);
      const after = this.peek();
      if (after.kind === 'operator' && COMPARISONS[after.text] !== undefined) {
        throw unsupportedConstruct(`chained comparison ${after.text}`, after.position, 'join comparisons with AND');
      }
      return condition;
    }
    if (token.kind !== 'word') return lhs;
    let negated = false;
    let keyword = token;
    if (token.upper === 'NOT') {
      const following = this.tokens[this.next + 1]!;
      if (following.kind !== 'word' || !NEGATABLE.has(following.upper)) {
        throw this.unexpected(following, 'IN, BETWEEN, LIKE, BEGINS WITH or ENDS WITH after NOT');
      }
      negated = true;
      keyword = following;
      this.next++;
    }
    switch (keyword.upper) {
      case 'IN':
        this.next++;
        return membership(valueOf(lhs), this.valueList(), negated, keyword.position);
      case 'BETWEEN': {
        this.next++;
        const low = valueOf(this.additive());
        this.expectWord('AND', 'AND between the bounds of BETWEEN');
        return between(valueOf(lhs), low, valueOf(this.additive()), negated, keyword.position);
      }
      case 'LIKE':
        this.next++;
        return matching(valueOf(lhs), [this.likePattern()], negated);
      case 'BEGINS':
      case 'ENDS': {
        this.next++;
        this.expectWord('WITH', `WITH after ${keyword.upper}`);
        const where = keyword.upper === 'BEGINS' ? 'begins' : 'ends';
        const regexes = this.stringList(keyword).map((s) => affixRegex(s.value, where, s.position));
        return matching(valueOf(lhs), regexes, negated);
      }
      case 'IS': {
        this.next++;
        const isNot = this.isWord(this.peek(), 'NOT');
        if (isNot) this.next++;
        this.expectWord('NULL', isNot ? 'NULL after IS NOT' : 'NULL or NOT NULL after IS');
        return nullTest(valueOf(lhs), isNot, keyword.position);
      }
      default:
        return lhs;
    }
  }

  private additive(): Condition {
    let lhs = this.multiplicative();
    for (let token = this.peek(); this.isOperator(token, '+', '-'); token = this.peek()) {
      this.next++;
      const rhs = this.multiplicative();
      lhs = arithmetic(token.text as ArithmeticOperator, valueOf(lhs), valueOf(rhs), token.position);
    }
    return lhs;
  }

  private multiplicative(): Condition {
    let lhs = this.unary();
    for (let token = this.peek(); this.isOperator(token, '*', '/', '%'); token = this.peek()) {
      this.next++;
      const rhs = this.unary();
      lhs = arithmetic(token.text as ArithmeticOperator, valueOf(lhs), valueOf(rhs), token.position);
    }
    return lhs;
  }

  private unary(): Condition {
    const token = this.peek();
    if (!this.isOperator(token, '-')) return this.primary();
    this.next++;
    return this.nested(token.position, () => {
      const operand = valueOf(this.unary());
      // A negative number literal is a literal, as in the JSONata syntax once folded.
      if (operand.kind === 'literal' && typeof operand.value === 'number') {
        return { kind: 'value', node: { kind: 'literal', position: token.position, value: -operand.value } };
      }
      return { kind: 'value', node: { kind: 'negate', position: token.position, operand } };
    });
  }

  private primary(): Condition {
    const token = this.peek();
    switch (token.kind) {
      case 'path':
        this.next++;
        return { kind: 'value', node: { kind: 'path', position: token.position, steps: token.steps } };
      case 'number':
        this.next++;
        return { kind: 'value', node: { kind: 'literal', position: token.position, value: token.value } };
      case 'string':
        this.next++;
        return { kind: 'value', node: this.stringLiteral(token) };
      case 'word':
        return this.word(token);
      case 'operator':
        if (token.text !== '(') break;
        this.next++;
        return this.nested(token.position, () => {
          const inner = this.or();
          this.expectOperator(')', ') to close the ( at position ' + token.position);
          // Parentheses are a block in the AST, whether around a value or a condition.
          return inner.kind === 'value'
            ? { kind: 'value', node: { kind: 'block', position: token.position, expression: inner.node } }
            : { kind: 'group', position: token.position, condition: inner };
        });
      default:
        break;
    }
    throw this.unexpected(token, 'a field, a literal or (');
  }

  private word(token: Extract<Token, { kind: 'word' }>): Condition {
    switch (token.upper) {
      case 'TRUE':
      case 'FALSE':
        this.next++;
        return { kind: 'value', node: { kind: 'literal', position: token.position, value: token.upper === 'TRUE' } };
      case 'NULL':
        throw unsupportedConstruct(
          'NULL outside IS NULL',
          token.position,
          'a comparison with NULL is never TRUE in AMPS: write /x IS NULL or /x IS NOT NULL',
        );
      default:
        break;
    }
    if (this.isOperator(this.tokens[this.next + 1]!, '(')) {
      throw unsupportedConstruct(
        `function ${token.text}(...)`,
        token.position,
        'the AMPS syntax maps operators only; the JSONata syntax has $lowercase, $uppercase, $length, $contains',
      );
    }
    throw this.unexpected(token, 'a field, a literal or (');
  }

  private stringLiteral(token: Extract<Token, { kind: 'string' }>): FilterNode {
    if (token.backslash) {
      // AMPS reads escapes such as '\x01' in strings; only LIKE patterns keep a backslash here.
      throw unsupportedConstruct(
        'backslash in a string',
        token.position,
        'only a LIKE pattern may hold one (a regex escape)',
      );
    }
    return { kind: 'literal', position: token.position, value: token.value };
  }

  /** `( item, ... )` after IN. */
  private valueList(): FilterNode[] {
    this.expectOperator('(', '( after IN');
    const items: FilterNode[] = [valueOf(this.additive())];
    while (this.isOperator(this.peek(), ',')) {
      this.next++;
      items.push(valueOf(this.additive()));
    }
    this.expectOperator(')', ') to close the list');
    return items;
  }

  /** `( 'text', ... )` after BEGINS WITH / ENDS WITH: literal strings only. */
  private stringList(keyword: Extract<Token, { kind: 'word' }>): Extract<Token, { kind: 'string' }>[] {
    this.expectOperator('(', `( after ${keyword.upper} WITH`);
    const strings: Extract<Token, { kind: 'string' }>[] = [];
    for (;;) {
      const token = this.peek();
      if (token.kind !== 'string') {
        throw unsupportedConstruct(`${keyword.upper} WITH of something other than a string literal`, token.position);
      }
      this.stringLiteral(token);
      strings.push(token);
      this.next++;
      if (!this.isOperator(this.peek(), ',')) break;
      this.next++;
    }
    this.expectOperator(')', ') to close the list');
    return strings;
  }

  /** LIKE takes a literal pattern (AMPS: "A pattern must be provided as a literal, quoted value"). */
  private likePattern(): RegexNode {
    const token = this.peek();
    if (token.kind !== 'string') {
      throw unsupportedConstruct('LIKE with a pattern that is not a string literal', token.position);
    }
    this.next++;
    return likeRegex(token.value, token.position);
  }

  private nested<T>(position: number, parse: () => T): T {
    if (++this.depth > MAX_FILTER_DEPTH) throw depthError(position);
    const result = parse();
    this.depth--;
    return result;
  }

  private peek(): Token {
    return this.tokens[this.next]!;
  }

  private isWord(token: Token, word: string): boolean {
    return token.kind === 'word' && token.upper === word;
  }

  private isOperator(token: Token, ...texts: OperatorText[]): token is Extract<Token, { kind: 'operator' }> {
    return token.kind === 'operator' && texts.includes(token.text);
  }

  private expectWord(word: string, what: string): void {
    const token = this.peek();
    if (!this.isWord(token, word)) throw this.unexpected(token, what);
    this.next++;
  }

  private expectOperator(text: OperatorText, what: string): void {
    const token = this.peek();
    if (!this.isOperator(token, text)) throw this.unexpected(token, what);
    this.next++;
  }

  private unexpected(token: Token, expected: string): FilterError {
    return syntaxError(`expected ${expected}, found ${describe(token)}`, token.position);
  }
}

function describe(token: Token): string {
  switch (token.kind) {
    case 'path':
      return `field ${token.text}`;
    case 'string':
      return `string ${JSON.stringify(token.value)}`;
    case 'number':
      return `number ${token.text}`;
    case 'word':
      return token.text;
    case 'operator':
      return token.text;
    case 'end':
      return 'the end of the filter';
  }
}

function depthError(position: number | undefined): FilterError {
  return new FilterError(
    `filter nests deeper than ${MAX_FILTER_DEPTH} levels (position ${position ?? 0})`,
    'nesting depth',
    position,
  );
}

/** The AST the predicates expand to may nest deeper than the text: held to the same limit. */
function checkDepth(node: FilterNode, depth: number): void {
  if (depth > MAX_FILTER_DEPTH) throw depthError(node.position);
  switch (node.kind) {
    case 'path':
    case 'literal':
      return;
    case 'array':
      for (const item of node.items) checkDepth(item, depth + 1);
      return;
    case 'negate':
      return checkDepth(node.operand, depth + 1);
    case 'binary':
      checkDepth(node.lhs, depth + 1);
      return checkDepth(node.rhs, depth + 1);
    case 'call':
      return checkDepth(node.arg, depth + 1);
    case 'contains':
      checkDepth(node.text, depth + 1);
      if (node.token.kind !== 'regex') checkDepth(node.token, depth + 1);
      return;
    case 'condition':
      checkDepth(node.condition, depth + 1);
      checkDepth(node.then, depth + 1);
      if (node.otherwise !== undefined) checkDepth(node.otherwise, depth + 1);
      return;
    case 'block':
      return checkDepth(node.expression, depth + 1);
  }
}
