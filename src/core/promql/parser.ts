/**
 * The PromQL parser: tokens → syntax tree, followed by Prometheus' type checks (`checkAST`).
 * Operator precedence, lowest first: `or`; `and unless`; comparisons; `+ -`; `* / % atan2`;
 * `^` (right-associative). Unary `-`/`+` binds like `*`, so `-a^b` is `-(a^b)`. `offset`, `@`
 * and `[...]` bind tightest. Error messages follow Prometheus' where this gateway can match them.
 */

import {
  AggregateExpr,
  AggregateOp,
  AtModifier,
  BinaryExpr,
  BinaryOp,
  Call,
  Expr,
  MatrixSelector,
  PosRange,
  SubqueryExpr,
  ValueType,
  VectorMatching,
  VectorSelector,
  isComparisonOp,
  isSetOp,
} from 'src/core/promql/ast';
import { parseDuration } from 'src/core/promql/duration';
import { PromqlParseError } from 'src/core/promql/errors';
import { FUNCTIONS, UNSUPPORTED_FUNCTIONS } from 'src/core/promql/function-defs';
import { formatGoFloatF, goQuote, parseNumberToken } from 'src/core/promql/go-format';
import { Token, TokenKind, lex } from 'src/core/promql/lexer';
import { compileMatcher } from 'src/core/promql/matchers';
import { RegexSyntaxError } from 'src/core/promql/regex';
import type { LabelMatcher, LabelMatcherType } from 'src/core/promql/series-source';

/** Re-exported so parsing and printing come from one module: `formatExpr(parseExpr(q))`. */
export { formatExpr } from 'src/core/promql/format';

const PRECEDENCE: Readonly<Record<BinaryOp, number>> = {
  or: 1,
  and: 2,
  unless: 2,
  '==': 3,
  '!=': 3,
  '>': 3,
  '<': 3,
  '>=': 3,
  '<=': 3,
  '+': 4,
  '-': 4,
  '*': 5,
  '/': 5,
  '%': 5,
  atan2: 5,
  '^': 6,
};
const POW_PRECEDENCE = 6;

const AGGREGATORS: ReadonlySet<string> = new Set<AggregateOp>([
  'sum',
  'avg',
  'min',
  'max',
  'count',
  'group',
  'stddev',
  'stdvar',
  'topk',
  'bottomk',
  'quantile',
  'count_values',
]);
const AGGREGATORS_WITH_PARAM: ReadonlySet<string> = new Set(['topk', 'bottomk', 'quantile', 'count_values']);
/** Keywords Prometheus' grammar also accepts as a metric name (`metric_identifier`). */
const KEYWORD_METRIC_NAMES: ReadonlySet<string> = new Set([...AGGREGATORS, 'by', 'without', 'and', 'or', 'unless', 'offset', 'start', 'end']);
const MATCH_OPS: ReadonlySet<TokenKind> = new Set<TokenKind>(['=', '!=', '=~', '!~']);
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Parses a PromQL expression and type-checks it. Throws PromqlParseError (with the position of
 * the first problem) for syntax errors, type errors, unknown functions (`unknown function with
 * name "x"`) and functions this gateway does not implement (`function "x" is not supported by
 * this gateway`).
 */
export function parseExpr(input: string): Expr {
  const parser = new Parser(input, lex(input));
  const expr = parser.parseTop();
  new TypeChecker(input).check(expr);
  return expr;
}

/** The value type an expression evaluates to. */
export function valueTypeOf(expr: Expr): ValueType {
  switch (expr.type) {
    case 'NumberLiteral':
      return 'scalar';
    case 'StringLiteral':
      return 'string';
    case 'VectorSelector':
    case 'AggregateExpr':
      return 'vector';
    case 'MatrixSelector':
    case 'SubqueryExpr':
      return 'matrix';
    case 'ParenExpr':
    case 'UnaryExpr':
      return valueTypeOf(expr.expr);
    case 'BinaryExpr':
      return valueTypeOf(expr.lhs) === 'scalar' && valueTypeOf(expr.rhs) === 'scalar' ? 'scalar' : 'vector';
    case 'Call':
      return FUNCTIONS.get(expr.func)?.returnType ?? 'vector';
  }
}

