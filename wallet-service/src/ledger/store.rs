//! The narrow SQL interface the ledger runs on, so that the same statements run in a Durable
//! Object's SQLite storage and, in tests, in an ordinary SQLite database.

use std::fmt;

/// A value bound to, or read from, a SQL statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SqlValue {
    /// SQL `NULL`.
    Null,
    /// An integer. Values read from a Durable Object pass through JavaScript, so the ledger
    /// keeps every integer it stores within ±2^53 − 1.
    Integer(i64),
    /// A UTF-8 string.
    Text(String),
}

impl From<i64> for SqlValue {
    fn from(value: i64) -> SqlValue {
        SqlValue::Integer(value)
    }
}

impl From<&str> for SqlValue {
    fn from(value: &str) -> SqlValue {
        SqlValue::Text(value.to_owned())
    }
}

impl From<Option<&str>> for SqlValue {
    fn from(value: Option<&str>) -> SqlValue {
        value.map_or(SqlValue::Null, SqlValue::from)
    }
}

/// A row of a result, with typed accessors that fail instead of panicking on a mismatch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Row(pub Vec<SqlValue>);

impl Row {
    fn value(&self, column: usize) -> Result<&SqlValue, StoreError> {
        self.0.get(column).ok_or(StoreError::new("result row is missing a column"))
    }

    /// Returns the integer in `column`.
    ///
    /// # Errors
    ///
    /// Fails when the column is missing or holds something else.
    pub fn integer(&self, column: usize) -> Result<i64, StoreError> {
        match self.value(column)? {
            SqlValue::Integer(value) => Ok(*value),
            _ => Err(StoreError::new("result column is not an integer")),
        }
    }

    /// Returns the text in `column`.
    ///
    /// # Errors
    ///
    /// Fails when the column is missing or holds something else.
    pub fn text(&self, column: usize) -> Result<String, StoreError> {
        match self.value(column)? {
            SqlValue::Text(value) => Ok(value.clone()),
            _ => Err(StoreError::new("result column is not text")),
        }
    }

    /// Returns the integer in `column`, or `None` for `NULL`.
    ///
    /// # Errors
    ///
    /// Fails when the column is missing or holds something else.
    pub fn optional_integer(&self, column: usize) -> Result<Option<i64>, StoreError> {
        match self.value(column)? {
            SqlValue::Null => Ok(None),
            SqlValue::Integer(value) => Ok(Some(*value)),
            SqlValue::Text(_) => Err(StoreError::new("result column is not an integer")),
        }
    }

    /// Returns the text in `column`, or `None` for `NULL`.
    ///
    /// # Errors
    ///
    /// Fails when the column is missing or holds something else.
    pub fn optional_text(&self, column: usize) -> Result<Option<String>, StoreError> {
        match self.value(column)? {
            SqlValue::Null => Ok(None),
            SqlValue::Text(value) => Ok(Some(value.clone())),
            SqlValue::Integer(_) => Err(StoreError::new("result column is not text")),
        }
    }
}

/// Runs SQL statements synchronously.
///
/// Synchronous on purpose: a Durable Object commits everything done between two `await`s as
/// one atomic step, and no other request runs in between, so a read-check-write made of
/// synchronous calls cannot be interleaved or half-applied.
pub trait SqlStore {
    /// Runs one statement with positional (`?1`) parameters and returns every row it yields.
    ///
    /// # Errors
    ///
    /// Fails when the database refuses the statement.
    fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError>;

    /// Runs several statements separated by semicolons, without parameters.
    ///
    /// # Errors
    ///
    /// Fails when the database refuses a statement; earlier ones may have run.
    fn execute_batch(&self, sql: &str) -> Result<(), StoreError>;
}

/// The database refused a statement, or answered with rows of an unexpected shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreError {
    message: String,
}

impl StoreError {
    /// Returns an error carrying the database's own description.
    pub fn new(message: impl Into<String>) -> StoreError {
        StoreError { message: message.into() }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "storage failed: {}", self.message)
    }
}

impl std::error::Error for StoreError {}

#[cfg(not(target_arch = "wasm32"))]
pub use native::SqliteStore;

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use rusqlite::types::{Value, ValueRef};
    use rusqlite::{Connection, params_from_iter};

    use super::{Row, SqlStore, SqlValue, StoreError};

    /// An ordinary SQLite database, for running the ledger's statements outside a Worker.
    #[derive(Debug)]
    pub struct SqliteStore {
        connection: Connection,
    }

    impl SqliteStore {
        /// Opens a fresh in-memory database.
        ///
        /// # Errors
        ///
        /// Fails when SQLite cannot open a database.
        pub fn in_memory() -> Result<SqliteStore, StoreError> {
            let connection = Connection::open_in_memory().map_err(to_store_error)?;
            Ok(SqliteStore { connection })
        }
    }

    fn to_store_error(error: rusqlite::Error) -> StoreError {
        StoreError::new(error.to_string())
    }

    impl SqlStore for SqliteStore {
        fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
            let mut statement = self.connection.prepare(sql).map_err(to_store_error)?;
            let column_count = statement.column_count();
            let params = params.iter().map(|value| match value {
                SqlValue::Null => Value::Null,
                SqlValue::Integer(value) => Value::Integer(*value),
                SqlValue::Text(value) => Value::Text(value.clone()),
            });
            let mut rows = statement.query(params_from_iter(params)).map_err(to_store_error)?;

            let mut result = Vec::new();
            while let Some(row) = rows.next().map_err(to_store_error)? {
                let mut values = Vec::with_capacity(column_count);
                for column in 0..column_count {
                    values.push(match row.get_ref(column).map_err(to_store_error)? {
                        ValueRef::Null => SqlValue::Null,
                        ValueRef::Integer(value) => SqlValue::Integer(value),
                        ValueRef::Text(bytes) => {
                            SqlValue::Text(String::from_utf8_lossy(bytes).into_owned())
                        }
                        ValueRef::Real(_) | ValueRef::Blob(_) => {
                            return Err(StoreError::new("unexpected real or blob column"));
                        }
                    });
                }
                result.push(Row(values));
            }
            Ok(result)
        }

        fn execute_batch(&self, sql: &str) -> Result<(), StoreError> {
            self.connection.execute_batch(sql).map_err(to_store_error)
        }
    }
}
