/** Lines of C with indentation, tables of numbers, and output as text or as UTF-8 a block at a time. */
export class CWriter {
  private readonly lines: string[] = [];
  private depth = 0;
  line(text = ''): this {
    this.lines.push(text ? `${'    '.repeat(this.depth)}${text}` : '');
    return this;
  }
  open(text: string): this {
    this.line(`${text} {`);
    this.depth++;
    return this;
  }
  close(text = '}'): this {
    this.depth--;
    return this.line(text);
  }
  /** `decl = { values };` with 24 values per line (an empty table holds one 0). */
  array(decl: string, values: ArrayLike<number>, perLine = 24): this {
    if (!values.length) return this.line(`${decl} = { 0 };`);
    this.line(`${decl} = {`);
    for (let i = 0; i < values.length; i += perLine) {
      const end = Math.min(values.length, i + perLine);
      const row: string[] = [];
      for (let k = i; k < end; k++) row.push(String(values[k]));
      this.lines.push(`    ${row.join(', ')}${end < values.length ? ',' : ''}`);
    }
    this.lines.push('};');
    return this;
  }
  /** Another writer's lines, then an empty line. */
  append(w: CWriter): this {
    for (const l of w.lines) this.lines.push(l);
    this.lines.push('');
    return this;
  }
  toString(): string {
    return `${this.lines.join('\n')}\n`;
  }
  /** The text as UTF-8, encoded a block of lines at a time (never one string of the whole). */
  toBytes(): Uint8Array {
    const enc = new TextEncoder();
    const parts: Uint8Array[] = [];
    for (let i = 0; i < this.lines.length; i += 4096) parts.push(enc.encode(`${this.lines.slice(i, i + 4096).join('\n')}\n`));
    const out = new Uint8Array(parts.reduce((a, q) => a + q.length, 0));
    let at = 0;
    for (const q of parts) {
      out.set(q, at);
      at += q.length;
    }
    return out;
  }
}
