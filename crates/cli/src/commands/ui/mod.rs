//! `jdy-member ui`: the import page for shop staff. Choose or drop a member list, see every
//! row's verdict before anything is sent, import with a progress bar, download the rows to
//! fix as a workbook.
//!
//! The page is a thin client of JSON endpoints (`routes`) over the command line's own code:
//! the column step (`columns`) is the plan of `validate` over the file's first pass, each
//! decision a `--map` word; a check is `records::verdicts`, the check `validate` makes
//! (`check`), and an import is `import::Import`, the engine of `jdy-member import` with its
//! journal, rejects, budget pacing and recovery, told of each row through `ImportEvents`
//! instead of a progress bar (`importing`). The page's choices are spelt as command lines and parsed by the command
//! line's grammar (`options`).
//!
//! Memory stays as flat as the command line's: an upload goes to disk as it arrives
//! (`upload`), each row's verdict is written to disk as it is made and read back a page at
//! a time (`rows`), so the first rows show while the rest of the file is read; the import
//! streams as `import` does. Each uploaded file has a folder of its own in a per-user folder
//! (`folder`, `jobs`, `job`) with its journal, so a page closed, or a process killed, resumes
//! without saving anyone twice.
//!
//! The account (`account`) is the command line's configuration (`--config`, the `JDY_*`
//! environment, the settings file) or `--sandbox`; with none of them, the page opens on a
//! form for the account, checked by the library's doctor before it is saved to this user's
//! settings file (`setup`), which the next start and every command then find by themselves.
//!
//! Safety on a shared PC (`guard`): 127.0.0.1 only, a random token in every request, the
//! `Host` (and for changes the `Origin`) of this server only, uploads bounded, and the
//! server (`server`) stops when asked or when the page has been gone a while. The page
//! itself (`page`, `assets/`) is embedded in the binary and fetches nothing from elsewhere.

mod account;
mod app;
mod check;
mod columns;
mod folder;
mod guard;
mod http;
mod importing;
mod job;
mod jobs;
mod options;
mod page;
mod routes;
mod rows;
mod server;
mod setup;
mod upload;
mod views;

use crate::args::{Cli, UiArgs};
use crate::output::{describe, Exit, Output};
use crate::session::{Session, Source};
use jdy_member::Error;
use std::time::Duration;

pub fn run(cli: &Cli, args: &UiArgs, out: &Output) -> Result<Exit, Error> {
    let source = Source::find(cli.config.as_deref(), cli.sandbox)?;
    let session = match &source {
        // No account yet, or saved settings that cannot be used: the page asks for it.
        Source::Nothing(_) => Err(None),
        Source::Settings(_) => Session::from_source(&source, out).map_err(|e| Some(describe(&e))),
        // What the command line was given explicitly must work.
        _ => Ok(Session::from_source(&source, out)?),
    };
    if let Err(problem) = &session {
        let file = source.describe()["file"].as_str().unwrap_or("").to_string();
        out.note(&match problem {
            Some(problem) => format!("ui: {problem}; the page asks for the account"),
            None => format!(
                "ui: no account is configured yet: the page asks for it and saves it to {file}"
            ),
        });
    }
    let account = account::Account::new(&source, session);
    let folder = folder::jobs_folder(args.data_dir.as_deref())?;
    let jobs = jobs::Jobs::load(folder);
    let listener = server::Listener::bind(args.port)?;
    let token = guard::random_hex(32)
        .map_err(|e| Error::internal(format!("no random token for the page: {e}")))?;
    let address = format!("http://127.0.0.1:{}/?token={token}", listener.port);
    out.line_text(&format!("ui: {address}"));
    out.note(&format!(
        "the import page is at the address above (this computer only); it stops when you press 停止工具 (Stop the tool) on the page, or {} s after the page is closed; files are kept in {}",
        args.idle_stop,
        jobs.folder.display()
    ));
    if !args.no_browser {
        if let Err(e) = open::that_detached(&address) {
            out.note(&format!(
                "no browser could be opened ({e}); open the address above in one"
            ));
        }
    }
    let guard = guard::Guard::new(token, listener.port);
    let app = app::App::new(
        account,
        out,
        jobs,
        (guard, Duration::from_secs(args.idle_stop)),
    );
    listener.serve(&app, out);
    if let Some(session) = app.account.session() {
        session.report(out);
    }
    out.note("ui: stopped");
    Ok(Exit::Ok)
}
