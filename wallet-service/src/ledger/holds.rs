//! Holds: amounts reserved for work whose cost is known only at its end.
//!
//! A hold lowers the available balance until it is captured (part or all of it taken, in one
//! ledger entry, the rest freed), released (all of it freed) or expired. A hold past its expiry
//! counts as expired everywhere at once, whether or not the object's alarm has marked it yet,
//! so the available balance never depends on when the alarm runs.

use sha2::{Digest, Sha256};
use wallet_client::api::{EntryKind, HoldStatus};
use wallet_client::money::{Amount, MINOR_UNITS_MAX};

use super::store::{Row, SqlStore, StoreError};
use super::{Ledger, NewEntry, Refusal};

const HOLD_COLUMNS: &str = "id, amount, status, captured, entry_id, expires_at_ms, request_hash";

const MILLISECONDS_PER_SECOND: i64 = 1000;

/// A hold an app asks to place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HoldCommand<'a> {
    /// The app placing the hold; only it may settle the hold.
    pub app: &'a str,
    /// The most the work may cost.
    pub amount: Amount,
    /// How long the hold lasts.
    pub expires_in_seconds: u32,
    /// The caller's key for retrying safely, scoped to the app and this wallet.
    pub idempotency_key: Option<&'a str>,
    /// The caller's note, kept on the capture's ledger entry.
    pub description: Option<&'a str>,
}

impl HoldCommand<'_> {
    /// Returns a digest of what makes two requests to place a hold the same request.
    fn fingerprint(&self) -> String {
        let mut hasher = Sha256::new_with_prefix(b"hold\0");
        hasher.update(self.amount.minor_units().to_be_bytes());
        hasher.update(self.expires_in_seconds.to_be_bytes());
        if let Some(description) = self.description {
            hasher.update([1]);
            hasher.update(description.as_bytes());
        }
        hex::encode(hasher.finalize())
    }
}

/// A hold as it stands after a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Hold {
    /// The hold's number in this wallet.
    pub id: u64,
    /// What became of it.
    pub status: HoldStatus,
    /// The amount held.
    pub amount: i64,
    /// The amount captured; zero unless captured.
    pub captured: i64,
    /// The capture's ledger entry.
    pub entry_id: Option<u64>,
    /// When it expires, in milliseconds since the Unix epoch.
    pub expires_at_ms: i64,
    /// The wallet's available balance after the call.
    pub available: i64,
    /// True when an earlier call did what this one asked, and this one changed nothing.
    pub replayed: bool,
}

struct StoredHold {
    id: u64,
    amount: i64,
    status: HoldStatus,
    captured: i64,
    entry_id: Option<u64>,
    expires_at_ms: i64,
    request_hash: Option<String>,
}

impl StoredHold {
    fn from_row(row: &Row) -> Result<StoredHold, StoreError> {
        let status = row.text(2)?;
        Ok(StoredHold {
            id: u64::try_from(row.integer(0)?).map_err(|_| StoreError::new("negative hold id"))?,
            amount: row.integer(1)?,
            status: HoldStatus::from_name(&status).ok_or(StoreError::new("unknown hold status"))?,
            captured: row.integer(3)?,
            entry_id: row.optional_integer(4)?.and_then(|id| u64::try_from(id).ok()),
            expires_at_ms: row.integer(5)?,
            request_hash: row.optional_text(6)?,
        })
    }

    /// Returns the status as of `now_ms`: an active hold past its expiry has expired.
    fn status_at(&self, now_ms: i64) -> HoldStatus {
        if self.status == HoldStatus::Active && self.expires_at_ms <= now_ms {
            HoldStatus::Expired
        } else {
            self.status
        }
    }
}

