/**
 * RFC 8439 test vectors, typed in from the RFC text (byte listings pasted as printed, without their
 * ASCII columns), each block citing its section: §2.3.2, §2.4.2, §2.5.2, §2.6.2, §2.8.2 and
 * Appendix A.1-A.5. Raw ChaCha20 and Poly1305 are reached through the test-only entry points.
 */
import { describe, expect, it } from 'vitest';
import { chacha20poly1305 } from '../bindings/crypto.js';
import { chacha20ForTestingOnly, poly1305ForTestingOnly } from '../bindings/core/chacha20poly1305.js';
import { bytes, dump } from './helpers/rfc-dump.js';
import { hex } from './helpers/vectors.js';

const zeros = (n: number) => new Uint8Array(n);
const KEY_00_1F = bytes('00:01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f:10:11:12:13:14:15:16:17:18:19:1a:1b:1c:1d:1e:1f');
const KEY_80_9F = dump(`
  000  80 81 82 83 84 85 86 87 88 89 8a 8b 8c 8d 8e 8f
  016  90 91 92 93 94 95 96 97 98 99 9a 9b 9c 9d 9e 9f`);
/** Appendix A key ending in 01. */
const KEY_01 = dump(`
  000  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
  016  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01`);
/** Appendix A.2 #3, A.3 #4, A.4 #3, A.5 key. */
const KEY_1C92 = dump(`
  000  1c 92 40 a5 eb 55 d3 8a f3 33 88 86 04 f6 b5 f0
  016  47 39 17 c1 40 2b 80 09 9d ca 5c bc 20 70 75 c0`);
const NONCE_02 = dump(`
  000  00 00 00 00 00 00 00 00 00 00 00 02`);

/** "Ladies and Gentlemen of the class of '99..." (§2.4.2, §2.8.2), 114 bytes. */
const SUNSCREEN = dump(`
  000  4c 61 64 69 65 73 20 61 6e 64 20 47 65 6e 74 6c
  016  65 6d 65 6e 20 6f 66 20 74 68 65 20 63 6c 61 73
  032  73 20 6f 66 20 27 39 39 3a 20 49 66 20 49 20 63
  048  6f 75 6c 64 20 6f 66 66 65 72 20 79 6f 75 20 6f
  064  6e 6c 79 20 6f 6e 65 20 74 69 70 20 66 6f 72 20
  080  74 68 65 20 66 75 74 75 72 65 2c 20 73 75 6e 73
  096  63 72 65 65 6e 20 77 6f 75 6c 64 20 62 65 20 69
  112  74 2e`);

/** "Any submission to the IETF intended by the Contributor..." (A.2 #2, A.3 #2, A.3 #3), 375 bytes. */
const IETF_TEXT = dump(`
  000  41 6e 79 20 73 75 62 6d 69 73 73 69 6f 6e 20 74
  016  6f 20 74 68 65 20 49 45 54 46 20 69 6e 74 65 6e
  032  64 65 64 20 62 79 20 74 68 65 20 43 6f 6e 74 72
  048  69 62 75 74 6f 72 20 66 6f 72 20 70 75 62 6c 69
  064  63 61 74 69 6f 6e 20 61 73 20 61 6c 6c 20 6f 72
  080  20 70 61 72 74 20 6f 66 20 61 6e 20 49 45 54 46
  096  20 49 6e 74 65 72 6e 65 74 2d 44 72 61 66 74 20
  112  6f 72 20 52 46 43 20 61 6e 64 20 61 6e 79 20 73
  128  74 61 74 65 6d 65 6e 74 20 6d 61 64 65 20 77 69
  144  74 68 69 6e 20 74 68 65 20 63 6f 6e 74 65 78 74
  160  20 6f 66 20 61 6e 20 49 45 54 46 20 61 63 74 69
  176  76 69 74 79 20 69 73 20 63 6f 6e 73 69 64 65 72
  192  65 64 20 61 6e 20 22 49 45 54 46 20 43 6f 6e 74
  208  72 69 62 75 74 69 6f 6e 22 2e 20 53 75 63 68 20
  224  73 74 61 74 65 6d 65 6e 74 73 20 69 6e 63 6c 75
  240  64 65 20 6f 72 61 6c 20 73 74 61 74 65 6d 65 6e
  256  74 73 20 69 6e 20 49 45 54 46 20 73 65 73 73 69
  272  6f 6e 73 2c 20 61 73 20 77 65 6c 6c 20 61 73 20
  288  77 72 69 74 74 65 6e 20 61 6e 64 20 65 6c 65 63
  304  74 72 6f 6e 69 63 20 63 6f 6d 6d 75 6e 69 63 61
  320  74 69 6f 6e 73 20 6d 61 64 65 20 61 74 20 61 6e
  336  79 20 74 69 6d 65 20 6f 72 20 70 6c 61 63 65 2c
  352  20 77 68 69 63 68 20 61 72 65 20 61 64 64 72 65
  368  73 73 65 64 20 74 6f`);

