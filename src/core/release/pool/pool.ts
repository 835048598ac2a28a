import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, readdirSync, renameSync, rmdirSync, utimesSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { z } from 'zod';
import { InputError, RefusedError, fsInputError } from '../../shared/errors';
import { failpoint } from '../../shared/failpoint';
import {
  assertNoSymlinkBelow,
  ensureDir,
  readStoreBytesIfExists,
  readTextIfExists,
  removeIfExists,
  symlinkRefusal,
  writeFileAtomicSync,
  writeStoreFileSync,
} from '../../shared/files';
import { canonicalHash, isFullHash, resolveHashPrefix, sha256Hex, strategyHash } from '../../shared/hashing';
import { parseJsonText, prettyJson, validate } from '../../shared/json';
import { shortHash } from '../../shared/labels';
import {
  type CandidateManifest,
  CandidateManifestSchema,
  type Lineage,
  LineageSchema,
  type Rejection,
  RejectionSchema,
  type Metadata,
  MetadataSchema,
  type Payload,
  PayloadSchema,
  type StableManifest,
  StableManifestSchema,
} from './schemas';
import { type ReportFolder, type SavedReport, parseReportFileName, readReportFolder, saveReport } from '../../evidence/reports/store';
import { commitmentProblemsOf } from '../store/commitments';
import { attachedEvidence, makeProposal, manifestHash } from '../store/proposal';
import type { Proposal } from '../store/types';

const INDEX_FILE = 'index.json';
/** 2: entries carry the candidate's lineage and rejection. */
const INDEX_VERSION = 2;

interface IndexEntry {
  key: string;
  candidate: ListedCandidate;
}

/**
 * index.json: its shape, and each entry's manifest names the entry (an entry is what list() itself
 * read and validated, so it is not validated field by field again: that would cost what the index
 * saves); anything else is rebuilt.
 */
const PoolIndexSchema = z.object({ version: z.literal(INDEX_VERSION), entries: z.record(z.string(), z.unknown()) });

/** An index entry as list() wrote it: a key and a candidate whose manifest names it. */
function isIndexEntry(hash: string, value: unknown): value is IndexEntry {
  const entry = value as { key?: unknown; candidate?: Partial<ListedCandidate> } | null;
  const candidate = entry?.candidate;
  return typeof entry?.key === 'string' && candidate?.manifest?.manifest_hash === hash && typeof candidate.evidence?.problems === 'number' && typeof candidate.metadata === 'object';
}

export interface Candidate {
  manifest: CandidateManifest;
  payload: Payload;
  metadata: Metadata;
  stable?: StableManifest;
}

/**
 * What a listing shows of a candidate's evidence: the newest precheck and canary as recorded
 * (approval recomputes every verdict; this is for people scanning the pool).
 */
export interface EvidenceSummary {
  precheck?: { passed: boolean; engine: string; fallback?: string };
  canary?: { verdict: string; baseline?: string };
  /** Files in the evidence folder that are not intact reports of this payload. */
  problems: number;
}

/** A pool file that no longer matches what a HISTORY entry committed to: which one, and the sentence. */
export interface CommitmentProblem {
  part: 'candidate' | 'payload' | 'stable' | 'evidence';
  message: string;
}

/** A candidate as the pool lists it: what a person scans (the payload is read when it is opened). */
export interface ListedCandidate extends Omit<Candidate, 'payload'> {
  evidence: EvidenceSummary;
  /** Where its strategy file came from in git, when it was in a work tree. */
  lineage?: Lineage;
  /** Present when the candidate was rejected (it is then listed under `rejected` only). */
  rejection?: Rejection;
}

