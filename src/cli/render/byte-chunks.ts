// cli/render/byte-chunks.ts — a big table's text laid out straight into Buffers, cell by cell, for the output
// (the same bytes its string would give as UTF-8).
//
// A table of 10^5 rows made as strings is a rope of small cells, blanks and gaps; writing it makes V8 flatten
// the rope and encode it, ~1 s per 100 MB (doctor on a bad image prints ~124 MB), more than laying it out.
// Written here, a plain cell (printable ASCII) is one latin1 copy and a gap is a fill: no string a line.

/** Buffer's own latin1 copy (Buffer.prototype.write's fast path, without its argument checks per cell), where
 * this Node has it. */
type Latin1Writer = Buffer & { latin1Write?: (s: string, offset: number, length: number) => number };

/** Bytes of text, in Buffers handed out by take(). */
export class ByteChunks {
  #buf: Buffer;
  #off = 0;
  /** Where the line being written began (trimLine). */
  #line = 0;

  constructor(size = 1 << 19) {
    this.#buf = Buffer.allocUnsafe(size);
  }

  /** Bytes written and not yet taken. */
  get length(): number {
    return this.#off;
  }

  #room(n: number): void {
    if (this.#off + n <= this.#buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#off + n));
    this.#buf.copy(grown, 0, 0, this.#off);
    this.#buf = grown;
  }

  /** `s` as UTF-8; `plain`: it is printable ASCII (one byte a character, copied as latin1). */
  text(s: string, plain = false): void {
    if (plain) {
      this.#room(s.length);
      const buf = this.#buf as Latin1Writer;
      this.#off +=
        buf.latin1Write !== undefined
          ? buf.latin1Write(s, this.#off, s.length)
          : buf.write(s, this.#off, s.length, "latin1");
    } else {
      this.#room(s.length * 3);
      this.#off += this.#buf.write(s, this.#off, this.#buf.length - this.#off, "utf8");
    }
  }

  /** `n` blanks (none when n <= 0). */
  blanks(n: number): void {
    if (n <= 0) return;
    this.#room(n);
    this.#buf.fill(0x20, this.#off, this.#off + n);
    this.#off += n;
  }

  /** Ends the line as it is (its text has no trailing whitespace to trim). */
  newline(): void {
    this.#room(1);
    this.#buf[this.#off++] = 0x0a;
    this.#line = this.#off;
  }

  /** Ends the line: trailing whitespace trimmed as String.prototype.trimEnd trims it, then "\n". */
  endLine(): void {
    const end = this.#off > this.#line ? (this.#buf[this.#off - 1] as number) : 0x0a;
    // a line that ends in a printable ASCII character has nothing to trim (the usual case: no decoding)
    if (!(end > 0x20 && end < 0x7f) && this.#off > this.#line) {
      const line = this.#buf.toString("utf8", this.#line, this.#off).trimEnd();
      this.#off = this.#line;
      this.text(line);
    }
    this.#room(1);
    this.#buf[this.#off++] = 0x0a;
    this.#line = this.#off;
  }

  /** The bytes written since the last take, as a Buffer of their own (the next ones go to a new one). */
  take(): Buffer {
    const out = this.#buf.subarray(0, this.#off);
    this.#buf = Buffer.allocUnsafe(Math.max(this.#buf.length, 1 << 12));
    this.#off = 0;
    this.#line = 0;
    return out;
  }
}
