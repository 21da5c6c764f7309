//! The wire contract of the wallet service: every request and response body, and every error
//! code with its HTTP status.
//!
//! The service and its clients both use these types, so the contract is written once.

use serde::{Deserialize, Serialize};

use crate::money::Amount;

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// The most ledger entries one `transactions` page holds.
pub const TRANSACTIONS_PAGE_SIZE_MAX: u32 = 100;

/// The number of ledger entries a `transactions` page holds when the caller names no limit.
pub const TRANSACTIONS_PAGE_SIZE_DEFAULT: u32 = 25;

/// The longest idempotency key accepted, in bytes.
pub const IDEMPOTENCY_KEY_BYTES_MAX: usize = 255;

/// The longest charge description accepted, in bytes.
pub const DESCRIPTION_BYTES_MAX: usize = 500;

/// How long a hold lasts when the caller names no expiry, in seconds: 15 minutes.
pub const HOLD_EXPIRY_SECONDS_DEFAULT: u32 = 900;

/// The longest a hold may last, in seconds: one day.
pub const HOLD_EXPIRY_SECONDS_MAX: u32 = 86_400;

/// The largest request body the service reads, in bytes.
pub const REQUEST_BODY_BYTES_MAX: usize = 16 * 1024;

/// Asks for the wallet behind a user token, or for a new anonymous wallet.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IdentifyRequest {
    /// The visitor's token, as last issued by `identify`. Absent, `null`, or not a token
    /// this service issues: a new wallet and token are issued.
    #[serde(default)]
    pub user_token: Option<String>,
}

/// The wallet a visitor's token leads to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct IdentifyResponse {
    /// The token to keep for this visitor (a cookie or a bearer token). Equal to the token
    /// sent unless `created` is true.
    pub user_token: String,
    /// The wallet's public identifier: 32 lowercase hex digits.
    pub wallet_id: String,
    /// True when this call issued a new token, because none or a malformed one was sent.
    pub created: bool,
    /// The balance in minor units; negative only after charges made with `allow_negative`.
    pub balance: i64,
    /// The balance less the amounts of active holds: what charges and new holds may take.
    pub available_balance: i64,
    /// The ISO 4217 code of the wallet's currency, lowercase (`usd`).
    pub currency: String,
    /// The reference that ties a Stripe payment to this wallet.
    pub client_reference_id: String,
    /// The Payment Link with `client_reference_id` already attached: send the visitor here to
    /// add funds.
    pub payment_link: String,
}

/// Asks for a wallet's balance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BalanceRequest {
    /// The visitor's token.
    pub user_token: String,
}

/// A wallet's balance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct BalanceResponse {
    /// The wallet's public identifier.
    pub wallet_id: String,
    /// The balance in minor units.
    pub balance: i64,
    /// The balance less the amounts of active holds: what charges and new holds may take.
    pub available_balance: i64,
    /// The ISO 4217 code of the wallet's currency, lowercase.
    pub currency: String,
}

/// Takes an amount from a wallet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChargeRequest {
    /// The visitor's token.
    pub user_token: String,
    /// The amount to take, in minor units, from 1 to 2^53 − 1.
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = i64, minimum = 1, maximum = 9_007_199_254_740_991_i64)
    )]
    pub amount: Amount,
    /// Makes the charge safe to retry: the same key with the same request on the same wallet
    /// charges once and answers as the first time did. At most 255 bytes.
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// Lets the balance go below zero instead of refusing the charge, for costs that are
    /// already incurred.
    #[serde(default)]
    pub allow_negative: bool,
    /// A note kept on the ledger entry. At most 500 bytes.
    #[serde(default)]
    pub description: Option<String>,
}

/// A charge that was made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ChargeResponse {
    /// Always true: a refused charge is an error response.
    pub charged: bool,
    /// The ledger entry the charge wrote.
    pub entry_id: u64,
    /// The balance right after this charge, in minor units.
    pub balance: i64,
    /// True when this answer repeats an earlier charge with the same idempotency key, which
    /// moved the money; this call moved none.
    pub replayed: bool,
}

/// Asks for one page of a wallet's ledger, newest entry first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TransactionsRequest {
    /// The visitor's token.
    pub user_token: String,
    /// The `next_cursor` of the previous page; absent for the first page.
    #[serde(default)]
    pub cursor: Option<String>,
    /// The most entries to return, from 1 to 100; 25 when absent.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 100))]
    pub limit: Option<u32>,
}

/// One page of a wallet's ledger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TransactionsResponse {
    /// The wallet's public identifier.
    pub wallet_id: String,
    /// The entries, newest first.
    pub entries: Vec<LedgerEntry>,
    /// Pass as `cursor` to get the next, older page; null on the last page.
    pub next_cursor: Option<String>,
}

