//! The client a Worker uses to call the wallet service, through a service binding or over
//! HTTPS with an app token.

use std::fmt;
use std::future::Future;

use serde::Serialize;
use serde::de::DeserializeOwned;
use worker::{Fetcher, Headers, Method, Request, RequestInit, Response};

use crate::api::{
    BalanceRequest, BalanceResponse, CaptureHoldRequest, ChargeRequest, ChargeResponse, ErrorCode,
    ErrorResponse, HoldResponse, IdentifyRequest, IdentifyResponse, InsufficientFundsResponse,
    PlaceHoldRequest, ReleaseHoldRequest, TransactionsRequest, TransactionsResponse,
};
use crate::money::Amount;

/// How many times `charge` sends a request whose answer was lost before giving up.
pub const CHARGE_ATTEMPTS_MAX: u32 = 3;

/// The bytes of randomness in an idempotency key the client makes up: 128 bits.
const IDEMPOTENCY_KEY_BYTES: usize = 16;

/// A wallet service to call.
#[derive(Clone)]
pub struct WalletClient {
    transport: Transport,
}

impl fmt::Debug for WalletClient {
    // The app token is left out so that a client never reaches a log by way of `{:?}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.transport {
            Transport::Binding(_) => f.write_str("WalletClient(binding)"),
            Transport::Https { base_url, .. } => write!(f, "WalletClient({base_url})"),
        }
    }
}

#[derive(Clone)]
enum Transport {
    Binding(Fetcher),
    Https { base_url: String, app_token: String },
}

/// A charge to make. Build one with [`Charge::new`] and adjust its fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Charge {
    /// The visitor's token.
    pub user_token: String,
    /// The amount to take.
    pub amount: Amount,
    /// The key that makes the charge safe to retry. When `None`, the client makes one up, so
    /// its own retries never charge twice; set it yourself to make your retries safe too.
    pub idempotency_key: Option<String>,
    /// Whether the balance may go below zero.
    pub allow_negative: bool,
    /// A note kept on the ledger entry.
    pub description: Option<String>,
}

impl Charge {
    /// Returns a charge of `amount` to the wallet of `user_token`, refused if funds are short.
    pub fn new(user_token: impl Into<String>, amount: Amount) -> Charge {
        Charge {
            user_token: user_token.into(),
            amount,
            idempotency_key: None,
            allow_negative: false,
            description: None,
        }
    }
}

impl WalletClient {
    /// Returns a client that calls through a service binding, whose `props` name the app.
    pub fn from_binding(binding: Fetcher) -> WalletClient {
        WalletClient { transport: Transport::Binding(binding) }
    }

    /// Returns a client that calls the service at `base_url` (`https://wallet.example.com`)
    /// with an app token, for callers without a service binding.
    pub fn over_https(base_url: impl Into<String>, app_token: impl Into<String>) -> WalletClient {
        let base_url = base_url.into().trim_end_matches('/').to_owned();
        WalletClient { transport: Transport::Https { base_url, app_token: app_token.into() } }
    }

    /// Returns the wallet behind `user_token`, or a new wallet and token when it is `None` or
    /// not a token the service issued.
    ///
    /// # Errors
    ///
    /// Fails when the service cannot be reached or refuses the call.
    pub async fn identify(&self, user_token: Option<&str>) -> Result<IdentifyResponse, Error> {
        let request = IdentifyRequest { user_token: user_token.map(str::to_owned) };
        self.call("/v1/identify", &request).await
    }

    /// Returns the balance of the wallet behind `user_token`.
    ///
    /// # Errors
    ///
    /// Fails when the service cannot be reached or refuses the call.
    pub async fn balance(&self, user_token: &str) -> Result<BalanceResponse, Error> {
        self.call("/v1/balance", &BalanceRequest { user_token: user_token.to_owned() }).await
    }

