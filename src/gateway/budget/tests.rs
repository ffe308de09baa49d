//! The budget's arithmetic, on its own clock where it can be.

use super::*;

fn budget(requests: u32, window_ms: u64) -> RequestBudget {
    RequestBudget {
        requests,
        window: Duration::from_millis(window_ms),
    }
}

/// The slots `count` requests get when each asks as soon as the previous was let
/// through (and, with `late_ms`, starts that late), by the budget's own arithmetic.
fn slots(b: &Budget, count: usize, late_ms: u64) -> Vec<u64> {
    let mut now = 1_000_000;
    let mut slots = Vec::new();
    let mut s = b.with_shared(|s| s.clone());
    for _ in 0..count {
        let slot = b.reserve(&mut s, now, u64::MAX).unwrap();
        slots.push(slot);
        now = slot + late_ms;
    }
    slots
}

#[test]
fn requests_are_spread_and_no_window_exceeds_the_budget() {
    let b = Budget::new(budget(10, 1000), None);
    for late_ms in [0, 7, 90] {
        let slots = slots(&b, 31, late_ms);
        // 10 per second: starts at least a tenth of the (stretched) window apart, and
        // never 11 within a second.
        for pair in slots.windows(2) {
            assert!(pair[1] - pair[0] >= 100, "{slots:?}");
        }
        for eleven in slots.windows(11) {
            assert!(eleven[10] - eleven[0] >= 1000, "{slots:?}");
        }
        assert!(
            slots[30] - slots[0] <= 3_100 + 30 * late_ms,
            "the budget is used: {slots:?}"
        );
    }
    // And on the clock: 21 acquisitions take two windows, not more.
    let start = Instant::now();
    for _ in 0..21 {
        b.acquire(start + Duration::from_secs(10)).unwrap();
    }
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(1_900) && took < Duration::from_secs(4),
        "{took:?}"
    );
}

#[test]
fn a_budget_of_thousands_per_second_is_still_spread() {
    // 3,000 per second: starts a third of a millisecond apart, which whole milliseconds
    // would round to none at all.
    let b = Budget::new(budget(3_000, 1_000), None);
    let slots = slots(&b, 301, 0);
    assert!(slots[300] - slots[0] >= 100, "{:?}", &slots[..5]);
    assert!(slots[300] - slots[0] <= 110, "{:?}", &slots[295..]);
}

#[test]
fn a_small_budget_is_not_halved() {
    let b = Budget::new(budget(2, 60_000), None);
    let deadline = Instant::now() + Duration::from_secs(40);
    let start = Instant::now();
    b.acquire(deadline).unwrap();
    // The second start waits the spacing (30.6 s), not the whole window.
    let e = b
        .acquire(Instant::now() + Duration::from_millis(100))
        .unwrap_err();
    assert!(
        e.message.contains("30.6 s") || e.message.contains("30.5 s"),
        "{}",
        e.message
    );
    assert!(start.elapsed() < Duration::from_secs(1));
}

#[test]
fn no_room_before_the_deadline_is_a_rate_limit_that_sent_nothing() {
    let b = Budget::new(budget(2, 60_000), None);
    let deadline = Instant::now() + Duration::from_millis(200);
    b.acquire(deadline).unwrap();
    let e = b.acquire(deadline).unwrap_err();
    assert!(e.message.contains("not sent"), "{}", e.message);
    assert_eq!(e.kind, ErrorKind::RateLimited);
    assert_eq!(e.delivery, crate::error::Delivery::NotSent);
    assert!(e.message.contains("2 requests per 60 s"), "{}", e.message);
}

/// Takes `count` starts as if they had gone through within the last second.
fn admitted(b: &Budget, count: usize) -> Vec<Ticket> {
    let now = now_ms();
    b.with_shared(|s| {
        (0..count)
            .map(|i| {
                let at = now - 1_000 + i as u64;
                s.log.push_back(at);
                Ticket(at)
            })
            .collect()
    })
}

