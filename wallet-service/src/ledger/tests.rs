// Test arithmetic is on small, known values.
#![allow(clippy::arithmetic_side_effects)]

use proptest::prelude::*;
use wallet_client::api::{EntryKind, HoldStatus};
use wallet_client::money::{Amount, MINOR_UNITS_MAX};

use super::store::SqliteStore;
use super::*;

const NOW: i64 = 1_780_000_000_000;

fn store() -> SqliteStore {
    SqliteStore::in_memory().unwrap()
}

fn amount(minor_units: i64) -> Amount {
    Amount::new(minor_units).unwrap_or_else(|| panic!("{minor_units} is not an amount"))
}

fn charge<'a>(minor_units: i64, key: Option<&'a str>) -> ChargeCommand<'a> {
    ChargeCommand {
        app: "search",
        amount: amount(minor_units),
        idempotency_key: key,
        allow_negative: false,
        description: None,
    }
}

fn topup(session: &str, minor_units: i64) -> Topup<'_> {
    Topup {
        checkout_session_id: session,
        stripe_event_id: "evt_1",
        amount: minor_units,
        currency: "usd",
    }
}

fn ledger(store: &SqliteStore) -> Ledger<'_, SqliteStore> {
    Ledger::open(store).unwrap()
}

fn credit(ledger: &mut Ledger<'_, SqliteStore>, session: &str, minor_units: i64) -> TopupOutcome {
    ledger.credit_topup(&topup(session, minor_units), "usd", NOW).unwrap()
}

fn debit(
    ledger: &mut Ledger<'_, SqliteStore>,
    command: &ChargeCommand<'_>,
) -> Result<Charged, Refusal> {
    ledger.charge(command, NOW).unwrap()
}

fn table_count(store: &SqliteStore) -> usize {
    store.query("SELECT name FROM sqlite_master", &[]).map(|rows| rows.len()).unwrap_or(usize::MAX)
}

#[test]
fn a_new_wallet_has_zero_balance_and_stores_nothing() {
    let store = store();
    let mut ledger = ledger(&store);

    let refused = debit(&mut ledger, &charge(1, Some("k")));

    assert_eq!(ledger.balance(), Ok(0));
    assert_eq!(refused, Err(Refusal::InsufficientFunds { available: 0 }));
    assert_eq!(ledger.page(None, 10).map(|page| page.entries.len()), Ok(0));
    assert_eq!(table_count(&store), 0);
}

#[test]
fn a_topup_credits_once_however_often_it_is_reported() {
    let store = store();
    let mut ledger = ledger(&store);

    let first = credit(&mut ledger, "cs_1", 500);
    let again = credit(&mut ledger, "cs_1", 500);
    let reopened = credit(&mut Ledger::open(&store).unwrap(), "cs_1", 500);

    assert_eq!(first, TopupOutcome::Credited { entry_id: 1, balance: 500 });
    assert_eq!(again, TopupOutcome::AlreadyCredited { entry_id: 1 });
    assert_eq!(reopened, TopupOutcome::AlreadyCredited { entry_id: 1 });
    assert_eq!(ledger.balance(), Ok(500));
    assert_eq!(ledger.audit(), Ok(()));
}

#[test]
fn a_payment_in_another_currency_is_recorded_not_credited() {
    let store = store();
    let mut ledger = ledger(&store);
    let euros = Topup { currency: "eur", ..topup("cs_eur", 500) };

    let outcome = ledger.credit_topup(&euros, "usd", NOW);
    let again = ledger.credit_topup(&euros, "usd", NOW);

    let unapplied = UnappliedReason::CurrencyMismatch;
    assert_eq!(outcome, Ok(TopupOutcome::Unapplied { reason: unapplied }));
    assert_eq!(again, Ok(TopupOutcome::Unapplied { reason: unapplied }));
    assert_eq!(ledger.balance(), Ok(0));
    let recorded = store.query("SELECT amount, currency FROM unapplied_payments", &[]);
    assert_eq!(
        recorded.map(|rows| rows.len()),
        Ok(1),
        "the payment must be recorded exactly once for the operator"
    );
}

#[test]
fn currency_is_compared_without_regard_to_case() {
    let store = store();
    let mut ledger = ledger(&store);

    let outcome = ledger.credit_topup(&Topup { currency: "USD", ..topup("cs_1", 5) }, "usd", NOW);

    assert_eq!(outcome, Ok(TopupOutcome::Credited { entry_id: 1, balance: 5 }));
}

