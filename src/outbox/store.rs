//! The offline outbox: members accepted durably while the gateway cannot be reached, sent
//! later exactly once.
//!
//! One SQLite file (`outbox_path`), compiled into the library, in WAL mode with full
//! synchronous commits: a member the library has accepted survives a killed process and a
//! power cut. The file holds personal data (names, mobiles), so it is created owner-only,
//! never through a symlink, and only in a folder nobody else can write to.
//!
//! An item is `queued`, `sending` (claimed by one flush, under a lease), `saved`, `refused`
//! (Kingdee or validation said no: the shop fixes it and retries, or discards it) or
//! `discarded`. A claim is one atomic `UPDATE ... WHERE state = 'queued'`, so of several
//! processes flushing one file, exactly one sends each item. An item whose send may have
//! reached the gateway without an answer (a killed process, a lost answer) is `in_doubt`:
//! the next flush looks the member up before sending it again.

use crate::error::{Error, FieldError, Result};
use crate::outbox::item::{row_item, Claimed, Item, State, Status, SELECT_ITEM};
use crate::sys::secure_file;
use crate::sys::time::{iso_time, system_now_ms};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// What the `meta` table says a jdy-member outbox is.
const FORMAT: &str = "jdy-member outbox";
const VERSION: &str = "1";
/// How long another process waits for a write lock before reporting the file busy.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// The most rows one list answers.
pub(crate) const MAX_LIST: u32 = 1_000;

/// The outbox file, open.
pub(crate) struct Outbox {
    path: PathBuf,
    connection: Mutex<Connection>,
    /// Who claims items in this process (`<pid>-<random>`).
    owner: String,
}

fn unusable(path: &Path, why: impl std::fmt::Display) -> Error {
    Error::config(format!(
        "`outbox_path` {} is not usable: {why}",
        path.display()
    ))
}

fn storage(path: &Path, e: rusqlite::Error) -> Error {
    Error::internal(format!(
        "the outbox {} could not be read or written ({e}); check the disk, then call again",
        path.display()
    ))
}

