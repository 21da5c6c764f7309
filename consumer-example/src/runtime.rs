//! The Worker: finds the request's route, charges the visitor through the wallet, answers.
//!
//! Built for wasm32 only. A request costs one wallet call: a charge when the visitor brings a
//! token, an `identify` when they bring none (or one the wallet does not know) or ask for
//! their balance. A metered route costs two: a hold before its work and a capture after.

use serde::Serialize;
use serde_json::json;
use wallet_client::api::{
    CaptureHoldRequest, ErrorCode as WalletCode, IdentifyResponse, PlaceHoldRequest,
};
use wallet_client::{Amount, ApiError, Charge, Error, WalletClient};
use worker::{Context, Env, Request, Response, event};

use crate::answers::{BALANCE_HEADER, Balance, ErrorCode, ErrorResponse, Paid, PaymentRequired};
use crate::prices::{self, Lookup, Route};
use crate::visitor::{self, IDEMPOTENCY_KEY_HEADER, TOKEN_HEADER};

/// How long a metered route's hold lasts: far longer than its work, short enough that a hold
/// left by a crash frees the visitor's money soon.
const HOLD_EXPIRY_SECONDS: u32 = 60;

/// The service binding to the wallet, whose `props` name this app.
const WALLET_BINDING: &str = "WALLET";

/// The variable that, when set, names the wallet's public URL to call over HTTPS instead of
/// the binding.
const WALLET_URL_VAR: &str = "WALLET_URL";

/// The secret holding this app's token, for calls over HTTPS.
const WALLET_APP_TOKEN_SECRET: &str = "WALLET_APP_TOKEN";

#[event(fetch)]
async fn fetch(request: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    // Every failure becomes an answer here, logged once, so the runtime never answers with its
    // own error page.
    match serve(&request, &env).await {
        Ok(response) => Ok(response),
        Err(failure) => failure.into_response(),
    }
}

async fn serve(request: &Request, env: &Env) -> Result<Response, Failure> {
    let path = request.path();
    let route = match prices::lookup(request.method().as_ref(), &path) {
        Lookup::Found(route) => route,
        Lookup::WrongMethod { allowed } => {
            let message = format!("{path} takes {allowed}");
            let mut response = error(ErrorCode::MethodNotAllowed, message)?;
            response.headers_mut().set("Allow", allowed)?;
            return Ok(response);
        }
        Lookup::NotFound => {
            return Ok(error(ErrorCode::NotFound, format!("there is no route {path}"))?);
        }
    };

    let headers = request.headers();
    let authorization = headers.get("Authorization")?;
    let cookie = headers.get("Cookie")?;
    let token = visitor::user_token(authorization.as_deref(), cookie.as_deref());
    let key_header = headers.get(IDEMPOTENCY_KEY_HEADER)?;
    let key = match visitor::idempotency_key(key_header.as_deref()) {
        Ok(key) => key,
        Err(invalid) => return Ok(error(ErrorCode::InvalidIdempotencyKey, invalid.to_string())?),
    };

    let visit =
        Visit { wallet: wallet_client(env)?, secure: request.url()?.scheme() == "https", route };
    match (route.price(), token) {
        (None, token) => visit.balance(token).await,
        (Some(price), Some(token)) => match route.hold() {
            Some(hold) => visit.metered(hold, price, token, key).await,
            None => visit.charge(price, token, key).await,
        },
        (Some(_), None) => visit.new_visitor().await,
    }
}

/// Returns the client for the wallet: through the binding, or over HTTPS with an app token when
/// `WALLET_URL` is set, as for a deployment outside the wallet's account.
fn wallet_client(env: &Env) -> Result<WalletClient, Failure> {
    let Ok(url) = env.var(WALLET_URL_VAR) else {
        return Ok(WalletClient::from_binding(env.service(WALLET_BINDING)?));
    };
    let token = env.secret(WALLET_APP_TOKEN_SECRET).map_err(|_| {
        worker::Error::RustError("WALLET_URL is set but the secret WALLET_APP_TOKEN is not".into())
    })?;
    Ok(WalletClient::over_https(url.to_string(), token.to_string()))
}