    /// Takes `charge.amount` from the wallet.
    ///
    /// The request always carries an idempotency key, made up when `charge` has none, and a
    /// request whose answer is lost, or that meets an `internal_error`, is sent again with the
    /// same key, up to [`CHARGE_ATTEMPTS_MAX`] times: the service charges at most once per key.
    ///
    /// # Errors
    ///
    /// [`Error::is_insufficient_funds`] when the balance is too low, with the payment link in
    /// [`ApiError::payment_link`]; other API errors and transport failures otherwise.
    pub async fn charge(&self, charge: Charge) -> Result<ChargeResponse, Error> {
        let request = charge_request(charge)?;
        // Every attempt sends the very same request, key included: that is what makes the
        // retry safe.
        retry_lost_answers(|| self.call("/v1/charge", &request)).await
    }

    /// Returns one page of the wallet's ledger, newest first.
    ///
    /// # Errors
    ///
    /// Fails when the service cannot be reached or refuses the call.
    pub async fn transactions(
        &self,
        request: &TransactionsRequest,
    ) -> Result<TransactionsResponse, Error> {
        self.call("/v1/transactions", request).await
    }

    /// Reserves `request.amount` until it is captured, released, or expires. Safe to retry
    /// with the same `idempotency_key`.
    ///
    /// # Errors
    ///
    /// [`Error::is_insufficient_funds`] when the available balance is too low; other API
    /// errors and transport failures otherwise.
    pub async fn place_hold(&self, request: &PlaceHoldRequest) -> Result<HoldResponse, Error> {
        self.call("/v1/holds", request).await
    }

    /// Takes up to the held amount and releases the rest. Capturing again with the same amount
    /// answers as the first capture did, so a lost answer can be retried as it is.
    ///
    /// # Errors
    ///
    /// Fails when the service cannot be reached or refuses the call (`hold_not_active`,
    /// `hold_amount_exceeded`, `hold_not_found`).
    pub async fn capture_hold(&self, request: &CaptureHoldRequest) -> Result<HoldResponse, Error> {
        self.call("/v1/holds/capture", request).await
    }

    /// Frees the whole hold. Releasing a released or expired hold changes nothing.
    ///
    /// # Errors
    ///
    /// Fails when the service cannot be reached or refuses the call.
    pub async fn release_hold(&self, request: &ReleaseHoldRequest) -> Result<HoldResponse, Error> {
        self.call("/v1/holds/release", request).await
    }

    async fn call<Q: Serialize, A: DeserializeOwned>(
        &self,
        path: &str,
        request: &Q,
    ) -> Result<A, Error> {
        let body = serde_json::to_string(request)
            .map_err(|error| Error::Transport(TransportError(error.to_string())))?;
        let mut response = self.send(path, body).await.map_err(Error::Transport)?;
        let status = response.status_code();
        let text = response
            .text()
            .await
            .map_err(|error| Error::Transport(TransportError(error.to_string())))?;
        if status == 200 {
            return serde_json::from_str(&text).map_err(|error| {
                Error::Transport(TransportError(format!("unreadable answer: {error}")))
            });
        }
        Err(api_error(status, &text))
    }

    async fn send(&self, path: &str, body: String) -> Result<Response, TransportError> {
        let headers = Headers::new();
        let set = |name: &str, value: &str| {
            headers.set(name, value).map_err(|error| TransportError(error.to_string()))
        };
        set("Content-Type", "application/json")?;
        let url = match &self.transport {
            // The host is never resolved: a binding delivers to its Worker whatever the URL.
            Transport::Binding(_) => format!("https://wallet{path}"),
            Transport::Https { base_url, app_token } => {
                set("Authorization", &format!("Bearer {app_token}"))?;
                format!("{base_url}{path}")
            }
        };
        let mut init = RequestInit::new();
        init.with_method(Method::Post).with_headers(headers).with_body(Some(body.into()));
        let request = Request::new_with_init(&url, &init)
            .map_err(|error| TransportError(error.to_string()))?;

        let response = match &self.transport {
            Transport::Binding(binding) => binding.fetch_request(request).await,
            Transport::Https { .. } => worker::Fetch::Request(request).send().await,
        };
        response.map_err(|error| TransportError(error.to_string()))
    }
}