/// What moved a wallet's balance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EntryKind {
    /// Money paid in through Stripe.
    Topup,
    /// Money taken by an app.
    Charge,
    /// Money taken by an app by capturing a hold.
    HoldCapture,
}

impl EntryKind {
    /// Returns the kind's name as stored and sent (`topup`).
    pub const fn as_str(self) -> &'static str {
        match self {
            EntryKind::Topup => "topup",
            EntryKind::Charge => "charge",
            EntryKind::HoldCapture => "hold_capture",
        }
    }

    /// Returns the kind with the name `name`, if there is one.
    pub fn from_name(name: &str) -> Option<EntryKind> {
        match name {
            "topup" => Some(EntryKind::Topup),
            "charge" => Some(EntryKind::Charge),
            "hold_capture" => Some(EntryKind::HoldCapture),
            _ => None,
        }
    }
}

/// One immutable entry of a wallet's ledger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct LedgerEntry {
    /// The entry's number in its wallet's ledger, increasing with time from 1.
    pub id: u64,
    /// What moved the balance.
    pub kind: EntryKind,
    /// The signed change in minor units: positive for money in, negative for money out.
    pub amount: i64,
    /// The balance right after this entry, in minor units.
    pub balance_after: i64,
    /// When the entry was written, in milliseconds since the Unix epoch.
    pub created_at_ms: i64,
    /// Who caused the entry: the app id for a charge, the Stripe Checkout Session id for a
    /// top-up.
    pub source: String,
    /// The caller's note, if any.
    pub description: Option<String>,
}

/// Reserves an amount of a wallet until it is captured, released, or expires.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PlaceHoldRequest {
    /// The visitor's token.
    pub user_token: String,
    /// The most the work may cost, in minor units, from 1 to 2^53 − 1.
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = i64, minimum = 1, maximum = 9_007_199_254_740_991_i64)
    )]
    pub amount: Amount,
    /// How long the hold lasts, from 1 to 86400 seconds; 900 when absent. An expired hold
    /// releases itself.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 86_400))]
    pub expires_in_seconds: Option<u32>,
    /// Makes placing the hold safe to retry, as for charges. At most 255 bytes.
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// A note kept on the ledger entry the capture writes. At most 500 bytes.
    #[serde(default)]
    pub description: Option<String>,
}

/// Takes up to the held amount and releases the rest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CaptureHoldRequest {
    /// The visitor's token.
    pub user_token: String,
    /// The hold, as placing it returned.
    pub hold_id: u64,
    /// The amount to take, at most the held amount. Capturing again with the same amount
    /// answers as the first capture did.
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = i64, minimum = 1, maximum = 9_007_199_254_740_991_i64)
    )]
    pub amount: Amount,
}

/// Frees a hold without taking anything.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReleaseHoldRequest {
    /// The visitor's token.
    pub user_token: String,
    /// The hold, as placing it returned.
    pub hold_id: u64,
}

/// What became of a hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum HoldStatus {
    /// The amount is reserved.
    Active,
    /// Part or all of the amount was taken; the rest was released.
    Captured,
    /// The hold was freed without taking anything.
    Released,
    /// The hold ran out of time and freed itself.
    Expired,
}

impl HoldStatus {
    /// Returns the status as stored and sent (`active`).
    pub const fn as_str(self) -> &'static str {
        match self {
            HoldStatus::Active => "active",
            HoldStatus::Captured => "captured",
            HoldStatus::Released => "released",
            HoldStatus::Expired => "expired",
        }
    }

    /// Returns the status with the name `name`, if there is one.
    pub fn from_name(name: &str) -> Option<HoldStatus> {
        match name {
            "active" => Some(HoldStatus::Active),
            "captured" => Some(HoldStatus::Captured),
            "released" => Some(HoldStatus::Released),
            "expired" => Some(HoldStatus::Expired),
            _ => None,
        }
    }
}

/// A hold, as it stands after the call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct HoldResponse {
    /// The hold's number in its wallet.
    pub hold_id: u64,
    /// What became of the hold.
    pub status: HoldStatus,
    /// The amount held, in minor units.
    pub amount: i64,
    /// The amount taken by the capture; zero unless captured.
    pub captured: i64,
    /// The ledger entry the capture wrote, if captured.
    pub entry_id: Option<u64>,
    /// When the hold expires (or expired), in milliseconds since the Unix epoch.
    pub expires_at_ms: i64,
    /// The wallet's available balance after the call.
    pub available_balance: i64,
    /// True when this answer repeats an earlier call that did the same; this one changed
    /// nothing.
    pub replayed: bool,
}