/// One request on its way through the wallet.
struct Visit {
    wallet: WalletClient,
    secure: bool,
    route: &'static Route,
}

impl Visit {
    /// Answers a free route: one `identify` gives the balance and issues a token when needed.
    async fn balance(&self, token: Option<&str>) -> Result<Response, Failure> {
        let wallet = self.wallet.identify(token).await.map_err(Failure::wallet("identify"))?;
        let body = Balance {
            balance: wallet.balance,
            currency: wallet.currency.clone(),
            payment_link: wallet.payment_link.clone(),
        };
        let response = with_balance(json_response(200, &body)?, wallet.balance)?;
        self.issued(response, &wallet)
    }

    /// Charges a visitor who brought a token, without asking the wallet who they are first.
    async fn charge(
        &self,
        price: Amount,
        token: &str,
        key: Option<&str>,
    ) -> Result<Response, Failure> {
        let mut charge = Charge::new(token, price);
        charge.idempotency_key = key.map(str::to_owned);
        charge.description = Some(self.description());

        match self.wallet.charge(charge).await {
            Ok(charged) => self.paid(charged.balance, charged.replayed),
            Err(refusal) => self.refused(refusal, "charge").await,
        }
    }

    /// Serves work whose cost is known only at its end: holds the most it may cost, does the
    /// work, then captures what it cost, which frees the rest.
    ///
    /// With an `Idempotency-Key`, a retried request finds its hold already captured and is
    /// answered as the first one was; the wallet moves money once.
    async fn metered(
        &self,
        hold: Amount,
        price: Amount,
        token: &str,
        key: Option<&str>,
    ) -> Result<Response, Failure> {
        let request = PlaceHoldRequest {
            user_token: token.to_owned(),
            amount: hold,
            expires_in_seconds: Some(HOLD_EXPIRY_SECONDS),
            idempotency_key: key.map(str::to_owned),
            description: Some(self.description()),
        };
        let held = match self.wallet.place_hold(&request).await {
            Ok(held) => held,
            Err(error) => return self.refused(error, "place_hold").await,
        };

        // The work would run here; this example's work costs the route's price.
        let capture = CaptureHoldRequest {
            user_token: token.to_owned(),
            hold_id: held.hold_id,
            amount: price,
        };
        let captured =
            self.wallet.capture_hold(&capture).await.map_err(Failure::wallet("capture_hold"))?;

        self.paid(captured.available_balance, held.replayed)
    }

    /// Answers a request that was paid for, now or by an earlier one with the same key.
    fn paid(&self, balance: i64, replayed: bool) -> Result<Response, Failure> {
        let body =
            Paid { route: self.route.path, price: self.route.price_cents, balance, replayed };
        with_balance(json_response(200, &body)?, balance)
    }

    /// Returns the note the wallet keeps with the route's charge. The route is part of the
    /// request's fingerprint, so one key sent to two routes is a reused key, not a replay of
    /// the other route's charge.
    fn description(&self) -> String {
        format!("{} {}", self.route.method, self.route.path)
    }

    /// Answers a charge or hold the wallet refused.
    async fn refused(&self, refusal: Error, call: &'static str) -> Result<Response, Failure> {
        match refusal {
            // A refusal without its balance and link breaks the wallet's contract; it falls
            // through to the failures below.
            Error::Api(ApiError {
                code: WalletCode::InsufficientFunds,
                balance: Some(balance),
                payment_link: Some(link),
                ..
            }) => {
                let body = PaymentRequired::new(self.route.price_cents, balance, link);
                with_balance(json_response(PaymentRequired::STATUS, &body)?, balance)
            }
            // The token is not one the wallet issued (it passed the shape check here, but the
            // wallet knows better): the visitor is new to it.
            Error::Api(refusal) if refusal.code == WalletCode::InvalidUserToken => {
                self.new_visitor().await
            }
            Error::Api(refusal) if refusal.code == WalletCode::IdempotencyKeyReused => {
                let message = "this Idempotency-Key was used for a different request";
                Ok(error(ErrorCode::IdempotencyKeyReused, message)?)
            }
            other => Err(Failure::wallet(call)(other)),
        }
    }

