/**
 * The initial size, in 64 KiB pages, a Wasm module declares for the memory it imports: OPA's
 * modules import `env.memory`, and their data (every string of the policy) must fit in it.
 * Read from the module's import section (the binary format's section 2), so instantiation asks
 * for exactly what the module needs rather than a fixed guess.
 */
export function importedMemoryPages(bytes: Uint8Array): number | undefined {
  let pos = 8; // magic and version
  const u32 = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = bytes[pos++]!;
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result >>> 0;
      shift += 7;
    }
  };
  const skipName = () => {
    const n = u32();
    pos += n;
  };
  const limits = (): number => {
    const flags = bytes[pos++]!;
    const min = u32();
    if (flags & 1) u32();
    return min;
  };
  while (pos < bytes.length) {
    const id = bytes[pos++]!;
    const size = u32();
    const end = pos + size;
    if (id === 2) {
      const count = u32();
      for (let i = 0; i < count; i++) {
        skipName();
        skipName();
        const kind = bytes[pos++]!;
        if (kind === 0) u32();
        else if (kind === 1) {
          pos++; // reference type
          limits();
        } else if (kind === 2) return limits();
        else pos += 2; // global: value type, mutability
      }
      return undefined;
    }
    pos = end;
  }
  return undefined;
}

/** An unsigned LEB128 integer, as the Wasm binary format writes sizes and limits. */
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
  let pos = 8;
  const u32 = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = bytes[pos++]!;
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result >>> 0;
      shift += 7;
    }
  };
  while (pos < bytes.length) {
    const start = pos;
    const id = bytes[pos++]!;
    const size = u32();
    const end = pos + size;
    if (id === 5) {
      const count = u32();
      const flags = bytes[pos++]!;
      const min = u32();
      if (count !== 1 || flags !== 0 || pos !== end) return bytes;
      const content = [...leb(1), 1, ...leb(min), ...leb(Math.max(min, maxPages))];
      const section = [5, ...leb(content.length), ...content];
      const out = new Uint8Array(bytes.length - (end - start) + section.length);
      out.set(bytes.subarray(0, start), 0);
      out.set(section, start);
      out.set(bytes.subarray(end), start + section.length);
      return out;
    }
    pos = end;
  }
  return bytes;
}
