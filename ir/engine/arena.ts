/**
 * The engine's memory: one WebAssembly memory per engine holds every buffer, weight and table,
 * as typed-array views, so that JavaScript and the WebAssembly kernels share them without
 * copies. The memory never grows (growing would detach the views): a counting pass sizes it.
 */
export class Arena {
  private offset = 0;

  /**
   * `memory` undefined: ordinary arrays, and the bytes they would take (a counting pass).
   * `counting`: the arrays are thrown away after the count, so callers may leave them unfilled.
   */
  constructor(
    readonly memory?: WebAssembly.Memory,
    readonly counting = false,
  ) {}

  /** An arena for a counting pass whose arrays are thrown away. */
  static sizingPass(): Arena {
    return new Arena(undefined, true);
  }

  private take(bytes: number): number {
    const at = this.offset;
    this.offset += Math.ceil(bytes / 16) * 16;
    return at;
  }

  f64(n: number): Float64Array {
    const at = this.take(n * 8);
    return this.memory ? new Float64Array(this.memory.buffer, at, n) : new Float64Array(n);
  }

  f32(n: number): Float32Array {
    const at = this.take(n * 4);
    return this.memory ? new Float32Array(this.memory.buffer, at, n) : new Float32Array(n);
  }

  i32(n: number): Int32Array {
    const at = this.take(n * 4);
    return this.memory ? new Int32Array(this.memory.buffer, at, n) : new Int32Array(n);
  }

  u8(n: number): Uint8Array {
    const at = this.take(n);
    return this.memory ? new Uint8Array(this.memory.buffer, at, n) : new Uint8Array(n);
  }

  get bytes(): number {
    return this.offset;
  }

  /** A memory large enough for what a counting arena handed out. */
  static memoryFor(counted: Arena): WebAssembly.Memory {
    return new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(counted.bytes / 65536)) });
  }
}