    /// Issues a wallet to a visitor without one and refuses the paid request: a new wallet
    /// holds nothing (the service does not even wake its storage to say so), so charging it
    /// would only cost a second call to hear the same refusal.
    async fn new_visitor(&self) -> Result<Response, Failure> {
        let wallet = self.wallet.identify(None).await.map_err(Failure::wallet("identify"))?;
        let body = PaymentRequired::new(
            self.route.price_cents,
            wallet.balance,
            wallet.payment_link.clone(),
        );
        let response = json_response(PaymentRequired::STATUS, &body)?;
        let response = with_balance(response, wallet.balance)?;
        self.issued(response, &wallet)
    }

    /// Hands the visitor their new token, when `identify` issued one.
    fn issued(
        &self,
        mut response: Response,
        wallet: &IdentifyResponse,
    ) -> Result<Response, Failure> {
        if wallet.created {
            let headers = response.headers_mut();
            headers.append("Set-Cookie", &visitor::set_cookie(&wallet.user_token, self.secure))?;
            headers.set(TOKEN_HEADER, &wallet.user_token)?;
        }
        Ok(response)
    }
}

/// Adds what every answer that learnt the visitor's balance carries.
fn with_balance(mut response: Response, balance: i64) -> Result<Response, Failure> {
    let headers = response.headers_mut();
    headers.set(BALANCE_HEADER, &balance.to_string())?;
    // The answer is about one visitor's money: no shared cache may keep it.
    headers.set("Cache-Control", "private, no-store")?;
    Ok(response)
}

fn json_response<T: Serialize>(status: u16, body: &T) -> Result<Response, Failure> {
    Ok(Response::from_json(body)?.with_status(status))
}

fn error(code: ErrorCode, message: impl Into<String>) -> worker::Result<Response> {
    Ok(Response::from_json(&ErrorResponse::new(code, message))?.with_status(code.status()))
}

/// Why a request could not be answered as its route says: logged once, answered generically.
#[derive(Debug)]
enum Failure {
    /// The wallet failed, gave no usable answer, or answered in a way this Worker has no
    /// answer for.
    Wallet { call: &'static str, error: Error },
    /// The runtime refused something this Worker asked of it.
    Runtime(worker::Error),
}

impl Failure {
    fn wallet(call: &'static str) -> impl Fn(Error) -> Failure {
        move |error| Failure::Wallet { call, error }
    }

    fn into_response(self) -> worker::Result<Response> {
        let code = match &self {
            Failure::Wallet { call, error: Error::Api(refusal) } => {
                let detail = json!({
                    "level": "error",
                    "message": "the wallet refused a call",
                    "call": call,
                    "status": refusal.status,
                    "code": refusal.code.as_str(),
                    "detail": refusal.message,
                });
                worker::console_error!("{detail}");
                ErrorCode::WalletFailed
            }
            Failure::Wallet { call, error } => {
                let cause = std::error::Error::source(error).map(ToString::to_string);
                let detail = json!({
                    "level": "error",
                    "message": "the wallet gave no usable answer",
                    "call": call,
                    "detail": cause,
                });
                worker::console_error!("{detail}");
                ErrorCode::WalletUnreachable
            }
            Failure::Runtime(error) => {
                let detail = json!({
                    "level": "error",
                    "message": "internal error",
                    "detail": error.to_string(),
                });
                worker::console_error!("{detail}");
                ErrorCode::Internal
            }
        };
        error(code, "")
    }
}

impl From<worker::Error> for Failure {
    fn from(error: worker::Error) -> Failure {
        Failure::Runtime(error)
    }
}
