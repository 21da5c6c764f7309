//! The wire contract of the shared wallet service for Cloudflare Workers.
//!
//! A Worker that holds end users' prepaid balances (the wallet service) answers `identify`,
//! `balance`, `charge` and `transactions` calls from other Workers. This crate holds the
//! request and response types of those calls, the error codes the service answers with, and
//! the [`Amount`] type every amount of money crosses the wire as.
//!
//! ```
//! use wallet_client::api::{ChargeRequest, ErrorCode};
//! use wallet_client::money::Amount;
//!
//! let request: ChargeRequest = serde_json::from_str(
//!     r#"{"user_token": "wut_…", "amount": 25, "idempotency_key": "req-41"}"#,
//! )?;
//! assert_eq!(request.amount, Amount::new(25).ok_or("25 is a valid amount")?);
//! assert_eq!(ErrorCode::InsufficientFunds.status(), 402);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Limits
//!
//! Amounts and balances are integers in the currency's minor unit and never exceed
//! 2^53 − 1 in magnitude, so they survive a trip through JavaScript unchanged. A wallet has one
//! currency, the service's.

pub mod api;
pub mod money;

pub use money::Amount;