/** Every vector selector in the expression (including those inside range selectors), in source order. */
export function collectSelectors(expr: Expr): VectorSelector[] {
  const out: VectorSelector[] = [];
  const visit = (e: Expr): void => {
    switch (e.type) {
      case 'VectorSelector':
        out.push(e);
        return;
      case 'MatrixSelector':
        out.push(e.selector);
        return;
      case 'SubqueryExpr':
      case 'ParenExpr':
      case 'UnaryExpr':
        return visit(e.expr);
      case 'BinaryExpr':
        visit(e.lhs);
        return visit(e.rhs);
      case 'AggregateExpr':
        if (e.param) {
          visit(e.param);
        }
        return visit(e.expr);
      case 'Call':
        return e.args.forEach(visit);
      case 'NumberLiteral':
      case 'StringLiteral':
        return;
    }
  };
  visit(expr);
  return out;
}

const OPERATOR_TOKENS: ReadonlySet<string> = new Set(['+', '-', '*', '/', '%', '^', '==', '!=', '<', '<=', '>', '>=', '=~', '!~', '@']);

/** Human description of a token as Prometheus' `Item.desc()` (`end of input`, `identifier "foo"`, `<op:*>`, `<by>`). */
function describe(tok: Token): string {
  switch (tok.kind) {
    case 'EOF':
      return 'end of input';
    case 'IDENTIFIER':
      return `identifier "${tok.text}"`;
    case 'METRIC_IDENTIFIER':
      return `metric identifier "${tok.text}"`;
    case 'NUMBER':
      return `number "${tok.text}"`;
    case 'DURATION':
      return `duration "${tok.text}"`;
    case 'STRING':
      return `string ${tok.text.length > 10 ? `${goQuote(tok.text.slice(0, 10))}...` : goQuote(tok.text)}`;
    case 'KEYWORD':
      if (AGGREGATORS.has(tok.text)) {
        return `<aggr:${tok.text}>`;
      }
      if (['and', 'or', 'unless', 'atan2'].includes(tok.text)) {
        return `<op:${tok.text}>`;
      }
      return tok.text === 'start' || tok.text === 'end' ? `"${tok.text}"` : `<${tok.text}>`;
    default:
      return OPERATOR_TOKENS.has(tok.kind) ? `<op:${tok.kind}>` : `"${tok.kind}"`;
  }
}

/** Offset of the first non-blank character after `from` (where a binary operator starts). */
function skipBlanks(input: string, from: number): number {
  let i = from;
  while (i < input.length && /\s/.test(input[i])) {
    i++;
  }
  return i;
}

class Parser {
  private i = 0;

  constructor(
    private readonly input: string,
    private readonly tokens: Token[],
  ) {}

  parseTop(): Expr {
    if (this.peek().kind === 'EOF') {
      this.fail('no expression found in input', 0);
    }
    const expr = this.parseBinary(0);
    const tok = this.peek();
    if (tok.kind !== 'EOF') {
      this.unexpected(tok);
    }
    return expr;
  }

