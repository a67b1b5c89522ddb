/**
 * The API reference (`npm run docs`, TypeDoc into docs/api/) builds with no warning: every
 * export of every entry point is documented, and every type an export refers to is exported
 * (typedoc.json: validation.notDocumented, notExported, invalidLink; treatWarningsAsErrors).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('API reference (TypeDoc)', () => {
  it('documents every export of every entry point, with no warning', () => {
    const run = spawnSync(process.execPath, ['node_modules/typedoc/bin/typedoc', '--emit', 'none'], { encoding: 'utf8', timeout: 240_000 });
    const output = `${run.stdout}\n${run.stderr}`;
    expect(output).not.toMatch(/\[warning\]|\[error\]/);
    expect(run.status, output).toBe(0);
  }, 300_000);
});
