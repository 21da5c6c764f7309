//! A wallet's ledger: an append-only list of entries whose newest `balance_after` is the
//! balance.
//!
//! Every movement of money is one `INSERT` of one entry carrying the balance it leaves, so the
//! entry and the balance are written in one atomic step and can never disagree. The invariant
//! `balance = sum of entry amounts` is checked by [`Ledger::audit`].

mod holds;
pub mod store;

pub use self::holds::{Hold, HoldCommand};
use sha2::{Digest, Sha256};
use wallet_client::api::{EntryKind, HoldStatus, LedgerEntry};
use wallet_client::money::{Amount, MINOR_UNITS_MAX};

use self::store::{Row, SqlStore, SqlValue, StoreError};

/// The tables and indexes of one wallet, created by its first write so that a wallet nobody
/// pays into costs no storage.
///
/// The triggers make entries immutable: a ledger is corrected by a new entry, never by editing
/// an old one.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    amount INTEGER NOT NULL,
    balance_after INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL,
    source TEXT NOT NULL,
    description TEXT,
    idempotency_key TEXT,
    request_hash TEXT,
    stripe_event_id TEXT,
    hold_id INTEGER
);
CREATE UNIQUE INDEX IF NOT EXISTS entries_by_idempotency_key
    ON entries (source, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS topups_by_checkout_session
    ON entries (source) WHERE kind = 'topup';
CREATE UNIQUE INDEX IF NOT EXISTS captures_by_hold ON entries (hold_id) WHERE hold_id IS NOT NULL;
CREATE TRIGGER IF NOT EXISTS entries_are_never_updated BEFORE UPDATE ON entries
    BEGIN SELECT RAISE(ABORT, 'ledger entries are immutable'); END;
CREATE TRIGGER IF NOT EXISTS entries_are_never_deleted BEFORE DELETE ON entries
    BEGIN SELECT RAISE(ABORT, 'ledger entries are immutable'); END;
CREATE TABLE IF NOT EXISTS unapplied_payments (
    checkout_session_id TEXT PRIMARY KEY,
    stripe_event_id TEXT NOT NULL,
    amount INTEGER NOT NULL,
    currency TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS holds (
    id INTEGER PRIMARY KEY,
    app TEXT NOT NULL,
    amount INTEGER NOT NULL,
    status TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    settled_at_ms INTEGER,
    captured INTEGER NOT NULL DEFAULT 0,
    entry_id INTEGER,
    description TEXT,
    idempotency_key TEXT,
    request_hash TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS holds_by_idempotency_key
    ON holds (app, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS active_holds_by_expiry
    ON holds (expires_at_ms) WHERE status = 'active';
CREATE TRIGGER IF NOT EXISTS captures_settle_their_hold AFTER INSERT ON entries
    WHEN NEW.hold_id IS NOT NULL
    BEGIN
        UPDATE holds SET status = 'captured', captured = -NEW.amount, entry_id = NEW.id,
            settled_at_ms = NEW.created_at_ms
        WHERE id = NEW.hold_id AND status = 'active';
    END;
";

/// The tables [`SCHEMA`] creates; a wallet missing any of them gets the schema run again,
/// which adds what a newer version of the service needs.
const TABLES: [&str; 3] = ["entries", "unapplied_payments", "holds"];

const ENTRY_COLUMNS: &str = "id, kind, amount, balance_after, created_at_ms, source, description";

/// A charge an app asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChargeCommand<'a> {
    /// The app making the charge; recorded as the entry's source.
    pub app: &'a str,
    /// The amount to take.
    pub amount: Amount,
    /// The caller's key for retrying safely, scoped to the app and this wallet.
    pub idempotency_key: Option<&'a str>,
    /// Whether the balance may go below zero.
    pub allow_negative: bool,
    /// The caller's note.
    pub description: Option<&'a str>,
}

impl ChargeCommand<'_> {
    /// Returns a digest of everything that makes two charges the same request, so that a
    /// reused idempotency key can be told from a retry.
    fn fingerprint(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.amount.minor_units().to_be_bytes());
        hasher.update([u8::from(self.allow_negative)]);
        match self.description {
            Some(description) => {
                hasher.update([1]);
                hasher.update(description.as_bytes());
            }
            None => hasher.update([0]),
        }
        hex::encode(hasher.finalize())
    }
}

/// A charge that was made, now or by an earlier call with the same idempotency key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Charged {
    /// The entry the charge wrote.
    pub entry_id: u64,
    /// The balance right after the charge.
    pub balance: i64,
    /// True when an earlier call made this charge and this one moved nothing.
    pub replayed: bool,
}

