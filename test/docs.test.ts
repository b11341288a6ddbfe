import * as fs from 'node:fs';
import * as path from 'node:path';
import { configReference } from '../src/train/config';

// The config reference in docs/ is generated from the schema; this keeps the two from drifting.
// Regenerate with: npx tsx -e "console.log(require('./src/train/config').configReference())" > docs/training-config.md
test('docs/training-config.md is the current configReference()', () => {
  const doc = fs.readFileSync(path.join(__dirname, '..', 'docs', 'training-config.md'), 'utf8');
  expect(doc.trim()).toBe(configReference().trim());
});
