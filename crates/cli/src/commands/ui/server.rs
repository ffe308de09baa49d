//! The page's server: `tiny_http` on 127.0.0.1, a few threads answering requests, and one
//! worker that checks and imports files, one at a time, off the request threads. It stops
//! when the page asks, or when no page has been heard from for `idle_stop` while no import
//! runs (the page beats every `HEARTBEAT` seconds; a background tab's timers may be slowed to
//! once a minute, hence the default of three minutes).

use super::app::{App, Task};
use super::guard::{Asked, TOKEN_HEADER};
use super::http::{error_response, header, Asking};
use super::job::Phase;
use super::{check, columns, importing, routes};
use crate::output::Output;
use jdy_member::Error;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

/// Threads answering requests: the page polls, pages through rows and uploads at once.
const REQUEST_THREADS: usize = 4;

/// The listening socket, on 127.0.0.1 only.
pub struct Listener {
    server: tiny_http::Server,
    pub port: u16,
}

impl Listener {
    /// Listens on 127.0.0.1:`port` (0: a free one).
    pub fn bind(port: u16) -> Result<Listener, Error> {
        let server = tiny_http::Server::http(("127.0.0.1", port)).map_err(|e| {
            Error::config(format!(
                "the page cannot listen on 127.0.0.1:{port} ({e}); choose another --port, or leave it out for a free one"
            ))
        })?;
        let port = server
            .server_addr()
            .to_ip()
            .map(|a| a.port())
            .ok_or_else(|| Error::internal("the page's server has no IP address"))?;
        Ok(Listener { server, port })
    }

    /// Answers requests until the page asks to stop or has been gone for `idle_stop`. An
    /// import still running then ends with the process, as if it were killed: its journal
    /// lets the next start resume it without saving anyone twice.
    pub fn serve(&self, app: &App, out: &Output) {
        let (sender, receiver) = mpsc::channel();
        *app.tasks.lock().unwrap_or_else(|p| p.into_inner()) = Some(sender);
        std::thread::scope(|scope| {
            let worker = scope.spawn(|| work(app, receiver));
            let answering: Vec<_> = (0..REQUEST_THREADS)
                .map(|_| scope.spawn(|| self.answer_until_stopped(app)))
                .collect();
            while !app.stop.load(Ordering::Relaxed) && !app.idle() {
                std::thread::sleep(Duration::from_millis(200));
            }
            app.stop.store(true, Ordering::Relaxed);
            for thread in answering {
                let _ = thread.join();
            }
            // No more tasks; a check in progress ends at its next row.
            app.tasks.lock().unwrap_or_else(|p| p.into_inner()).take();
            if let Some(job) = app.jobs.current() {
                job.cancel();
            }
            if app.jobs.importing() {
                out.note("ui: stopped during an import; start `jdy-member ui` again to resume it");
                std::process::exit(0);
            }
            let _ = worker.join();
        });
    }

    fn answer_until_stopped(&self, app: &App) {
        while !app.stop.load(Ordering::Relaxed) {
            match self.server.recv_timeout(Duration::from_millis(200)) {
                Ok(Some(request)) => answer(app, request),
                Ok(None) => {}
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }
}

/// Lets a request through the guard and answers it.
fn answer(app: &App, mut request: tiny_http::Request) {
    let asking = Asking::of(&request);
    let asked = Asked {
        method: &asking.method,
        host: header(&request, "Host"),
        origin: header(&request, "Origin"),
        token_header: header(&request, TOKEN_HEADER),
        token_query: asking.query("token"),
    };
    let response = match app.guard.check(&asked) {
        Ok(()) => {
            app.seen();
            routes::answer(app, &asking, &mut request)
        }
        Err(refusal) => error_response(403, refusal.message()),
    };
    let _ = request.respond(response);
}

/// The worker: each task in turn, until the server stops.
fn work(app: &App, tasks: Receiver<Task>) {
    while let Ok(task) = tasks.recv() {
        let job = match &task {
            Task::Read(job) | Task::Check(job) | Task::Import(job) => job.clone(),
        };
        // The routes queue nothing without an account; the form may have replaced it since.
        let Some(session) = app.account.session() else {
            let mut status = job.status();
            status.phase = Phase::Refused;
            status.error = serde_json::json!({"message": "no account is set up: enter it first"});
            continue;
        };
        match task {
            // A later upload cancelled it before it began.
            Task::Read(_) | Task::Check(_) if job.take_cancel() => job.set_phase(Phase::Stored),
            Task::Read(_) => {
                if columns::first_pass(&job) {
                    check::check(&session, &job);
                }
            }
            Task::Check(_) => check::check(&session, &job),
            Task::Import(_) => importing::import(&session, &job),
        }
    }
}
