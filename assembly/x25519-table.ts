/**
 * The fixed-base table of x25519PublicKey (RFC 7748 §5 via the Edwards form of RFC 7748 §4.1 / RFC 8032 §5.1),
 * computed inside the module the first time a public key is made instead of being embedded: 24,576 bytes of
 * incompressible data would otherwise be most of every bundle that imports X25519 (issue 10 item 3).
 *
 * BASE_TABLE row j, entry k (j < 32, k < 8) = (k + 1) 256^j B in ref10's "niels" form (y + x, y - x, 2dxy),
 * each coordinate the canonical 32-byte little-endian encoding (the layout of ref10's ge25519 base tables).
 * Per row: 7 additions give 2B_j .. 8B_j from B_j = 256^j B, 5 doublings of 8B_j give B_(j+1); the row's
 * 8 points go affine with one inversion (Montgomery's trick: 21 multiplications instead of 7 inversions).
 * Points are extended coordinates (X : Y : Z : T) on -x^2 + y^2 = 1 + d x^2 y^2, Hisil-Wong-Carter-Dawson 2008
 * formulas (complete on edwards25519), in the 10-limb integer representation of field25519-int.ts (FE1); every sum
 * and difference is carried, so every multiplication input is within ref10's bounds.
 *
 * Only public data is processed here (the base point and its multiples), so the constant-time rule has no
 * secret to protect; the code is branch-free anyway, with loop bounds that are constants.
 */
import { FE1_BYTES, fe1CarryStore, fe1FromBytes, fe1Invert, fe1Mul, fe1Sq, fe1ToBytes } from './field25519-int';
import { BASE_X, BASE_Y, EDWARDS_2D } from './x25519-table.generated';

/** Table geometry: 32 rows of 8 entries of 3 coordinates of 32 bytes. */
export const TABLE_ROWS: i32 = 32;
export const ENTRY_BYTES: usize = 96;
export const ROW_BYTES: usize = 8 * ENTRY_BYTES;
/** Bytes in the table (32 rows x 8 entries x 96). */
const TABLE_BYTES: i32 = 32 * 8 * 96;
/** The table (zero until built). */
export const BASE_TABLE: usize = memory.data(TABLE_BYTES, 16);

/** Set once BASE_TABLE is built (public state: whether a public key was ever made). */
let tableBuilt: bool = false;

const FE: usize = FE1_BYTES;
/** Scratch: the running point P, the row base Q in cached form (Y - X, Y + X, 2dT, 2Z), 2d, temporaries. */
const SCRATCH_FES: usize = 4 + 4 + 1 + 8;
/** The row's 8 points (X, Y, Z each) and the prefix products of their Z. */
const ROW_FES: usize = 8 * 3 + 8;
const SCRATCH: usize = memory.data(<i32>((SCRATCH_FES + ROW_FES) * FE), 16);
const PX: usize = SCRATCH, PY: usize = SCRATCH + FE, PZ: usize = SCRATCH + 2 * FE, PT: usize = SCRATCH + 3 * FE;
const QYMX: usize = SCRATCH + 4 * FE, QYPX: usize = SCRATCH + 5 * FE, QT2D: usize = SCRATCH + 6 * FE, QZ2: usize = SCRATCH + 7 * FE;
const D2: usize = SCRATCH + 8 * FE;
const TA: usize = SCRATCH + 9 * FE, TB: usize = SCRATCH + 10 * FE, TC: usize = SCRATCH + 11 * FE, TD: usize = SCRATCH + 12 * FE;
const TE: usize = SCRATCH + 13 * FE, TF: usize = SCRATCH + 14 * FE, TG: usize = SCRATCH + 15 * FE, TH: usize = SCRATCH + 16 * FE;
const ROW: usize = SCRATCH + SCRATCH_FES * FE;
const PREFIX: usize = ROW + 24 * FE;

/** o = f + g, carried. */
function fe1Add(o: usize, f: usize, g: usize): void {
  fe1CarryStore(o,
    load<i64>(f, 0) + load<i64>(g, 0), load<i64>(f, 8) + load<i64>(g, 8), load<i64>(f, 16) + load<i64>(g, 16),
    load<i64>(f, 24) + load<i64>(g, 24), load<i64>(f, 32) + load<i64>(g, 32), load<i64>(f, 40) + load<i64>(g, 40),
    load<i64>(f, 48) + load<i64>(g, 48), load<i64>(f, 56) + load<i64>(g, 56), load<i64>(f, 64) + load<i64>(g, 64),
    load<i64>(f, 72) + load<i64>(g, 72));
}

/** o = f - g, carried. */
function fe1Sub(o: usize, f: usize, g: usize): void {
  fe1CarryStore(o,
    load<i64>(f, 0) - load<i64>(g, 0), load<i64>(f, 8) - load<i64>(g, 8), load<i64>(f, 16) - load<i64>(g, 16),
    load<i64>(f, 24) - load<i64>(g, 24), load<i64>(f, 32) - load<i64>(g, 32), load<i64>(f, 40) - load<i64>(g, 40),
    load<i64>(f, 48) - load<i64>(g, 48), load<i64>(f, 56) - load<i64>(g, 56), load<i64>(f, 64) - load<i64>(g, 64),
    load<i64>(f, 72) - load<i64>(g, 72));
}