  // ---- token helpers ----

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.i + ahead, this.tokens.length - 1)];
  }

  private take(): Token {
    const tok = this.peek();
    if (tok.kind !== 'EOF') {
      this.i++;
    }
    return tok;
  }

  private isKeyword(tok: Token, ...words: string[]): boolean {
    return tok.kind === 'KEYWORD' && words.includes(tok.text);
  }

  private expect(kind: TokenKind, context: string): Token {
    const tok = this.peek();
    if (tok.kind !== kind) {
      this.unexpected(tok, context, `"${kind}"`);
    }
    return this.take();
  }

  private fail(message: string, at: number): never {
    throw new PromqlParseError(message, at, this.input);
  }

  private unexpected(tok: Token, context?: string, expected?: string): never {
    let msg = `unexpected ${describe(tok)}`;
    if (context) {
      msg += ` in ${context}`;
    }
    if (expected) {
      msg += `, expected ${expected}`;
    }
    this.fail(msg, tok.start);
  }

  // ---- expressions ----

  private binaryOpOf(tok: Token): BinaryOp | undefined {
    if (tok.kind === 'KEYWORD') {
      return ['and', 'or', 'unless', 'atan2'].includes(tok.text) ? (tok.text as BinaryOp) : undefined;
    }
    return tok.kind in PRECEDENCE ? (tok.kind as BinaryOp) : undefined;
  }

  private parseBinary(minPrec: number): Expr {
    let lhs = this.parseUnary();
    for (;;) {
      const tok = this.peek();
      const op = this.binaryOpOf(tok);
      if (op === undefined || PRECEDENCE[op] < minPrec) {
        return lhs;
      }
      this.take();
      const modifiers = this.parseBinaryModifiers(op, lhs.pos.start, tok.start);
      const nextMin = op === '^' ? PRECEDENCE[op] : PRECEDENCE[op] + 1;
      const rhs = this.parseBinary(nextMin);
      lhs = this.binary(op, lhs, rhs, modifiers);
    }
  }

  private binary(op: BinaryOp, lhs: Expr, rhs: Expr, mods: { returnBool: boolean; matching: VectorMatching }): BinaryExpr {
    return {
      type: 'BinaryExpr',
      op,
      lhs,
      rhs,
      returnBool: mods.returnBool,
      matching: mods.matching,
      pos: { start: lhs.pos.start, end: rhs.pos.end },
    };
  }

  /** `bool`, `on(...)`/`ignoring(...)`, `group_left(...)`/`group_right(...)` after an operator. */
  private parseBinaryModifiers(op: BinaryOp, exprStart: number, opStart: number): { returnBool: boolean; matching: VectorMatching } {
    const matching: VectorMatching = {
      card: isSetOp(op) ? 'many-to-many' : 'one-to-one',
      on: false,
      labels: [],
      include: [],
    };
    let returnBool = false;
    if (this.isKeyword(this.peek(), 'bool')) {
      this.take();
      if (!isComparisonOp(op)) {
        this.fail('bool modifier can only be used on comparison operators', opStart);
      }
      returnBool = true;
    }
    if (!this.isKeyword(this.peek(), 'on', 'ignoring')) {
      return { returnBool, matching };
    }
    matching.on = this.take().text === 'on';
    matching.labels = this.parseGroupingLabels();
    if (this.isKeyword(this.peek(), 'group_left', 'group_right')) {
      const tok = this.take();
      if (isSetOp(op)) {
        this.fail(`no grouping allowed for "${op}" operation`, exprStart);
      }
      matching.card = tok.text === 'group_left' ? 'many-to-one' : 'one-to-many';
      if (this.peek().kind === '(') {
        matching.include = this.parseGroupingLabels();
      }
      for (const label of matching.include) {
        if (matching.on && matching.labels.includes(label)) {
          this.fail(`label "${label}" must not occur in ON and GROUP clause at once`, opStart);
        }
      }
    }
    return { returnBool, matching };
  }

  private parseUnary(): Expr {
    const tok = this.peek();
    if (tok.kind !== '-' && tok.kind !== '+') {
      return this.parsePostfix(this.parsePrimary());
    }
    this.take();
    // Unary operators bind like `*`: the operand extends over `^` only.
    const operand = this.parseBinary(POW_PRECEDENCE);
    const pos = { start: tok.start, end: operand.pos.end };
    if (operand.type === 'NumberLiteral') {
      return { ...operand, value: tok.kind === '-' ? -operand.value : operand.value, pos };
    }
    return { type: 'UnaryExpr', op: tok.kind, expr: operand, pos };
  }

  private parsePrimary(): Expr {
    const tok = this.peek();
    switch (tok.kind) {
      case 'NUMBER':
        return this.parseNumber();
      case 'STRING':
        this.take();
        return { type: 'StringLiteral', value: tok.value ?? '', pos: { start: tok.start, end: tok.end } };
      case '(':
        return this.parseParen();
      case '{':
        return this.parseSelector('', tok.start);
      case 'IDENTIFIER':
        if (this.peek(1).kind === '(') {
          return this.parseCall();
        }
        this.take();
        return this.parseSelector(tok.text, tok.start);
      case 'METRIC_IDENTIFIER':
        this.take();
        return this.parseSelector(tok.text, tok.start);
      case 'KEYWORD':
        return this.parseKeywordPrimary(tok);
      default:
        return this.unexpected(tok);
    }
  }

  private parseKeywordPrimary(tok: Token): Expr {
    const next = this.peek(1);
    if (AGGREGATORS.has(tok.text) && (next.kind === '(' || this.isKeyword(next, 'by', 'without'))) {
      return this.parseAggregation();
    }
    if (KEYWORD_METRIC_NAMES.has(tok.text)) {
      this.take();
      return this.parseSelector(this.input.slice(tok.start, tok.end), tok.start);
    }
    return this.unexpected(tok);
  }

  private parseNumber(): Expr {
    const tok = this.take();
    const value = parseNumberToken(tok.text);
    if (value === undefined) {
      this.fail(`error parsing number: strconv.ParseFloat: parsing "${tok.text}": invalid syntax`, tok.start);
    }
    return { type: 'NumberLiteral', value, pos: { start: tok.start, end: tok.end } };
  }

  private parseParen(): Expr {
    const open = this.take();
    if (this.peek().kind === ')') {
      this.unexpected(this.peek());
    }
    const expr = this.parseBinary(0);
    const close = this.peek();
    if (close.kind !== ')') {
      this.unexpected(close, 'paren expression', '")"');
    }
    this.take();
    return { type: 'ParenExpr', expr, pos: { start: open.start, end: close.end } };
  }

  // ---- selectors ----

  private parseSelector(name: string, start: number): VectorSelector {
    const matchers: LabelMatcher[] = [];
    let end = this.tokens[this.i - 1]?.end ?? start;
    if (this.peek().kind === '{') {
      this.take();
      while (this.peek().kind !== '}') {
        matchers.push(this.parseMatcher());
        if (this.peek().kind === ',') {
          this.take();
        } else if (this.peek().kind !== '}') {
          this.unexpected(this.peek(), 'label matching', '"," or "}"');
        }
      }
      end = this.take().end;
    }
    if (name !== '') {
      matchers.push({ type: '=', name: '__name__', value: name });
    }
    return { type: 'VectorSelector', name, matchers, offsetMs: 0, pos: { start, end } };
  }

  /**
   * One matcher. Prometheus 3 (promql/parser/generated_parser.y) also takes quoted label names
   * (`"my.label"=~"a.*"`), and a quoted string alone (`{"my.metric"}`) as `__name__="my.metric"`.
   */
  private parseMatcher(): LabelMatcher {
    const nameTok = this.peek();
    if (nameTok.kind !== 'IDENTIFIER' && nameTok.kind !== 'STRING') {
      this.unexpected(nameTok, 'label matching', 'identifier or "}"');
    }
    this.take();
    const opTok = this.peek();
    if (nameTok.kind === 'STRING' && (opTok.kind === ',' || opTok.kind === '}')) {
      return { type: '=', name: '__name__', value: nameTok.value ?? '' };
    }
    const name = nameTok.kind === 'STRING' ? (nameTok.value ?? '') : nameTok.text;
    if (!MATCH_OPS.has(opTok.kind)) {
      this.unexpected(opTok, 'label matching', 'label matching operator');
    }
    this.take();
    const valueTok = this.peek();
    if (valueTok.kind !== 'STRING') {
      this.unexpected(valueTok, 'label matching', 'string');
    }
    this.take();
    const matcher: LabelMatcher = { type: opTok.kind as LabelMatcherType, name, value: valueTok.value ?? '' };
    try {
      compileMatcher(matcher);
    } catch (e) {
      if (e instanceof RegexSyntaxError) {
        this.fail(e.message, nameTok.start);
      }
      throw e;
    }
    return matcher;
  }

  // ---- postfix: [range], [range:step], offset, @ ----

  private parsePostfix(expr: Expr): Expr {
    let e = expr;
    for (;;) {
      const tok = this.peek();
      if (tok.kind === '[') {
        e = this.parseRangeOrSubquery(e);
      } else if (this.isKeyword(tok, 'offset')) {
        e = this.parseOffset(e);
      } else if (tok.kind === '@') {
        e = this.parseAt(e);
      } else {
        return e;
      }
    }
  }

  private parseDurationToken(context: string): number {
    const tok = this.peek();
    if (tok.kind !== 'DURATION') {
      this.unexpected(tok, context, 'duration');
    }
    this.take();
    let ms: number;
    try {
      ms = parseDuration(tok.text);
    } catch (e) {
      return this.fail((e as Error).message, tok.start);
    }
    if (ms === 0) {
      this.fail('duration must be greater than 0', tok.start);
    }
    return ms;
  }

  private parseRangeOrSubquery(expr: Expr): Expr {
    const open = this.take();
    const rangeMs = this.parseDurationToken('subquery or range');
    if (this.peek().kind === ':') {
      this.take();
      const stepMs = this.peek().kind === 'DURATION' ? this.parseDurationToken('subquery') : 0;
      const close = this.expect(']', 'subquery selector');
      const sub: SubqueryExpr = { type: 'SubqueryExpr', expr, rangeMs, stepMs, offsetMs: 0, pos: { start: expr.pos.start, end: close.end } };
      return sub;
    }
    const close = this.peek();
    if (close.kind !== ']') {
      this.unexpected(close, 'subquery or range selector', '":" or "]"');
    }
    this.take();
    if (expr.type !== 'VectorSelector') {
      this.fail('ranges only allowed for vector selectors', open.start);
    }
    if (expr.offsetMs !== 0) {
      this.fail('no offset modifiers allowed before range', open.start);
    }
    if (expr.at !== undefined) {
      this.fail('no @ modifiers allowed before range', open.start);
    }
    const ms: MatrixSelector = { type: 'MatrixSelector', selector: expr, rangeMs, pos: { start: expr.pos.start, end: close.end } };
    return ms;
  }

  /** The node an offset/`@` modifier applies to, or undefined when it cannot take one. */
  private modifierTarget(expr: Expr): VectorSelector | SubqueryExpr | undefined {
    if (expr.type === 'VectorSelector' || expr.type === 'SubqueryExpr') {
      return expr;
    }
    if (expr.type === 'MatrixSelector') {
      return expr.selector;
    }
    return undefined;
  }

  private parseOffset(expr: Expr): Expr {
    this.take();
    let sign = 1;
    if (this.peek().kind === '-') {
      this.take();
      sign = -1;
    }
    const ms = this.parseDurationToken('offset');
    const target = this.modifierTarget(expr);
    if (!target) {
      this.fail('offset modifier must be preceded by an instant vector selector or range vector selector or a subquery', expr.pos.start);
    }
    if (target.offsetMs !== 0) {
      this.fail('offset may not be set multiple times', expr.pos.start);
    }
    target.offsetMs = sign * ms;
    return this.extend(expr, this.tokens[this.i - 1].end);
  }

  private parseAt(expr: Expr): Expr {
    this.take();
    const at = this.parseAtValue(expr.pos.start);
    const target = this.modifierTarget(expr);
    if (!target) {
      this.fail('@ modifier must be preceded by an instant vector selector or range vector selector or a subquery', expr.pos.start);
    }
    if (target.at !== undefined) {
      this.fail('@ <timestamp> may not be set multiple times', expr.pos.start);
    }
    target.at = at;
    return this.extend(expr, this.tokens[this.i - 1].end);
  }

  private parseAtValue(exprStart: number): AtModifier {
    const tok = this.peek();
    if (this.isKeyword(tok, 'start', 'end')) {
      this.take();
      for (const kind of ['(', ')'] as const) {
        if (this.peek().kind !== kind) {
          this.unexpected(this.peek(), '@', 'timestamp');
        }
        this.take();
      }
      return { kind: tok.text as 'start' | 'end' };
    }
    let sign = 1;
    if (tok.kind === '-' || tok.kind === '+') {
      this.take();
      sign = tok.kind === '-' ? -1 : 1;
    }
    const numTok = this.peek();
    if (numTok.kind !== 'NUMBER') {
      this.unexpected(numTok, '@', 'timestamp');
    }
    this.take();
    const seconds = sign * (parseNumberToken(numTok.text) ?? NaN);
    if (!Number.isFinite(seconds) || Math.abs(seconds) >= 9.223372036854776e18) {
      // Go's %f: six decimals, or +Inf/-Inf/NaN.
      const shown = Number.isFinite(seconds) ? `${formatGoFloatF(Math.trunc(seconds))}.000000` : formatGoFloatF(seconds);
      this.fail(`timestamp out of bounds for @ modifier: ${shown}`, exprStart);
    }
    return { kind: 'time', ms: Math.round(seconds * 1000) };
  }

  private extend<T extends Expr>(expr: T, end: number): T {
    expr.pos = { start: expr.pos.start, end };
    return expr;
  }

  // ---- calls and aggregations ----

  private parseCall(): Call {
    const nameTok = this.take();
    const name = nameTok.text;
    if (!FUNCTIONS.has(name)) {
      this.fail(
        UNSUPPORTED_FUNCTIONS.has(name) ? `function "${name}" is not supported by this gateway` : `unknown function with name "${name}"`,
        nameTok.start,
      );
    }
    const { args, end } = this.parseArgs(true);
    return { type: 'Call', func: name, args, pos: { start: nameTok.start, end } };
  }

  /** `( expr, expr, ... )`; function calls reject a trailing comma, aggregations accept none either. */
  private parseArgs(isCall: boolean): { args: Expr[]; end: number } {
    if (this.peek().kind !== '(') {
      this.unexpected(this.peek(), isCall ? 'function call' : 'aggregation');
    }
    this.take();
    const args: Expr[] = [];
    while (this.peek().kind !== ')') {
      if (this.peek().kind === ',') {
        this.unexpected(this.peek(), isCall ? 'function call args' : 'aggregation');
      }
      args.push(this.parseBinary(0));
      const tok = this.peek();
      if (tok.kind === ',') {
        this.take();
        if (this.peek().kind === ')') {
          this.fail('trailing commas not allowed in function call args', tok.start);
        }
      } else if (tok.kind !== ')') {
        this.unexpected(tok, isCall ? 'function call args' : 'aggregation');
      }
    }
    return { args, end: this.take().end };
  }

  private parseAggregation(): AggregateExpr {
    const opTok = this.take();
    const op = opTok.text as AggregateOp;
    let grouping: string[] = [];
    let without = false;
    let modifierSeen = false;
    if (this.isKeyword(this.peek(), 'by', 'without')) {
      without = this.take().text === 'without';
      grouping = this.parseGroupingLabels();
      modifierSeen = true;
    }
    const { args, end: argsEnd } = this.parseArgs(false);
    let end = argsEnd;
    if (!modifierSeen && this.isKeyword(this.peek(), 'by', 'without')) {
      without = this.take().text === 'without';
      grouping = this.parseGroupingLabels();
      end = this.tokens[this.i - 1].end;
    }
    const pos: PosRange = { start: opTok.start, end };
    const wanted = AGGREGATORS_WITH_PARAM.has(op) ? 2 : 1;
    if (args.length === 0) {
      this.fail('no arguments for aggregate expression provided', pos.start);
    }
    if (args.length !== wanted) {
      this.fail(`wrong number of arguments for aggregate expression provided, expected ${wanted}, got ${args.length}`, pos.start);
    }
    const agg: AggregateExpr = { type: 'AggregateExpr', op, expr: args[wanted - 1], grouping, without, pos };
    if (wanted === 2) {
      agg.param = args[0];
    }
    return agg;
  }

  /**
   * `( label, label, ... )` with an optional trailing comma; keywords are valid label names, and so
   * are quoted UTF-8 names (`by ("my.label")`, Prometheus 3).
   */
  private parseGroupingLabels(): string[] {
    this.expect('(', 'grouping opts');
    const labels: string[] = [];
    while (this.peek().kind !== ')') {
      const tok = this.peek();
      const text = tok.kind === 'STRING' ? (tok.value ?? '') : this.input.slice(tok.start, tok.end);
      if (tok.kind === 'STRING' ? text === '' : (tok.kind !== 'IDENTIFIER' && tok.kind !== 'KEYWORD') || !LABEL_NAME.test(text)) {
        this.unexpected(tok, 'grouping opts', 'label');
      }
      this.take();
      labels.push(text);
      if (this.peek().kind === ',') {
        this.take();
      } else if (this.peek().kind !== ')') {
        this.unexpected(this.peek(), 'grouping opts', '"," or ")"');
      }
    }
    this.take();
    return labels;
  }
}

