//! Stripe webhooks: checking that Stripe sent them, and reading the payments they report.

pub mod event;
pub mod signature;
