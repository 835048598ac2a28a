/**
 * The PostgreSQL store's schema, in versioned migrations. `qraft_schema` holds the version the
 * database is at; a write by a role that may create tables migrates it (under an advisory lock, in
 * one transaction per migration), a read never does: a read-only role on a database without the
 * schema, or on another version, gets one sentence.
 *
 * Tables (all in the connection's current schema, `public` unless the URL's options say otherwise):
 *
 * - qraft_blobs: content-addressed bytes, sha256 → bytes: payloads, metadata, candidate and stable
 *   manifests, lineage, rejections, evidence reports and their signatures. Exactly the bytes the
 *   file store would have in its files, so every hash a HISTORY entry commits to is the same.
 * - qraft_candidates: one row per candidate (manifest hash → the blobs of its manifest, payload and
 *   metadata; proposed_at for ordering).
 * - qraft_evidence: the reports attached to a candidate (report hash → its blob), and the signature
 *   that came with one (a blob).
 * - qraft_lineage, qraft_stable, qraft_rejections: a candidate's git lineage, approval (the stable
 *   manifest's bytes) and rejection, each a blob.
 * - qraft_history: the hash chain, seq → the entry's JSON text exactly as HISTORY.json holds it
 *   (schema key order, two-space indent), and its hash.
 * - qraft_current: CURRENT's record (one row), derived from the history and checked against it.
 */

export const SCHEMA_VERSION = 1;

/** Key of the advisory lock that serialises migrations (an arbitrary constant: "qraft" + 1). */
export const MIGRATION_LOCK = 0x71726166_01;
/** Key of the advisory lock that serialises the deploy writes (publish, rollback). */
export const DEPLOY_LOCK = 0x71726166_02;
/** The LISTEN/NOTIFY channel every write notifies. */
export const CHANNEL = 'qraft_release';

/** Migration N brings the schema from version N-1 to N. */
export const MIGRATIONS: readonly (readonly string[])[] = [
  [],
  [
    `CREATE TABLE IF NOT EXISTS qraft_schema (
       id integer PRIMARY KEY CHECK (id = 1),
       version integer NOT NULL,
       migrated_at timestamptz NOT NULL DEFAULT now()
     )`,
    `CREATE TABLE IF NOT EXISTS qraft_blobs (
       sha256 char(64) PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
       bytes bytea NOT NULL
     )`,
    `CREATE TABLE IF NOT EXISTS qraft_candidates (
       manifest_hash char(64) PRIMARY KEY CHECK (manifest_hash ~ '^[0-9a-f]{64}$'),
       manifest_sha char(64) NOT NULL REFERENCES qraft_blobs (sha256),
       payload_sha char(64) NOT NULL REFERENCES qraft_blobs (sha256),
       metadata_sha char(64) NOT NULL REFERENCES qraft_blobs (sha256),
       proposed_at text NOT NULL,
       created_at timestamptz NOT NULL DEFAULT now()
     )`,
    `CREATE TABLE IF NOT EXISTS qraft_evidence (
       manifest_hash char(64) NOT NULL REFERENCES qraft_candidates (manifest_hash),
       report_hash char(64) NOT NULL,
       kind text NOT NULL,
       report_sha char(64) NOT NULL REFERENCES qraft_blobs (sha256),
       signature_sha char(64) REFERENCES qraft_blobs (sha256),
       PRIMARY KEY (manifest_hash, report_hash)
     )`,
    `CREATE TABLE IF NOT EXISTS qraft_lineage (
       manifest_hash char(64) PRIMARY KEY REFERENCES qraft_candidates (manifest_hash),
       lineage_sha char(64) NOT NULL REFERENCES qraft_blobs (sha256)
     )`,
    `CREATE TABLE IF NOT EXISTS qraft_stable (
       manifest_hash char(64) PRIMARY KEY REFERENCES qraft_candidates (manifest_hash),
       stable_sha char(64) NOT NULL REFERENCES qraft_blobs (sha256)
     )`,
    `CREATE TABLE IF NOT EXISTS qraft_rejections (
       manifest_hash char(64) PRIMARY KEY REFERENCES qraft_candidates (manifest_hash),
       rejection_sha char(64) NOT NULL REFERENCES qraft_blobs (sha256)
     )`,
    `CREATE TABLE IF NOT EXISTS qraft_history (
       seq integer PRIMARY KEY CHECK (seq >= 1),
       hash char(64) NOT NULL UNIQUE,
       entry text NOT NULL,
       written_at timestamptz NOT NULL DEFAULT now()
     )`,
    `CREATE TABLE IF NOT EXISTS qraft_current (
       id integer PRIMARY KEY CHECK (id = 1),
       seq integer NOT NULL REFERENCES qraft_history (seq),
       record text NOT NULL
     )`,
  ],
];

/** Every table the store reads (a read-only role needs SELECT on each). */
export const TABLES = ['qraft_schema', 'qraft_blobs', 'qraft_candidates', 'qraft_evidence', 'qraft_lineage', 'qraft_stable', 'qraft_rejections', 'qraft_history', 'qraft_current'] as const;