#[test]
fn zero_and_oversized_topups_are_recorded_not_credited() {
    let store = store();
    let mut ledger = ledger(&store);

    let zero = credit(&mut ledger, "cs_zero", 0);
    let huge = credit(&mut ledger, "cs_huge", MINOR_UNITS_MAX + 1);

    let out_of_range = TopupOutcome::Unapplied { reason: UnappliedReason::AmountOutOfRange };
    assert_eq!(zero, out_of_range);
    assert_eq!(huge, out_of_range);
    assert_eq!(ledger.balance(), Ok(0));
}

#[test]
fn a_topup_that_would_pass_the_limit_is_recorded_not_credited() {
    let store = store();
    let mut ledger = ledger(&store);
    credit(&mut ledger, "cs_1", MINOR_UNITS_MAX);

    let outcome = credit(&mut ledger, "cs_2", 1);

    assert_eq!(outcome, TopupOutcome::Unapplied { reason: UnappliedReason::BalanceLimitExceeded });
    assert_eq!(ledger.balance(), Ok(MINOR_UNITS_MAX));
}

#[test]
fn a_charge_takes_the_amount_and_records_its_app() {
    let store = store();
    let mut ledger = ledger(&store);
    credit(&mut ledger, "cs_1", 500);

    let charged =
        debit(&mut ledger, &ChargeCommand { description: Some("one search"), ..charge(120, None) });

    assert_eq!(charged, Ok(Charged { entry_id: 2, balance: 380, replayed: false }));
    let page = ledger.page(None, 10).unwrap();
    let newest = page.entries.first().cloned();
    assert_eq!(
        newest,
        Some(LedgerEntry {
            id: 2,
            kind: EntryKind::Charge,
            amount: -120,
            balance_after: 380,
            created_at_ms: NOW,
            source: "search".to_owned(),
            description: Some("one search".to_owned()),
        })
    );
    assert_eq!(ledger.audit(), Ok(()));
}

#[test]
fn a_charge_beyond_the_balance_is_refused_and_writes_nothing() {
    let store = store();
    let mut ledger = ledger(&store);
    credit(&mut ledger, "cs_1", 100);

    let refused = debit(&mut ledger, &charge(101, Some("k")));
    let exact = debit(&mut ledger, &charge(100, None));

    assert_eq!(refused, Err(Refusal::InsufficientFunds { available: 100 }));
    assert_eq!(exact.map(|charged| charged.balance), Ok(0));
    assert_eq!(ledger.page(None, 10).map(|page| page.entries.len()), Ok(2));
}

#[test]
fn a_refused_charge_keeps_no_key_so_a_retry_after_a_topup_succeeds() {
    let store = store();
    let mut ledger = ledger(&store);

    let refused = debit(&mut ledger, &charge(50, Some("k")));
    credit(&mut ledger, "cs_1", 100);
    let retried = debit(&mut ledger, &charge(50, Some("k")));

    assert_eq!(refused, Err(Refusal::InsufficientFunds { available: 0 }));
    assert_eq!(retried, Ok(Charged { entry_id: 2, balance: 50, replayed: false }));
}

#[test]
fn allow_negative_lets_the_balance_go_below_zero() {
    let store = store();
    let mut ledger = ledger(&store);

    let charged = debit(&mut ledger, &ChargeCommand { allow_negative: true, ..charge(30, None) });

    assert_eq!(charged, Ok(Charged { entry_id: 1, balance: -30, replayed: false }));
    assert_eq!(ledger.audit(), Ok(()));
}

#[test]
fn allow_negative_stops_at_the_limit() {
    let store = store();
    let mut ledger = ledger(&store);
    let deep = ChargeCommand { allow_negative: true, ..charge(MINOR_UNITS_MAX, None) };
    debit(&mut ledger, &deep).unwrap();

    let refused = debit(&mut ledger, &ChargeCommand { allow_negative: true, ..charge(1, None) });

    assert_eq!(refused, Err(Refusal::BalanceLimitExceeded));
    assert_eq!(ledger.balance(), Ok(-MINOR_UNITS_MAX));
}

