// Writes the JSON Schemas generated from the zod schemas into schemas/ (contributed to the editor
// through jsonValidation). `npm run schemas` regenerates them; a unit test checks they are current.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatedSchemas } from '../src/core/release/jsonSchemas';

for (const [file, schema] of Object.entries(generatedSchemas())) {
  writeFileSync(join(__dirname, '..', 'schemas', file), `${JSON.stringify(schema, null, 2)}\n`);
  console.log(`schemas/${file}`);
}