/** "'Twas brillig, and the slithy toves..." (A.2 #3, A.3 #4), 127 bytes. */
const JABBERWOCKY = dump(`
  000  27 54 77 61 73 20 62 72 69 6c 6c 69 67 2c 20 61
  016  6e 64 20 74 68 65 20 73 6c 69 74 68 79 20 74 6f
  032  76 65 73 0a 44 69 64 20 67 79 72 65 20 61 6e 64
  048  20 67 69 6d 62 6c 65 20 69 6e 20 74 68 65 20 77
  064  61 62 65 3a 0a 41 6c 6c 20 6d 69 6d 73 79 20 77
  080  65 72 65 20 74 68 65 20 62 6f 72 6f 67 6f 76 65
  096  73 2c 0a 41 6e 64 20 74 68 65 20 6d 6f 6d 65 20
  112  72 61 74 68 73 20 6f 75 74 67 72 61 62 65 2e`);

/** The keystream block for (key, nonce, counter): ChaCha20 of 64 zero bytes. */
function block(key: Uint8Array, nonce: Uint8Array, counter: number): Uint8Array {
  return chacha20ForTestingOnly(key, nonce, counter, zeros(64));
}

describe('RFC 8439 §2.3.2 ChaCha20 block function', () => {
  it('key 00..1f, nonce 00:00:00:09:00:00:00:4a:00:00:00:00, block count 1', () => {
    const nonce = bytes('00:00:00:09:00:00:00:4a:00:00:00:00');
    expect(hex(block(KEY_00_1F, nonce, 1))).toBe(hex(dump(`
  000  10 f1 e7 e4 d1 3b 59 15 50 0f dd 1f a3 20 71 c4
  016  c7 d1 f4 c7 33 c0 68 03 04 22 aa 9a c3 d4 6c 4e
  032  d2 82 64 46 07 9f aa 09 14 c2 d7 05 d9 8b 02 a2
  048  b5 12 9c d1 de 16 4e b9 cb d0 83 e8 a2 50 3c 4e`)));
  });
});