#[test]
fn a_retried_charge_is_replayed_and_moves_nothing() {
    let store = store();
    let mut ledger = ledger(&store);
    credit(&mut ledger, "cs_1", 500);
    let first = debit(&mut ledger, &charge(200, Some("req-1")));
    debit(&mut ledger, &charge(100, None)).unwrap();

    let retried = debit(&mut ledger, &charge(200, Some("req-1")));

    assert_eq!(first, Ok(Charged { entry_id: 2, balance: 300, replayed: false }));
    assert_eq!(retried, Ok(Charged { entry_id: 2, balance: 300, replayed: true }));
    assert_eq!(ledger.balance(), Ok(200));
}

#[test]
fn a_key_reused_for_another_request_is_refused() {
    let store = store();
    let mut ledger = ledger(&store);
    credit(&mut ledger, "cs_1", 500);
    debit(&mut ledger, &charge(200, Some("req-1"))).unwrap();

    let other_amount = debit(&mut ledger, &charge(201, Some("req-1")));
    let other_note =
        debit(&mut ledger, &ChargeCommand { description: Some("x"), ..charge(200, Some("req-1")) });

    assert_eq!(other_amount, Err(Refusal::IdempotencyKeyReused));
    assert_eq!(other_note, Err(Refusal::IdempotencyKeyReused));
    assert_eq!(ledger.balance(), Ok(300));
}

#[test]
fn idempotency_keys_are_scoped_to_the_app() {
    let store = store();
    let mut ledger = ledger(&store);
    credit(&mut ledger, "cs_1", 500);
    debit(&mut ledger, &charge(200, Some("req-1"))).unwrap();

    let other_app =
        debit(&mut ledger, &ChargeCommand { app: "images", ..charge(200, Some("req-1")) });

    assert_eq!(other_app, Ok(Charged { entry_id: 3, balance: 100, replayed: false }));
}

#[test]
fn entries_cannot_be_changed_or_deleted() {
    let store = store();
    let mut ledger = ledger(&store);
    credit(&mut ledger, "cs_1", 500);

    let update = store.query("UPDATE entries SET amount = 1", &[]);
    let delete = store.query("DELETE FROM entries", &[]);

    assert!(update.is_err());
    assert!(delete.is_err());
    assert_eq!(ledger.balance(), Ok(500));
}

#[test]
fn pages_run_newest_first_and_end_with_no_cursor() {
    let store = store();
    let mut ledger = ledger(&store);
    for session in 0..7 {
        credit(&mut ledger, &format!("cs_{session}"), 10);
    }

    let first = ledger.page(None, 3).unwrap();
    let second = ledger.page(first.next_before, 3).unwrap();
    let last = ledger.page(second.next_before, 3).unwrap();

    let ids = |page: &Page| page.entries.iter().map(|entry| entry.id).collect::<Vec<_>>();
    assert_eq!(ids(&first), [7, 6, 5]);
    assert_eq!(ids(&second), [4, 3, 2]);
    assert_eq!(ids(&last), [1]);
    assert_eq!(last.next_before, None);
}

#[test]
fn a_page_exactly_filling_the_limit_has_no_next_cursor() {
    let store = store();
    let mut ledger = ledger(&store);
    credit(&mut ledger, "cs_1", 10);
    credit(&mut ledger, "cs_2", 10);

    let page = ledger.page(None, 2).unwrap();

    assert_eq!(page.entries.len(), 2);
    assert_eq!(page.next_before, None);
}

#[derive(Clone, Debug)]
enum Operation {
    Topup { session: u8, amount: i64 },
    Charge { amount: i64, key: Option<u8>, allow_negative: bool },
}

fn operation() -> impl Strategy<Value = Operation> {
    prop_oneof![
        (0..20u8, 0..2_000i64).prop_map(|(session, amount)| Operation::Topup { session, amount }),
        (1..1_000i64, proptest::option::of(0..10u8), any::<bool>()).prop_map(
            |(amount, key, allow_negative)| Operation::Charge { amount, key, allow_negative }
        ),
    ]
}