/// Why a charge was refused. Nothing was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "refusal", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Refusal {
    /// The available balance (the balance less active holds) is lower than the amount, and
    /// the charge may not make it negative.
    InsufficientFunds {
        /// The available balance that was too low.
        available: i64,
    },
    /// The idempotency key was used before by the same app on this wallet for another request.
    IdempotencyKeyReused,
    /// The new balance would pass ±2^53 − 1.
    BalanceLimitExceeded,
    /// No hold with this id was placed by this app on this wallet.
    HoldNotFound,
    /// The hold was captured, released or has expired, so it cannot be settled this way.
    HoldNotActive {
        /// What became of the hold.
        status: HoldStatus,
    },
    /// The capture asks for more than the hold holds.
    HoldAmountExceeded {
        /// The amount held.
        held: i64,
    },
}

/// A paid Stripe Checkout Session to credit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Topup<'a> {
    /// The Checkout Session's id (`cs_…`); at most one entry is ever written for it.
    pub checkout_session_id: &'a str,
    /// The id of the event that reported the payment, kept for the operator.
    pub stripe_event_id: &'a str,
    /// `amount_total` in the payment's minor unit.
    pub amount: i64,
    /// The payment's currency as Stripe reports it (`usd`).
    pub currency: &'a str,
}

/// What crediting a top-up did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[non_exhaustive]
pub enum TopupOutcome {
    /// The wallet was credited.
    Credited {
        /// The entry written.
        entry_id: u64,
        /// The balance after the credit.
        balance: i64,
    },
    /// The Checkout Session was credited before; nothing more was.
    AlreadyCredited {
        /// The entry written the first time.
        entry_id: u64,
    },
    /// The payment was not credited and was recorded for the operator instead, now or before.
    Unapplied {
        /// Why it could not be credited.
        reason: UnappliedReason,
    },
}

/// Why a payment was recorded for the operator instead of credited.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum UnappliedReason {
    /// The payment is in another currency than the service's.
    CurrencyMismatch,
    /// `amount_total` is zero, negative, or past 2^53 − 1.
    AmountOutOfRange,
    /// Crediting would take the balance past 2^53 − 1.
    BalanceLimitExceeded,
}

impl UnappliedReason {
    /// Returns the reason as stored (`currency_mismatch`).
    pub const fn as_str(self) -> &'static str {
        match self {
            UnappliedReason::CurrencyMismatch => "currency_mismatch",
            UnappliedReason::AmountOutOfRange => "amount_out_of_range",
            UnappliedReason::BalanceLimitExceeded => "balance_limit_exceeded",
        }
    }
}

/// One page of entries, newest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    /// The entries.
    pub entries: Vec<LedgerEntry>,
    /// The id to page before for the next, older page; `None` on the last page.
    pub next_before: Option<u64>,
}

/// A ledger whose entries break the invariant. Seeing one is a bug in this module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuditFailure {
    /// The database failed.
    Store(StoreError),
    /// An entry's `balance_after` is not the previous balance plus its amount.
    BrokenChain {
        /// The first entry that breaks the chain.
        entry_id: u64,
    },
    /// The balance is not the sum of the entries' amounts.
    SumMismatch {
        /// The sum of amounts.
        sum: i64,
        /// The balance.
        balance: i64,
    },
}

impl From<StoreError> for AuditFailure {
    fn from(error: StoreError) -> AuditFailure {
        AuditFailure::Store(error)
    }
}

/// One wallet's ledger, over the wallet's own database.
#[derive(Debug)]
pub struct Ledger<'s, S> {
    store: &'s S,
    /// Whether the wallet's tables exist, which they do from its first write on.
    created: bool,
    /// Whether every table of the current schema exists.
    current: bool,
}

