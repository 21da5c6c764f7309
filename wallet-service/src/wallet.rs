//! The commands a wallet's Durable Object answers, and how it answers them.
//!
//! The Worker sends one [`Command`] per call; [`execute`] runs it against the wallet's own
//! database without awaiting anything, so the object commits it as one atomic step and no
//! other call can run in the middle of it.

use serde::{Deserialize, Serialize};
use wallet_client::api::LedgerEntry;
use wallet_client::money::Amount;

use crate::ledger::store::{SqlStore, StoreError};
use crate::ledger::{
    ChargeCommand, Charged, Hold, HoldCommand, Ledger, Refusal, Topup, TopupOutcome,
};

/// A call from the Worker to one wallet's object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    /// Read the balance.
    Balance,
    /// Take an amount for an app.
    Charge {
        /// The app charging.
        app: String,
        /// The amount.
        amount: Amount,
        /// The app's key for retrying safely.
        idempotency_key: Option<String>,
        /// Whether the balance may go below zero.
        allow_negative: bool,
        /// The app's note.
        description: Option<String>,
    },
    /// Read a page of the ledger.
    Transactions {
        /// Entries older than this one; the newest without it.
        before: Option<u64>,
        /// The most entries to return.
        limit: u32,
    },
    /// Credit a paid Checkout Session.
    Topup {
        /// The session's id.
        checkout_session_id: String,
        /// The reporting event's id.
        stripe_event_id: String,
        /// The amount paid, in the payment currency's minor unit.
        amount: i64,
        /// The payment's currency.
        currency: String,
        /// The service's currency, the only one credited.
        service_currency: String,
    },
    /// Reserve an amount for an app until it is settled or expires.
    PlaceHold {
        /// The app placing the hold.
        app: String,
        /// The most the work may cost.
        amount: Amount,
        /// How long the hold lasts.
        expires_in_seconds: u32,
        /// The app's key for retrying safely.
        idempotency_key: Option<String>,
        /// The app's note.
        description: Option<String>,
    },
    /// Take part or all of a hold.
    CaptureHold {
        /// The app that placed the hold.
        app: String,
        /// The hold.
        hold_id: u64,
        /// The amount to take.
        amount: Amount,
    },
    /// Free a hold.
    ReleaseHold {
        /// The app that placed the hold.
        app: String,
        /// The hold.
        hold_id: u64,
    },
}

/// The object's answer to a [`Command`], of the same name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum Reply {
    /// The balance.
    Balance {
        /// The balance in minor units.
        balance: i64,
        /// The balance less active holds.
        available: i64,
    },
    /// The charge's result.
    Charge {
        /// Made, replayed, or refused.
        result: Result<Charged, Refusal>,
    },
    /// A page of the ledger.
    Transactions {
        /// Newest first.
        entries: Vec<LedgerEntry>,
        /// Where the next page starts.
        next_before: Option<u64>,
    },
    /// What crediting did.
    Topup {
        /// Credited, already credited, or recorded for the operator.
        outcome: TopupOutcome,
    },
    /// The hold after placing, capturing or releasing it.
    Hold {
        /// The hold, or why the call was refused.
        result: Result<Hold, Refusal>,
    },
}

impl Command {
    /// Tells whether the command can change when the next hold expires, so that the object
    /// knows to set its alarm again.
    pub fn moves_holds(&self) -> bool {
        matches!(
            self,
            Command::PlaceHold { .. } | Command::CaptureHold { .. } | Command::ReleaseHold { .. }
        )
    }
}