const DOCUMENTED_TYPE: Readonly<Record<ValueType, string>> = {
  scalar: 'scalar',
  vector: 'instant vector',
  matrix: 'range vector',
  string: 'string',
};

/** Prometheus' `checkAST`: children first, then the node's own type rules. */
class TypeChecker {
  constructor(private readonly input: string) {}

  check(expr: Expr): ValueType {
    switch (expr.type) {
      case 'AggregateExpr':
        this.checkAggregate(expr);
        break;
      case 'BinaryExpr':
        this.checkBinary(expr);
        break;
      case 'Call':
        this.checkCall(expr);
        break;
      case 'ParenExpr':
        this.check(expr.expr);
        break;
      case 'UnaryExpr': {
        const t = this.check(expr.expr);
        if (t !== 'scalar' && t !== 'vector') {
          this.fail(`unary expression only allowed on expressions of type scalar or instant vector, got "${DOCUMENTED_TYPE[t]}"`, expr);
        }
        break;
      }
      case 'SubqueryExpr': {
        const t = this.check(expr.expr);
        if (t !== 'vector') {
          this.fail(`subquery is only allowed on instant vector, got ${t} instead`, expr);
        }
        break;
      }
      case 'MatrixSelector':
        this.checkSelector(expr.selector);
        break;
      case 'VectorSelector':
        this.checkSelector(expr);
        break;
      case 'NumberLiteral':
      case 'StringLiteral':
        break;
    }
    return valueTypeOf(expr);
  }

