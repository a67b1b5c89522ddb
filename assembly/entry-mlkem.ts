/** WASM entry point of the Keccak (FIPS 202) and ML-KEM-768 (FIPS 203) module, built alone (build/e2e2-mlkem.wasm). */
export { IO } from './memory';
export { KECCAK_CTX, keccakDigest, keccakInit, keccakUpdate, keccakSqueeze } from './keccak';
export { MLKEM_SEED, MLKEM_MSG, MLKEM_EK, MLKEM_DK, MLKEM_CT, MLKEM_SS, MLKEM_SCRATCH, MLKEM_SCRATCH_END, mlkemKeygen, mlkemEncaps, mlkemDecaps } from './mlkem';
