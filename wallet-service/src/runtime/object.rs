//! The wallet's Durable Object: one per wallet, named by the wallet id, holding the wallet's
//! ledger in its own SQLite database.

use wasm_bindgen::JsValue;
use worker::{
    DurableObject, Env, Method, Request, RequestInit, Response, ScheduledTime, SqlStorage,
    SqlStorageValue, State, durable_object,
};

use super::config::WALLET_BINDING;
use super::error::ApiError;
use crate::identity::WalletId;
use crate::ledger::store::{Row, SqlStore, SqlValue, StoreError};
use crate::wallet::{self, Command, Reply};

/// One wallet's object. It runs one command at a time to completion, which is what makes each
/// charge's read-check-write atomic. Its alarm, when set, is the next hold's expiry.
#[durable_object]
pub struct WalletObject {
    state: State,
}

impl DurableObject for WalletObject {
    fn new(state: State, _env: Env) -> WalletObject {
        WalletObject { state }
    }

    async fn fetch(&self, mut request: Request) -> worker::Result<Response> {
        // The only await is here, before the ledger is touched; from here to the response
        // nothing yields, so the object commits the command's writes atomically.
        let command: Command = match request.json().await {
            Ok(command) => command,
            Err(error) => return Response::error(format!("bad command: {error}"), 400),
        };

        // The Worker names the wallet in the path; it is carried into every log line.
        // Only this Worker can reach the object, so the path needs no checking.
        let path = request.path();
        let wallet_id = path.trim_start_matches('/');
        let _span = tracing::info_span!("wallet", wallet_id).entered();

        let store = ObjectStore(self.state.storage().sql());
        let reply = match wallet::execute(&store, &command, now_ms()) {
            Ok(reply) => reply,
            Err(error) => return Response::error(error.to_string(), 500),
        };

        // The command's writes are done; setting the alarm may wait without exposing them
        // half-made.
        if command.moves_holds() {
            match wallet::next_hold_expiry(&store) {
                Ok(next) => self.schedule(next).await?,
                Err(error) => return Response::error(error.to_string(), 500),
            }
        }
        Response::from_json(&reply)
    }

    /// Expires the holds that are due. A failure makes the runtime run the alarm again later.
    async fn alarm(&self) -> worker::Result<Response> {
        let store = ObjectStore(self.state.storage().sql());
        let next = wallet::expire_holds(&store, now_ms()).map_err(|e| e.to_string())?;
        self.schedule(next).await?;
        Response::empty()
    }
}

impl WalletObject {
    /// Sets the alarm for the next hold's expiry, or clears it when no hold is active.
    async fn schedule(&self, next_expiry_ms: Option<i64>) -> worker::Result<()> {
        let storage = self.state.storage();
        match next_expiry_ms {
            Some(at_ms) => {
                // An i64 of milliseconds far beyond any real expiry still fits an f64 exactly
                // up to 2^53, which is the year 287396.
                #[allow(clippy::cast_precision_loss)]
                let date = js_sys::Date::new(&JsValue::from_f64(at_ms as f64));
                storage.set_alarm(ScheduledTime::new(date)).await
            }
            None => storage.delete_alarm().await,
        }
    }
}

/// The current time in milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    i64::try_from(worker::Date::now().as_millis()).unwrap_or(i64::MAX)
}

/// The object's SQLite storage, seen through the ledger's interface.
struct ObjectStore(SqlStorage);

impl SqlStore for ObjectStore {
    fn query(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<Row>, StoreError> {
        let bindings = params
            .iter()
            .map(|value| match value {
                SqlValue::Null => SqlStorageValue::Null,
                SqlValue::Integer(value) => SqlStorageValue::Integer(*value),
                SqlValue::Text(value) => SqlStorageValue::String(value.clone()),
            })
            .collect::<Vec<_>>();
        let cursor = self.0.exec(sql, bindings).map_err(|e| StoreError::new(e.to_string()))?;
        cursor
            .raw()
            .map(|row| {
                let row = row.map_err(|e| StoreError::new(e.to_string()))?;
                row.into_iter().map(from_storage).collect::<Result<Vec<_>, _>>().map(Row)
            })
            .collect()
    }

    fn execute_batch(&self, sql: &str) -> Result<(), StoreError> {
        let cursor = self.0.exec(sql, None).map_err(|e| StoreError::new(e.to_string()))?;
        // Draining the cursor makes sure every statement ran before this returns.
        for row in cursor.raw() {
            row.map_err(|e| StoreError::new(e.to_string()))?;
        }
        Ok(())
    }
}

fn from_storage(value: SqlStorageValue) -> Result<SqlValue, StoreError> {
    match value {
        SqlStorageValue::Null => Ok(SqlValue::Null),
        SqlStorageValue::Integer(value) => Ok(SqlValue::Integer(value)),
        SqlStorageValue::String(value) => Ok(SqlValue::Text(value)),
        SqlStorageValue::Boolean(_) | SqlStorageValue::Float(_) | SqlStorageValue::Blob(_) => {
            Err(StoreError::new("unexpected column type"))
        }
    }
}

/// Sends `command` to `wallet`'s object and returns its reply.
pub(crate) async fn call(
    env: &Env,
    wallet: WalletId,
    command: &Command,
) -> Result<Reply, ApiError> {
    let failed = ApiError::internal("calling a wallet object");
    let namespace = env.durable_object(WALLET_BINDING).map_err(&failed)?;
    let stub = namespace.get_by_name(&wallet.to_string()).map_err(&failed)?;
    let body = serde_json::to_string(command).map_err(ApiError::internal("encoding a command"))?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_body(Some(body.into()));
    // The URL is never resolved: a stub's fetch goes to the object whatever its host.
    let url = format!("https://wallet.object/{wallet}");
    let request = Request::new_with_init(&url, &init).map_err(&failed)?;

    let mut response = stub.fetch_with_request(request).await.map_err(&failed)?;
    if response.status_code() != 200 {
        let text = response.text().await.unwrap_or_default();
        return Err(ApiError::Internal { context: "a wallet object failed", detail: text });
    }
    response.json::<Reply>().await.map_err(&failed)
}

/// The reply did not answer the command that was sent; a bug, reported as an internal error.
pub(crate) fn unexpected_reply(reply: &Reply) -> ApiError {
    ApiError::Internal {
        context: "a wallet object answered out of turn",
        detail: format!("{reply:?}"),
    }
}