  private fail(message: string, node: Expr): never {
    throw new PromqlParseError(message, node.pos.start, this.input);
  }

  private expectType(node: Expr, want: ValueType, context: string): void {
    const t = this.check(node);
    if (t !== want) {
      this.fail(`expected type ${DOCUMENTED_TYPE[want]} in ${context}, got ${DOCUMENTED_TYPE[t]}`, node);
    }
  }

  private checkAggregate(e: AggregateExpr): void {
    this.expectType(e.expr, 'vector', 'aggregation expression');
    if (e.param) {
      this.expectType(e.param, e.op === 'count_values' ? 'string' : 'scalar', 'aggregation parameter');
    }
  }

  private checkBinary(e: BinaryExpr): void {
    const lt = this.check(e.lhs);
    const rt = this.check(e.rhs);
    if (isComparisonOp(e.op) && !e.returnBool && lt === 'scalar' && rt === 'scalar') {
      throw new PromqlParseError('comparisons between scalars must use BOOL modifier', skipBlanks(this.input, e.lhs.pos.end), this.input);
    }
    if (lt !== 'scalar' && lt !== 'vector') {
      this.fail('binary expression must contain only scalar and instant vector types', e.lhs);
    }
    if (rt !== 'scalar' && rt !== 'vector') {
      this.fail('binary expression must contain only scalar and instant vector types', e.rhs);
    }
    if ((lt !== 'vector' || rt !== 'vector') && e.matching) {
      if (e.matching.labels.length > 0 || e.matching.on) {
        this.fail('vector matching only allowed between instant vectors', e);
      }
      delete e.matching;
    }
    if ((lt === 'scalar' || rt === 'scalar') && isSetOp(e.op)) {
      this.fail(`set operator "${e.op}" not allowed in binary scalar expression`, e);
    }
  }

