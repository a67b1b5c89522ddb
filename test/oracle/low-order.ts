/**
 * The 7 small-order X25519 u-coordinates (little-endian), facts from the libsodium blocklist
 * (has_small_order) and cr.yp.to/ecdh.html#validate; each also with bit 255 set (RFC 7748 §5
 * masks it), 14 encodings in all. X25519 with any scalar on them yields all zeros (RFC 7748 §6.1).
 */
const POINTS = [
  '0000000000000000000000000000000000000000000000000000000000000000', // 0
  '0100000000000000000000000000000000000000000000000000000000000000', // 1
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800', // order 8
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157', // order 8
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // p - 1
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // p
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // p + 1
];

export const LOW_ORDER_POINTS: Uint8Array[] = POINTS.flatMap((hexText) => {
  const u = new Uint8Array(Buffer.from(hexText, 'hex'));
  const high = u.slice();
  high[31]! |= 0x80;
  return [u, high];
});
