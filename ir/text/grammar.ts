/**
 * The .snnir grammar (chevrotain; grammar only, semantics in parse.ts).
 *
 *   file      := 'snnir' NUMBER graph constDecl*
 *   graph     := 'graph' GLOBAL (IDENT '=' value)* '{' item* '}'
 *   item      := 'meta' STRING '=' STRING
 *              | VALUE '=' IDENT '(' [operand (',' operand)*] ')' [attrs] ':' type ['loc' '(' STRING ')']
 *              | 'output' VALUE (',' VALUE)*
 *   operand   := VALUE | GLOBAL
 *   attrs     := '{' [IDENT '=' value (',' IDENT '=' value)*] '}'
 *   value     := number | STRING | 'true' | 'false' | GLOBAL | '[' [value (',' value)*] ']'
 *   number    := ['-'] (NUMBER | 'inf' | 'nan')
 *   type      := IDENT '[' [dim (',' dim)*] ']'          dim := NUMBER | 'N'
 *   constDecl := 'const' GLOBAL ':' type '=' (HEX | 'bin' '(' NUMBER ')' | '[' numbers ']')
 *
 * Comments run from `//` to the end of the line.
 */
import { createToken, CstParser, Lexer, type TokenType } from 'chevrotain';

export const Identifier = createToken({ name: 'Identifier', pattern: /[A-Za-z_][A-Za-z0-9_-]*/ });
const keyword = (name: string, word: string): TokenType => createToken({ name, pattern: new RegExp(word), longer_alt: Identifier });

export const Snnir = keyword('Snnir', 'snnir');
export const GraphKw = keyword('GraphKw', 'graph');
export const ConstKw = keyword('ConstKw', 'const');
export const OutputKw = keyword('OutputKw', 'output');
export const MetaKw = keyword('MetaKw', 'meta');
export const LocKw = keyword('LocKw', 'loc');
export const BinKw = keyword('BinKw', 'bin');
export const TrueKw = keyword('TrueKw', 'true');
export const FalseKw = keyword('FalseKw', 'false');
export const Hex = createToken({ name: 'Hex', pattern: /hex"[0-9a-fA-F]*"/ });
export const ValueId = createToken({ name: 'ValueId', pattern: /%[A-Za-z_][A-Za-z0-9_.]*/ });
export const GlobalId = createToken({ name: 'GlobalId', pattern: /@[A-Za-z_][A-Za-z0-9_.]*/ });
export const StringLit = createToken({ name: 'StringLit', pattern: /"(?:[^"\\\n]|\\.)*"/ });
export const NumberLit = createToken({ name: 'NumberLit', pattern: /-?[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?/ });
export const Minus = createToken({ name: 'Minus', pattern: /-/ });
export const Equals = createToken({ name: 'Equals', pattern: /=/ });
export const Comma = createToken({ name: 'Comma', pattern: /,/ });
export const Colon = createToken({ name: 'Colon', pattern: /:/ });
export const LParen = createToken({ name: 'LParen', pattern: /\(/ });
export const RParen = createToken({ name: 'RParen', pattern: /\)/ });
export const LCurly = createToken({ name: 'LCurly', pattern: /\{/ });
export const RCurly = createToken({ name: 'RCurly', pattern: /\}/ });
export const LSquare = createToken({ name: 'LSquare', pattern: /\[/ });
export const RSquare = createToken({ name: 'RSquare', pattern: /\]/ });
const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\n]+/, group: Lexer.SKIPPED });
const Comment = createToken({ name: 'Comment', pattern: /\/\/[^\n]*/, group: Lexer.SKIPPED });

export const ALL_TOKENS: TokenType[] = [
  WhiteSpace,
  Comment,
  Hex,
  Snnir,
  GraphKw,
  ConstKw,
  OutputKw,
  MetaKw,
  LocKw,
  BinKw,
  TrueKw,
  FalseKw,
  Identifier,
  ValueId,
  GlobalId,
  StringLit,
  NumberLit,
  Minus,
  Equals,
  Comma,
  Colon,
  LParen,
  RParen,
  LCurly,
  RCurly,
  LSquare,
  RSquare,
];

export const snnirLexer = new Lexer(ALL_TOKENS, { positionTracking: 'full', ensureOptimizations: false });

export class SnnirParser extends CstParser {
  constructor() {
    super(ALL_TOKENS, { maxLookahead: 2 });
    this.performSelfAnalysis();
  }

  file = this.RULE('file', () => {
    this.CONSUME(Snnir);
    this.CONSUME(NumberLit, { LABEL: 'version' });
    this.SUBRULE(this.graph);
    this.MANY(() => this.SUBRULE(this.constDecl));
  });