#[test]
fn a_429_cuts_once_per_burst_and_successes_win_it_back() {
    let b = Budget::new(budget(100, 60_000), None);
    let tickets = admitted(&b, 100);
    b.rate_limited(tickets[98], None);
    b.rate_limited(tickets[99], None);
    let cut = b.with_shared(|s| s.allowance);
    assert!((cut - 90.0).abs() < 1e-9, "one cut for a burst: {cut}");
    assert_eq!(
        b.with_shared(|s| s.log.len()),
        98,
        "refused requests take no room in the window"
    );
    // A window's worth of successes wins back about 1% of the budget.
    for _ in 0..90 {
        b.succeeded();
    }
    let won = b.with_shared(|s| s.allowance) - cut;
    assert!((0.95..1.1).contains(&won), "{won}");
    for _ in 0..10_000 {
        b.succeeded();
    }
    assert_eq!(
        b.with_shared(|s| s.allowance),
        100.0,
        "never above the budget"
    );
}

#[test]
fn the_first_429_cuts_to_the_share_the_gateway_let_through() {
    // Three tills started together at the whole budget of 60: the gateway let this one
    // through 20 times in the window before refusing it, so 20 is its share.
    let b = Budget::new(budget(60, 60_000), None);
    let tickets = admitted(&b, 21);
    b.rate_limited(tickets[20], None);
    assert_eq!(b.with_shared(|s| s.allowance), 20.0);
    // It is the share while the others run: nothing is won back for a while.
    b.succeeded();
    assert_eq!(b.with_shared(|s| s.allowance), 20.0);
    // A till that started a moment later got 18 through: the same share of a third.
    let late = Budget::new(budget(60, 60_000), None);
    let tickets = admitted(&late, 19);
    late.rate_limited(tickets[18], None);
    assert_eq!(late.with_shared(|s| s.allowance), 20.0);
    // A till with nothing of its own in the window keeps a tenth of the budget (its next
    // save is not spaced a whole window away); more 429s cut it further.
    let idle = Budget::new(budget(60, 60_000), None);
    idle.rate_limited(Ticket(0), None);
    assert_eq!(idle.with_shared(|s| s.allowance), 6.0);
}

#[test]
fn a_request_waiting_when_a_429_comes_waits_for_the_new_pace() {
    let b = Arc::new(Budget::new(budget(10, 1000), None));
    let deadline = Instant::now() + Duration::from_secs(5);
    b.acquire(deadline).unwrap();
    // The next slot is 102 ms away; a 429 (Retry-After 400 ms) arrives meanwhile.
    let waiting = {
        let b = Arc::clone(&b);
        std::thread::spawn(move || {
            let start = Instant::now();
            b.acquire(deadline).unwrap();
            start.elapsed()
        })
    };
    std::thread::sleep(Duration::from_millis(30));
    b.rate_limited(Ticket(0), Some(Duration::from_millis(400)));
    let waited = waiting.join().unwrap();
    assert!(waited >= Duration::from_millis(400), "{waited:?}");
    // The given-back slot left the log: one start in it, plus the new one.
    assert_eq!(b.with_shared(|s| s.log.len()), 2);
}

#[test]
fn retry_after_pauses_everyone() {
    let b = Budget::new(budget(1000, 1000), None);
    b.rate_limited(Ticket(0), Some(Duration::from_millis(300)));
    let start = Instant::now();
    b.acquire(start + Duration::from_secs(5)).unwrap();
    assert!(start.elapsed() >= Duration::from_millis(250));
}

#[test]
fn processes_share_through_the_file() {
    let dir = std::env::temp_dir().join(format!("jdy-budget-{}", std::process::id()));
    secure_file::create_private_folder(&dir).unwrap();
    let path = dir.join("account.budget");
    let _ = std::fs::remove_file(&path);
    // Two budgets on one file behave as one: as two processes of one machine would.
    let a = Budget::new(budget(3, 1000), Some(&path));
    let b = Budget::new(budget(3, 1000), Some(&path));
    let deadline = Instant::now() + Duration::from_secs(5);
    let start = Instant::now();
    a.acquire(deadline).unwrap();
    b.acquire(deadline).unwrap();
    a.acquire(deadline).unwrap();
    // 3 per second: a third of a second apart, as one budget.
    assert!(
        start.elapsed() >= Duration::from_millis(650),
        "{:?}",
        start.elapsed()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn clients_of_one_account_share_one_budget() {
    let one = Budget::shared("acct-x", budget(5, 1000), None);
    let two = Budget::shared("acct-x", budget(5, 1000), None);
    let other = Budget::shared("acct-y", budget(5, 1000), None);
    assert!(Arc::ptr_eq(&one, &two));
    assert!(!Arc::ptr_eq(&one, &other));
}
