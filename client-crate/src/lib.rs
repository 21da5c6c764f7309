//! The client of the shared wallet service for Cloudflare Workers, and its wire contract.
//!
//! A Worker that holds end users' prepaid balances (the wallet service) answers `identify`,
//! `balance`, `charge` and `transactions` calls from other Workers. A Rust Worker bound to it
//! charges a visitor like this:
//!
//! ```no_run
//! use wallet_client::{Amount, Charge, WalletClient};
//!
//! type BoxError = Box<dyn std::error::Error>;
//!
//! async fn search(env: &worker::Env, user_token: &str) -> Result<i64, BoxError> {
//!     let wallet = WalletClient::from_binding(env.service("WALLET")?);
//!     let price = Amount::new(5).ok_or("5 cents is a valid amount")?;
//!
//!     match wallet.charge(Charge::new(user_token, price)).await {
//!         Ok(charged) => Ok(charged.balance),
//!         Err(error) if error.is_insufficient_funds() => {
//!             // Send the visitor to `error.payment_link()` to add funds.
//!             Err(error.into())
//!         }
//!         Err(error) => Err(error.into()),
//!     }
//! }
//! ```
//!
//! The binding's `props` name the calling app (`[services.props] app = "search-api"` in the
//! caller's `wrangler.toml`); callers without a binding use [`WalletClient::over_https`] with an
//! app token. [`api`] holds every request and response type and the error codes, shared with
//! the service; [`money::Amount`] is how amounts cross the wire.
//!
//! # Limits
//!
//! - Amounts and balances are integers in the currency's minor unit and never exceed
//!   2^53 − 1 in magnitude, so they survive a trip through JavaScript unchanged. A wallet has
//!   one currency, the service's.
//! - [`WalletClient::charge`] always sends an idempotency key and retries a call whose answer
//!   was lost, or that met an `internal_error`, with the same key, up to
//!   [`client::CHARGE_ATTEMPTS_MAX`] times: it never charges twice. The other calls move no
//!   money and are not retried.
//! - The client runs inside a Worker (wasm32); without the default `worker` feature the crate
//!   is only the wire contract, usable anywhere.

pub mod api;
#[cfg(feature = "worker")]
pub mod client;
pub mod money;

#[cfg(feature = "worker")]
pub use client::{ApiError, Charge, Error, TransportError, WalletClient};
pub use money::Amount;