  graph = this.RULE('graph', () => {
    this.CONSUME(GraphKw);
    this.CONSUME(GlobalId, { LABEL: 'name' });
    this.MANY(() => this.SUBRULE(this.headerAttr));
    this.CONSUME(LCurly);
    this.MANY2(() => this.SUBRULE(this.item));
    this.CONSUME(RCurly);
  });

  headerAttr = this.RULE('headerAttr', () => {
    this.CONSUME(Identifier, { LABEL: 'key' });
    this.CONSUME(Equals);
    this.SUBRULE(this.value);
  });

  item = this.RULE('item', () => {
    this.OR([{ ALT: () => this.SUBRULE(this.metaItem) }, { ALT: () => this.SUBRULE(this.nodeItem) }, { ALT: () => this.SUBRULE(this.outputItem) }]);
  });

  metaItem = this.RULE('metaItem', () => {
    this.CONSUME(MetaKw);
    this.CONSUME(StringLit, { LABEL: 'key' });
    this.CONSUME(Equals);
    this.CONSUME2(StringLit, { LABEL: 'val' });
  });

  nodeItem = this.RULE('nodeItem', () => {
    this.CONSUME(ValueId, { LABEL: 'result' });
    this.CONSUME(Equals);
    this.CONSUME(Identifier, { LABEL: 'op' });
    this.CONSUME(LParen);
    this.MANY_SEP({ SEP: Comma, DEF: () => this.SUBRULE(this.operand) });
    this.CONSUME(RParen);
    this.OPTION(() => this.SUBRULE(this.attrDict));
    this.CONSUME(Colon);
    this.SUBRULE(this.type);
    this.OPTION2(() => {
      this.CONSUME(LocKw);
      this.CONSUME2(LParen);
      this.CONSUME(StringLit, { LABEL: 'loc' });
      this.CONSUME2(RParen);
    });
  });

  operand = this.RULE('operand', () => {
    this.OR([{ ALT: () => this.CONSUME(ValueId) }, { ALT: () => this.CONSUME(GlobalId) }]);
  });

  outputItem = this.RULE('outputItem', () => {
    this.CONSUME(OutputKw);
    this.AT_LEAST_ONE_SEP({ SEP: Comma, DEF: () => this.CONSUME(ValueId) });
  });

  attrDict = this.RULE('attrDict', () => {
    this.CONSUME(LCurly);
    this.MANY_SEP({ SEP: Comma, DEF: () => this.SUBRULE(this.attr) });
    this.CONSUME(RCurly);
  });

  attr = this.RULE('attr', () => {
    this.CONSUME(Identifier, { LABEL: 'key' });
    this.CONSUME(Equals);
    this.SUBRULE(this.value);
  });

  value = this.RULE('value', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.number) },
      { ALT: () => this.CONSUME(StringLit) },
      { ALT: () => this.CONSUME(TrueKw) },
      { ALT: () => this.CONSUME(FalseKw) },
      { ALT: () => this.CONSUME(GlobalId) },
      { ALT: () => this.SUBRULE(this.list) },
    ]);
  });

  number = this.RULE('number', () => {
    this.OPTION(() => this.CONSUME(Minus));
    this.OR([{ ALT: () => this.CONSUME(NumberLit) }, { ALT: () => this.CONSUME(Identifier) }]);
  });

  list = this.RULE('list', () => {
    this.CONSUME(LSquare);
    this.MANY_SEP({ SEP: Comma, DEF: () => this.SUBRULE(this.value) });
    this.CONSUME(RSquare);
  });

  type = this.RULE('type', () => {
    this.CONSUME(Identifier, { LABEL: 'dtype' });
    this.CONSUME(LSquare);
    this.MANY_SEP({ SEP: Comma, DEF: () => this.OR([{ ALT: () => this.CONSUME(NumberLit) }, { ALT: () => this.CONSUME2(Identifier) }]) });
    this.CONSUME(RSquare);
  });

  constDecl = this.RULE('constDecl', () => {
    this.CONSUME(ConstKw);
    this.CONSUME(GlobalId, { LABEL: 'name' });
    this.CONSUME(Colon);
    this.SUBRULE(this.type);
    this.CONSUME(Equals);
    this.OR([
      { ALT: () => this.CONSUME(Hex) },
      {
        ALT: () => {
          this.CONSUME(BinKw);
          this.CONSUME(LParen);
          this.CONSUME(NumberLit, { LABEL: 'offset' });
          this.CONSUME(RParen);
        },
      },
      { ALT: () => this.SUBRULE(this.list) },
    ]);
  });
}

export const snnirParser = new SnnirParser();
