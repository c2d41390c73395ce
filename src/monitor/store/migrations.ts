/** Versioned schema migrations of the monitor store, one SQL text per version for SQLite and PostgreSQL alike. */

/** `{{serial}}` is the dialect's auto-numbered primary key. Append new versions; never edit an applied one. */
export const MIGRATIONS: ReadonlyArray<{ version: number; name: string; sql: string }> = [
  {
    version: 1,
    name: 'images, SBOMs, findings, events, rounds, job queue, deliveries',
    sql: `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE refs (
  ref TEXT PRIMARY KEY, registry TEXT NOT NULL, repository TEXT NOT NULL, tag TEXT, digest TEXT,
  source TEXT NOT NULL, running TEXT NOT NULL DEFAULT '[]', first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL, error TEXT
);
CREATE INDEX refs_digest ON refs (digest);
CREATE TABLE images (
  digest TEXT PRIMARY KEY, ref TEXT NOT NULL, state TEXT NOT NULL, error TEXT,
  sbom TEXT, os TEXT, package_count INTEGER, layers TEXT, config TEXT,
  db_digest TEXT, verdict TEXT, reasons TEXT, counts TEXT, scanned_at BIGINT, matched_at BIGINT, attestation TEXT
);
CREATE INDEX images_verdict ON images (verdict);
CREATE INDEX images_db ON images (db_digest);
CREATE TABLE findings (
  digest TEXT NOT NULL, fkey TEXT NOT NULL, id TEXT NOT NULL, aliases TEXT NOT NULL, severity TEXT NOT NULL,
  package TEXT, version TEXT, type TEXT, fixed_in TEXT, path TEXT, suppressed TEXT, url TEXT, title TEXT,
  PRIMARY KEY (digest, fkey)
);
CREATE INDEX findings_id ON findings (id);
CREATE INDEX findings_package ON findings (package);
CREATE TABLE rounds (
  id {{serial}}, reason TEXT NOT NULL, db_digest TEXT, started_at BIGINT NOT NULL, finished_at BIGINT,
  totals TEXT, summary TEXT
);
CREATE TABLE events (
  id {{serial}}, round_id BIGINT NOT NULL, digest TEXT NOT NULL, kind TEXT NOT NULL, fkey TEXT NOT NULL,
  finding_id TEXT, severity TEXT, detail TEXT, at BIGINT NOT NULL,
  UNIQUE (round_id, digest, kind, fkey)
);
CREATE INDEX events_round ON events (round_id);
CREATE TABLE jobs (
  id {{serial}}, key TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, payload TEXT NOT NULL, round_id BIGINT NOT NULL,
  state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER NOT NULL,
  run_after BIGINT NOT NULL, lease_owner TEXT, lease_until BIGINT, error TEXT, created_at BIGINT NOT NULL, finished_at BIGINT
);
CREATE INDEX jobs_ready ON jobs (state, run_after);
CREATE INDEX jobs_round ON jobs (round_id, state);
CREATE TABLE deliveries (
  id {{serial}}, round_id BIGINT NOT NULL, target TEXT NOT NULL, attempt INTEGER NOT NULL, ok INTEGER NOT NULL,
  status INTEGER, error TEXT, at BIGINT NOT NULL
);
`,
  },
  {
    version: 2,
    name: 'images.findings_sig: a digest of the finding set, so an unchanged image is judged without reading its findings',
    sql: 'ALTER TABLE images ADD COLUMN findings_sig TEXT',
  },
  {
    version: 3,
    name: 'images by reference: the dashboard pages through 10,000 images in reference order',
    sql: 'CREATE INDEX images_ref ON images (ref, digest)',
  },
  {
    version: 4,
    name: 'covering indexes for the overview: images by verdict and state, a round\'s newest events',
    sql: 'CREATE INDEX images_verdict_state ON images (verdict, state); CREATE INDEX events_round_id ON events (round_id, id)',
  },
];

export function migrationSql(sql: string, dialect: 'sqlite' | 'postgres'): string {
  return sql.replaceAll('{{serial}}', dialect === 'sqlite' ? 'INTEGER PRIMARY KEY AUTOINCREMENT' : 'BIGSERIAL PRIMARY KEY');
}