  private checkCall(e: Call): void {
    const def = FUNCTIONS.get(e.func);
    if (!def) {
      return this.fail(`unknown function with name "${e.func}"`, e);
    }
    const nargs = def.argTypes.length;
    if (def.variadic === 0 && nargs !== e.args.length) {
      this.fail(`expected ${nargs} argument(s) in call to "${e.func}", got ${e.args.length}`, e);
    }
    if (def.variadic !== 0) {
      const min = nargs - 1;
      if (min > e.args.length) {
        this.fail(`expected at least ${min} argument(s) in call to "${e.func}", got ${e.args.length}`, e);
      }
      if (def.variadic > 0 && min + def.variadic < e.args.length) {
        this.fail(`expected at most ${min + def.variadic} argument(s) in call to "${e.func}", got ${e.args.length}`, e);
      }
    }
    e.args.forEach((arg, i) => {
      const t = def.argTypes[Math.min(i, nargs - 1)];
      this.expectType(arg, t, `call to function "${e.func}"`);
    });
  }

  private checkSelector(vs: VectorSelector): void {
    if (vs.name !== '') {
      const others = vs.matchers.slice(0, -1);
      const dup = others.find((m) => m.name === '__name__');
      if (dup) {
        this.fail(`metric name must not be set twice: "${vs.name}" or "${dup.value}"`, vs);
      }
      return;
    }
    if (!vs.matchers.some((m) => !compileMatcher(m)(''))) {
      this.fail('vector selector must contain at least one non-empty matcher', vs);
    }
  }
}
