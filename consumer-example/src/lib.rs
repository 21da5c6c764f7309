//! An example Worker that charges its visitors per request through the shared wallet.
//!
//! It serves three routes and charges each request from the visitor's wallet, calling the
//! wallet service through a service binding with [`wallet_client`]:
//!
//! ```
//! use consumer_example::prices::{Lookup, lookup};
//!
//! assert!(matches!(lookup("GET", "/search"), Lookup::Found(route) if route.price_cents == 5));
//! assert_eq!(lookup("GET", "/nothing-here"), Lookup::NotFound);
//! ```
//!
//! A visitor is known by their wallet token, sent as `Authorization: Bearer <token>` or in the
//! `wallet_token` cookie ([`visitor`]). A visitor without one is issued a new token (a cookie
//! and the `X-Wallet-Token` header) and, on a paid route, refused with 402 and the link to top
//! up. A caller's `Idempotency-Key` header becomes the charge's key, so a retry is charged
//! once. Every answer that reached the wallet reports the balance in `X-Balance`
//! ([`answers`]).
//!
//! Each request makes one wallet call (a charge when the visitor brings a token, an
//! `identify` otherwise and for the free `GET /balance`), except the metered `GET /summarize`,
//! which holds before its work and captures after it.
//!
//! # Limits
//!
//! - Prices are whole minor units of the wallet's one currency, at most `u32::MAX`.
//! - Answers that do not learn the balance carry no `X-Balance`: an unknown route, an
//!   `Idempotency-Key` that is malformed or was used for another request, and failures of the
//!   wallet (a generic 502 or 503).
//! - Tokens longer than [`visitor::USER_TOKEN_BYTES_MAX`] or with characters the service never
//!   uses count as no token: the visitor gets a new wallet.
//!
//! The routes, the cookie and the headers are plain Rust, tested natively; the Worker glue in
//! `runtime` is built for wasm32 only.

pub mod answers;
pub mod prices;
pub mod visitor;

#[cfg(target_arch = "wasm32")]
mod runtime;
