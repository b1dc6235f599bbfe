// The SQLite layout. Bump DB_SCHEMA_VERSION on any incompatible change: an older file is then
// refused with "run portcullis db update" rather than misread.

/** PRAGMA application_id: marks a SQLite file as a portcullis DB ("PcDB"). */
export const APPLICATION_ID = 0x50634442;
export const DB_SCHEMA_VERSION = 2;

/** Schema versions a build can upgrade in place (db update / db import copy, then migrate). */
export const UPGRADABLE_SCHEMA_VERSIONS = [1];

export const DDL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sources (
  name TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  url TEXT,
  etag TEXT,
  last_modified TEXT,
  fetched_at TEXT NOT NULL,
  records INTEGER NOT NULL DEFAULT 0,
  data_date TEXT
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS records (
  rid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  modified TEXT NOT NULL,
  withdrawn INTEGER NOT NULL DEFAULT 0,
  source TEXT,
  json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS affected (
  name TEXT NOT NULL,
  ecosystem TEXT NOT NULL,
  rid INTEGER NOT NULL,
  PRIMARY KEY (name, ecosystem, rid)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS affected_rid ON affected (rid);
CREATE TABLE IF NOT EXISTS aliases (
  alias TEXT NOT NULL,
  rid INTEGER NOT NULL,
  PRIMARY KEY (alias, rid)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS aliases_rid ON aliases (rid);
-- Per (ecosystem key, record source): live (not withdrawn) records, newest modified, and whether
-- the key itself is an affected ecosystem (exact = 1) or only a prefix of one. A record counts once
-- under every key a lookup of that key would find it by: each affected ecosystem and each of its
-- prefixes ending before a ':' ('Red Hat:enterprise_linux:9::appstream' also counts under
-- 'Red Hat:enterprise_linux:9', 'Red Hat:enterprise_linux', 'Red Hat'), plus '' (the whole source).
-- So coverage of any ecosystem is one indexed read, whatever the DB size.
CREATE TABLE IF NOT EXISTS ecosystem_stats (
  ecosystem TEXT NOT NULL,
  source TEXT NOT NULL,
  records INTEGER NOT NULL DEFAULT 0,
  modified TEXT,
  exact INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (ecosystem, source)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS kev (cve TEXT PRIMARY KEY, json TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS epss (cve TEXT PRIMARY KEY, score REAL NOT NULL, percentile REAL NOT NULL, date TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS nvd (cve TEXT PRIMARY KEY, json TEXT NOT NULL) WITHOUT ROWID;
-- The base score of every CVSS vector the records write, by the vector as written, computed at
-- import by the calculator meta 'cvss_calculator' names (version and score NULL: not valid CVSS).
-- Added within schema 2: a file without it (or scored by another calculator) is scored at scan time.
CREATE TABLE IF NOT EXISTS cvss (vector TEXT PRIMARY KEY, version TEXT, score REAL) WITHOUT ROWID;
`;
