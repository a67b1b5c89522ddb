/**
 * Per-source accounting for the server's pre-authentication limits: connections from one place
 * share one budget. "One place" is an IPv4 address, or an IPv6 /64 (one customer network; RFC
 * 4291 §2.5.4: hosts pick their own interface ids, so a single attacker holds a whole /64).
 */

/** The budget key of a remote address: the IPv4 address, or the first four hextets of an IPv6 one. */
export function addressKey(address: string | undefined): string {
  if (address === undefined || address === '') return 'unknown';
  const zone = address.indexOf('%');
  const plain = zone >= 0 ? address.slice(0, zone) : address;
  if (!plain.includes(':')) return plain;
  // IPv4-mapped IPv6 (::ffff:a.b.c.d), as dual-stack listeners report IPv4 peers.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(plain);
  if (mapped) return mapped[1]!;
  // '::' stands for the zero hextets that make eight; without it nothing is missing (a
  // well-formed address then has eight already). An empty part after '::' is past the /64.
  const [head, tail] = plain.split('::', 2) as [string, string?];
  const left = head === '' ? [] : head.split(':');
  const right = tail ? tail.split(':') : [];
  // Each hextet is at most 4 hex digits; a trailing dotted IPv4 part counts as two hextets.
  const width = (parts: string[]) => parts.reduce((n, p) => n + (p.includes('.') ? 2 : 1), 0);
  const hextets = [...left, ...Array<string>(Math.max(0, 8 - width(left) - width(right))).fill('0'), ...right];
  return `${hextets
    .slice(0, 4)
    .map((h) => (h.includes('.') ? h : h.toLowerCase().replace(/^0+(?=.)/, '')))
    .join(':')}::/64`;
}

/** Counts of open things per address key, with a cap per key and a cap in all. */
export class AddressBudget {
  readonly #perKey: number;
  readonly #total: number;
  readonly #counts = new Map<string, number>();
  #size = 0;

  constructor(total: number, perKey: number) {
    this.#total = total;
    this.#perKey = perKey;
  }

  get size(): number {
    return this.#size;
  }

  /** Take one unit for `key`; false (nothing taken) when either cap is reached. */
  take(key: string): boolean {
    const count = this.#counts.get(key) ?? 0;
    if (this.#size >= this.#total || count >= this.#perKey) return false;
    this.#counts.set(key, count + 1);
    this.#size++;
    return true;
  }

  /** Give back a unit taken for `key`. */
  release(key: string): void {
    const count = this.#counts.get(key);
    if (count === undefined) return;
    if (count <= 1) this.#counts.delete(key);
    else this.#counts.set(key, count - 1);
    this.#size--;
  }
}
