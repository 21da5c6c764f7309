//! The wallet API's operations, shared by the HTTP routes and the JS RPC methods.
//!
//! Each takes the calling app and a parsed request, climbs the rest of the ladder (the token,
//! the fields' limits, then the rules the domain applies inside the wallet's object) and
//! returns the response body or the error.

use wallet_client::api::{
    BalanceRequest, BalanceResponse, CaptureHoldRequest, ChargeRequest, ChargeResponse,
    DESCRIPTION_BYTES_MAX, ErrorCode, HOLD_EXPIRY_SECONDS_DEFAULT, HOLD_EXPIRY_SECONDS_MAX,
    HoldResponse, IDEMPOTENCY_KEY_BYTES_MAX, IdentifyRequest, IdentifyResponse, PlaceHoldRequest,
    ReleaseHoldRequest, TRANSACTIONS_PAGE_SIZE_DEFAULT, TRANSACTIONS_PAGE_SIZE_MAX,
    TransactionsRequest, TransactionsResponse,
};
use wallet_client::money::MINOR_UNITS_MAX;
use worker::Env;

use super::config::ApiConfig;
use super::error::ApiError;
use super::object::{call, unexpected_reply};
use crate::app_auth::AppId;
use crate::identity::{UserToken, WalletId};
use crate::ledger::{Hold, Refusal};
use crate::wallet::{Command, Reply};

/// The prefix of a `transactions` cursor; the rest is the id of the last entry seen.
const CURSOR_PREFIX: &str = "before_";

pub(crate) async fn identify(
    env: Env,
    _app: AppId,
    body: IdentifyRequest,
) -> Result<IdentifyResponse, ApiError> {
    let config = ApiConfig::load(&env)?;

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
    let (balance, available_balance) =
        if created { (0, 0) } else { balance_of(&env, wallet).await? };

    let client_reference_id = config.reference_key.client_reference(wallet);
    Ok(IdentifyResponse {
        user_token: token.encode(),
        wallet_id: wallet.to_string(),
        created,
        balance,
        available_balance,
        currency: config.currency.clone(),
        payment_link: config.payment_link_for(&client_reference_id),
        client_reference_id,
    })
}

pub(crate) async fn balance(
    env: Env,
    _app: AppId,
    body: BalanceRequest,
) -> Result<BalanceResponse, ApiError> {
    let wallet = wallet_of(&body.user_token)?;
    let config = ApiConfig::load(&env)?;

    let (balance, available_balance) = balance_of(&env, wallet).await?;
    Ok(BalanceResponse {
        wallet_id: wallet.to_string(),
        balance,
        available_balance,
        currency: config.currency,
    })
}

pub(crate) async fn charge(
    env: Env,
    app: AppId,
    body: ChargeRequest,
) -> Result<ChargeResponse, ApiError> {
    let wallet = wallet_of(&body.user_token)?;
    check_idempotency_key(body.idempotency_key.as_deref())?;
    check_description(body.description.as_deref())?;
    // Loaded before money moves, so that a refusal can always carry its payment link.
    let config = ApiConfig::load(&env)?;

    let command = Command::Charge {
        app: app.as_str().to_owned(),
        amount: body.amount,
        idempotency_key: body.idempotency_key,
        allow_negative: body.allow_negative,
        description: body.description,
    };
    match call(&env, wallet, &command).await? {
        Reply::Charge { result: Ok(charged) } => Ok(ChargeResponse {
            charged: true,
            entry_id: charged.entry_id,
            balance: charged.balance,
            replayed: charged.replayed,
        }),
        Reply::Charge { result: Err(refusal) } => Err(refused(refusal, &config, wallet)),
        other => Err(unexpected_reply(&other)),
    }
}

pub(crate) async fn transactions(
    env: Env,
    _app: AppId,
    body: TransactionsRequest,
) -> Result<TransactionsResponse, ApiError> {
    let wallet = wallet_of(&body.user_token)?;
    let limit = body.limit.unwrap_or(TRANSACTIONS_PAGE_SIZE_DEFAULT);
    if !(1..=TRANSACTIONS_PAGE_SIZE_MAX).contains(&limit) {
        return Err(ApiError::reject(
            ErrorCode::InvalidRequest,
            format!("limit must be from 1 to {TRANSACTIONS_PAGE_SIZE_MAX}"),
        ));
    }
    let before = body.cursor.as_deref().map(parse_cursor).transpose()?;

    match call(&env, wallet, &Command::Transactions { before, limit }).await? {
        Reply::Transactions { entries, next_before } => Ok(TransactionsResponse {
            wallet_id: wallet.to_string(),
            entries,
            next_cursor: next_before.map(|id| format!("{CURSOR_PREFIX}{id}")),
        }),
        other => Err(unexpected_reply(&other)),
    }
}

pub(crate) async fn place_hold(
    env: Env,
    app: AppId,
    body: PlaceHoldRequest,
) -> Result<HoldResponse, ApiError> {
    let wallet = wallet_of(&body.user_token)?;
    let expires_in_seconds = body.expires_in_seconds.unwrap_or(HOLD_EXPIRY_SECONDS_DEFAULT);
    if !(1..=HOLD_EXPIRY_SECONDS_MAX).contains(&expires_in_seconds) {
        return Err(ApiError::reject(
            ErrorCode::InvalidRequest,
            format!("expires_in_seconds must be from 1 to {HOLD_EXPIRY_SECONDS_MAX}"),
        ));
    }
    check_idempotency_key(body.idempotency_key.as_deref())?;
    check_description(body.description.as_deref())?;
    let config = ApiConfig::load(&env)?;

    let command = Command::PlaceHold {
        app: app.as_str().to_owned(),
        amount: body.amount,
        expires_in_seconds,
        idempotency_key: body.idempotency_key,
        description: body.description,
    };
    hold_answer(&env, wallet, &command, &config).await
}

