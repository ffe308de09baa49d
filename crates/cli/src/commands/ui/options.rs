//! The page's choices as the command line would give them: a check is `jdy-member validate
//! FILE ...` and an import `jdy-member import FILE --resume --rejects ...`, parsed by the
//! command line's own grammar (`args`), so every option keeps the default it has there and
//! an option the command line gains (a column mapping, issue 25) is one more word here.

use super::job::Job;
use crate::args::{Cli, Command, ImportArgs};
use crate::records::ReadOptions;
use clap::Parser;
use jdy_member::Error;
use std::ffi::OsString;
use std::path::Path;

/// The words after the file that say how the job's file is read.
fn read_words(job: &Job) -> Vec<OsString> {
    let mut words = Vec::new();
    if job.meta().skip_unknown {
        words.push("--skip-unknown-columns".into());
    }
    words
}

/// How `validate` would read the job's file.
pub fn read_options(job: &Job) -> Result<ReadOptions, Error> {
    let mut words: Vec<OsString> = vec!["validate".into(), job.input().into()];
    words.extend(read_words(job));
    match parse(words)? {
        Command::Validate(args) => args.read.options(),
        _ => Err(Error::internal(
            "the page's check did not parse as validate",
        )),
    }
}

/// The import of the job's file: resumed from its journal when there is one (an upload has
/// a journal of its own, so resuming is always right), the rows to fix to `rejects`.
pub fn import_args(job: &Job, rejects: &Path) -> Result<ImportArgs, Error> {
    let mut words: Vec<OsString> = vec![
        "import".into(),
        job.input().into(),
        "--resume".into(),
        "--rejects".into(),
        rejects.into(),
    ];
    words.extend(read_words(job));
    match parse(words)? {
        Command::Import(args) => Ok(args),
        _ => Err(Error::internal("the page's import did not parse as import")),
    }
}

fn parse(words: Vec<OsString>) -> Result<Command, Error> {
    let all = std::iter::once(OsString::from("jdy-member")).chain(words);
    Cli::try_parse_from(all)
        .map(|cli| cli.command)
        .map_err(|e| Error::internal(format!("the page's options did not parse: {e}")))
}
