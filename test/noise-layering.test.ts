// bindings/noise sits below bindings/e2e2: no file under bindings/noise may import from it.
// Reads every source file and checks each import/export specifier (static and dynamic).
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve, relative, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';

const NOISE_DIR = resolve(__dirname, '../bindings/noise');
const E2E2_DIR = resolve(__dirname, '../bindings/e2e2');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/** Module specifiers of `import … from 'x'`, `export … from 'x'`, `import 'x'` and `import('x')`. */
export function importSpecifiers(source: string): string[] {
  const out: string[] = [];
  const patterns = [/\b(?:import|export)\s[^'"]*?\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) out.push(match[1]!);
  return out;
}

function importsE2e2(file: string, specifier: string): boolean {
  if (!specifier.startsWith('.')) return false;
  const target = resolve(dirname(file), specifier);
  return !relative(E2E2_DIR, target).startsWith('..');
}

describe('layering: bindings/noise imports nothing from bindings/e2e2', () => {
  it('the specifier scanner finds every import form (so the check below can fail)', () => {
    const sample = "import { a } from '../e2e2/constants.js';\nexport { b } from \"../e2e2/encoding.js\";\nimport type { C } from '../e2e2/x.js';\nimport '../e2e2/side.js';\nconst m = await import('../e2e2/lazy.js');";
    const specs = importSpecifiers(sample);
    expect(specs.sort()).toEqual(['../e2e2/constants.js', '../e2e2/encoding.js', '../e2e2/lazy.js', '../e2e2/side.js', '../e2e2/x.js']);
    expect(specs.every((s) => importsE2e2(join(NOISE_DIR, 'a.ts'), s))).toBe(true);
    expect(importsE2e2(join(NOISE_DIR, 'a.ts'), './constants.js')).toBe(false);
    expect(importsE2e2(join(NOISE_DIR, 'a.ts'), '../core/bytes.js')).toBe(false);
  });

  it('no file under bindings/noise imports ../e2e2', () => {
    const files = sourceFiles(NOISE_DIR);
    expect(files.length).toBeGreaterThanOrEqual(5);
    const offenders: string[] = [];
    for (const file of files) {
      const specs = importSpecifiers(readFileSync(file, 'utf8'));
      for (const spec of specs) if (importsE2e2(file, spec)) offenders.push(`${relative(NOISE_DIR, file)} → ${spec}`);
    }
    expect(offenders).toEqual([]);
  });
});