proptest! {
    #[test]
    fn prop_balance_is_always_the_sum_of_entries(
        operations in prop::collection::vec(operation(), 1..60)
    ) {
        let store = store();
        let mut ledger = ledger(&store);

        for operation in &operations {
            let before = ledger.balance().unwrap();
            match operation {
                Operation::Topup { session, amount } => {
                    credit(&mut ledger, &format!("cs_{session}"), *amount);
                }
                Operation::Charge { amount, key, allow_negative } => {
                    let key = key.map(|key| format!("k{key}"));
                    let command = ChargeCommand {
                        allow_negative: *allow_negative,
                        ..charge(*amount, key.as_deref())
                    };
                    let result = debit(&mut ledger, &command);
                    let after = ledger.balance().unwrap();
                    match result {
                        Ok(Charged { replayed: false, balance, .. }) => {
                            prop_assert_eq!(balance, before - amount);
                            prop_assert_eq!(after, balance);
                        }
                        Ok(Charged { replayed: true, .. }) | Err(_) => {
                            prop_assert_eq!(after, before);
                        }
                    }
                    if !allow_negative && before >= 0 {
                        prop_assert!(after >= 0);
                    }
                }
            }
            prop_assert_eq!(ledger.audit(), Ok(()));
        }
    }
}

fn hold_command(minor_units: i64, key: Option<&str>) -> HoldCommand<'_> {
    HoldCommand {
        app: "search",
        amount: amount(minor_units),
        expires_in_seconds: 60,
        idempotency_key: key,
        description: Some("one completion"),
    }
}

fn place(ledger: &mut Ledger<'_, SqliteStore>, command: &HoldCommand<'_>) -> Result<Hold, Refusal> {
    ledger.place_hold(command, NOW).unwrap()
}

const EXPIRED: i64 = NOW + 60_000;

#[test]
fn a_hold_lowers_the_available_balance_but_not_the_balance() {
    let store = store();
    let mut ledger = ledger(&store);
    credit(&mut ledger, "cs_1", 100);

    let hold = place(&mut ledger, &hold_command(70, None)).unwrap();

    assert_eq!(hold.status, HoldStatus::Active);
    assert_eq!(hold.available, 30);
    assert_eq!(ledger.balance(), Ok(100));
    assert_eq!(ledger.available_balance(NOW), Ok(30));
}

#[test]
fn charges_and_holds_respect_the_available_balance() {
    let store = store();
    let mut ledger = ledger(&store);
    credit(&mut ledger, "cs_1", 100);
    place(&mut ledger, &hold_command(70, None)).unwrap();

    let charge_refused = debit(&mut ledger, &charge(31, None));
    let hold_refused = place(&mut ledger, &hold_command(31, None));
    let charge_fits = debit(&mut ledger, &charge(30, None));

    assert_eq!(charge_refused, Err(Refusal::InsufficientFunds { available: 30 }));
    assert_eq!(hold_refused, Err(Refusal::InsufficientFunds { available: 30 }));
    assert_eq!(charge_fits.map(|charged| charged.balance), Ok(70));
    assert_eq!(ledger.available_balance(NOW), Ok(0));
}

#[test]
fn capturing_takes_part_of_the_hold_in_one_entry_and_frees_the_rest() {
    let store = store();
    let mut ledger = ledger(&store);
    credit(&mut ledger, "cs_1", 100);
    let hold = place(&mut ledger, &hold_command(70, None)).unwrap();

    let captured = ledger.capture_hold("search", hold.id, amount(25), NOW).unwrap().unwrap();

    assert_eq!(captured.status, HoldStatus::Captured);
    assert_eq!(captured.captured, 25);
    assert_eq!(captured.available, 75);
    assert_eq!(ledger.balance(), Ok(75));
    let newest = ledger.page(None, 1).unwrap().entries.into_iter().next().unwrap();
    assert_eq!(newest.kind, EntryKind::HoldCapture);
    assert_eq!(newest.amount, -25);
    assert_eq!(newest.description.as_deref(), Some("one completion"));
    assert_eq!(Some(newest.id), captured.entry_id);
    assert_eq!(ledger.audit(), Ok(()));
}

#[test]
fn capturing_again_with_the_same_amount_replays_and_with_another_is_refused() {
    let store = store();
    let mut ledger = ledger(&store);
    credit(&mut ledger, "cs_1", 100);
    let hold = place(&mut ledger, &hold_command(70, None)).unwrap();
    let first = ledger.capture_hold("search", hold.id, amount(25), NOW).unwrap().unwrap();

    let again = ledger.capture_hold("search", hold.id, amount(25), NOW).unwrap();
    let other = ledger.capture_hold("search", hold.id, amount(26), NOW).unwrap();

    assert_eq!(again, Ok(Hold { replayed: true, ..first }));
    assert_eq!(other, Err(Refusal::HoldNotActive { status: HoldStatus::Captured }));
    assert_eq!(ledger.balance(), Ok(75));
}

