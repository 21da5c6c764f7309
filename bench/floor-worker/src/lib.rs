//! The floor of the wallet benchmark: the least work a charge through a service binding into a
//! Durable Object can do, measured beside the real thing in the same run.
//!
//! One wasm serves two roles, chosen by the `FLOOR_ROLE` var in each `wrangler.toml`:
//!
//! - `front` (`bench/floor-front/`) takes the HTTP request and passes it, as it came, through
//!   its `UPSTREAM` service binding, as the consumer example passes a charge to the wallet;
//! - `floor` (`bench/floor-worker/`) finds the counter's Durable Object by name and sends it
//!   the request; the object runs one `UPDATE counters SET n = n + 1 WHERE id = ?` in its
//!   SQLite database and answers with the new count.
//!
//! ```text
//! GET /counter/<name>  →  200 {"n": 42}
//! ```
//!
//! A counter name is what [`counter_name`] accepts. The pure parts live here and are tested
//! natively; the Worker glue is built for wasm32 only.
//!
//! ```
//! assert_eq!(floor_worker::counter_name("/counter/hot"), Some("hot"));
//! assert_eq!(floor_worker::counter_name("/counter/a/b"), None);
//! ```

#[cfg(target_arch = "wasm32")]
mod runtime;

/// The path every counter lives under.
pub const COUNTER_PATH_PREFIX: &str = "/counter/";

/// The longest counter name, in bytes.
pub const COUNTER_NAME_BYTES_MAX: usize = 64;

/// Creates the counter table and its one row, run when an object starts.
///
/// The object bumps the row with the same id every time: each object is one counter, and the
/// row is there before the first request, so the request itself runs one statement only.
pub const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS counters (\
        id INTEGER PRIMARY KEY, \
        n INTEGER NOT NULL\
    ); \
    INSERT OR IGNORE INTO counters (id, n) VALUES (1, 0);";

/// The statement every request runs, with the row id as its one parameter.
pub const BUMP: &str = "UPDATE counters SET n = n + 1 WHERE id = ? RETURNING n";

/// The id of the row [`SCHEMA`] creates and [`BUMP`] updates.
pub const COUNTER_ROW_ID: i64 = 1;

/// Returns the counter name in a request path, or `None` when the path names no counter.
///
/// A name is 1 to [`COUNTER_NAME_BYTES_MAX`] ASCII letters, digits, `-` or `_`.
pub fn counter_name(path: &str) -> Option<&str> {
    let name = path.strip_prefix(COUNTER_PATH_PREFIX)?;
    if name.is_empty() || name.len() > COUNTER_NAME_BYTES_MAX {
        return None;
    }
    name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_').then_some(name)
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::*;

    #[test]
    fn counter_name_accepts_letters_digits_dashes_and_underscores() {
        assert_eq!(counter_name("/counter/wallet-0042_b"), Some("wallet-0042_b"));
    }

    #[test]
    fn counter_name_refuses_other_paths_and_characters() {
        assert_eq!(counter_name("/counter/"), None);
        assert_eq!(counter_name("/counters/hot"), None);
        assert_eq!(counter_name("/counter/a/b"), None);
        assert_eq!(counter_name("/counter/h%C3%B6t"), None);
        assert_eq!(counter_name("/counter/hot?x=1"), None);
    }

    #[test]
    fn counter_name_refuses_names_past_the_limit() {
        let longest = "n".repeat(COUNTER_NAME_BYTES_MAX);
        let too_long = "n".repeat(COUNTER_NAME_BYTES_MAX + 1);

        assert_eq!(counter_name(&format!("{COUNTER_PATH_PREFIX}{longest}")), Some(&*longest));
        assert_eq!(counter_name(&format!("{COUNTER_PATH_PREFIX}{too_long}")), None);
    }

    #[test]
    fn bump_counts_every_request_after_the_schema_runs_again() {
        let connection = Connection::open_in_memory().unwrap();
        let bump = |connection: &Connection| -> i64 {
            connection.query_row(BUMP, [COUNTER_ROW_ID], |row| row.get(0)).unwrap()
        };

        connection.execute_batch(SCHEMA).unwrap();
        let first = bump(&connection);
        // An object that restarts runs the schema again; it must keep the count.
        connection.execute_batch(SCHEMA).unwrap();
        let second = bump(&connection);

        assert_eq!(first, 1);
        assert_eq!(second, 2);
    }
}
