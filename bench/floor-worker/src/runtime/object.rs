//! The counter's Durable Object: one per counter name, holding one row in its own SQLite
//! database.

use worker::{
    DurableObject, Env, Request, Response, SqlStorage, SqlStorageValue, State, durable_object,
};

use crate::{BUMP, COUNTER_ROW_ID, SCHEMA};

/// One counter: a row in the object's own SQLite database.
#[durable_object]
pub struct Counter {
    sql: SqlStorage,
    /// Why the schema could not be made, if it could not; every request then fails.
    schema_error: Option<String>,
}

impl DurableObject for Counter {
    fn new(state: State, _env: Env) -> Counter {
        let sql = state.storage().sql();
        let schema_error = sql.exec(SCHEMA, None).err().map(|error| error.to_string());
        Counter { sql, schema_error }
    }

    async fn fetch(&self, _request: Request) -> worker::Result<Response> {
        if let Some(error) = &self.schema_error {
            return Response::error(format!("the counter has no table: {error}"), 500);
        }

        let cursor = self.sql.exec(BUMP, vec![SqlStorageValue::Integer(COUNTER_ROW_ID)])?;
        // The row exists from the constructor on, so the statement returns exactly one
        // row; anything else is reported rather than assumed.
        let count = match cursor.raw().next().transpose()?.as_deref() {
            Some([SqlStorageValue::Integer(count)]) => *count,
            other => return Response::error(format!("unexpected counter row {other:?}"), 500),
        };
        let mut response = Response::ok(format!("{{\"n\":{count}}}"))?;
        response.headers_mut().set("Content-Type", "application/json")?;
        Ok(response)
    }
}