#[test]
fn capturing_more_than_the_hold_is_refused() {
    let store = store();
    let mut ledger = ledger(&store);
    credit(&mut ledger, "cs_1", 100);
    let hold = place(&mut ledger, &hold_command(70, None)).unwrap();

    let refused = ledger.capture_hold("search", hold.id, amount(71), NOW).unwrap();

    assert_eq!(refused, Err(Refusal::HoldAmountExceeded { held: 70 }));
    assert_eq!(ledger.balance(), Ok(100));
}

#[test]
fn releasing_frees_the_whole_hold_and_is_idempotent() {
    let store = store();
    let mut ledger = ledger(&store);
    credit(&mut ledger, "cs_1", 100);
    let hold = place(&mut ledger, &hold_command(70, None)).unwrap();

    let released = ledger.release_hold("search", hold.id, NOW).unwrap().unwrap();
    let again = ledger.release_hold("search", hold.id, NOW).unwrap().unwrap();
    let capture = ledger.capture_hold("search", hold.id, amount(1), NOW).unwrap();

    assert_eq!(
        (released.status, released.available, released.replayed),
        (HoldStatus::Released, 100, false)
    );
    assert!(again.replayed);
    assert_eq!(capture, Err(Refusal::HoldNotActive { status: HoldStatus::Released }));
    assert_eq!(ledger.balance(), Ok(100));
}

#[test]
fn a_hold_past_its_expiry_frees_its_amount_before_and_after_the_alarm() {
    let store = store();
    let mut ledger = ledger(&store);
    credit(&mut ledger, "cs_1", 100);
    let hold = place(&mut ledger, &hold_command(70, None)).unwrap();

    let before_alarm = ledger.available_balance(EXPIRED);
    let next = ledger.next_hold_expiry();
    let expired = ledger.expire_holds(EXPIRED);
    let after_alarm = ledger.available_balance(EXPIRED);
    let capture = ledger.capture_hold("search", hold.id, amount(1), EXPIRED).unwrap();

    assert_eq!(before_alarm, Ok(100));
    assert_eq!(next, Ok(Some(EXPIRED)));
    assert_eq!(expired, Ok(1));
    assert_eq!(after_alarm, Ok(100));
    assert_eq!(ledger.next_hold_expiry(), Ok(None));
    assert_eq!(capture, Err(Refusal::HoldNotActive { status: HoldStatus::Expired }));
}

#[test]
fn holds_are_idempotent_like_charges() {
    let store = store();
    let mut ledger = ledger(&store);
    credit(&mut ledger, "cs_1", 100);
    let first = place(&mut ledger, &hold_command(40, Some("h1"))).unwrap();

    let again = place(&mut ledger, &hold_command(40, Some("h1")));
    let reused = place(&mut ledger, &hold_command(41, Some("h1")));

    assert_eq!(again, Ok(Hold { replayed: true, ..first }));
    assert_eq!(reused, Err(Refusal::IdempotencyKeyReused));
    assert_eq!(ledger.available_balance(NOW), Ok(60));
}

#[test]
fn a_hold_belongs_to_the_app_that_placed_it() {
    let store = store();
    let mut ledger = ledger(&store);
    credit(&mut ledger, "cs_1", 100);
    let hold = place(&mut ledger, &hold_command(40, None)).unwrap();

    let capture = ledger.capture_hold("images", hold.id, amount(1), NOW).unwrap();
    let release = ledger.release_hold("images", hold.id, NOW).unwrap();
    let unknown = ledger.release_hold("search", hold.id + 1, NOW).unwrap();

    assert_eq!(capture, Err(Refusal::HoldNotFound));
    assert_eq!(release, Err(Refusal::HoldNotFound));
    assert_eq!(unknown, Err(Refusal::HoldNotFound));
}