/// The body of every error response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ErrorResponse {
    /// What went wrong.
    pub error: ErrorBody,
}

/// A machine-readable code and a human-readable message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct ErrorBody {
    /// What went wrong, for programs to branch on.
    pub code: ErrorCode,
    /// What went wrong, for people.
    pub message: String,
}

/// The body of a charge refused for want of funds (HTTP 402).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct InsufficientFundsResponse {
    /// Always `insufficient_funds`.
    pub error: ErrorBody,
    /// The available balance that was too low, in minor units.
    pub balance: i64,
    /// Where the visitor can add funds to this wallet.
    pub payment_link: String,
}

macro_rules! error_codes {
    ($($(#[doc = $doc:literal])* $variant:ident = ($code:literal, $status:literal),)+) => {
        /// Every error the service answers with. Each code has exactly one HTTP status.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(ToSchema))]
        #[serde(rename_all = "snake_case")]
        #[non_exhaustive]
        pub enum ErrorCode {
            $($(#[doc = $doc])* $variant,)+
        }

        impl ErrorCode {
            /// Every code, in the order of the documentation.
            pub const ALL: &[ErrorCode] = &[$(ErrorCode::$variant,)+];

            /// Returns the code as sent on the wire (`insufficient_funds`).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)+
                }
            }

            /// Returns the HTTP status every response with this code has.
            pub const fn status(self) -> u16 {
                match self {
                    $(ErrorCode::$variant => $status,)+
                }
            }
        }
    };
}

error_codes! {
    /// The body is not valid JSON.
    MalformedJson = ("malformed_json", 400),
    /// The JSON does not have the request's shape: a missing or unknown field, a wrong type,
    /// or a string over its length limit.
    InvalidRequest = ("invalid_request", 400),
    /// The amount is not an integer from 1 to 2^53 − 1.
    InvalidAmount = ("invalid_amount", 400),
    /// The user token is not one this service issues.
    InvalidUserToken = ("invalid_user_token", 400),
    /// The cursor is not one a `transactions` page returned.
    InvalidCursor = ("invalid_cursor", 400),
    /// The Stripe webhook's `Stripe-Signature` header is missing, malformed, stale, or matches
    /// no signature made with the endpoint's secret.
    InvalidSignature = ("invalid_signature", 400),
    /// The Stripe webhook is signed correctly but its body is not a Stripe event.
    InvalidEvent = ("invalid_event", 400),
    /// The caller is not a known app: no service binding `props` naming one, and no valid app
    /// token.
    AppUnauthenticated = ("app_unauthenticated", 401),
    /// The available balance (the balance less active holds) is lower than the amount.
    InsufficientFunds = ("insufficient_funds", 402),
    /// No such route.
    NotFound = ("not_found", 404),
    /// The route exists but not with this method.
    MethodNotAllowed = ("method_not_allowed", 405),
    /// The idempotency key was used on this wallet for a different request.
    IdempotencyKeyReused = ("idempotency_key_reused", 409),
    /// No hold with this id was placed on this wallet by the calling app.
    HoldNotFound = ("hold_not_found", 404),
    /// The hold was already captured, released or has expired; the message says which.
    HoldNotActive = ("hold_not_active", 409),
    /// The body is larger than the route accepts.
    BodyTooLarge = ("body_too_large", 413),
    /// The balance would pass 2^53 − 1 in either direction.
    BalanceLimitExceeded = ("balance_limit_exceeded", 422),
    /// The capture asks for more than the hold holds.
    HoldAmountExceeded = ("hold_amount_exceeded", 422),
    /// The service lacks a secret or setting it needs; the message names it.
    ServiceMisconfigured = ("service_misconfigured", 500),
    /// Something failed inside the service. The call may or may not have taken effect: retry
    /// it with the same idempotency key.
    InternalError = ("internal_error", 500),
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_serialise_as_their_wire_names() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(code).ok();

            assert_eq!(json, Some(format!("\"{}\"", code.as_str())));
        }
    }

    #[test]
    fn charge_request_refuses_unknown_fields() {
        let json = r#"{"user_token": "t", "amount": 5, "amount_cents": 5}"#;

        assert!(serde_json::from_str::<ChargeRequest>(json).is_err());
    }

    #[test]
    fn identify_request_takes_a_missing_token_as_none() {
        let request = serde_json::from_str::<IdentifyRequest>("{}").ok();

        assert_eq!(request, Some(IdentifyRequest { user_token: None }));
    }
}
