//! The result each thread keeps: the envelope (or text) of its last stdcall call, so that a
//! caller whose buffer was too small fetches it with jdy_last_result_a/_w, as often as it
//! likes, without doing the operation again. A save is never sent twice because a buffer
//! was short. Kept as UTF-8 and converted on each fetch, so either suffix may fetch it.

use std::cell::RefCell;

thread_local! {
    static KEPT: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Keeps `text` as this thread's result, replacing the one before.
pub(super) fn keep(text: String) {
    // try_with: a call made while the thread is being torn down keeps nothing.
    let _ = KEPT.try_with(|kept| *kept.borrow_mut() = Some(text));
}

/// A copy of this thread's kept result (None before its first call).
pub(super) fn kept() -> Option<String> {
    KEPT.try_with(|kept| kept.borrow().clone()).ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_thread_keeps_its_own_last_result() {
        std::thread::spawn(|| {
            assert_eq!(kept(), None, "nothing before the first call");
            keep("first".into());
            keep("second".into());
            assert_eq!(kept().as_deref(), Some("second"));
            assert_eq!(
                kept().as_deref(),
                Some("second"),
                "fetched as often as needed"
            );
            std::thread::spawn(|| {
                assert_eq!(kept(), None, "another thread sees none of it");
                keep("other".into());
            })
            .join()
            .unwrap();
            assert_eq!(kept().as_deref(), Some("second"));
        })
        .join()
        .unwrap();
    }
}
