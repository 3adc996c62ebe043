// fs/inode-set.ts — a set of (dev, ino) pairs, for counting each hard-linked inode once.
//
// An open-addressing table over two Float64Arrays with linear probing. A Map<dev, Set<ino>> costs a hash
// of boxed numbers and a bucket allocation per add; du merges a few hundred thousand multi-link inodes per
// run, where that was most of the merge's time. Numbers are integers below 2^53 (what the scanners hand
// over as doubles).

const minCapacity = 1024;

export class InodeSet {
  /** dev, ino per slot; an empty slot's dev is NaN (no real dev is). */
  private keys: Float64Array;
  private mask: number;
  private count = 0;

  /** `expected`: how many pairs will be added, so the table need not grow. */
  constructor(expected = 0) {
    let cap = minCapacity;
    while (cap < expected * 2) cap *= 2;
    this.keys = new Float64Array(cap * 2).fill(Number.NaN);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.count;
  }

  /** Adds the pair; true when it was not there before. */
  add(dev: number, ino: number): boolean {
    if ((this.count + 1) * 2 > this.mask + 1) this.grow();
    const keys = this.keys;
    const mask = this.mask;
    for (let i = slot(dev, ino) & mask; ; i = (i + 1) & mask) {
      const d = keys[2 * i] as number;
      if (Number.isNaN(d)) {
        keys[2 * i] = dev;
        keys[2 * i + 1] = ino;
        this.count++;
        return true;
      }
      if (d === dev && keys[2 * i + 1] === ino) return false;
    }
  }

  private grow(): void {
    const old = this.keys;
    this.keys = new Float64Array(old.length * 2).fill(Number.NaN);
    this.mask = old.length - 1;
    this.count = 0;
    for (let i = 0; i < old.length; i += 2) {
      const d = old[i] as number;
      if (!Number.isNaN(d)) this.add(d, old[i + 1] as number);
    }
  }
}

/** A 32-bit hash of the pair (low and high words of ino, and dev, multiplied apart). */
function slot(dev: number, ino: number): number {
  const lo = ino >>> 0;
  const hi = (ino - lo) / 4294967296;
  let h =
    Math.imul(lo, 0x9e3779b1) ^ Math.imul(hi + 0x7f4a7c15, 0x85ebca77) ^ Math.imul(dev >>> 0, 0xc2b2ae3d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h >>> 0;
}