/// Runs `command` against the wallet in `store` at the time `now_ms`.
///
/// # Errors
///
/// Fails when the database fails. The object runs each command in one transaction, so a
/// failure leaves nothing written.
pub fn execute<S: SqlStore>(
    store: &S,
    command: &Command,
    now_ms: i64,
) -> Result<Reply, StoreError> {
    let mut ledger = Ledger::open(store)?;
    match command {
        Command::Balance => {
            let balance = ledger.balance()?;
            Ok(Reply::Balance { balance, available: ledger.available_balance(now_ms)? })
        }
        Command::Charge { app, amount, idempotency_key, allow_negative, description } => {
            let charge = ChargeCommand {
                app,
                amount: *amount,
                idempotency_key: idempotency_key.as_deref(),
                allow_negative: *allow_negative,
                description: description.as_deref(),
            };
            Ok(Reply::Charge { result: ledger.charge(&charge, now_ms)? })
        }
        Command::Transactions { before, limit } => {
            let page = ledger.page(*before, *limit)?;
            Ok(Reply::Transactions { entries: page.entries, next_before: page.next_before })
        }
        Command::Topup {
            checkout_session_id,
            stripe_event_id,
            amount,
            currency,
            service_currency,
        } => {
            let topup = Topup { checkout_session_id, stripe_event_id, amount: *amount, currency };
            Ok(Reply::Topup { outcome: ledger.credit_topup(&topup, service_currency, now_ms)? })
        }
        Command::PlaceHold { app, amount, expires_in_seconds, idempotency_key, description } => {
            let hold = HoldCommand {
                app,
                amount: *amount,
                expires_in_seconds: *expires_in_seconds,
                idempotency_key: idempotency_key.as_deref(),
                description: description.as_deref(),
            };
            Ok(Reply::Hold { result: ledger.place_hold(&hold, now_ms)? })
        }
        Command::CaptureHold { app, hold_id, amount } => {
            Ok(Reply::Hold { result: ledger.capture_hold(app, *hold_id, *amount, now_ms)? })
        }
        Command::ReleaseHold { app, hold_id } => {
            Ok(Reply::Hold { result: ledger.release_hold(app, *hold_id, now_ms)? })
        }
    }
}

/// Runs the object's alarm: marks the holds due at `now_ms` expired and returns when the
/// next active hold expires, for the next alarm.
///
/// # Errors
///
/// Fails when the database fails.
pub fn expire_holds<S: SqlStore>(store: &S, now_ms: i64) -> Result<Option<i64>, StoreError> {
    let mut ledger = Ledger::open(store)?;
    ledger.expire_holds(now_ms)?;
    ledger.next_hold_expiry()
}

/// Returns when the next active hold expires, for the object's alarm.
///
/// # Errors
///
/// Fails when the database fails.
pub fn next_hold_expiry<S: SqlStore>(store: &S) -> Result<Option<i64>, StoreError> {
    Ledger::open(store)?.next_hold_expiry()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::store::SqliteStore;

    #[test]
    fn commands_and_replies_survive_the_trip_through_json() {
        let store = SqliteStore::in_memory().unwrap();
        let topup = Command::Topup {
            checkout_session_id: "cs_1".to_owned(),
            stripe_event_id: "evt_1".to_owned(),
            amount: 500,
            currency: "usd".to_owned(),
            service_currency: "usd".to_owned(),
        };
        let charge = Command::Charge {
            app: "search".to_owned(),
            amount: Amount::new(200).expect("valid"),
            idempotency_key: Some("k1".to_owned()),
            allow_negative: false,
            description: Some("one search".to_owned()),
        };

        for command in [topup, charge, Command::Balance] {
            let json = serde_json::to_string(&command).unwrap_or_default();
            let decoded: Command = serde_json::from_str(&json).unwrap();
            let reply = execute(&store, &decoded, 1).unwrap();
            let reply_json = serde_json::to_string(&reply).unwrap_or_default();

            assert_eq!(decoded, command);
            assert_eq!(serde_json::from_str::<Reply>(&reply_json).ok(), Some(reply));
        }

        let balance = execute(&store, &Command::Balance, 2).ok();
        assert_eq!(balance, Some(Reply::Balance { balance: 300, available: 300 }));
    }
}