describe('RFC 8439 §2.4.2 ChaCha20 encryption', () => {
  const nonce = bytes('00:00:00:00:00:00:00:4a:00:00:00:00');
  it('keystream for the 114-byte sunscreen text (counter 1)', () => {
    expect(hex(chacha20ForTestingOnly(KEY_00_1F, nonce, 1, zeros(114)))).toBe(hex(bytes(`
   22:4f:51:f3:40:1b:d9:e1:2f:de:27:6f:b8:63:1d:ed:8c:13:1f:82:3d:2c:06
   e2:7e:4f:ca:ec:9e:f3:cf:78:8a:3b:0a:a3:72:60:0a:92:b5:79:74:cd:ed:2b
   93:34:79:4c:ba:40:c6:3e:34:cd:ea:21:2c:4c:f0:7d:41:b7:69:a6:74:9f:3f
   63:0f:41:22:ca:fe:28:ec:4d:c4:7e:26:d4:34:6d:70:b9:8c:73:f3:e9:c5:3a
   c4:0c:59:45:39:8b:6e:da:1a:83:2c:89:c1:67:ea:cd:90:1d:7e:2b:f3:63`)));
  });
  it('ciphertext sunscreen', () => {
    expect(hex(chacha20ForTestingOnly(KEY_00_1F, nonce, 1, SUNSCREEN))).toBe(hex(dump(`
  000  6e 2e 35 9a 25 68 f9 80 41 ba 07 28 dd 0d 69 81
  016  e9 7e 7a ec 1d 43 60 c2 0a 27 af cc fd 9f ae 0b
  032  f9 1b 65 c5 52 47 33 ab 8f 59 3d ab cd 62 b3 57
  048  16 39 d6 24 e6 51 52 ab 8f 53 0c 35 9f 08 61 d8
  064  07 ca 0d bf 50 0d 6a 61 56 a3 8e 08 8a 22 b6 5e
  080  52 bc 51 4d 16 cc f8 06 81 8c e9 1a b7 79 37 36
  096  5a f9 0b bf 74 a3 5b e6 b4 0b 8e ed f2 78 5e 42
  112  87 4d`)));
  });
});

describe('RFC 8439 §2.5.2 Poly1305', () => {
  it('"Cryptographic Forum Research Group"', () => {
    const key = bytes('85:d6:be:78:57:55:6d:33:7f:44:52:fe:42:d5:06:a8:01:03:80:8a:fb:0d:b2:fd:4a:bf:f6:af:41:49:f5:1b');
    const message = dump(`
  000  43 72 79 70 74 6f 67 72 61 70 68 69 63 20 46 6f
  016  72 75 6d 20 52 65 73 65 61 72 63 68 20 47 72 6f
  032  75 70`);
    expect(hex(poly1305ForTestingOnly(key, message))).toBe('a8061dc1305136c6c22b8baf0c0127a9');
  });
});

describe('RFC 8439 §2.6.2 Poly1305 key generation', () => {
  it('key 80..9f, nonce 00 00 00 00 00 01 02 03 04 05 06 07', () => {
    const nonce = dump(`
   000  00 00 00 00 00 01 02 03 04 05 06 07`);
    expect(hex(chacha20ForTestingOnly(KEY_80_9F, nonce, 0, zeros(32)))).toBe(hex(dump(`
  000  8a d5 a0 8b 90 5f 81 cc 81 50 40 27 4a b2 94 71
  016  a8 33 b6 37 e3 fd 0d a5 08 db b8 e2 fd d1 a6 46`)));
  });
});