/// Returns the request for `charge`, with an idempotency key made up when it has none.
fn charge_request(charge: Charge) -> Result<ChargeRequest, Error> {
    let idempotency_key = match charge.idempotency_key {
        Some(key) => key,
        None => new_idempotency_key()?,
    };
    Ok(ChargeRequest {
        user_token: charge.user_token,
        amount: charge.amount,
        idempotency_key: Some(idempotency_key),
        allow_negative: charge.allow_negative,
        description: charge.description,
    })
}

/// Runs `send` until it gets an answer from the service, at most [`CHARGE_ATTEMPTS_MAX`]
/// times. A lost answer and an `internal_error` (which may or may not have taken effect) are
/// sent again; every other API error is a final answer.
async fn retry_lost_answers<T, F, Fut>(mut send: F) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    let mut attempt = 1;
    loop {
        match send().await {
            Err(error) if error.is_retryable() && attempt < CHARGE_ATTEMPTS_MAX => {
                attempt = attempt.saturating_add(1);
            }
            result => return result,
        }
    }
}

fn new_idempotency_key() -> Result<String, Error> {
    let mut bytes = [0; IDEMPOTENCY_KEY_BYTES];
    getrandom::fill(&mut bytes)
        .map_err(|error| Error::Transport(TransportError(error.to_string())))?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

fn api_error(status: u16, text: &str) -> Error {
    if let Ok(body) = serde_json::from_str::<InsufficientFundsResponse>(text) {
        return Error::Api(ApiError {
            status,
            code: body.error.code,
            message: body.error.message,
            balance: Some(body.balance),
            payment_link: Some(body.payment_link),
        });
    }
    match serde_json::from_str::<ErrorResponse>(text) {
        Ok(body) => Error::Api(ApiError {
            status,
            code: body.error.code,
            message: body.error.message,
            balance: None,
            payment_link: None,
        }),
        // A status without the service's error body came from something in between.
        Err(_) => Error::Transport(TransportError(format!("HTTP {status} without an error body"))),
    }
}

/// Why a call failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The service answered with an error: the request reached it and was refused or failed.
    Api(ApiError),
    /// The call did not get an answer from the service: it may or may not have been applied.
    Transport(TransportError),
}

impl Error {
    /// Returns the service's code, for API errors.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Error::Api(error) => Some(error.code),
            Error::Transport(_) => None,
        }
    }

    /// Tells whether sending the same request again, with the same idempotency key, may
    /// succeed: the answer was lost, or the service failed inside.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport(_) => true,
            Error::Api(error) => error.code == ErrorCode::InternalError,
        }
    }

    /// Tells whether a charge was refused because the balance is too low.
    pub fn is_insufficient_funds(&self) -> bool {
        self.code() == Some(ErrorCode::InsufficientFunds)
    }
}

impl Error {
    /// Returns where the visitor can add funds, for `insufficient_funds`.
    pub fn payment_link(&self) -> Option<&str> {
        match self {
            Error::Api(error) => error.payment_link.as_deref(),
            Error::Transport(_) => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Api(error) => write!(f, "the wallet service refused the call: {error}"),
            Error::Transport(_) => f.write_str("the wallet service could not be reached"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Api(_) => None,
            Error::Transport(error) => Some(error),
        }
    }
}

/// An error answer from the service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    /// The machine-readable code.
    pub code: ErrorCode,
    /// The service's message.
    pub message: String,
    /// For `insufficient_funds`: the balance that was too low.
    pub balance: Option<i64>,
    /// For `insufficient_funds`: where the visitor can add funds.
    pub payment_link: Option<String>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

/// A failure to get an answer from the service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransportError(String);

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TransportError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_charge_carries_its_balance_and_payment_link() {
        let body = r#"{"error": {"code": "insufficient_funds", "message": "too low"},
                       "balance": 3, "payment_link": "https://buy.stripe.com/x"}"#;

        let error = api_error(402, body);