export interface ProposeResult {
  manifest_hash: string;
  /** False when the same payload and metadata were proposed before (newer evidence is still added). */
  created: boolean;
  manifest: CandidateManifest;
  /** The candidate's folder. */
  dir: string;
  /** The reports copied in as evidence by this call. */
  evidence: { kind: string; report_hash: string; passed: boolean | string }[];
  /** The candidate's recorded lineage (the first proposal's), when it has one. */
  lineage?: Lineage;
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

/**
 * The files of a candidate: `candidates/<hash>/{payload,metadata,manifest}.json`, and the reports
 * propose copied in as its evidence, `candidates/<hash>/evidence/` (file names: the report store's).
 */
export interface CandidateFiles {
  dir: string;
  payload: string;
  metadata: string;
  manifest: string;
  evidence: string;
  lineage: string;
  rejection: string;
}

/** The file of a stable version: `stable/<hash>/manifest.json`. */
export interface StableFiles {
  dir: string;
  manifest: string;
}

const CANDIDATE_FILE_NAMES = { payload: 'payload.json', metadata: 'metadata.json', manifest: 'manifest.json', evidence: 'evidence', evidenceSignatures: 'evidence-signatures', lineage: 'lineage.json', rejection: 'rejection.json' } as const;
const STABLE_FILE_NAMES = { manifest: 'manifest.json' } as const;

export interface PoolListing {
  /** Candidates not rejected, newest first: waiting for approval, or stable (`stable` set). */
  candidates: ListedCandidate[];
  /** Rejected candidates, newest first (each with its `rejection`); list() always sets it. */
  rejected?: ListedCandidate[];
  stable: StableManifest[];
  /** Entries that could not be read, each one sentence; listing never fails because of them. */
  problems: string[];
}

export { manifestHash } from '../store/proposal';

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
      evidence: join(dir, CANDIDATE_FILE_NAMES.evidence),
      lineage: join(dir, CANDIDATE_FILE_NAMES.lineage),
      rejection: join(dir, CANDIDATE_FILE_NAMES.rejection),
    };
  }

  /**
   * The staged proposal at the pool's root, `payload.json` and `metadata.json`: what a precheck or
   * canary leaves ready for propose (the seed's default paths).
   */
  stagedFiles(): { payload: string; metadata: string } {
    return { payload: join(this.root, CANDIDATE_FILE_NAMES.payload), metadata: join(this.root, CANDIDATE_FILE_NAMES.metadata) };
  }

  /**
   * Stages a strategy document for propose: payload.json is replaced by it, metadata.json is
   * written only when absent (a person may have edited it). Never evidence: propose finds that.
   */
  stage(document: unknown, proposedBy: string, lineage?: Lineage): { payload: string; metadata: string } {
    const files = this.stagedFiles();
    ensureDir(this.root);
    writeFileAtomicSync(files.payload, prettyJson(document));
    // The lineage of the file staged, for propose; none when it was not in a git work tree.
    const lineagePath = join(this.root, CANDIDATE_FILE_NAMES.lineage);
    if (lineage) writeFileAtomicSync(lineagePath, prettyJson(lineage));
    else removeIfExists(lineagePath);
    if (!existsSync(files.metadata)) writeFileAtomicSync(files.metadata, prettyJson({ proposed_by: proposedBy }));
    return files;
  }

  /** The lineage stage() recorded, when `payloadPath` is the staged payload; else undefined. */
  stagedLineage(payloadPath: string): Lineage | undefined {
    if (resolve(payloadPath) !== resolve(this.stagedFiles().payload)) return undefined;
    const text = readTextIfExists(join(this.root, CANDIDATE_FILE_NAMES.lineage));
    try {
      return text === undefined ? undefined : LineageSchema.parse(JSON.parse(text));
    } catch {
      return undefined;
    }
  }

  /** Where a stable version's approval manifest is (whether or not it exists). */
  stableFiles(hash: string): StableFiles {
    const dir = join(this.stableDir, entryName(hash));
    return { dir, manifest: join(dir, STABLE_FILE_NAMES.manifest) };
  }

  /**
   * Puts a proposal in the pool with the reports found for its payload as evidence. Proposing the
   * same payload and metadata again returns the same candidate and adds any newer evidence.
   */
  propose(
    payloadInput: unknown,
    metadataInput: unknown,
    evidence: readonly SavedReport[] = [],
    signatures: ReadonlyMap<string, string> = new Map(),
    lineage?: Lineage,
  ): ProposeResult {
    return this.record(makeProposal(payloadInput, metadataInput, evidence, signatures, lineage, this.now()));
  }

  /**
   * Records a checked proposal (store/proposal.ts makeProposal): a new candidate is written into a
   * temp directory and renamed into place; an existing one keeps its manifest and first lineage and
   * gets the newer evidence.
   */
  record(proposal: Proposal): ProposeResult {
    const { manifest_hash: hash, payload, metadata, evidence, signatures, lineage } = proposal;
    const attached = attachedEvidence(evidence);
    const dir = this.candidateFiles(hash).dir;
    const attachSignatures = (candidateDir: string) => {
      for (const saved of evidence) {
        const signature = signatures.get(saved.report_hash);
        if (!signature) continue;
        const folder = join(candidateDir, CANDIDATE_FILE_NAMES.evidenceSignatures);
        ensureDir(folder);
        writeStoreFileSync(join(folder, `${saved.report_hash}.sig`), `${signature.trim()}\n`);
      }
    };
    /** Newer evidence for a candidate already in the pool; its folder's mtime then tells the listing index. */
    const addEvidence = () => {
      if (evidence.length === 0) return;
      for (const saved of evidence) saveReport(this.candidateFiles(hash).evidence, saved.report);
      attachSignatures(dir);
      const now = new Date();
      utimesSync(dir, now, now);
    };
    /** The first proposal's lineage stands; one proposed without lineage gets this one's. */
    const keepLineage = (): Lineage | undefined => {
      const recorded = this.lineage(hash);
      if (recorded || !lineage) return recorded;
      writeStoreFileSync(this.candidateFiles(hash).lineage, prettyJson(lineage));
      return lineage;
    };
    const withLineage = (recorded: Lineage | undefined) => (recorded ? { lineage: recorded } : {});
    if (this.hasCandidate(hash)) {
      const existing = this.candidate(hash);
      const recorded = keepLineage();
      addEvidence();
      return { manifest_hash: hash, created: false, manifest: existing.manifest, dir, evidence: attached, ...withLineage(recorded) };
    }
    const manifest = proposal.manifest;
    const created = this.placeDirectory(
      this.candidatesDir,
      hash,
      {
        [CANDIDATE_FILE_NAMES.payload]: payload,
        [CANDIDATE_FILE_NAMES.metadata]: metadata,
        [CANDIDATE_FILE_NAMES.manifest]: manifest,
        ...(lineage ? { [CANDIDATE_FILE_NAMES.lineage]: lineage } : {}),
      },
      (temp) => {
        for (const saved of evidence) saveReport(join(temp, CANDIDATE_FILE_NAMES.evidence), saved.report);
        attachSignatures(temp);
      },
    );
    const recorded = created ? lineage : keepLineage();
    if (!created) addEvidence();
    return { manifest_hash: hash, created, manifest: created ? manifest : this.candidate(hash).manifest, dir, evidence: attached, ...withLineage(recorded) };
  }

  /** The candidate's lineage (`lineage.json`), validated; undefined when it has none. */
  lineage(hash: string): Lineage | undefined {
    const path = this.candidateFiles(hash).lineage;
    return readStoreBytesIfExists(path, this.root) === undefined ? undefined : this.readStoreJson(path, LineageSchema, 'lineage');
  }

  /** The candidate's rejection (`rejection.json`), validated; undefined when it was not rejected. */
  rejection(hash: string): Rejection | undefined {
    const path = this.candidateFiles(hash).rejection;
    if (readStoreBytesIfExists(path, this.root) === undefined) return undefined;
    const rejection = this.readStoreJson(path, RejectionSchema, 'rejection');
    if (rejection.manifest_hash !== hash) throw new RefusedError('integrity', `${path} names ${rejection.manifest_hash}, not ${hash}.`);
    return rejection;
  }

  /** Records a rejection (atomically, never through a symbolic link); the release service checks it may. */
  writeRejection(hash: string, rejection: Rejection): void {
    const files = this.candidateFiles(hash);
    assertNoSymlinkBelow(this.root, files.rejection);
    writeStoreFileSync(files.rejection, prettyJson(rejection));
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
    assertNoSymlinkBelow(this.root, dir);
    if (!existsSync(dir)) throw new InputError(`No candidate ${hash} in ${this.candidatesDir}.`);
    const manifest = this.readStoreJson(files.manifest, CandidateManifestSchema, 'manifest');
    const payload = this.readStoreJson(files.payload, PayloadSchema, 'payload');
    const metadata = this.readStoreJson(files.metadata, MetadataSchema, 'metadata');
    const actual = manifestHash(payload, metadata);
    if (actual !== hash || manifest.manifest_hash !== hash) {
      throw new RefusedError('integrity', `Candidate ${dir} was altered after it was proposed: its files hash to ${actual}, not ${hash}.`);
    }
    return { manifest, payload, metadata, stable: this.stable(hash) };
  }

  /**
   * The candidate's evidence, every file re-hashed against its name. Reports for another strategy
   * than the candidate's payload (hashed here, never read from metadata) are problems too.
   */
  evidence(hash: string): ReportFolder {
    const candidate = this.candidate(hash);
    const folder = readReportFolder(this.candidateFiles(hash).evidence);
    const own = strategyHash(candidate.payload);
    const reports = folder.reports.filter((saved) => saved.report.strategy_hash === own);
    const foreign = folder.reports.filter((saved) => saved.report.strategy_hash !== own).map((saved) => `${saved.path} is a report on another strategy`);
    return { reports, problems: [...folder.problems, ...foreign] };
  }

  stable(hash: string): StableManifest | undefined {
    if (!isFullHash(hash)) return undefined;
    const path = this.stableFiles(hash).manifest;
    assertNoSymlinkBelow(this.root, path);
    if (!existsSync(path)) return undefined;
    const manifest = this.readStoreJson(path, StableManifestSchema, 'stable manifest');
    if (manifest.manifest_hash !== hash) throw new RefusedError('integrity', `${path} names ${manifest.manifest_hash}, not ${hash}.`);
    return manifest;
  }

  /** Reads a pool file without following a symbolic link anywhere below the pool's root. */
  private readStoreJson<S extends z.ZodType>(path: string, schema: S, what: string): z.output<S> {
    const bytes = readStoreBytesIfExists(path, this.root);
    if (bytes === undefined) throw new InputError(`Cannot read ${what} ${path}: no such file or directory.`);
    return validate(schema, parseJsonText(bytes.toString('utf8'), path), path);
  }

  /** sha256 of a pool file's bytes, or undefined when it is absent (never through a symbolic link). */
  private fileHash(path: string): string | undefined {
    const bytes = readStoreBytesIfExists(path, this.root);
    return bytes === undefined ? undefined : sha256Hex(bytes);
  }

  /** sha256 of the bytes of `stable/<hash>/manifest.json`, or undefined when there is none. */
  stableHash(hash: string): string | undefined {
    return this.fileHash(this.stableFiles(hash).manifest);
  }

  /**
   * What a HISTORY entry publishing this candidate commits to, apart from the stable manifest:
   * the payload file's bytes and the intact reports of its own payload in its evidence folder.
   */
  candidateCommitments(hash: string): { payload_hash: string; evidence: string[] } {
    const evidence = this.evidence(hash);
    const payload = this.fileHash(this.candidateFiles(hash).payload);
    if (payload === undefined) throw new InputError(`Cannot read payload ${this.candidateFiles(hash).payload}: no such file or directory.`);
    return { payload_hash: payload, evidence: evidence.reports.map((saved) => saved.report_hash).sort() };
  }

  /**
   * Re-hashes the pool files a HISTORY entry committed to: the candidate (its files still hash to
   * its name), its payload, its stable manifest and each evidence report. One clause per file that
   * no longer matches, empty when all do. Reads only.
   */
  commitmentProblems(hash: string, committed: { stable_hash: string; payload_hash: string; evidence: readonly string[] }): CommitmentProblem[] {
    if (!existsSync(this.candidateFiles(hash).dir) && !existsSync(this.stableFiles(hash).dir)) {
      return [{ part: 'candidate', message: `version ${shortHash(hash)} is not in the strategy pool ${this.root} (neither its candidate nor its stable manifest)` }];
    }
    const files = this.candidateFiles(hash);
    return commitmentProblemsOf(hash, committed, {
      checkCandidate: () => void this.candidate(hash),
      payloadHash: () => this.fileHash(files.payload),
      stableHash: () => this.stableHash(hash),
      intactEvidence: () => this.evidenceHashes(hash),
      places: { payload: files.payload, stable: this.stableFiles(hash).manifest, evidence: files.evidence },
    });
  }

  /** Hashes of the evidence files that still hash to their names (read without following links). */
  private evidenceHashes(hash: string): Set<string> {
    const dir = this.candidateFiles(hash).evidence;
    assertNoSymlinkBelow(this.root, dir);
    const found = new Set<string>();
    if (!existsSync(dir)) return found;
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (err) {
      throw fsInputError(err, 'list', dir);
    }
    for (const name of names) {
      const named = parseReportFileName(name);
      if (!named) continue;
      try {
        const bytes = readStoreBytesIfExists(join(dir, name));
        if (bytes && canonicalHash(JSON.parse(bytes.toString('utf8'))) === named.hash) found.add(named.hash);
      } catch {
        // a link, unreadable or not JSON: not an intact report
      }
    }
    return found;
  }

  /**
   * The signature (`ssh-keygen -Y sign`, over the report hash) that came with an evidence report:
   * `candidates/<hash>/evidence-signatures/<report_hash>.sig`, or undefined.
   */
  evidenceSignature(hash: string, reportHash: string): string | undefined {
    if (!isFullHash(reportHash)) return undefined;
    return readStoreBytesIfExists(join(this.candidateFiles(hash).dir, CANDIDATE_FILE_NAMES.evidenceSignatures, `${reportHash}.sig`), this.root)?.toString('utf8');
  }

  /** The bytes of the stable manifest an approval would write (what HISTORY then commits to). */
  stableManifestText(hash: string, request: ApproveRequest): string {
    return prettyJson(stableManifestFor(this.candidate(hash), request, this.now()));
  }

  /**
   * Writes `stable/<hash>/manifest.json` (replacing one no HISTORY entry committed to), never
   * through a symbolic link. The release service calls it under the deploy lock, before HISTORY.
   */
  writeStable(hash: string, text: string): void {
    const files = this.stableFiles(hash);
    assertNoSymlinkBelow(this.root, files.manifest);
    if (!existsSync(files.dir)) {
      const placed = this.placeDirectory(this.stableDir, hash, {}, (temp) => writeStoreFileSync(join(temp, STABLE_FILE_NAMES.manifest), text));
      if (placed) return;
    }
    writeStoreFileSync(files.manifest, text);
  }

  /** Removes `stable/<hash>/` (a failed or abandoned publish's); a symbolic link is removed, never followed. */
  removeStable(hash: string): void {
    const dir = this.stableFiles(hash).dir;
    let link = false;
    try {
      link = lstatSync(dir).isSymbolicLink();
    } catch {
      return;
    }
    if (link) throw symlinkRefusal(dir);
    removeIfExists(dir);
    // The first approval's failed publish leaves no empty stable/ behind either.
    try {
      rmdirSync(this.stableDir);
    } catch {
      // not empty, or gone
    }
  }

  approve(hash: string, request: ApproveRequest): ApproveResult {
    const candidate = this.candidate(hash);
    if (candidate.stable) return { manifest: candidate.stable, created: false };
    const manifest = stableManifestFor(candidate, request, this.now());
    const created = this.placeDirectory(this.stableDir, hash, { [STABLE_FILE_NAMES.manifest]: manifest });
    return { manifest: created ? manifest : (this.stable(hash) as StableManifest), created };
  }

  /** The listing index: what list() read of each candidate, keyed by the state of its files. */
  get indexPath(): string {
    return join(this.root, INDEX_FILE);
  }

  /**
   * Every candidate (with its evidence summary) and stable version, newest first. Reading 1,000
   * candidates in full takes ~170 ms, so what was read is kept in `index.json`, each entry keyed by
   * the size and mtime of its files, its evidence folder and its stable manifest: an entry whose
   * files changed in any way is read again, a candidate the index lacks is read and added, and an
   * index that is missing, unreadable or of another shape is rebuilt. The index only speeds up the
   * listing: approval and publish always read and re-hash the candidate itself.
   */
  list(): PoolListing {
    const problems: string[] = [];
    const candidates: ListedCandidate[] = [];
    const index = this.readIndex();
    const stableNames = new Set(listEntryNames(this.stableDir));
    const next: Record<string, IndexEntry> = {};
    let changed = false;
    for (const hash of this.candidateHashes(problems)) {
      const key = this.entryKey(hash, stableNames);
      const cached = index[hash];
      if (cached && key !== undefined && cached.key === key) {
        candidates.push(cached.candidate as ListedCandidate);
        next[hash] = cached;
        continue;
      }
      try {
        const { payload, ...candidate } = this.candidate(hash);
        const lineage = this.lineage(hash);
        const rejection = this.rejection(hash);
        const listed: ListedCandidate = {
          ...candidate,
          evidence: summarize(readReportFolder(this.candidateFiles(hash).evidence), strategyHash(payload)),
          ...(lineage ? { lineage } : {}),
          ...(rejection ? { rejection } : {}),
        };
        candidates.push(listed);
        if (key !== undefined) next[hash] = { key, candidate: listed };
        changed = true;
      } catch (err) {
        problems.push((err as Error).message);
      }
    }
    if (changed || Object.keys(index).length !== Object.keys(next).length) this.writeIndex(next);
    // ISO timestamps sort as plain strings (localeCompare is ~10× slower and not needed).
    const newestFirst = (a: string, b: string) => (a < b ? 1 : a > b ? -1 : 0);
    candidates.sort((a, b) => newestFirst(a.manifest.proposed_at, b.manifest.proposed_at));
    const stable = candidates.flatMap((candidate) => (candidate.stable ? [candidate.stable] : []));
    stable.sort((a, b) => newestFirst(a.ts, b.ts));
    const rejected = candidates.filter((candidate) => candidate.rejection);
    return { candidates: rejected.length > 0 ? candidates.filter((candidate) => !candidate.rejection) : candidates, rejected, stable, problems };
  }

  /**
   * The state of what a listed candidate was read from: its folder (every pool write renames files
   * into it, and adding evidence touches it, so its mtime changes) and its stable manifest;
   * undefined when the candidate's folder cannot be read. An edit in place that keeps the folder's mtime is not
   * seen by the listing until the next write; approval re-hashes the files whatever the index says.
   */
  private entryKey(hash: string, stable: ReadonlySet<string>): string | undefined {
    // Concatenation, not join(): `hash` is a checked 64-hex name, and this runs 1,000s of times per listing.
    const dir = `${this.candidatesDir}${sep}${hash}`;
    const stat = (path: string) => {
      // throwIfNoEntry: a missing evidence folder is common, and an exception per candidate is slow.
      const found = lstatSync(path, { throwIfNoEntry: false });
      return found ? `${found.size}:${found.mtimeMs}${found.isSymbolicLink() ? 'l' : ''}` : '-';
    };
    const own = stat(dir);
    if (own === '-') return undefined;
    const stableKey = stable.has(hash) ? stat(`${this.stableDir}${sep}${hash}${sep}${STABLE_FILE_NAMES.manifest}`) : '-';
    return `${own}|${stableKey}`;
  }

  private readIndex(): Record<string, IndexEntry> {
    try {
      // Our own file: plain JSON.parse (the user-input checks of parseJsonText cost what the index saves).
      const parsed = PoolIndexSchema.safeParse(JSON.parse(readFileSync(this.indexPath, 'utf8')));
      if (!parsed.success) return {};
      const entries: Record<string, IndexEntry> = {};
      for (const [hash, entry] of Object.entries(parsed.data.entries)) if (isIndexEntry(hash, entry)) entries[hash] = entry;
      return entries;
    } catch {
      return {};
    }
  }

  /** Best effort: a pool that cannot be written (read-only, full) is listed without an index. */
  private writeIndex(entries: Record<string, IndexEntry>): void {
    try {
      if (existsSync(this.candidatesDir)) writeStoreFileSync(this.indexPath, JSON.stringify({ version: INDEX_VERSION, entries }));
    } catch {
      // The next listing reads the candidates again.
    }
  }

  private candidateHashes(problems?: string[]): string[] {
    return listEntryNames(this.candidatesDir, problems);
  }

  /**
   * Writes files into a fresh temp directory and renames it to `<parent>/<name>`. Returns false
   * when another writer got there first (the content is the same, since the name is its hash).
   */
  private placeDirectory(parent: string, name: string, files: Record<string, unknown>, fill?: (temp: string) => void): boolean {
    ensureDir(parent);
    if (lstatSync(parent).isSymbolicLink()) throw symlinkRefusal(parent);
    removeDeadTempDirs(parent);
    const temp = join(parent, `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
    ensureDir(temp);
    try {
      for (const [file, value] of Object.entries(files)) writeFileAtomicSync(join(temp, file), prettyJson(value));
      fill?.(temp);
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

/** The approval record of a candidate: its manifest, who approved it, with what note, when (shared by every store). */
export function stableManifestFor(candidate: Pick<Candidate, 'manifest'>, request: ApproveRequest, now: Date): StableManifest {
  return {
    ...candidate.manifest,
    kind: 'qraft.stable',
    approved_by: request.approver,
    note: request.note,
    ts: now.toISOString(),
    ...(request.forced ? { forced: true } : {}),
  };
}

function summarize(folder: ReportFolder, own: string): EvidenceSummary {
  const mine = folder.reports.filter((saved) => saved.report.strategy_hash === own).sort((a, b) => b.report.created_at.localeCompare(a.report.created_at));
  const summary: EvidenceSummary = { problems: folder.problems.length + folder.reports.length - mine.length };
  for (const { report } of mine) {
    if (report.kind === 'qraft.precheck' && !summary.precheck) {
      summary.precheck = { passed: report.passed, engine: report.precise.engine, ...(report.precise.fallback ? { fallback: report.precise.fallback.message } : {}) };
    }
    if (report.kind === 'qraft.canary' && !summary.canary) summary.canary = { verdict: report.verdict, ...(report.baseline ? { baseline: report.baseline.manifest_hash } : {}) };
  }
  return summary;
}

/** `.tmp-<pid>-<hex>` folders whose writer (this host's pid) is gone: a proposer killed before its rename. */
function removeDeadTempDirs(parent: string): void {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  for (const name of names) {
    const match = /^\.tmp-(\d+)-[0-9a-f]+$/.exec(name);
    if (!match || Number(match[1]) === process.pid) continue;
    try {
      process.kill(Number(match[1]), 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') removeIfExists(join(parent, name));
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