/** Q = P in cached form: (Y - X, Y + X, 2d T, 2 Z). */
function cacheP(): void {
  fe1Sub(QYMX, PY, PX);
  fe1Add(QYPX, PY, PX);
  fe1Mul(QT2D, PT, D2);
  fe1Add(QZ2, PZ, PZ);
}

/**
 * P = P + Q, "add-2008-hwcd-3" (a = -1, k = 2d): A = (Y1 - X1)(Y2 - X2), B = (Y1 + X1)(Y2 + X2), C = T1 2d T2,
 * D = Z1 2 Z2, E = B - A, F = D - C, G = D + C, H = B + A; X3 = E F, Y3 = G H, T3 = E H, Z3 = F G.
 */
function addQ(): void {
  fe1Sub(TA, PY, PX); fe1Mul(TA, TA, QYMX);
  fe1Add(TB, PY, PX); fe1Mul(TB, TB, QYPX);
  fe1Mul(TC, PT, QT2D);
  fe1Mul(TD, PZ, QZ2);
  fe1Sub(TE, TB, TA); fe1Sub(TF, TD, TC); fe1Add(TG, TD, TC); fe1Add(TH, TB, TA);
  fe1Mul(PX, TE, TF); fe1Mul(PY, TG, TH); fe1Mul(PT, TE, TH); fe1Mul(PZ, TF, TG);
}

/**
 * P = 2P, "dbl-2008-hwcd" (a = -1): A = X^2, B = Y^2, C = 2 Z^2, E = (X + Y)^2 - A - B, G = B - A, F = G - C,
 * H = -A - B; X3 = E F, Y3 = G H, T3 = E H, Z3 = F G.
 */
function doubleP(): void {
  fe1Sq(TA, PX); fe1Sq(TB, PY); fe1Sq(TC, PZ); fe1Add(TC, TC, TC);
  fe1Add(TE, PX, PY); fe1Sq(TE, TE); fe1Sub(TE, TE, TA); fe1Sub(TE, TE, TB);
  fe1Sub(TG, TB, TA); fe1Sub(TF, TG, TC);
  fe1Add(TH, TA, TB); fe1Sub(TH, TD, TH); // TD is zero here (see buildBaseTable): H = 0 - (A + B)
  fe1Mul(PX, TE, TF); fe1Mul(PY, TG, TH); fe1Mul(PT, TE, TH); fe1Mul(PZ, TF, TG);
}

/** Row entry `k` (X, Y, Z) = P. */
function keepP(k: usize): void {
  const at = ROW + k * 3 * FE;
  memory.copy(at, PX, FE);
  memory.copy(at + FE, PY, FE);
  memory.copy(at + 2 * FE, PZ, FE);
}

/** Row j of BASE_TABLE from the 8 projective points in ROW: one inversion for all 8 (Montgomery's trick). */
function writeRow(j: usize): void {
  memory.copy(PREFIX, ROW + 2 * FE, FE);
  for (let k: usize = 1; k < 8; k++) fe1Mul(PREFIX + k * FE, PREFIX + (k - 1) * FE, ROW + (k * 3 + 2) * FE);
  fe1Invert(TA, PREFIX + 7 * FE); // 1 / (Z_0 ... Z_7)
  for (let k: isize = 7; k >= 0; k--) {
    const at = ROW + <usize>k * 3 * FE;
    // TB = 1 / Z_k = (1 / (Z_0 ... Z_k)) (Z_0 ... Z_(k-1)); then TA = 1 / (Z_0 ... Z_(k-1)).
    if (k > 0) {
      fe1Mul(TB, TA, PREFIX + <usize>(k - 1) * FE);
      fe1Mul(TA, TA, at + 2 * FE);
    } else {
      memory.copy(TB, TA, FE);
    }
    fe1Mul(TC, at, TB);      // x
    fe1Mul(TD, at + FE, TB); // y
    const entry = BASE_TABLE + j * ROW_BYTES + <usize>k * ENTRY_BYTES;
    fe1Add(TE, TD, TC); fe1ToBytes(entry, TE);      // y + x
    fe1Sub(TE, TD, TC); fe1ToBytes(entry + 32, TE); // y - x
    fe1Mul(TE, TC, TD); fe1Mul(TE, TE, D2); fe1ToBytes(entry + 64, TE); // 2dxy
  }
}

/** Build BASE_TABLE on first use; later calls return at once. */
export function ensureBaseTable(): void {
  if (tableBuilt) return; // public: whether the table exists
  memory.fill(SCRATCH, 0, <i32>((SCRATCH_FES + ROW_FES) * FE));
  fe1FromBytes(D2, EDWARDS_2D);
  // P = B = (x, y, 1, x y).
  fe1FromBytes(PX, BASE_X);
  fe1FromBytes(PY, BASE_Y);
  store<i64>(PZ, 1);
  fe1Mul(PT, PX, PY);
  for (let j: usize = 0; j < <usize>TABLE_ROWS; j++) {
    cacheP(); // Q = B_j
    keepP(0);
    for (let k: usize = 1; k < 8; k++) {
      addQ();
      keepP(k);
    }
    memory.fill(TD, 0, <i32>FE); // doubleP reads TD as zero
    for (let i = 0; i < 5; i++) doubleP(); // B_(j+1) = 32 (8 B_j)
    writeRow(j);
  }
  memory.fill(SCRATCH, 0, <i32>((SCRATCH_FES + ROW_FES) * FE));
  tableBuilt = true;
}