describe('RFC 8439 §2.8.2 AEAD_CHACHA20_POLY1305', () => {
  const aad = dump(`
   000  50 51 52 53 c0 c1 c2 c3 c4 c5 c6 c7`);
  // 32-bit fixed-common part 07 00 00 00, then the IV 40..47.
  const nonce = bytes('07 00 00 00 40 41 42 43 44 45 46 47');
  const ciphertext = dump(`
  000  d3 1a 8d 34 64 8e 60 db 7b 86 af bc 53 ef 7e c2
  016  a4 ad ed 51 29 6e 08 fe a9 e2 b5 a7 36 ee 62 d6
  032  3d be a4 5e 8c a9 67 12 82 fa fb 69 da 92 72 8b
  048  1a 71 de 0a 9e 06 0b 29 05 d6 a5 b6 7e cd 3b 36
  064  92 dd bd 7f 2d 77 8b 8c 98 03 ae e3 28 09 1b 58
  080  fa b3 24 e4 fa d6 75 94 55 85 80 8b 48 31 d7 bc
  096  3f f4 de f0 8e 4b 7a 9d e5 76 d2 65 86 ce c6 4b
  112  61 16`);
  const tag = bytes('1a:e1:0b:59:4f:09:e2:6a:7e:90:2e:cb:d0:60:06:91');

  it('seals to the ciphertext and tag', () => {
    expect(hex(chacha20poly1305(KEY_80_9F, nonce, aad).encrypt(SUNSCREEN))).toBe(hex(ciphertext) + hex(tag));
  });
  it('opens back to the plaintext', () => {
    const sealed = new Uint8Array([...ciphertext, ...tag]);
    expect(hex(chacha20poly1305(KEY_80_9F, nonce, aad).decrypt(sealed))).toBe(hex(SUNSCREEN));
  });
  it('one-time key is block 0 and the tag is Poly1305 of the AEAD construction buffer', () => {
    const oneTimeKey = dump(`
  000  7b ac 2b 25 2d b4 47 af 09 b6 7a 55 a4 e9 55 84
  016  0a e1 d6 73 10 75 d9 eb 2a 93 75 78 3e d5 53 ff`);
    expect(hex(chacha20ForTestingOnly(KEY_80_9F, nonce, 0, zeros(32)))).toBe(hex(oneTimeKey));
    const macData = dump(`
  000  50 51 52 53 c0 c1 c2 c3 c4 c5 c6 c7 00 00 00 00
  016  d3 1a 8d 34 64 8e 60 db 7b 86 af bc 53 ef 7e c2
  032  a4 ad ed 51 29 6e 08 fe a9 e2 b5 a7 36 ee 62 d6
  048  3d be a4 5e 8c a9 67 12 82 fa fb 69 da 92 72 8b
  064  1a 71 de 0a 9e 06 0b 29 05 d6 a5 b6 7e cd 3b 36
  080  92 dd bd 7f 2d 77 8b 8c 98 03 ae e3 28 09 1b 58
  096  fa b3 24 e4 fa d6 75 94 55 85 80 8b 48 31 d7 bc
  112  3f f4 de f0 8e 4b 7a 9d e5 76 d2 65 86 ce c6 4b
  128  61 16 00 00 00 00 00 00 00 00 00 00 00 00 00 00
  144  0c 00 00 00 00 00 00 00 72 00 00 00 00 00 00 00`);
    expect(hex(poly1305ForTestingOnly(oneTimeKey, macData))).toBe(hex(tag));
  });
});

describe('RFC 8439 Appendix A.1 ChaCha20 block functions', () => {
  const vectors: Array<[string, Uint8Array, Uint8Array, number, string]> = [
    ['#1', zeros(32), zeros(12), 0, `
  000  76 b8 e0 ad a0 f1 3d 90 40 5d 6a e5 53 86 bd 28
  016  bd d2 19 b8 a0 8d ed 1a a8 36 ef cc 8b 77 0d c7
  032  da 41 59 7c 51 57 48 8d 77 24 e0 3f b8 d8 4a 37
  048  6a 43 b8 f4 15 18 a1 1c c3 87 b6 69 b2 ee 65 86`],
    ['#2', zeros(32), zeros(12), 1, `
  000  9f 07 e7 be 55 51 38 7a 98 ba 97 7c 73 2d 08 0d
  016  cb 0f 29 a0 48 e3 65 69 12 c6 53 3e 32 ee 7a ed
  032  29 b7 21 76 9c e6 4e 43 d5 71 33 b0 74 d8 39 d5
  048  31 ed 1f 28 51 0a fb 45 ac e1 0a 1f 4b 79 4d 6f`],
    ['#3', KEY_01, zeros(12), 1, `
  000  3a eb 52 24 ec f8 49 92 9b 9d 82 8d b1 ce d4 dd
  016  83 20 25 e8 01 8b 81 60 b8 22 84 f3 c9 49 aa 5a
  032  8e ca 00 bb b4 a7 3b da d1 92 b5 c4 2f 73 f2 fd
  048  4e 27 36 44 c8 b3 61 25 a6 4a dd eb 00 6c 13 a0`],
    ['#4', dump(`
  000  00 ff 00 00 00 00 00 00 00 00 00 00 00 00 00 00
  016  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00`), zeros(12), 2, `
  000  72 d5 4d fb f1 2e c4 4b 36 26 92 df 94 13 7f 32
  016  8f ea 8d a7 39 90 26 5e c1 bb be a1 ae 9a f0 ca
  032  13 b2 5a a2 6c b4 a6 48 cb 9b 9d 1b e6 5b 2c 09
  048  24 a6 6c 54 d5 45 ec 1b 73 74 f4 87 2e 99 f0 96`],
    ['#5', zeros(32), NONCE_02, 0, `
  000  c2 c6 4d 37 8c d5 36 37 4a e2 04 b9 ef 93 3f cd
  016  1a 8b 22 88 b3 df a4 96 72 ab 76 5b 54 ee 27 c7
  032  8a 97 0e 0e 95 5c 14 f3 a8 8e 74 1b 97 c2 86 f7
  048  5f 8f c2 99 e8 14 83 62 fa 19 8a 39 53 1b ed 6d`],
  ];
  for (const [name, key, nonce, counter, keystream] of vectors) {
    it(`test vector ${name} (block counter ${counter})`, () => {
      expect(hex(block(key, nonce, counter))).toBe(hex(dump(keystream)));
    });
  }
});

