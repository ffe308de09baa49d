//! The page's endpoints, each a thin call into the jobs and the one engine (`check`,
//! `importing`); every request has passed the guard before it gets here.
//!
//! | request | answers |
//! | --- | --- |
//! | `GET /?token=T` | the page |
//! | `GET /api/state` | the account (no secret) or that the page asks for it, the limits, the member fields, the job shown, the imports to resume and those finished |
//! | `GET /api/settings` | the account form: the saved settings without their secrets, where they are kept |
//! | `POST /api/settings` | the form: the account checked with the doctor, saved when the checks allow (`"insist": true`: past a warning) |
//! | `POST /api/heartbeat` | 204: a page is open |
//! | `POST /api/jobs?name=N[&skip_unknown=1]` | the body is the file: a new job, its first pass made at once (then the column step) |
//! | `GET /api/jobs/ID` | the job: phase, how the file is read, its columns, the check's and the import's counts |
//! | `POST /api/jobs/ID/columns` | the column step's decisions: `{"map": [[HEADER, FIELD or null]], "sheet": S, "skip_unknown": B}` |
//! | `POST /api/jobs/ID/mapping?name=N`, `DELETE ...` | load a mapping file (the body; as `--map-file`), or forget it |
//! | `GET /api/jobs/ID/mapping` | the mapping in use, as `--save-map` writes it |
//! | `GET /api/jobs/ID/rows?filter=fix\|all&page=P` | a page of rows with their verdicts |
//! | `POST /api/jobs/ID/check[?skip_unknown=1\|0]` | check the file (the columns confirmed), or again |
//! | `POST /api/jobs/ID/import` | import (or resume) the valid rows |
//! | `GET /api/jobs/ID/rejects`, `.../saved` | the rows to fix (.xlsx), the members saved (.csv) |
//! | `DELETE /api/jobs/ID` | forget the job and remove its files |
//! | `POST /api/stop` | stop the server |

use super::app::{App, Task};
use super::columns::{self, MAX_MAPPING_BYTES};
use super::http::{
    download_response, empty_response, error_response, json_response, read_body, read_json, Asking,
};
use super::job::{rejects_file, Job, Phase, SAVED_LIST};
use super::jobs::KEEP_DAYS;
use super::page::{self, Language};
use super::rows::{Filter, PAGE_ROWS};
use super::setup;
use super::upload::{self, MAX_UPLOAD_BYTES};
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tiny_http::{Request, ResponseBox};

/// The answer to a request that passed the guard.
pub fn answer(app: &App, asking: &Asking, request: &mut Request) -> ResponseBox {
    let parts = asking.parts();
    match (asking.method.as_str(), parts.as_slice()) {
        ("GET", []) => {
            let accept = super::http::header(request, "Accept-Language");
            match page::page(Language::preferred(accept)) {
                Ok((html, policy)) => super::http::html_response(html, &policy),
                Err(e) => error_response(500, &format!("no random nonce for the page: {e}")),
            }
        }
        ("GET", ["api", "state"]) => json_response(200, &state(app)),
        ("POST", ["api", "heartbeat"]) => empty_response(204),
        ("POST", ["api", "stop"]) => {
            app.stop.store(true, Ordering::Relaxed);
            json_response(200, &json!({"stopping": true, "importing": app.jobs.importing()}))
        }
        ("GET", ["api", "settings"]) => json_response(200, &setup::saved_form(&app.account)),
        ("POST", ["api", "settings"]) => settings(app, request),
        ("POST", ["api", "jobs", ..]) | ("DELETE", ["api", "jobs", ..])
            if app.account.session().is_none() =>
        {
            error_response(409, "no account is set up yet: enter it in the form first")
        }
        ("POST", ["api", "jobs"]) => upload(app, asking, request),
        (method, ["api", "jobs", id, rest @ ..]) => match app.jobs.get(id) {
            Some(job) => job_answer(app, asking, request, (method, &job, rest)),
            None => error_response(404, "no such file: it was removed, or the page's folder was emptied; choose the file again"),
        },
        _ => error_response(404, "no such address"),
    }
}