#[test]
fn a_wallet_made_before_holds_existed_gains_them_on_its_next_write() {
    let store = store();
    store
        .execute_batch(
            "CREATE TABLE entries (id INTEGER PRIMARY KEY, kind TEXT NOT NULL,
                 amount INTEGER NOT NULL, balance_after INTEGER NOT NULL,
                 created_at_ms INTEGER NOT NULL, source TEXT NOT NULL, description TEXT,
                 idempotency_key TEXT, request_hash TEXT, stripe_event_id TEXT, hold_id INTEGER);
             INSERT INTO entries (kind, amount, balance_after, created_at_ms, source)
                 VALUES ('topup', 100, 100, 1, 'cs_old');",
        )
        .unwrap();
    let mut ledger = ledger(&store);

    let hold = place(&mut ledger, &hold_command(40, None));

    assert_eq!(hold.map(|hold| hold.available), Ok(60));
}

#[derive(Clone, Debug)]
enum HoldStep {
    Topup { amount: i64 },
    Charge { amount: i64 },
    Place { amount: i64, expires_in_seconds: u32 },
    Capture { hold: usize, amount: i64 },
    Release { hold: usize },
    Wait { seconds: i64 },
    Alarm,
}

fn hold_step() -> impl Strategy<Value = HoldStep> {
    prop_oneof![
        (1..500i64).prop_map(|amount| HoldStep::Topup { amount }),
        (1..200i64).prop_map(|amount| HoldStep::Charge { amount }),
        (1..300i64, 1..120u32).prop_map(|(amount, expires_in_seconds)| HoldStep::Place {
            amount,
            expires_in_seconds
        }),
        (0..8usize, 1..300i64).prop_map(|(hold, amount)| HoldStep::Capture { hold, amount }),
        (0..8usize).prop_map(|hold| HoldStep::Release { hold }),
        (1..90i64).prop_map(|seconds| HoldStep::Wait { seconds }),
        Just(HoldStep::Alarm),
    ]
}

proptest! {
    #[test]
    fn prop_holds_never_take_the_available_balance_below_zero(
        steps in prop::collection::vec(hold_step(), 1..50)
    ) {
        let store = store();
        let mut ledger = ledger(&store);
        let mut now = NOW;
        let mut holds: Vec<Hold> = Vec::new();
        let mut sessions = 0;

        for step in &steps {
            match step {
                HoldStep::Topup { amount } => {
                    sessions += 1;
                    let session = format!("cs_{sessions}");
                    ledger.credit_topup(&topup(&session, *amount), "usd", now).unwrap();
                }
                HoldStep::Charge { amount } => {
                    let _ = ledger.charge(&charge(*amount, None), now).unwrap();
                }
                HoldStep::Place { amount, expires_in_seconds } => {
                    let command = HoldCommand {
                        expires_in_seconds: *expires_in_seconds,
                        description: None,
                        ..hold_command(*amount, None)
                    };
                    if let Ok(hold) = ledger.place_hold(&command, now).unwrap() {
                        holds.push(hold);
                    }
                }
                HoldStep::Capture { hold, amount: taken } => {
                    if let Some(placed) = holds.get(*hold) {
                        let result = ledger.capture_hold("search", placed.id, amount(*taken), now);
                        if let Ok(captured) = result.unwrap() {
                            prop_assert!(captured.captured <= placed.amount);
                            prop_assert_eq!(captured.status, HoldStatus::Captured);
                        }
                    }
                }
                HoldStep::Release { hold } => {
                    if let Some(placed) = holds.get(*hold) {
                        let _ = ledger.release_hold("search", placed.id, now).unwrap();
                    }
                }
                HoldStep::Wait { seconds } => now += seconds * 1000,
                HoldStep::Alarm => {
                    ledger.expire_holds(now).unwrap();
                }
            }

            prop_assert!(ledger.available_balance(now).unwrap() >= 0);
            prop_assert_eq!(ledger.audit(), Ok(()));
        }

        // A ledger nothing was written to has no tables to look in.
        let captures = if ledger.created {
            store
                .query(
                    "SELECT hold_id, COUNT(*) FROM entries WHERE hold_id IS NOT NULL \
                     GROUP BY hold_id",
                    &[],
                )
                .unwrap()
        } else {
            Vec::new()
        };
        for row in captures {
            prop_assert_eq!(row.integer(1).unwrap(), 1, "a hold was captured twice");
        }
    }
}