describe('RFC 8439 Appendix A.2 ChaCha20 encryption', () => {
  it('test vector #1: 64 zero bytes, key and nonce zero, counter 0', () => {
    expect(hex(chacha20ForTestingOnly(zeros(32), zeros(12), 0, zeros(64)))).toBe(hex(dump(`
  000  76 b8 e0 ad a0 f1 3d 90 40 5d 6a e5 53 86 bd 28
  016  bd d2 19 b8 a0 8d ed 1a a8 36 ef cc 8b 77 0d c7
  032  da 41 59 7c 51 57 48 8d 77 24 e0 3f b8 d8 4a 37
  048  6a 43 b8 f4 15 18 a1 1c c3 87 b6 69 b2 ee 65 86`)));
  });
  it('test vector #2: 375-byte IETF text, counter 1', () => {
    expect(hex(chacha20ForTestingOnly(KEY_01, NONCE_02, 1, IETF_TEXT))).toBe(hex(dump(`
  000  a3 fb f0 7d f3 fa 2f de 4f 37 6c a2 3e 82 73 70
  016  41 60 5d 9f 4f 4f 57 bd 8c ff 2c 1d 4b 79 55 ec
  032  2a 97 94 8b d3 72 29 15 c8 f3 d3 37 f7 d3 70 05
  048  0e 9e 96 d6 47 b7 c3 9f 56 e0 31 ca 5e b6 25 0d
  064  40 42 e0 27 85 ec ec fa 4b 4b b5 e8 ea d0 44 0e
  080  20 b6 e8 db 09 d8 81 a7 c6 13 2f 42 0e 52 79 50
  096  42 bd fa 77 73 d8 a9 05 14 47 b3 29 1c e1 41 1c
  112  68 04 65 55 2a a6 c4 05 b7 76 4d 5e 87 be a8 5a
  128  d0 0f 84 49 ed 8f 72 d0 d6 62 ab 05 26 91 ca 66
  144  42 4b c8 6d 2d f8 0e a4 1f 43 ab f9 37 d3 25 9d
  160  c4 b2 d0 df b4 8a 6c 91 39 dd d7 f7 69 66 e9 28
  176  e6 35 55 3b a7 6c 5c 87 9d 7b 35 d4 9e b2 e6 2b
  192  08 71 cd ac 63 89 39 e2 5e 8a 1e 0e f9 d5 28 0f
  208  a8 ca 32 8b 35 1c 3c 76 59 89 cb cf 3d aa 8b 6c
  224  cc 3a af 9f 39 79 c9 2b 37 20 fc 88 dc 95 ed 84
  240  a1 be 05 9c 64 99 b9 fd a2 36 e7 e8 18 b0 4b 0b
  256  c3 9c 1e 87 6b 19 3b fe 55 69 75 3f 88 12 8c c0
  272  8a aa 9b 63 d1 a1 6f 80 ef 25 54 d7 18 9c 41 1f
  288  58 69 ca 52 c5 b8 3f a3 6f f2 16 b9 c1 d3 00 62
  304  be bc fd 2d c5 bc e0 91 19 34 fd a7 9a 86 f6 e6
  320  98 ce d7 59 c3 ff 9b 64 77 33 8f 3d a4 f9 cd 85
  336  14 ea 99 82 cc af b3 41 b2 38 4d d9 02 f3 d1 ab
  352  7a c6 1d d2 9c 6f 21 ba 5b 86 2f 37 30 e3 7c fd
  368  c4 fd 80 6c 22 f2 21`)));
  });
  it('test vector #3: 127-byte Jabberwocky, counter 42', () => {
    expect(hex(chacha20ForTestingOnly(KEY_1C92, NONCE_02, 42, JABBERWOCKY))).toBe(hex(dump(`
  000  62 e6 34 7f 95 ed 87 a4 5f fa e7 42 6f 27 a1 df
  016  5f b6 91 10 04 4c 0d 73 11 8e ff a9 5b 01 e5 cf
  032  16 6d 3d f2 d7 21 ca f9 b2 1e 5f b1 4c 61 68 71
  048  fd 84 c5 4f 9d 65 b2 83 19 6c 7f e4 f6 05 53 eb
  064  f3 9c 64 02 c4 22 34 e3 2a 35 6b 3e 76 43 12 a6
  080  1a 55 32 05 57 16 ea d6 96 25 68 f8 7d 3f 3f 77
  096  04 c6 a8 d1 bc d1 bf 4d 50 d6 15 4b 6d a7 31 b1
  112  87 b5 8d fd 72 8a fa 36 75 7a 79 7a c1 88 d1`)));
  });
});