impl<S: SqlStore> Ledger<'_, S> {
    /// Returns `balance` less the amounts of the holds active at `now_ms`.
    pub(super) fn available(&self, balance: i64, now_ms: i64) -> Result<i64, StoreError> {
        if !self.current {
            return Ok(balance);
        }
        let rows = self.store.query(
            "SELECT COALESCE(SUM(amount), 0) FROM holds
             WHERE status = 'active' AND expires_at_ms > ?1",
            &[now_ms.into()],
        )?;
        let held = rows.first().map_or(Ok(0), |row| row.integer(0))?;
        Ok(balance.saturating_sub(held))
    }

    /// Returns the available balance at `now_ms`: the balance less active holds.
    ///
    /// # Errors
    ///
    /// Fails when the database fails.
    pub fn available_balance(&self, now_ms: i64) -> Result<i64, StoreError> {
        self.available(self.balance()?, now_ms)
    }

    /// Reserves `command.amount` until it expires, unless the available balance is short.
    ///
    /// # Errors
    ///
    /// Fails when the database fails; a refusal is `Ok(Err(_))` and writes nothing.
    pub fn place_hold(
        &mut self,
        command: &HoldCommand<'_>,
        now_ms: i64,
    ) -> Result<Result<Hold, Refusal>, StoreError> {
        let fingerprint = command.fingerprint();

        if let Some(key) = command.idempotency_key
            && let Some(hold) = self.hold_by_idempotency_key(command.app, key)?
        {
            if hold.request_hash.as_deref() != Some(fingerprint.as_str()) {
                return Ok(Err(Refusal::IdempotencyKeyReused));
            }
            return self.answer(&hold, now_ms, true).map(Ok);
        }

        let available = self.available_balance(now_ms)?;
        let amount = command.amount.minor_units();
        if available < amount {
            return Ok(Err(Refusal::InsufficientFunds { available }));
        }

        let expires_in_ms =
            i64::from(command.expires_in_seconds).saturating_mul(MILLISECONDS_PER_SECOND);
        self.create()?;
        let rows = self.store.query(
            &format!(
                "INSERT INTO holds (app, amount, status, created_at_ms, expires_at_ms,
                     description, idempotency_key, request_hash)
                 VALUES (?1, ?2, 'active', ?3, ?4, ?5, ?6, ?7)
                 RETURNING {HOLD_COLUMNS}"
            ),
            &[
                command.app.into(),
                amount.into(),
                now_ms.into(),
                now_ms.saturating_add(expires_in_ms).into(),
                command.description.into(),
                command.idempotency_key.into(),
                fingerprint.as_str().into(),
            ],
        )?;
        let hold = StoredHold::from_row(rows.first().ok_or(StoreError::new("no hold row"))?)?;
        tracing::info!(hold_id = hold.id, amount, app = command.app, "hold placed");
        self.answer(&hold, now_ms, false).map(Ok)
    }

    /// Takes `amount` of the hold in one ledger entry and frees the rest.
    ///
    /// Capturing a captured hold again with the same amount answers as the first capture.
    ///
    /// # Errors
    ///
    /// Fails when the database fails; a refusal is `Ok(Err(_))` and writes nothing.
    pub fn capture_hold(
        &mut self,
        app: &str,
        hold_id: u64,
        amount: Amount,
        now_ms: i64,
    ) -> Result<Result<Hold, Refusal>, StoreError> {
        let Some(hold) = self.hold(app, hold_id)? else {
            return Ok(Err(Refusal::HoldNotFound));
        };
        let amount = amount.minor_units();
        match hold.status_at(now_ms) {
            HoldStatus::Active => {}
            HoldStatus::Captured if hold.captured == amount => {
                return self.answer(&hold, now_ms, true).map(Ok);
            }
            status => return Ok(Err(Refusal::HoldNotActive { status })),
        }
        if amount > hold.amount {
            return Ok(Err(Refusal::HoldAmountExceeded { held: hold.amount }));
        }

        // The hold reserved the amount, so a capture is not refused for want of funds; only a
        // balance driven down by `allow_negative` charges could make this go below zero.
        let balance = self.balance()?;
        let Some(balance_after) =
            balance.checked_sub(amount).filter(|after| *after >= -MINOR_UNITS_MAX)
        else {
            return Ok(Err(Refusal::BalanceLimitExceeded));
        };

        let description = self.hold_description(hold.id)?;
        // One statement: the trigger `captures_settle_their_hold` marks the hold captured as
        // part of this insert, so the entry and the hold cannot disagree.
        let entry_id = self.insert(&NewEntry {
            kind: EntryKind::HoldCapture,
            amount: amount.saturating_neg(),
            balance_after,
            created_at_ms: now_ms,
            source: app,
            description: description.as_deref(),
            idempotency_key: None,
            request_hash: None,
            stripe_event_id: None,
            hold_id: Some(hold.id),
        })?;
        tracing::info!(entry_id, hold_id, amount, balance = balance_after, app, "hold captured");
        let captured = self.hold(app, hold_id)?.ok_or(StoreError::new("captured hold vanished"))?;
        self.answer(&captured, now_ms, false).map(Ok)
    }

    /// Frees the whole hold. Releasing a released or expired hold changes nothing.
    ///
    /// # Errors
    ///
    /// Fails when the database fails; a refusal is `Ok(Err(_))` and writes nothing.
    pub fn release_hold(
        &mut self,
        app: &str,
        hold_id: u64,
        now_ms: i64,
    ) -> Result<Result<Hold, Refusal>, StoreError> {
        let Some(hold) = self.hold(app, hold_id)? else {
            return Ok(Err(Refusal::HoldNotFound));
        };
        match hold.status_at(now_ms) {
            HoldStatus::Active => {}
            HoldStatus::Released | HoldStatus::Expired => {
                return self.answer(&hold, now_ms, true).map(Ok);
            }
            status => return Ok(Err(Refusal::HoldNotActive { status })),
        }

        self.store.query(
            "UPDATE holds SET status = 'released', settled_at_ms = ?2 WHERE id = ?1",
            &[i64::try_from(hold.id).unwrap_or(i64::MAX).into(), now_ms.into()],
        )?;
        tracing::info!(hold_id, app, "hold released");
        let released = self.hold(app, hold_id)?.ok_or(StoreError::new("released hold vanished"))?;
        self.answer(&released, now_ms, false).map(Ok)
    }

    /// Marks every hold past its expiry at `now_ms` as expired and returns how many were.
    ///
    /// # Errors
    ///
    /// Fails when the database fails.
    pub fn expire_holds(&mut self, now_ms: i64) -> Result<usize, StoreError> {
        if !self.current {
            return Ok(0);
        }
        let rows = self.store.query(
            "UPDATE holds SET status = 'expired', settled_at_ms = ?1
             WHERE status = 'active' AND expires_at_ms <= ?1 RETURNING id",
            &[now_ms.into()],
        )?;
        if !rows.is_empty() {
            tracing::info!(holds = rows.len(), "holds expired");
        }
        Ok(rows.len())
    }

    /// Returns when the next active hold expires, if any is active.
    ///
    /// # Errors
    ///
    /// Fails when the database fails.
    pub fn next_hold_expiry(&self) -> Result<Option<i64>, StoreError> {
        if !self.current {
            return Ok(None);
        }
        let rows = self
            .store
            .query("SELECT MIN(expires_at_ms) FROM holds WHERE status = 'active'", &[])?;
        rows.first().map_or(Ok(None), |row| row.optional_integer(0))
    }

    fn hold(&self, app: &str, hold_id: u64) -> Result<Option<StoredHold>, StoreError> {
        let Ok(id) = i64::try_from(hold_id) else { return Ok(None) };
        if !self.current {
            return Ok(None);
        }
        let rows = self.store.query(
            &format!("SELECT {HOLD_COLUMNS} FROM holds WHERE id = ?1 AND app = ?2"),
            &[id.into(), app.into()],
        )?;
        rows.first().map(StoredHold::from_row).transpose()
    }

    fn hold_by_idempotency_key(
        &self,
        app: &str,
        key: &str,
    ) -> Result<Option<StoredHold>, StoreError> {
        if !self.current {
            return Ok(None);
        }
        let rows = self.store.query(
            &format!("SELECT {HOLD_COLUMNS} FROM holds WHERE app = ?1 AND idempotency_key = ?2"),
            &[app.into(), key.into()],
        )?;
        rows.first().map(StoredHold::from_row).transpose()
    }

    fn hold_description(&self, hold_id: u64) -> Result<Option<String>, StoreError> {
        let id = i64::try_from(hold_id).unwrap_or(i64::MAX);
        let rows = self.store.query("SELECT description FROM holds WHERE id = ?1", &[id.into()])?;
        rows.first().map_or(Ok(None), |row| row.optional_text(0))
    }

    fn answer(&self, hold: &StoredHold, now_ms: i64, replayed: bool) -> Result<Hold, StoreError> {
        Ok(Hold {
            id: hold.id,
            status: hold.status_at(now_ms),
            amount: hold.amount,
            captured: hold.captured,
            entry_id: hold.entry_id,
            expires_at_ms: hold.expires_at_ms,
            available: self.available_balance(now_ms)?,
            replayed,
        })
    }
}
