import { readFileSync } from 'node:fs';
import canonicalize from 'canonicalize';
import { type ParseError, parse as parseJsonc, printParseErrorCode } from 'jsonc-parser';
import type { z } from 'zod';
import { InputError, fsInputError } from './errors';

/** RFC 8785 canonical JSON: sorted keys, no whitespace, so equal documents hash equally (canonicalHash in hashing.ts). */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('value cannot be represented as JSON');
  return text;
}

/** Formats zod issues as "field.path: message" joined by "; " (at most three). */
export function describeZodIssues(error: z.ZodError): string {
  const parts = error.issues.slice(0, 3).map((issue) => {
    return issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ${issue.message}` : issue.message;
  });
  const more = error.issues.length > 3 ? ` (and ${error.issues.length - 3} more)` : '';
  return parts.join('; ') + more;
}

/** Validates an in-memory value, naming `label` (a file path or "payload") in the error. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, label: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new InputError(`${label} is invalid: ${describeZodIssues(result.error)}.`);
  return result.data;
}

/** Parses JSON text, turning a syntax error into a sentence with line and column. */
export function parseJsonText(text: string, label: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // V8's message does not always carry a position; jsonc-parser (strict mode) locates the error.
    const errors: ParseError[] = [];
    parseJsonc(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
    const first = errors[0];
    if (!first) throw new InputError(`${label} is not valid JSON.`);
    const before = text.slice(0, first.offset).split('\n');
    const where = `line ${before.length}, column ${before[before.length - 1].length + 1}`;
    throw new InputError(`${label} is not valid JSON (${printParseErrorCode(first.error)} at ${where}).`);
  }
}

/** Reads, parses and validates a JSON file: the one way files enter the program. */
export function readJsonFile<S extends z.ZodType>(path: string, schema: S, what = 'file'): z.output<S> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw fsInputError(err, `read ${what}`, path);
  }
  return validate(schema, parseJsonText(text, path), path);
}

/** Stable, human-diffable JSON for files we write. */
export function prettyJson(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}