pub(crate) async fn capture_hold(
    env: Env,
    app: AppId,
    body: CaptureHoldRequest,
) -> Result<HoldResponse, ApiError> {
    let wallet = wallet_of(&body.user_token)?;
    let config = ApiConfig::load(&env)?;

    let command = Command::CaptureHold {
        app: app.as_str().to_owned(),
        hold_id: body.hold_id,
        amount: body.amount,
    };
    hold_answer(&env, wallet, &command, &config).await
}

pub(crate) async fn release_hold(
    env: Env,
    app: AppId,
    body: ReleaseHoldRequest,
) -> Result<HoldResponse, ApiError> {
    let wallet = wallet_of(&body.user_token)?;
    let config = ApiConfig::load(&env)?;

    let command = Command::ReleaseHold { app: app.as_str().to_owned(), hold_id: body.hold_id };
    hold_answer(&env, wallet, &command, &config).await
}

async fn hold_answer(
    env: &Env,
    wallet: WalletId,
    command: &Command,
    config: &ApiConfig,
) -> Result<HoldResponse, ApiError> {
    match call(env, wallet, command).await? {
        Reply::Hold { result: Ok(hold) } => Ok(hold_response(&hold)),
        Reply::Hold { result: Err(refusal) } => Err(refused(refusal, config, wallet)),
        other => Err(unexpected_reply(&other)),
    }
}

fn hold_response(hold: &Hold) -> HoldResponse {
    HoldResponse {
        hold_id: hold.id,
        status: hold.status,
        amount: hold.amount,
        captured: hold.captured,
        entry_id: hold.entry_id,
        expires_at_ms: hold.expires_at_ms,
        available_balance: hold.available,
        replayed: hold.replayed,
    }
}

/// Maps the domain's refusals to their codes; the one place that does.
fn refused(refusal: Refusal, config: &ApiConfig, wallet: WalletId) -> ApiError {
    match refusal {
        Refusal::InsufficientFunds { available } => {
            let reference = config.reference_key.client_reference(wallet);
            ApiError::InsufficientFunds {
                balance: available,
                payment_link: config.payment_link_for(&reference),
            }
        }
        Refusal::IdempotencyKeyReused => ApiError::reject(
            ErrorCode::IdempotencyKeyReused,
            "this idempotency_key was used on this wallet for a different request",
        ),
        Refusal::BalanceLimitExceeded => ApiError::reject(
            ErrorCode::BalanceLimitExceeded,
            "the balance would pass 9007199254740991 in magnitude",
        ),
        Refusal::HoldNotFound => ApiError::reject(
            ErrorCode::HoldNotFound,
            "no hold with this id was placed on this wallet by this app",
        ),
        Refusal::HoldNotActive { status } => {
            ApiError::reject(ErrorCode::HoldNotActive, format!("the hold is {}", status.as_str()))
        }
        Refusal::HoldAmountExceeded { held } => ApiError::reject(
            ErrorCode::HoldAmountExceeded,
            format!("the capture is more than the {held} held"),
        ),
    }
}

fn check_idempotency_key(key: Option<&str>) -> Result<(), ApiError> {
    match key {
        Some(key) if key.is_empty() || key.len() > IDEMPOTENCY_KEY_BYTES_MAX => {
            Err(ApiError::reject(
                ErrorCode::InvalidRequest,
                format!("idempotency_key must be 1 to {IDEMPOTENCY_KEY_BYTES_MAX} bytes"),
            ))
        }
        _ => Ok(()),
    }
}

fn check_description(description: Option<&str>) -> Result<(), ApiError> {
    if description.is_some_and(|text| text.len() > DESCRIPTION_BYTES_MAX) {
        return Err(ApiError::reject(
            ErrorCode::InvalidRequest,
            format!("description must be at most {DESCRIPTION_BYTES_MAX} bytes"),
        ));
    }
    Ok(())
}

fn parse_cursor(cursor: &str) -> Result<u64, ApiError> {
    cursor
        .strip_prefix(CURSOR_PREFIX)
        .filter(|id| id.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|id| id.parse::<u64>().ok())
        // Entry ids stay within what JavaScript carries exactly; a larger id was never issued.
        .filter(|id| *id > 0 && i64::try_from(*id).is_ok_and(|id| id <= MINOR_UNITS_MAX))
        .ok_or_else(|| {
            ApiError::reject(ErrorCode::InvalidCursor, "cursor is not one a page returned")
        })
}

fn wallet_of(user_token: &str) -> Result<WalletId, ApiError> {
    UserToken::parse(user_token)
        .map(|token| token.wallet_id())
        .map_err(|error| ApiError::reject(ErrorCode::InvalidUserToken, error.to_string()))
}

async fn balance_of(env: &Env, wallet: WalletId) -> Result<(i64, i64), ApiError> {
    match call(env, wallet, &Command::Balance).await? {
        Reply::Balance { balance, available } => Ok((balance, available)),
        other => Err(unexpected_reply(&other)),
    }
}
