import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, RefusedError, fsInputError } from '../../shared/errors';
import { failpoint } from '../../shared/failpoint';
import { ensureDir, removeIfExists, writeFileAtomicSync } from '../../shared/files';
import { canonicalHash, isFullHash, resolveHashPrefix, strategyHash } from '../../shared/hashing';
import { prettyJson, readJsonFile, validate } from '../../shared/json';
import {
  type CandidateManifest,
  CandidateManifestSchema,
  type Metadata,
  MetadataSchema,
  type Payload,
  PayloadSchema,
  type StableManifest,
  StableManifestSchema,
  VOLATILE_METADATA_KEYS,
} from './schemas';

export interface Candidate {
  manifest: CandidateManifest;
  payload: Payload;
  metadata: Metadata;
  stable?: StableManifest;
}

export interface ProposeResult {
  manifest_hash: string;
  /** False when the same payload and metadata were proposed before: nothing new was written. */
  created: boolean;
  manifest: CandidateManifest;
}

export interface ApproveRequest {
  approver: string;
  note: string;
  forced?: boolean;
}

export interface ApproveResult {
  manifest: StableManifest;
  /** False when the candidate was already stable; the first approval stands. */
  created: boolean;
}

/** The files of a candidate: `candidates/<hash>/{payload,metadata,manifest}.json`. */
export interface CandidateFiles {
  dir: string;
  payload: string;
  metadata: string;
  manifest: string;
}

/** The file of a stable version: `stable/<hash>/manifest.json`. */
export interface StableFiles {
  dir: string;
  manifest: string;
}

const CANDIDATE_FILE_NAMES = { payload: 'payload.json', metadata: 'metadata.json', manifest: 'manifest.json' } as const;
const STABLE_FILE_NAMES = { manifest: 'manifest.json' } as const;

export interface PoolListing {
  candidates: Candidate[];
  stable: StableManifest[];
  /** Entries that could not be read, each one sentence; listing never fails because of them. */
  problems: string[];
}

/** The hash that names a proposal: canonical JSON of payload and metadata, volatile keys left out. */
export function manifestHash(payload: Payload, metadata: Metadata): string {
  const stableMetadata: Record<string, unknown> = { ...metadata };
  for (const key of VOLATILE_METADATA_KEYS) delete stableMetadata[key];
  return canonicalHash({ payload, metadata: stableMetadata });
}

/**
 * A content-addressed store of proposals: `candidates/<hash>/` holds payload, metadata and
 * manifest; `stable/<hash>/manifest.json` records the approval. Entries are written into a temp
 * directory and renamed into place, so a reader never sees half an entry and a name, once taken,
 * always holds the content that hashes to it.
 */