describe('RFC 8439 Appendix A.3 Poly1305', () => {
  const IETF_KEY_HALF = bytes('36 e5 f6 b5 c5 e0 60 70 f0 ef ca 96 22 7a 86 3e');
  const vectors: Array<[string, Uint8Array, Uint8Array, string]> = [
    ['#1 (all zero)', zeros(32), zeros(64), '00000000000000000000000000000000'],
    ['#2 (r = 0: tag = s)', new Uint8Array([...zeros(16), ...IETF_KEY_HALF]), IETF_TEXT, '36e5f6b5c5e06070f0efca96227a863e'],
    ['#3 (s = 0)', new Uint8Array([...IETF_KEY_HALF, ...zeros(16)]), IETF_TEXT, 'f3477e7cd95417af89a6b8794c310cf0'],
    ['#4', KEY_1C92, JABBERWOCKY, '4541669a7eaaee61e708dc7cbcc5eb62'],
  ];
  // #5 - #11: R, S, data and tag as printed (R || S is the key).
  const edgeCases: Array<[string, string, string, string, string]> = [
    ['#5 partially reduced result not fully reduced',
      '02 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00', '00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00',
      'FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF', '03 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00'],
    ['#6 addition of s overflows 2^128',
      '02 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00', 'FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF',
      '02 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00', '03 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00'],
    ['#7 data limb all ones with carry from the lower limb',
      '01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00', '00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00',
      `FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF
       F0 FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF
       11 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00`, '05 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00'],
    ['#8 polynomial part exactly 2^130 - 5',
      '01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00', '00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00',
      `FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF
       FB FE FE FE FE FE FE FE FE FE FE FE FE FE FE FE
       01 01 01 01 01 01 01 01 01 01 01 01 01 01 01 01`, '00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00'],
    ['#9 polynomial part exactly 2^130 - 6',
      '02 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00', '00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00',
      'FD FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF', 'FA FF FF FF FF FF FF FF FF FF FF FF FF FF FF FF'],
    ['#10 5*H+L reduction with a 131-bit intermediate result',
      '01 00 00 00 00 00 00 00 04 00 00 00 00 00 00 00', '00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00',
      `E3 35 94 D7 50 5E 43 B9 00 00 00 00 00 00 00 00
       33 94 D7 50 5E 43 79 CD 01 00 00 00 00 00 00 00
       00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
       01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00`, '14 00 00 00 00 00 00 00 55 00 00 00 00 00 00 00'],
    ['#11 5*H+L reduction with a 131-bit final result',
      '01 00 00 00 00 00 00 00 04 00 00 00 00 00 00 00', '00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00',
      `E3 35 94 D7 50 5E 43 B9 00 00 00 00 00 00 00 00
       33 94 D7 50 5E 43 79 CD 01 00 00 00 00 00 00 00
       00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00`, '13 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00'],
  ];
  for (const [name, key, text, tag] of vectors) {
    it(`test vector ${name}`, () => {
      expect(hex(poly1305ForTestingOnly(key, text))).toBe(tag);
    });
  }
  for (const [name, r, s, data, tag] of edgeCases) {
    it(`test vector ${name}`, () => {
      const key = new Uint8Array([...bytes(r), ...bytes(s)]);
      expect(hex(poly1305ForTestingOnly(key, bytes(data)))).toBe(hex(bytes(tag)));
    });
  }
});