        assert!(error.is_insufficient_funds());
        assert_eq!(error.payment_link(), Some("https://buy.stripe.com/x"));
        assert!(matches!(error, Error::Api(ApiError { balance: Some(3), .. })));
    }

    #[test]
    fn an_error_body_becomes_an_api_error_with_its_code() {
        let body = r#"{"error": {"code": "idempotency_key_reused", "message": "reused"}}"#;

        let error = api_error(409, body);

        assert_eq!(error.code(), Some(ErrorCode::IdempotencyKeyReused));
        assert_eq!(error.payment_link(), None);
    }

    #[test]
    fn an_answer_without_the_service_error_body_is_a_transport_error() {
        let error = api_error(502, "<html>Bad gateway</html>");

        assert!(matches!(error, Error::Transport(_)));
        assert_eq!(error.code(), None);
    }

    /// Runs a future that never waits, as the stand-in transports below never do.
    fn run<T>(future: impl Future<Output = T>) -> T {
        let mut future = std::pin::pin!(future);
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        match future.as_mut().poll(&mut context) {
            std::task::Poll::Ready(value) => value,
            std::task::Poll::Pending => panic!("the future waited"),
        }
    }

    fn lost() -> Error {
        Error::Transport(TransportError("connection reset".to_owned()))
    }

    #[test]
    fn a_charge_always_carries_an_idempotency_key_and_keeps_the_callers() {
        let amount = Amount::new(5).unwrap();
        let own = Charge { idempotency_key: Some("req-1".to_owned()), ..Charge::new("t", amount) };

        let made_up = charge_request(Charge::new("t", amount)).unwrap();
        let kept = charge_request(own).unwrap();

        assert_eq!(made_up.idempotency_key.map(|key| key.len()), Some(32));
        assert_eq!(kept.idempotency_key.as_deref(), Some("req-1"));
    }

    #[test]
    fn a_lost_answer_is_sent_again_until_one_arrives() {
        let mut attempts = 0;

        let result = run(retry_lost_answers(|| {
            attempts += 1;
            std::future::ready(if attempts < 3 { Err(lost()) } else { Ok(attempts) })
        }));

        assert_eq!(result.ok(), Some(3));
    }

    #[test]
    fn retries_stop_after_the_attempt_limit() {
        let mut attempts = 0;

        let result: Result<(), Error> = run(retry_lost_answers(|| {
            attempts += 1;
            std::future::ready(Err(lost()))
        }));

        assert!(matches!(result, Err(Error::Transport(_))));
        assert_eq!(attempts, CHARGE_ATTEMPTS_MAX);
    }

    #[test]
    fn an_internal_error_is_sent_again_with_the_same_request() {
        let mut attempts = 0;

        let result = run(retry_lost_answers(|| {
            attempts += 1;
            let failed = r#"{"error": {"code": "internal_error", "message": "m"}}"#;
            std::future::ready(if attempts < 2 { Err(api_error(500, failed)) } else { Ok(()) })
        }));

        assert!(result.is_ok());
        assert_eq!(attempts, 2);
    }

    #[test]
    fn an_https_client_keeps_its_app_token_out_of_debug_output() {
        let client = WalletClient::over_https("https://wallet.example.com/", "secret-app-token");

        assert_eq!(format!("{client:?}"), "WalletClient(https://wallet.example.com)");
    }

    #[test]
    fn an_api_error_is_an_answer_and_is_not_retried() {
        let mut attempts = 0;

        let result: Result<(), Error> = run(retry_lost_answers(|| {
            attempts += 1;
            std::future::ready(Err(api_error(
                402,
                r#"{"error": {"code": "insufficient_funds",
                "message": "m"}, "balance": 0, "payment_link": "https://x"}"#,
            )))
        }));

        assert!(result.is_err_and(|error| error.is_insufficient_funds()));
        assert_eq!(attempts, 1);
    }

    #[test]
    fn made_up_idempotency_keys_are_long_and_distinct() {
        let first = new_idempotency_key().unwrap();
        let second = new_idempotency_key().unwrap();

        assert_eq!(first.len(), 32);
        assert_ne!(first, second);
    }
}