export class StrategyPool {
  constructor(
    readonly root: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  get candidatesDir(): string {
    return join(this.root, 'candidates');
  }

  get stableDir(): string {
    return join(this.root, 'stable');
  }

  /** Where a candidate's files are (whether or not it exists); the one place that knows the layout. */
  candidateFiles(hash: string): CandidateFiles {
    const dir = join(this.candidatesDir, entryName(hash));
    return {
      dir,
      payload: join(dir, CANDIDATE_FILE_NAMES.payload),
      metadata: join(dir, CANDIDATE_FILE_NAMES.metadata),
      manifest: join(dir, CANDIDATE_FILE_NAMES.manifest),
    };
  }

  /** Where a stable version's approval manifest is (whether or not it exists). */
  stableFiles(hash: string): StableFiles {
    const dir = join(this.stableDir, entryName(hash));
    return { dir, manifest: join(dir, STABLE_FILE_NAMES.manifest) };
  }

  propose(payloadInput: unknown, metadataInput: unknown): ProposeResult {
    const payload = validate(PayloadSchema, payloadInput, 'payload');
    const metadata = validate(MetadataSchema, metadataInput, 'metadata');
    const hash = manifestHash(payload, metadata);
    if (this.hasCandidate(hash)) return { manifest_hash: hash, created: false, manifest: this.candidate(hash).manifest };
    const manifest: CandidateManifest = {
      kind: 'qraft.candidate',
      manifest_hash: hash,
      strategy: { name: payload.name, version: payload.version },
      strategy_hash: strategyHash(payload),
      proposed_by: metadata.proposed_by,
      proposed_at: this.now().toISOString(),
    };
    const created = this.placeDirectory(this.candidatesDir, hash, {
      [CANDIDATE_FILE_NAMES.payload]: payload,
      [CANDIDATE_FILE_NAMES.metadata]: metadata,
      [CANDIDATE_FILE_NAMES.manifest]: manifest,
    });
    return { manifest_hash: hash, created, manifest: created ? manifest : this.candidate(hash).manifest };
  }

  /** Resolves a validated hash or prefix to a full candidate hash. */
  resolve(hashOrPrefix: string): string {
    if (isFullHash(hashOrPrefix) && this.hasCandidate(hashOrPrefix)) return hashOrPrefix;
    return resolveHashPrefix(hashOrPrefix, this.candidateHashes(), `the strategy pool ${this.root}`);
  }

  hasCandidate(hash: string): boolean {
    return isFullHash(hash) && existsSync(this.candidateFiles(hash).manifest);
  }

  /** Loads a candidate and checks that its files still hash to its name. */
  candidate(hash: string): Candidate {
    if (!isFullHash(hash)) throw new InputError(`"${hash}" is not a full manifest hash.`);
    const files = this.candidateFiles(hash);
    const dir = files.dir;
    if (!existsSync(dir)) throw new InputError(`No candidate ${hash} in ${this.candidatesDir}.`);
    const manifest = readJsonFile(files.manifest, CandidateManifestSchema, 'manifest');
    const payload = readJsonFile(files.payload, PayloadSchema, 'payload');
    const metadata = readJsonFile(files.metadata, MetadataSchema, 'metadata');
    const actual = manifestHash(payload, metadata);
    if (actual !== hash || manifest.manifest_hash !== hash) {
      throw new RefusedError('integrity', `Candidate ${dir} was altered after it was proposed: its files hash to ${actual}, not ${hash}.`);
    }
    return { manifest, payload, metadata, stable: this.stable(hash) };
  }

  stable(hash: string): StableManifest | undefined {
    if (!isFullHash(hash)) return undefined;
    const path = this.stableFiles(hash).manifest;
    if (!existsSync(path)) return undefined;
    const manifest = readJsonFile(path, StableManifestSchema, 'stable manifest');
    if (manifest.manifest_hash !== hash) throw new RefusedError('integrity', `${path} names ${manifest.manifest_hash}, not ${hash}.`);
    return manifest;
  }

  approve(hash: string, request: ApproveRequest): ApproveResult {
    const candidate = this.candidate(hash);
    if (candidate.stable) return { manifest: candidate.stable, created: false };
    const manifest: StableManifest = {
      ...candidate.manifest,
      kind: 'qraft.stable',
      approved_by: request.approver,
      note: request.note,
      ts: this.now().toISOString(),
      ...(request.forced ? { forced: true } : {}),
    };
    const created = this.placeDirectory(this.stableDir, hash, { [STABLE_FILE_NAMES.manifest]: manifest });
    return { manifest: created ? manifest : (this.stable(hash) as StableManifest), created };
  }

  list(): PoolListing {
    const problems: string[] = [];
    const candidates: Candidate[] = [];
    for (const hash of this.candidateHashes(problems)) {
      try {
        candidates.push(this.candidate(hash));
      } catch (err) {
        problems.push((err as Error).message);
      }
    }
    candidates.sort((a, b) => b.manifest.proposed_at.localeCompare(a.manifest.proposed_at));
    const stable = candidates.flatMap((candidate) => (candidate.stable ? [candidate.stable] : []));
    stable.sort((a, b) => b.ts.localeCompare(a.ts));
    return { candidates, stable, problems };
  }

  private candidateHashes(problems?: string[]): string[] {
    return listEntryNames(this.candidatesDir, problems);
  }

  /**
   * Writes files into a fresh temp directory and renames it to `<parent>/<name>`. Returns false
   * when another writer got there first (the content is the same, since the name is its hash).
   */
  private placeDirectory(parent: string, name: string, files: Record<string, unknown>): boolean {
    ensureDir(parent);
    const temp = join(parent, `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
    ensureDir(temp);
    try {
      for (const [file, value] of Object.entries(files)) writeFileAtomicSync(join(temp, file), prettyJson(value));
      failpoint('pool:before-rename');
      try {
        renameSync(temp, join(parent, name));
        return true;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
        throw fsInputError(err, 'write', join(parent, name));
      }
    } finally {
      removeIfExists(temp);
    }
  }
}

/** An entry's directory name: its full hash, checked, so no path is ever built from anything else. */
function entryName(hash: string): string {
  if (!isFullHash(hash)) throw new InputError(`"${hash}" is not a full manifest hash.`);
  return hash;
}

/** Names of hash-named entries in a directory; anything else is reported, not trusted. */
function listEntryNames(dir: string, problems?: string[]): string[] {
  if (!existsSync(dir)) return [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw fsInputError(err, 'list', dir);
  }
  return names.filter((name) => {
    if (name.startsWith('.')) return false;
    if (isFullHash(name)) return true;
    problems?.push(`${join(dir, name)} is not named by a manifest hash and was ignored.`);
    return false;
  });
}