/// What the page needs to start.
fn state(app: &App) -> Value {
    let listed = |phase| -> Vec<Value> {
        app.jobs
            .in_phase(phase)
            .iter()
            .map(|j| j.to_json())
            .collect()
    };
    let account = app.account.to_json();
    json!({
        "version": env!("CARGO_PKG_VERSION"),
        "account": account["account"],
        "setup": account["setup"],
        "folder": app.jobs.folder.display().to_string(),
        "limits": {
            "upload_bytes": MAX_UPLOAD_BYTES,
            "idle_stop_s": app.idle_stop.as_secs(),
            "keep_days": KEEP_DAYS,
            "page_rows": PAGE_ROWS,
        },
        "fields": member_fields(),
        "current": app.jobs.current().map(|j| j.to_json()),
        "interrupted": listed(Phase::Interrupted),
        "finished": listed(Phase::Done),
    })
}

/// The member fields a column may go to, for the column step's drop-downs: API name,
/// Chinese label, and whether every member needs it.
fn member_fields() -> Vec<Value> {
    jdy_member::fields::MEMBER_FIELDS
        .iter()
        .map(|f| json!({"name": f.name, "label": f.label, "required": f.rule.required()}))
        .collect()
}

/// The account form, sent: checked, and saved when the checks allow.
fn settings(app: &App, request: &mut Request) -> ResponseBox {
    if app.jobs.importing() {
        return error_response(
            409,
            "an import is running; change the account when it has ended",
        );
    }
    match read_json(request, setup::MAX_FORM_BYTES) {
        Ok(form) => match setup::submit(&app.account, &form, app.out) {
            Ok(outcome) => json_response(200, &outcome),
            Err((status, message)) => error_response(status, &message),
        },
        Err(refused) => refused,
    }
}

fn upload(app: &App, asking: &Asking, request: &mut Request) -> ResponseBox {
    if app.jobs.importing() {
        return error_response(
            409,
            "an import is running; choose the next file when it has ended",
        );
    }
    let name = asking.query("name").unwrap_or_default().to_string();
    let skip_unknown = asking.query("skip_unknown") == Some("1");
    if let Some(current) = app.jobs.current() {
        if matches!(
            current.phase(),
            Phase::Waiting | Phase::Reading | Phase::Checking
        ) {
            current.cancel();
        }
    }
    let length = request.body_length();
    match upload::receive(&app.jobs, &name, length, skip_unknown, request.as_reader()) {
        Ok(job) => {
            app.queue(Task::Read(job.clone()));
            json_response(201, &job.to_json())
        }
        Err(refused) => error_response(refused.status, &refused.message),
    }
}

fn job_answer(
    app: &App,
    asking: &Asking,
    request: &mut Request,
    (method, job, rest): (&str, &Arc<Job>, &[&str]),
) -> ResponseBox {
    match (method, rest) {
        ("GET", []) => json_response(200, &job.to_json()),
        ("GET", ["rows"]) => rows(asking, job),
        ("POST", ["columns"]) => match read_json(request, MAX_MAPPING_BYTES) {
            Ok(body) => changed(app, job, columns::decide(job, &body)),
            Err(refused) => refused,
        },
        ("POST", ["mapping"]) => match read_body(request, MAX_MAPPING_BYTES) {
            Ok(body) => {
                let name = asking.query("name").unwrap_or("mapping.json");
                changed(app, job, columns::load_mapping(job, name, &body))
            }
            Err(refused) => refused,
        },
        ("DELETE", ["mapping"]) => changed(app, job, columns::drop_mapping(job)),
        ("GET", ["mapping"]) => mapping(job),
        ("POST", ["check"]) => check_again(app, asking, job),
        ("POST", ["import"]) => start_import(app, job),
        ("GET", ["rejects"]) => rejects(job),
        ("GET", ["saved"]) => {
            let name = format!("{}.saved.csv", stem(&job.meta().name));
            download(&job.file(SAVED_LIST), &name, "text/csv; charset=utf-8")
        }
        ("DELETE", []) => {
            if busy(job) {
                return error_response(
                    409,
                    "this file is being checked or imported; wait until it ends",
                );
            }
            match app.jobs.remove(job) {
                Ok(()) => empty_response(204),
                Err(e) => error_response(500, &format!("its files could not all be removed: {e}")),
            }
        }
        _ => error_response(404, "no such address"),
    }
}