describe('RFC 8439 Appendix A.4 Poly1305 key generation using ChaCha20', () => {
  const vectors: Array<[string, Uint8Array, Uint8Array, string]> = [
    ['#1', zeros(32), zeros(12), `
  000  76 b8 e0 ad a0 f1 3d 90 40 5d 6a e5 53 86 bd 28
  016  bd d2 19 b8 a0 8d ed 1a a8 36 ef cc 8b 77 0d c7`],
    ['#2', KEY_01, NONCE_02, `
  000  ec fa 25 4f 84 5f 64 74 73 d3 cb 14 0d a9 e8 76
  016  06 cb 33 06 6c 44 7b 87 bc 26 66 dd e3 fb b7 39`],
    ['#3', KEY_1C92, NONCE_02, `
  000  96 5e 3b c6 f9 ec 7e d9 56 08 08 f4 d2 29 f9 4b
  016  13 7f f2 75 ca 9b 3f cb dd 59 de aa d2 33 10 ae`],
  ];
  for (const [name, key, nonce, oneTimeKey] of vectors) {
    it(`test vector ${name}: first 32 bytes of block 0`, () => {
      expect(hex(chacha20ForTestingOnly(key, nonce, 0, zeros(32)))).toBe(hex(dump(oneTimeKey)));
    });
  }
});

