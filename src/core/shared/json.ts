import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
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

/** Limits on every JSON document the program reads (DESIGN "Input confinement and limits"). */
export const MAX_JSON_BYTES = 10 * 1024 * 1024;
export const MAX_JSON_DEPTH = 64;

/** The deepest nesting of arrays and objects in JSON text (strings skipped), without parsing it. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      for (i += 1; i < text.length; i += 1) {
        const d = text.charCodeAt(i);
        if (d === 92 /* \ */) i += 1;
        else if (d === 34) break;
      }
    } else if (c === 91 /* [ */ || c === 123 /* { */) {
      depth += 1;
      if (depth > deepest) deepest = depth;
    } else if (c === 93 || c === 125) depth -= 1;
  }
  return deepest;
}

/** The path of the first number that is not finite (1e400 parses to Infinity), or undefined. */
function nonFinitePath(value: unknown, path: string): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : path || '(the document)';
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) {
      const found = nonFinitePath(value[i], `${path}[${i}]`);
      if (found) return found;
    }
  } else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const found = nonFinitePath(child, path ? `${path}.${key}` : key);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Parses JSON text, turning a syntax error into a sentence with line and column; refuses nesting
 * deeper than MAX_JSON_DEPTH (checked before parsing, so no stack is at risk) and numbers too
 * large to be finite, naming where.
 */
export function parseJsonText(text: string, label: string): unknown {
  if (jsonDepth(text) > MAX_JSON_DEPTH) throw new InputError(`${label} nests deeper than ${MAX_JSON_DEPTH} levels.`);
  const value = parseJsonSyntax(text, label);
  const infinite = nonFinitePath(value, '');
  if (infinite) throw new InputError(`${label} has a number at ${infinite} too large to be finite.`);
  return value;
}

function parseJsonSyntax(text: string, label: string): unknown {
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
  return validate(schema, parseJsonText(readBoundedText(path, MAX_JSON_BYTES, what), path), path);
}

/**
 * A regular file's text, refusing anything else (a device such as /dev/zero, a FIFO) and anything
 * over `maxBytes` — checked while reading, so a file that grows or lies about its size cannot
 * exhaust memory.
 */
export function readBoundedText(path: string, maxBytes: number, what = 'file'): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw fsInputError(err, `read ${what}`, path);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new InputError(`${path} is not a regular file.`);
    const tooLarge = () => new InputError(`${path} is larger than ${maxBytes / 1024 / 1024} MB, the limit for a ${what}.`);
    if (stat.size > maxBytes) throw tooLarge();
    // Read in chunks: /proc files report size 0, and a file may grow while it is read.
    const chunks: Buffer[] = [];
    let length = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(1 << 20, maxBytes + 1 - length));
      const read = readSync(fd, chunk, 0, chunk.length, null);
      if (read === 0) break;
      chunks.push(chunk.subarray(0, read));
      length += read;
      if (length > maxBytes) throw tooLarge();
    }
    return Buffer.concat(chunks, length).toString('utf8');
  } catch (err) {
    throw fsInputError(err, `read ${what}`, path);
  } finally {
    closeSync(fd);
  }
}

/** Stable, human-diffable JSON for files we write. */
export function prettyJson(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}