fn busy(job: &Job) -> bool {
    matches!(
        job.phase(),
        Phase::Waiting | Phase::Reading | Phase::Checking | Phase::Importing
    )
}

fn rows(asking: &Asking, job: &Job) -> ResponseBox {
    let filter = match asking.query("filter") {
        Some("all") => Filter::All,
        _ => Filter::ToFix,
    };
    let page = asking
        .query("page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(0);
    let Some(store) = job.rows() else {
        return json_response(200, &json!({"page": page, "total": 0, "rows": []}));
    };
    match store.page(filter, page) {
        Ok(found) => json_response(
            200,
            &json!({"page": page, "total": found.total, "page_rows": PAGE_ROWS, "rows": found.rows}),
        ),
        Err(e) => error_response(500, &format!("the rows could not be read back: {e}")),
    }
}

/// The answer to a change of the column step: the job, read again first when it must be.
fn changed(app: &App, job: &Arc<Job>, outcome: Result<bool, columns::Refusal>) -> ResponseBox {
    match outcome {
        Ok(reread) => {
            if reread {
                app.queue(Task::Read(job.clone()));
            }
            json_response(200, &job.to_json())
        }
        Err((status, message)) => error_response(status, &message),
    }
}

/// The mapping the plan uses, as `--save-map` writes it.
fn mapping(job: &Job) -> ResponseBox {
    let Some(text) = job.status().mapping_text.clone() else {
        return error_response(
            409,
            "the columns are not settled yet: decide every column, then download the mapping",
        );
    };
    let name = format!("{}.map.json", stem(&job.meta().name));
    let response = tiny_http::Response::from_data(text.into_bytes());
    download_response(response, &name, "application/json; charset=utf-8")
}

fn check_again(app: &App, asking: &Asking, job: &Arc<Job>) -> ResponseBox {
    if busy(job) || app.jobs.importing() {
        return error_response(409, "a file is being imported; wait until it ends");
    }
    if let Err((status, message)) = columns::settled(job) {
        return error_response(status, &message);
    }
    let skip_unknown = match asking.query("skip_unknown") {
        Some(flag) => flag == "1",
        None => job.meta().skip_unknown,
    };
    if let Err(e) = job.save_meta(|meta| meta.skip_unknown = skip_unknown) {
        return error_response(500, &format!("the page's folder cannot be written: {e}"));
    }
    job.set_phase(Phase::Waiting);
    app.jobs.set_current(Some(job.clone()));
    app.queue(Task::Check(job.clone()));
    json_response(202, &job.to_json())
}

fn start_import(app: &App, job: &Arc<Job>) -> ResponseBox {
    if app.jobs.importing() {
        return error_response(409, "an import is running already");
    }
    // A finished import is resumed for the rows that failed (the journal skips the saved).
    if !matches!(
        job.phase(),
        Phase::Checked | Phase::Interrupted | Phase::Failed | Phase::Done
    ) {
        return error_response(
            409,
            "this file cannot be imported now: wait until its check ends",
        );
    }
    // The import reads the file itself: the first pass the column step kept is let go.
    drop(job.take_file());
    {
        let mut status = job.status();
        status.phase = Phase::Importing;
        status.import = json!({"preparing": true});
    }
    app.jobs.set_current(Some(job.clone()));
    app.queue(Task::Import(job.clone()));
    json_response(202, &job.to_json())
}

fn rejects(job: &Job) -> ResponseBox {
    let Some(path) = rejects_file(&job.dir) else {
        return error_response(404, "no row was refused or failed: there is nothing to fix");
    };
    let workbook = path.extension().is_some_and(|e| e == "xlsx");
    let (extension, kind) = if workbook {
        (
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    } else {
        ("jsonl", "application/x-ndjson")
    };
    let name = format!("{}.rejects.{extension}", stem(&job.meta().name));
    download(&path, &name, kind)
}

fn download(path: &std::path::Path, name: &str, kind: &str) -> ResponseBox {
    match std::fs::File::open(path) {
        Ok(file) => download_response(tiny_http::Response::from_file(file), name, kind),
        Err(_) => error_response(404, "there is no such file (yet)"),
    }
}

/// The file's name without its extension.
fn stem(name: &str) -> &str {
    name.rsplit_once('.').map_or(name, |(stem, _)| stem)
}
