//! The wallet service: one Worker that holds every end user's prepaid balance, takes their
//! Stripe payments, and lets other Workers charge that balance.
//!
//! The domain (ledger, identity, Stripe events, app authentication) is plain Rust and tested
//! natively; [`runtime`] is the thin layer that runs it in a Worker and is built for wasm32
//! only.

pub mod app_auth;
pub mod identity;
pub mod ledger;
pub mod openapi;
pub mod stripe;
pub mod wallet;

#[cfg(target_arch = "wasm32")]
pub mod runtime;
