// Print every performance target (bench/targets.ts) with its measured ratio (median over rounds,
// ± spread) and whether it is met, from bench/results/ or the result folders given as arguments.
// Usage: node scripts/bench-targets.mjs [resultsDir ...]   (exit status 0 also when a target is not met)
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';

const { evaluateTargets, formatTargets } = await tsImport('../bench/targets.ts', import.meta.url);
const dirs = process.argv.length > 2 ? process.argv.slice(2) : [fileURLToPath(new URL('../bench/results/', import.meta.url))];
console.log(`Targets, from ${dirs.join(', ')}:\n`);
console.log(formatTargets(evaluateTargets(dirs)));
