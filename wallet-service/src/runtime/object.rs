//! The wallet's Durable Object: one per wallet, named by the wallet id, holding the wallet's
//! ledger in its own SQLite database.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
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
        super::logging::init();
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
        let now = now_ms();
        let (reply, next_expiry) = match self.atomically(move || {
            let reply = wallet::execute(&store, &command, now)?;
            let next_expiry =
                if command.moves_holds() { Some(wallet::next_hold_expiry(&store)?) } else { None };
            Ok((reply, next_expiry))
        }) {
            Ok(done) => done,
            Err(error) => return Response::error(error.to_string(), 500),
        };

        // The command is committed. A failure to set the alarm is logged, not returned: expired
        // holds already count as expired without it, and the next hold sets it again.
        if let Some(next) = next_expiry
            && let Err(error) = self.schedule(next).await
        {
            tracing::error!(%error, "setting the hold alarm failed");
        }
        Response::from_json(&reply)
    }

    /// Expires the holds that are due. A failure makes the runtime run the alarm again later.
    async fn alarm(&self) -> worker::Result<Response> {
        super::logging::init();
        let store = ObjectStore(self.state.storage().sql());
        let now = now_ms();
        let next = self
            .atomically(move || wallet::expire_holds(&store, now))
            .map_err(|error| error.to_string())?;
        self.schedule(next).await?;
        Response::empty()
    }
}

impl WalletObject {
    /// Runs `work` as one SQLite transaction: all of its writes are committed, or, when it
    /// fails, none.
    ///
    /// Without it, a failure after a first write would leave that write in place, because the
    /// object commits whatever its event wrote whether the event succeeds or not. workers-rs
    /// does not wrap `transactionSync`, so it is called here as the plain method it is; `work`
    /// runs synchronously inside it, and an error is thrown back through it to roll back.
    fn atomically<T: 'static>(
        &self,
        work: impl FnOnce() -> Result<T, StoreError> + 'static,
    ) -> Result<T, StoreError> {
        let storage = self.state.storage();
        let storage: &JsValue = storage.as_raw().as_ref();
        let transaction_sync = js_sys::Reflect::get(storage, &JsValue::from_str("transactionSync"))
            .ok()
            .and_then(|method| method.dyn_into::<js_sys::Function>().ok())
            .ok_or(StoreError::new("storage has no transactionSync"))?;

        let outcome: Rc<RefCell<Option<Result<T, StoreError>>>> = Rc::new(RefCell::new(None));
        let slot = Rc::clone(&outcome);
        let body = Closure::once(move || -> Result<(), JsValue> {
            let result = work();
            let failed = result.is_err();
            *slot.borrow_mut() = Some(result);
            if failed { Err(JsValue::from_str("rolled back")) } else { Ok(()) }
        });
        // A thrown error is the rollback this asked for; the outcome says what went wrong.
        let _ = transaction_sync.call1(storage, body.as_ref());
        outcome.take().unwrap_or(Err(StoreError::new("transactionSync did not run the work")))
    }

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
