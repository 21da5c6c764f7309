//! The wallet API: identify, balance, charge and transactions.
//!
//! Each handler climbs the same ladder: who is calling, then the body's shape, then the
//! token, then the rules the domain applies inside the wallet's object.

use wallet_client::api::{
    BalanceRequest, BalanceResponse, ChargeRequest, ChargeResponse, DESCRIPTION_BYTES_MAX,
    ErrorCode, IDEMPOTENCY_KEY_BYTES_MAX, IdentifyRequest, IdentifyResponse,
    REQUEST_BODY_BYTES_MAX, TRANSACTIONS_PAGE_SIZE_DEFAULT, TRANSACTIONS_PAGE_SIZE_MAX,
    TransactionsRequest, TransactionsResponse,
};
use worker::{Context, Env, Request, Response};

use super::config::ApiConfig;
use super::error::ApiError;
use super::http::{json, parse_json, read_body};
use super::object::{call, unexpected_reply};
use crate::app_auth::{AppId, BindingProps, verify_app_token};
use crate::identity::{UserToken, WalletId};
use crate::ledger::Refusal;
use crate::wallet::{Command, Reply};

/// The prefix of a `transactions` cursor; the rest is the id of the last entry seen.
const CURSOR_PREFIX: &str = "before_";

pub(crate) async fn identify(
    mut request: Request,
    env: &Env,
    ctx: &Context,
) -> Result<Response, ApiError> {
    authenticate(&request, env, ctx)?;
    let body: IdentifyRequest =
        parse_json(&read_body(&mut request, REQUEST_BODY_BYTES_MAX).await?)?;
    let config = ApiConfig::load(env)?;

    // A missing or malformed token is not an error here: the visitor is new, or their token
    // was damaged, and either way gets a fresh wallet.
    let known = body.user_token.as_deref().and_then(|token| UserToken::parse(token).ok());
    let created = known.is_none();
    let token = match known {
        Some(token) => token,
        None => UserToken::generate().map_err(ApiError::internal("generating a user token"))?,
    };
    let wallet = token.wallet_id();
    // A new wallet holds nothing, so its object is not woken to say so.
    let balance = if created { 0 } else { balance_of(env, wallet).await? };

    let client_reference_id = config.reference_key.client_reference(wallet);
    json(
        200,
        &IdentifyResponse {
            user_token: token.encode(),
            wallet_id: wallet.to_string(),
            created,
            balance,
            currency: config.currency.clone(),
            payment_link: config.payment_link_for(&client_reference_id),
            client_reference_id,
        },
    )
}

pub(crate) async fn balance(
    mut request: Request,
    env: &Env,
    ctx: &Context,
) -> Result<Response, ApiError> {
    authenticate(&request, env, ctx)?;
    let body: BalanceRequest = parse_json(&read_body(&mut request, REQUEST_BODY_BYTES_MAX).await?)?;
    let wallet = wallet_of(&body.user_token)?;
    let config = ApiConfig::load(env)?;

    let balance = balance_of(env, wallet).await?;
    json(
        200,
        &BalanceResponse { wallet_id: wallet.to_string(), balance, currency: config.currency },
    )
}

pub(crate) async fn charge(
    mut request: Request,
    env: &Env,
    ctx: &Context,
) -> Result<Response, ApiError> {
    let app = authenticate(&request, env, ctx)?;
    let body: ChargeRequest = parse_json(&read_body(&mut request, REQUEST_BODY_BYTES_MAX).await?)?;
    let wallet = wallet_of(&body.user_token)?;
    if let Some(key) = &body.idempotency_key
        && (key.is_empty() || key.len() > IDEMPOTENCY_KEY_BYTES_MAX)
    {
        return Err(ApiError::reject(
            ErrorCode::InvalidRequest,
            format!("idempotency_key must be 1 to {IDEMPOTENCY_KEY_BYTES_MAX} bytes"),
        ));
    }
    if body.description.as_ref().is_some_and(|text| text.len() > DESCRIPTION_BYTES_MAX) {
        return Err(ApiError::reject(
            ErrorCode::InvalidRequest,
            format!("description must be at most {DESCRIPTION_BYTES_MAX} bytes"),
        ));
    }
    // Loaded before money moves, so that a refusal can always carry its payment link.
    let config = ApiConfig::load(env)?;

    let command = Command::Charge {
        app: app.as_str().to_owned(),
        amount: body.amount,
        idempotency_key: body.idempotency_key,
        allow_negative: body.allow_negative,
        description: body.description,
    };
    let result = match call(env, wallet, &command).await? {
        Reply::Charge { result } => result,
        other => return Err(unexpected_reply(&other)),
    };

    match result {
        Ok(charged) => json(
            200,
            &ChargeResponse {
                charged: true,
                entry_id: charged.entry_id,
                balance: charged.balance,
                replayed: charged.replayed,
            },
        ),
        Err(Refusal::InsufficientFunds { balance }) => {
            let reference = config.reference_key.client_reference(wallet);
            Err(ApiError::InsufficientFunds {
                balance,
                payment_link: config.payment_link_for(&reference),
            })
        }
        Err(Refusal::IdempotencyKeyReused) => Err(ApiError::reject(
            ErrorCode::IdempotencyKeyReused,
            "this idempotency_key was used on this wallet for a different request",
        )),
        Err(Refusal::BalanceLimitExceeded) => Err(ApiError::reject(
            ErrorCode::BalanceLimitExceeded,
            "the balance would pass 9007199254740991 in magnitude",
        )),
    }
}