impl Outbox {
    /// Opens (or creates) the outbox at `path`. A file that is not a jdy-member outbox is
    /// refused and left as it is.
    pub fn open(path: &Path) -> Result<Outbox> {
        if let Some(why) = secure_file::unsafe_folder(path) {
            return Err(unusable(
                path,
                format!("{why}; the outbox holds members' personal data"),
            ));
        }
        let existed = std::fs::metadata(path)
            .map(|m| m.len() > 0)
            .unwrap_or(false);
        if !existed {
            // Created owner-only from the first byte (SQLite gives its WAL files the same
            // mode), never through a symlink.
            secure_file::open_private(path)
                .map_err(|e| unusable(path, format!("it cannot be created ({e})")))?;
        } else if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(unusable(path, "it is a symbolic link; give the real file"));
        }
        let connection = Connection::open(path).map_err(|e| unusable(path, e))?;
        let outbox = Outbox {
            path: path.to_path_buf(),
            connection: Mutex::new(connection),
            owner: format!("{}-{:08x}", std::process::id(), fastrand::u32(..)),
        };
        outbox.prepare(existed)?;
        Ok(outbox)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.connection.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Checks a file that existed (it must be ours), creates the tables of a new one.
    fn prepare(&self, existed: bool) -> Result<()> {
        let path = &self.path;
        let conn = self.lock();
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| storage(path, e))?;
        if existed {
            let format: Option<String> = conn
                .query_row("SELECT value FROM meta WHERE key = 'format'", [], |r| r.get(0))
                .optional()
                .map_err(|_| unusable(path, "it is not a jdy-member outbox (not an SQLite database of ours); it was not changed: choose another path"))?;
            if format.as_deref() != Some(FORMAT) {
                return Err(unusable(path, "it is an SQLite database, but not a jdy-member outbox; it was not changed: choose another path"));
            }
            let version: Option<String> = conn
                .query_row("SELECT value FROM meta WHERE key = 'version'", [], |r| {
                    r.get(0)
                })
                .optional()
                .map_err(|e| storage(path, e))?;
            if version.as_deref() != Some(VERSION) {
                return Err(unusable(path, format!("it is a jdy-member outbox of format {}, this library reads format {VERSION}; upgrade jdy-member", version.unwrap_or_default())));
            }
        }
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA foreign_keys = ON;",
        )
        .map_err(|e| storage(path, e))?;
        if !existed {
            conn.execute_batch(&format!(
                "BEGIN IMMEDIATE;
                 CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                 INSERT OR IGNORE INTO meta VALUES ('format', '{FORMAT}'), ('version', '{VERSION}');
                 CREATE TABLE IF NOT EXISTS items (
                     seq INTEGER PRIMARY KEY AUTOINCREMENT,
                     outbox_id TEXT NOT NULL UNIQUE,
                     member TEXT NOT NULL,
                     mobile TEXT NOT NULL,
                     state TEXT NOT NULL,
                     in_doubt INTEGER NOT NULL DEFAULT 0,
                     attempts INTEGER NOT NULL DEFAULT 0,
                     queued_at INTEGER NOT NULL,
                     updated_at INTEGER NOT NULL,
                     next_try_at INTEGER NOT NULL DEFAULT 0,
                     claimed_by TEXT,
                     claimed_until INTEGER,
                     saved_at INTEGER,
                     result TEXT,
                     last_error TEXT
                 );
                 CREATE INDEX IF NOT EXISTS items_by_state ON items (state, seq);
                 CREATE INDEX IF NOT EXISTS items_by_mobile ON items (mobile, state);
                 COMMIT;"
            ))
            .map_err(|e| storage(path, e))?;
        }
        Ok(())
    }

    /// Accepts a validated member durably. A member whose mobile is already queued (and
    /// certainly not sent yet) replaces it: the clerk typed it again, the later is meant.
    /// Returns the item and whether it replaced a queued one.
    pub fn add(&self, member: &Map<String, Value>, in_doubt: bool) -> Result<(Item, bool)> {
        let path = &self.path;
        let mobile = member
            .get("mobile")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let text = serde_json::to_string(member)
            .map_err(|e| Error::internal(format!("a member could not be serialised: {e}")))?;
        let now = system_now_ms();
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| storage(path, e))?;
        let earlier: Option<(i64, String)> = tx
            .query_row(
                "SELECT seq, outbox_id FROM items WHERE mobile = ?1 AND state = 'queued' AND in_doubt = 0 ORDER BY seq DESC LIMIT 1",
                params![mobile],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| storage(path, e))?;
        let (seq, merged) = match (earlier, in_doubt) {
            (Some((seq, _)), false) => {
                tx.execute(
                    "UPDATE items SET member = ?1, updated_at = ?2, last_error = NULL WHERE seq = ?3",
                    params![text, now, seq],
                )
                .map_err(|e| storage(path, e))?;
                (seq, true)
            }
            _ => {
                let id = format!("ob-{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
                tx.execute(
                    "INSERT INTO items (outbox_id, member, mobile, state, in_doubt, queued_at, updated_at) VALUES (?1, ?2, ?3, 'queued', ?4, ?5, ?5)",
                    params![id, text, mobile, in_doubt, now],
                )
                .map_err(|e| storage(path, e))?;
                (tx.last_insert_rowid(), false)
            }
        };
        tx.commit().map_err(|e| storage(path, e))?;
        let item = Self::item_by_seq(&conn, path, seq)?
            .ok_or_else(|| Error::internal("an outbox item vanished right after it was written"))?;
        Ok((item, merged))
    }

    fn item_by_seq(conn: &Connection, path: &Path, seq: i64) -> Result<Option<Item>> {
        conn.query_row(
            &format!("{SELECT_ITEM} WHERE seq = ?1"),
            params![seq],
            row_item,
        )
        .optional()
        .map_err(|e| storage(path, e))
    }

    /// Claims the oldest item that is due (`queued`, or `sending` under an expired lease,
    /// which becomes in doubt), for `lease`. None when nothing is due. `respect_backoff`
    /// skips items waiting out a failure.
    pub fn claim(&self, lease: Duration, respect_backoff: bool) -> Result<Option<Claimed>> {
        let path = &self.path;
        let now = system_now_ms();
        let until = now + lease.as_millis() as i64;
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| storage(path, e))?;
        // A sender that died (or overran its lease) may have sent the member.
        tx.execute(
            "UPDATE items SET state = 'queued', in_doubt = 1, claimed_by = NULL, claimed_until = NULL WHERE state = 'sending' AND claimed_until < ?1",
            params![now],
        )
        .map_err(|e| storage(path, e))?;
        let due = if respect_backoff { now } else { i64::MAX };
        let next: Option<(i64, String, String, bool, i64)> = tx
            .query_row(
                "SELECT seq, outbox_id, member, in_doubt, attempts FROM items WHERE state = 'queued' AND next_try_at <= ?1 ORDER BY seq LIMIT 1",
                params![due],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()
            .map_err(|e| storage(path, e))?;
        let Some((seq, outbox_id, member, in_doubt, attempts)) = next else {
            tx.commit().map_err(|e| storage(path, e))?;
            return Ok(None);
        };
        let token = format!("{}-{:08x}", self.owner, fastrand::u32(..));
        tx.execute(
            "UPDATE items SET state = 'sending', claimed_by = ?1, claimed_until = ?2, attempts = attempts + 1, updated_at = ?3 WHERE seq = ?4 AND state = 'queued'",
            params![token, until, now, seq],
        )
        .map_err(|e| storage(path, e))?;
        tx.commit().map_err(|e| storage(path, e))?;
        let member = match serde_json::from_str::<Value>(&member) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        Ok(Some(Claimed {
            seq,
            token,
            outbox_id,
            member,
            in_doubt,
            // This claim counted itself: `attempts = attempts + 1` above.
            attempts: (attempts.max(0) as u32).saturating_add(1),
        }))
    }

    /// The member is saved: Kingdee's answer is kept with it.
    pub fn saved(&self, claimed: &Claimed, answer: &Value) -> Result<()> {
        let now = system_now_ms();
        self.finish(
            claimed,
            "UPDATE items SET state = 'saved', in_doubt = 0, saved_at = ?1, updated_at = ?1, result = ?2, last_error = NULL, claimed_by = NULL, claimed_until = NULL WHERE seq = ?3 AND claimed_by = ?4",
            params![now, answer.to_string(), claimed.seq, claimed.token],
        )
    }

    /// Kingdee (or validation) refused the member: kept, with the reason, for the shop.
    pub fn refused(&self, claimed: &Claimed, error: &Error) -> Result<()> {
        let now = system_now_ms();
        self.finish(
            claimed,
            "UPDATE items SET state = 'refused', in_doubt = 0, updated_at = ?1, last_error = ?2, claimed_by = NULL, claimed_until = NULL WHERE seq = ?3 AND claimed_by = ?4",
            params![now, error.to_json().to_string(), claimed.seq, claimed.token],
        )
    }

    /// Not saved now: queued again, to be tried after `wait`; `in_doubt` when the attempt
    /// may have reached the gateway.
    pub fn failed(
        &self,
        claimed: &Claimed,
        error: &Error,
        in_doubt: bool,
        wait: Duration,
    ) -> Result<()> {
        let now = system_now_ms();
        self.finish(
            claimed,
            "UPDATE items SET state = 'queued', in_doubt = ?1, updated_at = ?2, next_try_at = ?3, last_error = ?4, claimed_by = NULL, claimed_until = NULL WHERE seq = ?5 AND claimed_by = ?6",
            params![in_doubt, now, now + wait.as_millis() as i64, error.to_json().to_string(), claimed.seq, claimed.token],
        )
    }

    fn finish(&self, claimed: &Claimed, sql: &str, params: impl rusqlite::Params) -> Result<()> {
        let conn = self.lock();
        let changed = conn
            .execute(sql, params)
            .map_err(|e| storage(&self.path, e))?;
        if changed == 0 {
            return Err(Error::internal(format!(
                "outbox item {} was no longer claimed by this process when its result came back (its lease ran out); it is in doubt and will be looked up before it is sent again",
                claimed.outbox_id
            )));
        }
        Ok(())
    }

    /// The counts per state, the oldest queued, and the latest error.
    pub fn status(&self) -> Result<Status> {
        let path = &self.path;
        let conn = self.lock();
        let mut status = Status::default();
        let mut stmt = conn
            .prepare("SELECT state, count(*), sum(in_doubt) FROM items GROUP BY state")
            .map_err(|e| storage(path, e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })
            .map_err(|e| storage(path, e))?;
        for row in rows {
            let (state, count, doubt) = row.map_err(|e| storage(path, e))?;
            let count = count.max(0) as u64;
            match State::parse(&state) {
                Some(State::Queued) => {
                    status.queued = count;
                    status.in_doubt = doubt.max(0) as u64;
                }
                Some(State::Sending) => status.sending = count,
                Some(State::Saved) => status.saved = count,
                Some(State::Refused) => status.refused = count,
                Some(State::Discarded) => status.discarded = count,
                None => {}
            }
        }
        status.oldest_queued_at = conn
            .query_row(
                "SELECT min(queued_at) FROM items WHERE state IN ('queued', 'sending')",
                [],
                |r| r.get::<_, Option<i64>>(0),
            )
            .map_err(|e| storage(path, e))?
            .map(iso_time);
        status.last_error = conn
            .query_row(
                "SELECT last_error FROM items WHERE state IN ('queued', 'refused') AND last_error IS NOT NULL ORDER BY updated_at DESC LIMIT 1",
                [],
                |r| r.get::<_, String>(0),
            )
            .optional()
            .map_err(|e| storage(path, e))?
            .and_then(|text| serde_json::from_str(&text).ok());
        Ok(status)
    }

    /// Up to `limit` items in `state` (any when None), oldest first, after `after`.
    pub fn list(&self, state: Option<State>, limit: u32, after: Option<&str>) -> Result<Vec<Item>> {
        let path = &self.path;
        let conn = self.lock();
        let after_seq: i64 = match after {
            None => 0,
            Some(id) => conn
                .query_row(
                    "SELECT seq FROM items WHERE outbox_id = ?1",
                    params![id],
                    |r| r.get(0),
                )
                .optional()
                .map_err(|e| storage(path, e))?
                .ok_or_else(|| {
                    Error::validation(
                        "query",
                        vec![FieldError::new(
                            "after",
                            "names no item of this outbox; give an outbox_id from an earlier list",
                        )],
                    )
                })?,
        };
        let mut stmt = conn
            .prepare(&format!(
                "{SELECT_ITEM} WHERE seq > ?1 AND (?2 IS NULL OR state = ?2) ORDER BY seq LIMIT ?3"
            ))
            .map_err(|e| storage(path, e))?;
        let rows = stmt
            .query_map(
                params![after_seq, state.map(State::as_str), limit],
                row_item,
            )
            .map_err(|e| storage(path, e))?;
        rows.collect::<std::result::Result<Vec<Item>, _>>()
            .map_err(|e| storage(path, e))
    }

    /// The item with this id.
    pub fn get(&self, outbox_id: &str) -> Result<Option<Item>> {
        let conn = self.lock();
        conn.query_row(
            &format!("{SELECT_ITEM} WHERE outbox_id = ?1"),
            params![outbox_id],
            row_item,
        )
        .optional()
        .map_err(|e| storage(&self.path, e))
    }

    /// Queues refused (or discarded) items again: one by id, optionally with a corrected
    /// member, or every item in `from`. Returns how many.
    pub fn requeue(
        &self,
        outbox_id: Option<&str>,
        member: Option<&Map<String, Value>>,
        from: State,
    ) -> Result<usize> {
        let path = &self.path;
        let now = system_now_ms();
        let conn = self.lock();
        let changed = match (outbox_id, member) {
            (Some(id), Some(member)) => {
                let mobile = member.get("mobile").and_then(Value::as_str).unwrap_or_default();
                let text = serde_json::to_string(member)
                    .map_err(|e| Error::internal(format!("a member could not be serialised: {e}")))?;
                conn.execute(
                    "UPDATE items SET state = 'queued', member = ?1, mobile = ?2, next_try_at = 0, last_error = NULL, updated_at = ?3 WHERE outbox_id = ?4 AND state IN ('refused', 'discarded')",
                    params![text, mobile, now, id],
                )
            }
            (Some(id), None) => conn.execute(
                "UPDATE items SET state = 'queued', next_try_at = 0, last_error = NULL, updated_at = ?1 WHERE outbox_id = ?2 AND state IN ('refused', 'discarded')",
                params![now, id],
            ),
            (None, _) => conn.execute(
                "UPDATE items SET state = 'queued', next_try_at = 0, last_error = NULL, updated_at = ?1 WHERE state = ?2",
                params![now, from.as_str()],
            ),
        };
        changed.map_err(|e| storage(path, e))
    }

    /// Gives up on an item the shop will not send (refused, or queued and not in doubt):
    /// kept as `discarded`, never deleted. Returns how many.
    pub fn discard(&self, outbox_id: Option<&str>, from: State) -> Result<usize> {
        let now = system_now_ms();
        let conn = self.lock();
        let changed = match outbox_id {
            Some(id) => conn.execute(
                "UPDATE items SET state = 'discarded', updated_at = ?1 WHERE outbox_id = ?2 AND (state = 'refused' OR (state = 'queued' AND in_doubt = 0))",
                params![now, id],
            ),
            None => conn.execute(
                "UPDATE items SET state = 'discarded', updated_at = ?1 WHERE state = ?2 AND in_doubt = 0",
                params![now, from.as_str()],
            ),
        };
        changed.map_err(|e| storage(&self.path, e))
    }

    /// Deletes saved items older than `keep`: the audit trail's end. Returns how many.
    pub fn prune(&self, keep: Duration) -> Result<usize> {
        let before = system_now_ms() - keep.as_millis() as i64;
        let conn = self.lock();
        conn.execute(
            "DELETE FROM items WHERE state = 'saved' AND saved_at < ?1",
            params![before],
        )
        .map_err(|e| storage(&self.path, e))
    }

    /// How many items are queued (due or not) or being sent.
    pub fn left(&self) -> Result<u64> {
        let conn = self.lock();
        conn.query_row(
            "SELECT count(*) FROM items WHERE state IN ('queued', 'sending')",
            [],
            |r| r.get::<_, i64>(0),
        )
        .map(|n| n.max(0) as u64)
        .map_err(|e| storage(&self.path, e))
    }
}

#[cfg(test)]
mod tests;
