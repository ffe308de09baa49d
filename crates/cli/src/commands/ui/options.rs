//! The page's choices as the command line would give them: a check is `jdy-member validate
//! FILE ...` and an import `jdy-member import FILE --resume --rejects ...`, parsed by the
//! command line's own grammar (`args`), so every option keeps the default it has there. The
//! column step's choices are the same words as on the command line: `--sheet NAME`, a
//! loaded mapping file `--map-file FILE`, and each column the staff decided `--map
//! HEADER=FIELD` (or `HEADER=-`), which wins over the file as on the command line.

use super::job::{Job, Meta, MAPPING_FILE};
use crate::args::{Cli, Command, ImportArgs};
use crate::records::ReadOptions;
use clap::Parser;
use jdy_member::Error;
use std::ffi::OsString;
use std::path::Path;

/// The words after the file that say how the job's file is read. Each option and its value
/// are one word (`--map=电话=mobile`), so a header that starts with `-` stays a value.
fn read_words(job: &Job, meta: &Meta) -> Vec<OsString> {
    let mut words: Vec<OsString> = Vec::new();
    if meta.skip_unknown {
        words.push("--skip-unknown-columns".into());
    }
    if let Some(sheet) = &meta.sheet {
        words.push(format!("--sheet={sheet}").into());
    }
    if meta.map_file.is_some() {
        let mut word = OsString::from("--map-file=");
        word.push(job.file(MAPPING_FILE));
        words.push(word);
    }
    for (header, field) in &meta.map {
        words.push(format!("--map={header}={}", field.as_deref().unwrap_or("-")).into());
    }
    words
}

/// How `validate` would read the job's file.
pub fn read_options(job: &Job) -> Result<ReadOptions, Error> {
    read_options_with(job, &job.meta())
}

/// How `validate` would read the job's file with the choices of `meta` (the column step
/// tries a change so before it keeps it).
pub fn read_options_with(job: &Job, meta: &Meta) -> Result<ReadOptions, Error> {
    let mut words: Vec<OsString> = vec!["validate".into(), job.input().into()];
    words.extend(read_words(job, meta));
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
    words.extend(read_words(job, &job.meta()));
    match parse(words)? {
        Command::Import(args) => Ok(args),
        _ => Err(Error::internal("the page's import did not parse as import")),
    }
}

/// The words parsed as the command line parses them; a choice the grammar refuses is the
/// staff's to correct (an invalid argument), not a bug.
fn parse(words: Vec<OsString>) -> Result<Command, Error> {
    let all = std::iter::once(OsString::from("jdy-member")).chain(words);
    Cli::try_parse_from(all)
        .map(|cli| cli.command)
        .map_err(|e| Error::invalid_argument(format!("the page's choices are not usable: {e}")))
}