describe('RFC 8439 Appendix A.5 ChaCha20-Poly1305 AEAD decryption', () => {
  const ciphertext = dump(`
  000  64 a0 86 15 75 86 1a f4 60 f0 62 c7 9b e6 43 bd
  016  5e 80 5c fd 34 5c f3 89 f1 08 67 0a c7 6c 8c b2
  032  4c 6c fc 18 75 5d 43 ee a0 9e e9 4e 38 2d 26 b0
  048  bd b7 b7 3c 32 1b 01 00 d4 f0 3b 7f 35 58 94 cf
  064  33 2f 83 0e 71 0b 97 ce 98 c8 a8 4a bd 0b 94 81
  080  14 ad 17 6e 00 8d 33 bd 60 f9 82 b1 ff 37 c8 55
  096  97 97 a0 6e f4 f0 ef 61 c1 86 32 4e 2b 35 06 38
  112  36 06 90 7b 6a 7c 02 b0 f9 f6 15 7b 53 c8 67 e4
  128  b9 16 6c 76 7b 80 4d 46 a5 9b 52 16 cd e7 a4 e9
  144  90 40 c5 a4 04 33 22 5e e2 82 a1 b0 a0 6c 52 3e
  160  af 45 34 d7 f8 3f a1 15 5b 00 47 71 8c bc 54 6a
  176  0d 07 2b 04 b3 56 4e ea 1b 42 22 73 f5 48 27 1a
  192  0b b2 31 60 53 fa 76 99 19 55 eb d6 31 59 43 4e
  208  ce bb 4e 46 6d ae 5a 10 73 a6 72 76 27 09 7a 10
  224  49 e6 17 d9 1d 36 10 94 fa 68 f0 ff 77 98 71 30
  240  30 5b ea ba 2e da 04 df 99 7b 71 4d 6c 6f 2c 29
  256  a6 ad 5c b4 02 2b 02 70 9b`);
  const nonce = dump(`
  000  00 00 00 00 01 02 03 04 05 06 07 08`);
  const aad = dump(`
  000  f3 33 88 86 00 00 00 00 00 00 4e 91`);
  const tag = dump(`
  000  ee ad 9d 67 89 0c bb 22 39 23 36 fe a1 85 1f 38`);
  const plaintext = dump(`
  000  49 6e 74 65 72 6e 65 74 2d 44 72 61 66 74 73 20
  016  61 72 65 20 64 72 61 66 74 20 64 6f 63 75 6d 65
  032  6e 74 73 20 76 61 6c 69 64 20 66 6f 72 20 61 20
  048  6d 61 78 69 6d 75 6d 20 6f 66 20 73 69 78 20 6d
  064  6f 6e 74 68 73 20 61 6e 64 20 6d 61 79 20 62 65
  080  20 75 70 64 61 74 65 64 2c 20 72 65 70 6c 61 63
  096  65 64 2c 20 6f 72 20 6f 62 73 6f 6c 65 74 65 64
  112  20 62 79 20 6f 74 68 65 72 20 64 6f 63 75 6d 65
  128  6e 74 73 20 61 74 20 61 6e 79 20 74 69 6d 65 2e
  144  20 49 74 20 69 73 20 69 6e 61 70 70 72 6f 70 72
  160  69 61 74 65 20 74 6f 20 75 73 65 20 49 6e 74 65
  176  72 6e 65 74 2d 44 72 61 66 74 73 20 61 73 20 72
  192  65 66 65 72 65 6e 63 65 20 6d 61 74 65 72 69 61
  208  6c 20 6f 72 20 74 6f 20 63 69 74 65 20 74 68 65
  224  6d 20 6f 74 68 65 72 20 74 68 61 6e 20 61 73 20
  240  2f e2 80 9c 77 6f 72 6b 20 69 6e 20 70 72 6f 67
  256  72 65 73 73 2e 2f e2 80 9d`);

  it('authenticates and decrypts', () => {
    const sealed = new Uint8Array([...ciphertext, ...tag]);
    expect(hex(chacha20poly1305(KEY_1C92, nonce, aad).decrypt(sealed))).toBe(hex(plaintext));
  });
  it('one-time key and the tag over the Poly1305 input', () => {
    const oneTimeKey = dump(`
  000  bd f0 4a a9 5c e4 de 89 95 b1 4b b6 a1 8f ec af
  016  26 47 8f 50 c0 54 f5 63 db c0 a2 1e 26 15 72 aa`);
    expect(hex(chacha20ForTestingOnly(KEY_1C92, nonce, 0, zeros(32)))).toBe(hex(oneTimeKey));
    const macData = new Uint8Array([...aad, ...zeros(4), ...ciphertext, ...zeros(7), 0x0c, ...zeros(7), 0x09, 0x01, ...zeros(6)]);
    expect(hex(poly1305ForTestingOnly(oneTimeKey, macData))).toBe(hex(tag));
  });
  it('sealing the plaintext gives the received ciphertext and tag', () => {
    expect(hex(chacha20poly1305(KEY_1C92, nonce, aad).encrypt(plaintext))).toBe(hex(ciphertext) + hex(tag));
  });
});

describe('SIMD and scalar ChaCha20 paths agree', () => {
  // Internal consistency, beyond the RFC: lengths chosen so that the 4-block SIMD core, the SIMD tail
  // and the scalar tail block each produce keystream that must equal the block function's.
  it('keystream of 0..1100 bytes equals the concatenated single blocks', () => {
    const key = KEY_1C92, nonce = NONCE_02;
    const blocks = new Uint8Array(18 * 64);
    for (let i = 0; i < 18; i++) blocks.set(block(key, nonce, 7 + i), i * 64);
    for (let length = 0; length <= 1100; length += 1 + (length % 7)) {
      expect(hex(chacha20ForTestingOnly(key, nonce, 7, zeros(length)))).toBe(hex(blocks.subarray(0, length)));
    }
  });
});
