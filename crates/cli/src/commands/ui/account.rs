//! The account the page works with: the session of the first configuration source there is
//! (`--sandbox`, `--config`, the `JDY_*` environment, the settings file), or none yet, when
//! the page asks for the account first (`setup`). Once the form saves the settings, their
//! session replaces the one before without a restart.

use crate::session::{Session, Source};
use crate::settings::Store;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

/// The session in use, and what the account form may do.
pub struct Account {
    session: Mutex<Option<Arc<Session>>>,
    /// This user's settings file, when the page may save it: the configuration comes from
    /// it, or from nowhere yet. None while `--config`, the environment or `--sandbox` is in
    /// use (the settings file would not be read) or the platform has no folder for it.
    pub settings: Option<PathBuf>,
    /// Where the configuration came from (`Source::describe`).
    source: Value,
    /// Why the settings file could not be used, for the form.
    problem: Mutex<Option<String>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl Account {
    /// The page's account: `session` opened from `source`, or none yet (with why the saved
    /// settings could not be used, if they could not).
    pub fn new(source: &Source, session: Result<Session, Option<String>>) -> Account {
        let settings = match source {
            Source::Settings(store) => Some(store.path.clone()),
            Source::Nothing(path) => path.clone(),
            _ => None,
        };
        let (session, problem) = match session {
            Ok(session) => (Some(Arc::new(session)), None),
            Err(problem) => (None, problem),
        };
        Account {
            session: Mutex::new(session),
            settings,
            source: source.describe(),
            problem: Mutex::new(problem),
        }
    }

    /// The session, once there is an account.
    pub fn session(&self) -> Option<Arc<Session>> {
        lock(&self.session).clone()
    }

    /// Puts the session of newly saved settings in place of the one before.
    pub fn replace(&self, session: Session) {
        *lock(&self.session) = Some(Arc::new(session));
        *lock(&self.problem) = None;
    }

    /// The settings file the form saves to, when it may.
    pub fn store(&self) -> Option<Store> {
        self.settings.clone().map(Store::at)
    }

    /// What the page shows of the account: where it came from, the gateway, the mode and
    /// the client id (never a secret); and whether it asks for the account.
    pub fn to_json(&self) -> Value {
        let session = self.session();
        json!({
            "account": session.as_ref().map(|s| s.account.clone()),
            "setup": {
                "needed": session.is_none(),
                "editable": self.settings.is_some(),
                "file": self.settings.as_ref().map(|p| p.display().to_string()),
                "source": self.source["source"],
                "problem": lock(&self.problem).clone(),
            },
        })
    }
}
