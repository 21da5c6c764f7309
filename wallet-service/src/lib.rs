//! The wallet service: one Worker that holds every end user's prepaid balance, takes their
//! Stripe payments, and lets other Workers charge that balance.
//!
//! The domain (ledger, identity, Stripe events, app authentication) is plain Rust and runs
//! anywhere; the Worker runs the very same ledger in each wallet's Durable Object. Outside a
//! Worker it runs on an ordinary SQLite database:
//!
//! ```
//! use wallet_client::Amount;
//! use wallet_service::ledger::store::SqliteStore;
//! use wallet_service::ledger::{ChargeCommand, Ledger, Refusal, Topup};
//!
//! let store = SqliteStore::in_memory()?;
//! let mut ledger = Ledger::open(&store)?;
//! let paid = Topup {
//!     checkout_session_id: "cs_test_1",
//!     stripe_event_id: "evt_1",
//!     amount: 500,
//!     currency: "usd",
//! };
//! ledger.credit_topup(&paid, "usd", 1_780_000_000_000)?;
//!
//! let search = ChargeCommand {
//!     app: "search",
//!     amount: Amount::new(200).ok_or("200 is an amount")?,
//!     idempotency_key: Some("req-1"),
//!     allow_negative: false,
//!     description: None,
//! };
//! let charged = ledger.charge(&search, 1_780_000_000_001)?.map(|charged| charged.balance);
//! let over = Amount::new(301).ok_or("301 is an amount")?;
//! let too_much = ChargeCommand { amount: over, idempotency_key: None, ..search };
//! let refused = ledger.charge(&too_much, 1_780_000_000_002)?;
//!
//! assert_eq!(charged, Ok(300));
//! assert_eq!(refused, Err(Refusal::InsufficientFunds { available: 300 }));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`runtime`] is the thin layer that runs the domain in a Worker; it is built for wasm32
//! only.
//!
//! # Limits
//!
//! Amounts and balances stay within ±(2^53 − 1) minor units of one currency. A wallet's calls
//! run one at a time in its object; wallets are independent of each other.

pub mod app_auth;
pub mod identity;
pub mod ledger;
pub mod openapi;
pub mod stripe;
pub mod wallet;

#[cfg(target_arch = "wasm32")]
pub mod runtime;
