//! The one panic boundary. Every C export and every thread the library starts runs its work
//! through [`guard`]: a panic (a bug) becomes an `internal` error naming where it happened,
//! never an unwind into the host program, and never a message on the host's stderr.
//!
//! The process-wide panic hook is installed by the first guarded call, whatever it is. It is
//! silent only for panics inside a guard on the current thread; panics of the host program's
//! own code (a Rust host, the CLI) still go to the hook that was there before.

use crate::error::{Error, Result};
use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    /// How many guards this thread is inside.
    static DEPTH: Cell<u32> = const { Cell::new(0) };
    /// Where the last guarded panic on this thread happened.
    static LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if DEPTH.with(Cell::get) == 0 {
                previous(info);
                return;
            }
            let location = info
                .location()
                .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()));
            LOCATION.with(|cell| *cell.borrow_mut() = location);
        }));
    });
}

/// Leaves the guard even when the guarded code unwinds.
struct Depth;

impl Depth {
    fn enter() -> Depth {
        DEPTH.with(|d| d.set(d.get() + 1));
        Depth
    }
}

impl Drop for Depth {
    fn drop(&mut self) {
        DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    }
}

/// Runs `f`; a panic inside becomes an `internal` error with its message and location.
pub fn guard<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    install_hook();
    let outcome = {
        let _inside = Depth::enter();
        catch_unwind(AssertUnwindSafe(f))
    };
    outcome.unwrap_or_else(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        let location = LOCATION
            .with(|cell| cell.borrow_mut().take())
            .map(|l| format!(" at {l}"))
            .unwrap_or_default();
        Err(Error::internal(format!(
            "jdy-member hit a bug and recovered ({what}{location}); please report it with the call that caused it"
        )))
    })
}

/// Runs a clean-up that returns nothing (a drop), swallowing any panic.
pub fn guard_unit(f: impl FnOnce()) {
    let _ = guard(|| {
        f();
        Ok(())
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn a_panic_becomes_an_internal_error_naming_its_location() {
        let result: Result<()> = guard(|| panic!("deliberate test panic"));
        let error = result.unwrap_err();
        assert_eq!(error.kind, ErrorKind::Internal);
        assert!(
            error.message.contains("deliberate test panic"),
            "{}",
            error.message
        );
        assert!(error.message.contains("src/panic.rs:"), "{}", error.message);
        assert_eq!(DEPTH.with(Cell::get), 0, "the guard is left after a panic");
    }

    /// In a fresh process (this test binary run again, for this one test): a panic inside a
    /// guard reaches no hook and prints nothing; a panic of the host's own code after ours
    /// was installed still reaches the host's hook.
    #[test]
    fn a_guarded_panic_prints_nothing_on_the_hosts_stderr() {
        const CHILD: &str = "JDY_MEMBER_PANIC_CHILD";
        if std::env::var_os(CHILD).is_some() {
            std::panic::set_hook(Box::new(|_| eprintln!("HOST-HOOK-CALLED")));
            let _ = guard::<()>(|| panic!("SECRET-PANIC-TEXT"));
            let _ = std::panic::catch_unwind(|| panic!("the host's own panic"));
            return;
        }
        let exe = std::env::current_exe().expect("the test binary");
        let output = std::process::Command::new(exe)
            .args([
                "--exact",
                "panic::tests::a_guarded_panic_prints_nothing_on_the_hosts_stderr",
                "--test-threads=1",
                "--nocapture",
            ])
            .env(CHILD, "1")
            .output()
            .expect("the child runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{stderr}");
        assert!(!stderr.contains("SECRET-PANIC-TEXT"), "{stderr}");
        assert!(!stderr.contains("panicked at src/panic.rs"), "{stderr}");
        assert_eq!(stderr.matches("HOST-HOOK-CALLED").count(), 1, "{stderr}");
    }

    #[test]
    fn guards_nest_and_pass_results_through() {
        let inner: Result<u8> = guard(|| guard(|| Ok(7)));
        assert_eq!(inner.unwrap(), 7);
        let worker = std::thread::spawn(|| guard::<()>(|| panic!("in a worker")))
            .join()
            .expect("the thread itself does not panic");
        assert!(worker.unwrap_err().message.contains("in a worker"));
    }
}
