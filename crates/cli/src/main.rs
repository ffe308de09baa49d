//! `jdy-member`: save, read and bulk-import Kingdee JDY members from the command line, and
//! run the local sandbox gateway.
//!
//! This file only dispatches: it parses the command line (`args`), opens the session the
//! command needs (`session`), runs the command (`commands/`), maps the result to the
//! documented exit code (`output`) and is the command line's panic boundary. Double-clicked
//! on Windows, it runs `ui` (`console`).

mod args;
mod commands;
mod console;
mod output;
mod records;
mod session;
mod settings;

use args::{Cli, Command};
use clap::Parser;
use commands::{call, config, doctor, get, import, list, outbox, sandbox, save, ui, validate};
use jdy_member::Error;
use output::{Exit, Output};
use session::Session;
use std::process::ExitCode;

fn main() -> ExitCode {
    let start = console::Start::of(std::env::args_os().len(), &console::System);
    let cli = if start.double_click {
        start.welcome();
        Cli::parse_from(console::Start::DOUBLE_CLICK)
    } else {
        Cli::parse()
    };
    let out = Output::new(cli.json);
    // The command line's own panic boundary: a bug ends the command with exit 1 and one
    // line saying so, never a backtrace.
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "error: jdy-member hit a bug{at}; please report it with the command that caused it"
        );
    }));
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&cli, &out)));
    let exit = match outcome {
        Ok(Ok(exit)) => exit,
        Ok(Err(error)) => {
            out.error(&error);
            Exit::for_kind(error.kind)
        }
        Err(_) => Exit::Internal,
    };
    if exit != Exit::Ok {
        start.pause_if_double_clicked();
    }
    ExitCode::from(exit as u8)
}

/// Runs the command; those that talk to a gateway get a session, reported on at the end.
fn run(cli: &Cli, out: &Output) -> Result<Exit, Error> {
    let command = match &cli.command {
        Command::Validate(args) => return validate::run(args, out),
        Command::Sandbox(args) => return sandbox::run(args, out),
        Command::Config(args) => return config::run(cli, args, out),
        // The page starts without a configuration too: it then asks for the account.
        Command::Ui(args) => return ui::run(cli, args, out),
        other => other,
    };
    let session = Session::open(cli.config.as_deref(), cli.sandbox, out)?;
    let exit = match command {
        Command::Save(args) => save::run(&session, args, out),
        Command::Get(args) => get::run(&session, args, out),
        Command::List(args) => list::run(&session, args, out),
        Command::Import(args) => import::run(&session, args, out),
        Command::Outbox(args) => outbox::run(&session, args, out),
        Command::Doctor => doctor::run(&session, out),
        Command::Call(args) => call::run(&session, args, out),
        // These need no session of this function's and returned above.
        Command::Validate(_) | Command::Sandbox(_) | Command::Config(_) | Command::Ui(_) => {
            Ok(Exit::Ok)
        }
    };
    session.report(out);
    exit
}
