/**
 * The memory a Wasm module imports or defines, read from and written into its binary (the
 * format's import section, 2, and memory section, 5): OPA's policy modules import `env.memory`
 * and their data (every string of the policy) must fit in it; OPA's compiler, a Go program,
 * defines its own, which policyc caps.
 */

/** A cursor over a module's bytes, reading the unsigned LEB128 integers sizes and limits are written in. */
class Reader {
  pos = 8; // after the magic number and the version
  readonly bytes: Uint8Array;
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.bytes[this.pos++]!;
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result >>> 0;
      shift += 7;
    }
  }
  /** Skips a name (its length, then its bytes). */
  skipName(): void {
    const n = this.u32();
    this.pos += n;
  }
  byte(): number {
    return this.bytes[this.pos++]!;
  }
  /** Each section: its id, where its content starts and ends. */
  *sections(): Generator<{ id: number; start: number; content: number; end: number }> {
    while (this.pos < this.bytes.length) {
      const start = this.pos;
      const id = this.byte();
      const size = this.u32();
      const content = this.pos;
      yield { id, start, content, end: content + size };
      this.pos = content + size;
    }
  }
}

/** The initial size, in 64 KiB pages, the module declares for the memory it imports. */
export function importedMemoryPages(bytes: Uint8Array): number | undefined {
  const r = new Reader(bytes);
  for (const section of r.sections()) {
    if (section.id !== 2) continue;
    const count = r.u32();
    for (let i = 0; i < count; i++) {
      r.skipName(); // module
      r.skipName(); // field
      const kind = r.byte();
      if (kind === 0) r.u32();
      else if (kind === 1) {
        r.byte(); // reference type
        const flags = r.byte();
        r.u32(); // minimum
        if (flags & 1) r.u32(); // maximum
      } else if (kind === 2) {
        r.byte(); // flags
        return r.u32(); // minimum
      } else r.pos += 2; // global: value type, mutability
    }
    return undefined;
  }
  return undefined;
}

/** An unsigned LEB128 integer. */
function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/**
 * The module with a maximum on the memory it defines (its memory section), so a Go program
 * compiled to Wasm that would grow without end (OPA's compiler on a huge module) fails with
 * "out of memory" at `maxPages` instead of taking 4 GiB of the machine. A module whose memory
 * already has a maximum, or that defines none, is returned unchanged.
 */
export function withMemoryMaximum(bytes: Uint8Array, maxPages: number): Uint8Array {
  const r = new Reader(bytes);
  for (const section of r.sections()) {
    if (section.id !== 5) continue;
    const count = r.u32();
    const flags = r.byte();
    const min = r.u32();
    if (count !== 1 || flags !== 0 || r.pos !== section.end) return bytes;
    const content = [...leb(1), 1, ...leb(min), ...leb(Math.max(min, maxPages))];
    const replaced = [5, ...leb(content.length), ...content];
    const out = new Uint8Array(bytes.length - (section.end - section.start) + replaced.length);
    out.set(bytes.subarray(0, section.start), 0);
    out.set(replaced, section.start);
    out.set(bytes.subarray(section.end), section.start + replaced.length);
    return out;
  }
  return bytes;
}