impl<'s, S: SqlStore> Ledger<'s, S> {
    /// Opens the ledger in `store`, which holds nothing until the first write.
    ///
    /// # Errors
    ///
    /// Fails when the database fails.
    pub fn open(store: &'s S) -> Result<Ledger<'s, S>, StoreError> {
        let rows = store.query("SELECT name FROM sqlite_master WHERE type = 'table'", &[])?;
        let names = rows.iter().map(|row| row.text(0)).collect::<Result<Vec<_>, _>>()?;
        let has = |table: &str| names.iter().any(|name| name == table);
        Ok(Ledger { store, created: has("entries"), current: TABLES.iter().all(|t| has(t)) })
    }

    pub(super) fn create(&mut self) -> Result<(), StoreError> {
        if !self.current {
            self.store.execute_batch(SCHEMA)?;
            self.created = true;
            self.current = true;
        }
        Ok(())
    }

    /// Returns the balance: the newest entry's `balance_after`, or zero for an empty ledger.
    ///
    /// # Errors
    ///
    /// Fails when the database fails.
    pub fn balance(&self) -> Result<i64, StoreError> {
        if !self.created {
            return Ok(0);
        }
        let rows =
            self.store.query("SELECT balance_after FROM entries ORDER BY id DESC LIMIT 1", &[])?;
        rows.first().map_or(Ok(0), |row| row.integer(0))
    }

    /// Takes `command.amount` from the wallet, unless a rule refuses it.
    ///
    /// # Errors
    ///
    /// Fails when the database fails; a refusal is `Ok(Err(_))` and writes nothing.
    pub fn charge(
        &mut self,
        command: &ChargeCommand<'_>,
        now_ms: i64,
    ) -> Result<Result<Charged, Refusal>, StoreError> {
        let fingerprint = command.fingerprint();

        // The key is looked up before the balance: a retry must get the first answer even when
        // the balance has moved since, and must never be charged a second time.
        if let Some(key) = command.idempotency_key
            && let Some(row) = self.entry_by_idempotency_key(command.app, key)?
        {
            return Ok(if row.text(2)? == fingerprint {
                Ok(Charged { entry_id: entry_id(&row)?, balance: row.integer(1)?, replayed: true })
            } else {
                Err(Refusal::IdempotencyKeyReused)
            });
        }

        let balance = self.balance()?;
        let available = self.available(balance, now_ms)?;
        let amount = command.amount.minor_units();
        if !command.allow_negative && available < amount {
            return Ok(Err(Refusal::InsufficientFunds { available }));
        }

        let Some(balance_after) =
            balance.checked_sub(amount).filter(|after| *after >= -MINOR_UNITS_MAX)
        else {
            return Ok(Err(Refusal::BalanceLimitExceeded));
        };

        self.create()?;
        let entry_id = self.insert(&NewEntry {
            kind: EntryKind::Charge,
            // OK because `amount` is positive, so its negation cannot overflow.
            amount: amount.saturating_neg(),
            balance_after,
            created_at_ms: now_ms,
            source: command.app,
            description: command.description,
            idempotency_key: command.idempotency_key,
            request_hash: Some(&fingerprint),
            stripe_event_id: None,
            hold_id: None,
        })?;
        tracing::info!(entry_id, amount, balance = balance_after, app = command.app, "charged");
        Ok(Ok(Charged { entry_id, balance: balance_after, replayed: false }))
    }

    fn entry_by_idempotency_key(&self, app: &str, key: &str) -> Result<Option<Row>, StoreError> {
        if !self.created {
            return Ok(None);
        }
        let rows = self.store.query(
            "SELECT id, balance_after, request_hash FROM entries
             WHERE source = ?1 AND idempotency_key = ?2",
            &[app.into(), key.into()],
        )?;
        Ok(rows.into_iter().next())
    }

    /// Credits a paid Checkout Session, once however often it is reported.
    ///
    /// A payment that cannot be credited as it stands (another currency, an amount out of
    /// range) is recorded for the operator instead, once.
    ///
    /// # Errors
    ///
    /// Fails when the database fails.
    pub fn credit_topup(
        &mut self,
        topup: &Topup<'_>,
        currency: &str,
        now_ms: i64,
    ) -> Result<TopupOutcome, StoreError> {
        // A session already credited or recorded answers as before, which is what makes
        // redelivered events, and the two events one async payment produces, harmless.
        if let Some(outcome) = self.earlier_topup_outcome(topup.checkout_session_id)? {
            return Ok(outcome);
        }

        if !topup.currency.eq_ignore_ascii_case(currency) {
            return self.record_unapplied(topup, UnappliedReason::CurrencyMismatch, now_ms);
        }
        let Some(amount) = Amount::new(topup.amount) else {
            return self.record_unapplied(topup, UnappliedReason::AmountOutOfRange, now_ms);
        };

        let balance = self.balance()?;
        let Some(balance_after) =
            balance.checked_add(amount.minor_units()).filter(|after| *after <= MINOR_UNITS_MAX)
        else {
            return self.record_unapplied(topup, UnappliedReason::BalanceLimitExceeded, now_ms);
        };

        self.create()?;
        let entry_id = self.insert(&NewEntry {
            kind: EntryKind::Topup,
            amount: amount.minor_units(),
            balance_after,
            created_at_ms: now_ms,
            source: topup.checkout_session_id,
            description: None,
            idempotency_key: None,
            request_hash: None,
            stripe_event_id: Some(topup.stripe_event_id),
            hold_id: None,
        })?;
        tracing::info!(
            entry_id,
            amount = amount.minor_units(),
            balance = balance_after,
            stripe_event_id = topup.stripe_event_id,
            checkout_session_id = topup.checkout_session_id,
            "credited top-up"
        );
        Ok(TopupOutcome::Credited { entry_id, balance: balance_after })
    }

    fn earlier_topup_outcome(&self, session_id: &str) -> Result<Option<TopupOutcome>, StoreError> {
        if !self.created {
            return Ok(None);
        }
        let credited = self.store.query(
            "SELECT id FROM entries WHERE kind = 'topup' AND source = ?1",
            &[session_id.into()],
        )?;
        if let Some(row) = credited.first() {
            return Ok(Some(TopupOutcome::AlreadyCredited { entry_id: entry_id(row)? }));
        }
        let unapplied = self.store.query(
            "SELECT reason FROM unapplied_payments WHERE checkout_session_id = ?1",
            &[session_id.into()],
        )?;
        let Some(row) = unapplied.first() else {
            return Ok(None);
        };
        let reason = match row.text(0)?.as_str() {
            "currency_mismatch" => UnappliedReason::CurrencyMismatch,
            "amount_out_of_range" => UnappliedReason::AmountOutOfRange,
            "balance_limit_exceeded" => UnappliedReason::BalanceLimitExceeded,
            _ => return Err(StoreError::new("unknown reason in unapplied_payments")),
        };
        Ok(Some(TopupOutcome::Unapplied { reason }))
    }

    fn record_unapplied(
        &mut self,
        topup: &Topup<'_>,
        reason: UnappliedReason,
        now_ms: i64,
    ) -> Result<TopupOutcome, StoreError> {
        self.create()?;
        self.store.query(
            "INSERT INTO unapplied_payments
             (checkout_session_id, stripe_event_id, amount, currency, reason, created_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            &[
                topup.checkout_session_id.into(),
                topup.stripe_event_id.into(),
                // A JavaScript number cannot carry more; the raw value stays in Stripe.
                topup.amount.clamp(-MINOR_UNITS_MAX, MINOR_UNITS_MAX).into(),
                topup.currency.into(),
                reason.as_str().into(),
                now_ms.into(),
            ],
        )?;
        tracing::error!(
            amount = topup.amount,
            currency = topup.currency,
            reason = reason.as_str(),
            stripe_event_id = topup.stripe_event_id,
            checkout_session_id = topup.checkout_session_id,
            "payment recorded for the operator instead of credited"
        );
        Ok(TopupOutcome::Unapplied { reason })
    }

    /// Returns up to `limit` entries older than the entry `before` (or the newest, without
    /// it), newest first.
    ///
    /// # Errors
    ///
    /// Fails when the database fails.
    pub fn page(&self, before: Option<u64>, limit: u32) -> Result<Page, StoreError> {
        if !self.created {
            return Ok(Page { entries: Vec::new(), next_before: None });
        }
        // Entry ids stay far below 2^53, the largest integer that crosses into JavaScript intact.
        let before = before.and_then(|id| i64::try_from(id).ok()).unwrap_or(MINOR_UNITS_MAX);
        let rows = self.store.query(
            &format!("SELECT {ENTRY_COLUMNS} FROM entries WHERE id < ?1 ORDER BY id DESC LIMIT ?2"),
            // One row more than asked for tells whether another page follows.
            &[before.into(), i64::from(limit).saturating_add(1).into()],
        )?;
        let mut entries = rows.iter().map(entry_from_row).collect::<Result<Vec<_>, _>>()?;
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let next_before = if entries.len() > limit {
            entries.truncate(limit);
            entries.last().map(|entry| entry.id)
        } else {
            None
        };
        Ok(Page { entries, next_before })
    }

    /// Checks, entry by entry, that each balance is the previous plus the entry's amount and
    /// that the balance is the sum of all amounts.
    ///
    /// # Errors
    ///
    /// Returns the first violation found.
    pub fn audit(&self) -> Result<(), AuditFailure> {
        let mut before = None;
        let mut entries = Vec::new();
        loop {
            let page = self.page(before, wallet_client::api::TRANSACTIONS_PAGE_SIZE_MAX)?;
            entries.extend(page.entries);
            match page.next_before {
                Some(id) => before = Some(id),
                None => break,
            }
        }

        let mut sum: i64 = 0;
        for entry in entries.iter().rev() {
            sum = sum
                .checked_add(entry.amount)
                .ok_or(AuditFailure::SumMismatch { sum, balance: entry.balance_after })?;
            if entry.balance_after != sum {
                return Err(AuditFailure::BrokenChain { entry_id: entry.id });
            }
        }
        let balance = self.balance()?;
        if balance != sum {
            return Err(AuditFailure::SumMismatch { sum, balance });
        }
        Ok(())
    }

    pub(super) fn insert(&self, entry: &NewEntry<'_>) -> Result<u64, StoreError> {
        let rows = self.store.query(
            "INSERT INTO entries (kind, amount, balance_after, created_at_ms, source,
                 description, idempotency_key, request_hash, stripe_event_id, hold_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             RETURNING id",
            &[
                entry.kind.as_str().into(),
                entry.amount.into(),
                entry.balance_after.into(),
                entry.created_at_ms.into(),
                entry.source.into(),
                entry.description.into(),
                entry.idempotency_key.into(),
                entry.request_hash.into(),
                entry.stripe_event_id.into(),
                entry
                    .hold_id
                    .and_then(|id| i64::try_from(id).ok())
                    .map_or(SqlValue::Null, SqlValue::from),
            ],
        )?;
        let row = rows.first().ok_or(StoreError::new("insert returned no id"))?;
        entry_id(row)
    }
}

pub(super) struct NewEntry<'a> {
    kind: EntryKind,
    amount: i64,
    balance_after: i64,
    created_at_ms: i64,
    source: &'a str,
    description: Option<&'a str>,
    idempotency_key: Option<&'a str>,
    request_hash: Option<&'a str>,
    stripe_event_id: Option<&'a str>,
    hold_id: Option<u64>,
}

fn entry_id(row: &Row) -> Result<u64, StoreError> {
    u64::try_from(row.integer(0)?).map_err(|_| StoreError::new("negative entry id"))
}

fn entry_from_row(row: &Row) -> Result<LedgerEntry, StoreError> {
    let kind = row.text(1)?;
    Ok(LedgerEntry {
        id: entry_id(row)?,
        kind: EntryKind::from_name(&kind).ok_or(StoreError::new("unknown entry kind"))?,
        amount: row.integer(2)?,
        balance_after: row.integer(3)?,
        created_at_ms: row.integer(4)?,
        source: row.text(5)?,
        description: row.optional_text(6)?,
    })
}

#[cfg(test)]
mod tests;
