// Writes the files generated from the TypeScript definitions: the JSON Schemas from the zod schemas
// into schemas/ (contributed to the editor through jsonValidation), and the names the Python runner
// shares with the TypeScript side into python/qraft_nautilus/names.py. `npm run schemas`
// regenerates them; unit tests check they are current.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pythonNamesModule } from '../src/core/backtest/engines/runnerNames';
import { generatedSchemas } from '../src/core/release/jsonSchemas';

const root = join(__dirname, '..');
for (const [file, schema] of Object.entries(generatedSchemas())) {
  writeFileSync(join(root, 'schemas', file), `${JSON.stringify(schema, null, 2)}\n`);
  console.log(`schemas/${file}`);
}
writeFileSync(join(root, 'python', 'qraft_nautilus', 'names.py'), pythonNamesModule());
console.log('python/qraft_nautilus/names.py');