pub(crate) async fn transactions(
    mut request: Request,
    env: &Env,
    ctx: &Context,
) -> Result<Response, ApiError> {
    authenticate(&request, env, ctx)?;
    let body: TransactionsRequest =
        parse_json(&read_body(&mut request, REQUEST_BODY_BYTES_MAX).await?)?;
    let wallet = wallet_of(&body.user_token)?;
    let limit = body.limit.unwrap_or(TRANSACTIONS_PAGE_SIZE_DEFAULT);
    if !(1..=TRANSACTIONS_PAGE_SIZE_MAX).contains(&limit) {
        return Err(ApiError::reject(
            ErrorCode::InvalidRequest,
            format!("limit must be from 1 to {TRANSACTIONS_PAGE_SIZE_MAX}"),
        ));
    }
    let before = body.cursor.as_deref().map(parse_cursor).transpose()?;

    let (entries, next_before) =
        match call(env, wallet, &Command::Transactions { before, limit }).await? {
            Reply::Transactions { entries, next_before } => (entries, next_before),
            other => return Err(unexpected_reply(&other)),
        };
    json(
        200,
        &TransactionsResponse {
            wallet_id: wallet.to_string(),
            entries,
            next_cursor: next_before.map(|id| format!("{CURSOR_PREFIX}{id}")),
        },
    )
}

fn parse_cursor(cursor: &str) -> Result<u64, ApiError> {
    cursor
        .strip_prefix(CURSOR_PREFIX)
        .filter(|id| id.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|id| id.parse::<u64>().ok())
        .filter(|id| *id > 0)
        .ok_or_else(|| {
            ApiError::reject(ErrorCode::InvalidCursor, "cursor is not one a page returned")
        })
}

/// Returns the app making the call.
///
/// A service binding's `props` are set by the platform and win over anything in the request;
/// only a call without them may prove itself with an app token.
fn authenticate(request: &Request, env: &Env, ctx: &Context) -> Result<AppId, ApiError> {
    let unauthenticated = |message: &str| ApiError::reject(ErrorCode::AppUnauthenticated, message);
    if let Ok(props) = ctx.props::<BindingProps>() {
        return AppId::new(&props.app).ok_or_else(|| {
            unauthenticated("the service binding's props.app is not a valid app id")
        });
    }

    let header = request.headers().get("Authorization").ok().flatten().ok_or_else(|| {
        unauthenticated(
            "no app identity: call through a service binding whose props name the app, \
             or send an app token as a bearer token",
        )
    })?;
    let token = header
        .strip_prefix("Bearer ")
        .ok_or_else(|| unauthenticated("the Authorization header is not a bearer token"))?;
    let secret = super::config::required(env, "APP_TOKEN_SECRET")?;
    verify_app_token(secret.as_bytes(), token.trim()).map_err(|error| {
        tracing::warn!(reason = %error, "app token refused");
        unauthenticated(&error.to_string())
    })
}

fn wallet_of(user_token: &str) -> Result<WalletId, ApiError> {
    UserToken::parse(user_token)
        .map(|token| token.wallet_id())
        .map_err(|error| ApiError::reject(ErrorCode::InvalidUserToken, error.to_string()))
}

async fn balance_of(env: &Env, wallet: WalletId) -> Result<i64, ApiError> {
    match call(env, wallet, &Command::Balance).await? {
        Reply::Balance { balance } => Ok(balance),
        other => Err(unexpected_reply(&other)),
    }
}
