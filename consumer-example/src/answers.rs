//! The JSON bodies this Worker answers with, and their HTTP statuses.
//!
//! Every answer that learnt the visitor's balance from the wallet carries it in
//! [`BALANCE_HEADER`], so a client can show it whatever the route returns.

use serde::Serialize;

/// The response header that reports the visitor's balance, in minor units, after the request.
pub const BALANCE_HEADER: &str = "X-Balance";

/// The answer to a paid request that was charged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Paid {
    /// The route that was served (`/search`).
    pub route: &'static str,
    /// What the request cost, in minor units.
    pub price: u32,
    /// The balance after the charge.
    pub balance: i64,
    /// True when the charge was made by an earlier request with the same `Idempotency-Key`,
    /// and this one moved no money.
    pub replayed: bool,
}

/// The answer to `GET /balance`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Balance {
    /// The balance, in minor units.
    pub balance: i64,
    /// The wallet's currency, a lowercase ISO 4217 code.
    pub currency: String,
    /// Where the visitor can add funds.
    pub payment_link: String,
}

/// The answer to a paid request the balance does not cover (HTTP 402).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PaymentRequired {
    /// Always `insufficient_funds`.
    pub error: ErrorBody,
    /// What the request costs, in minor units.
    pub price: u32,
    /// The balance that was too low.
    pub balance: i64,
    /// Where the visitor can add funds.
    pub payment_link: String,
}

impl PaymentRequired {
    /// The status of this answer.
    pub const STATUS: u16 = 402;

    /// Returns the answer for a request costing `price` against `balance`.
    pub fn new(price: u32, balance: i64, payment_link: String) -> PaymentRequired {
        PaymentRequired {
            error: ErrorBody {
                code: "insufficient_funds",
                message: format!("this request costs {price} and the balance is {balance}"),
            },
            price,
            balance,
            payment_link,
        }
    }
}

/// The body of every other error answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ErrorResponse {
    /// What went wrong.
    pub error: ErrorBody,
}

/// A machine-readable code and a message for people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ErrorBody {
    /// What went wrong, for programs to branch on.
    pub code: &'static str,
    /// What went wrong, for people.
    pub message: String,
}

/// Every error this Worker answers with other than a 402, each with one status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorCode {
    /// The `Idempotency-Key` header is empty or too long.
    InvalidIdempotencyKey,
    /// No route has this path.
    NotFound,
    /// The path is a route's, with another method.
    MethodNotAllowed,
    /// The `Idempotency-Key` was used before for a different request.
    IdempotencyKeyReused,
    /// The wallet answered with an error this Worker cannot pass on.
    WalletFailed,
    /// The wallet could not be reached.
    WalletUnreachable,
    /// This Worker failed on its own.
    Internal,
}

impl ErrorCode {
    /// Returns the code as sent (`not_found`).
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidIdempotencyKey => "invalid_idempotency_key",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::IdempotencyKeyReused => "idempotency_key_reused",
            ErrorCode::WalletFailed | ErrorCode::WalletUnreachable => "wallet_unavailable",
            ErrorCode::Internal => "internal_error",
        }
    }

    /// Returns the HTTP status of every answer with this code.
    pub const fn status(self) -> u16 {
        match self {
            ErrorCode::InvalidIdempotencyKey => 400,
            ErrorCode::NotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::IdempotencyKeyReused => 409,
            ErrorCode::Internal => 500,
            ErrorCode::WalletFailed => 502,
            ErrorCode::WalletUnreachable => 503,
        }
    }

    /// Tells whether the answer is a failure on this side, whose body must say nothing about
    /// its cause and which is logged.
    pub const fn is_server_error(self) -> bool {
        self.status() >= 500
    }
}

impl ErrorResponse {
    /// Returns the body for `code`. Server errors get a generic message whatever `message`
    /// says, so nothing about the wallet's insides reaches a visitor.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ErrorResponse {
        let message = if code.is_server_error() {
            "the service is unavailable; try again later".to_owned()
        } else {
            message.into()
        };
        ErrorResponse { error: ErrorBody { code: code.as_str(), message } }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_payment_required_answer_names_the_price_balance_and_link() {
        let answer = PaymentRequired::new(25, 3, "https://buy.stripe.com/x".to_owned());

        let body = serde_json::to_value(&answer).unwrap();

        assert_eq!(
            body,
            json!({
                "error": {
                    "code": "insufficient_funds",
                    "message": "this request costs 25 and the balance is 3",
                },
                "price": 25,
                "balance": 3,
                "payment_link": "https://buy.stripe.com/x",
            })
        );
    }

    #[test]
    fn a_server_error_body_is_generic() {
        let body = ErrorResponse::new(ErrorCode::WalletFailed, "internal_error: disk on fire");

        assert_eq!(body.error.code, "wallet_unavailable");
        assert!(!body.error.message.contains("disk"), "{}", body.error.message);
    }

    #[test]
    fn a_client_error_body_keeps_its_message() {
        let body = ErrorResponse::new(ErrorCode::NotFound, "there is no route /x");

        assert_eq!(body.error.message, "there is no route /x");
    }

    #[test]
    fn wallet_failures_are_gateway_errors() {
        assert_eq!(ErrorCode::WalletFailed.status(), 502);
        assert_eq!(ErrorCode::WalletUnreachable.status(), 503);
    }
}
