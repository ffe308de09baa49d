//! The offline check of every record of a file, as it would be sent: the library's member
//! rules, and a later record with the mobile of an earlier one refused in favour of the
//! first. Records are checked as they stream by, each given its verdict at once: the
//! commands print, reject or send it, and a page can show it (issue 23) while the rest of
//! the file is still being read.

use super::{FileRecord, Format, ImportFile};
use jdy_member::Error;
use serde_json::{Map, Value};

/// Checks the records of one file, in file order.
pub struct Checker {
    format: Format,
    seen: jdy_member::batch::RepeatedMobiles,
}

impl Checker {
    /// For a file in `format` of about `records` records (the first pass counts them).
    pub fn new(format: Format, records: usize) -> Checker {
        Checker {
            format,
            seen: jdy_member::batch::RepeatedMobiles::with_capacity(records),
        }
    }

    /// The member as it would be sent, or why it is refused: a record that cannot be read,
    /// a member that breaks a field rule, and a later record with the mobile of an earlier
    /// valid one ("same mobile as line 6": the first is saved, whatever the concurrency).
    /// Records must come in file order.
    pub fn check(&mut self, record: &FileRecord) -> Verdict {
        let normalised = match &record.member {
            Ok(member) => jdy_member::member::validate(member)?,
            Err(problem) => return Err(Error::invalid_argument(problem.clone())),
        };
        if let Some(mobile) = normalised.get("mobile").and_then(Value::as_str) {
            if let Some(first) = self.seen.earlier(mobile, record.number) {
                return Err(jdy_member::batch::duplicate_error(&super::location(
                    self.format,
                    first,
                )));
            }
        }
        Ok(normalised)
    }
}

/// A record's verdict: the member as it would be sent, or why it is refused.
pub type Verdict = Result<Map<String, Value>, Error>;

/// Reads every record of `file` (its second pass) and hands `each` the record with its
/// verdict as it comes, in file order. Stops at the first error, of the file or of `each`.
pub fn verdicts(
    file: &mut ImportFile,
    each: &mut dyn FnMut(FileRecord, Verdict) -> Result<(), Error>,
) -> Result<(), Error> {
    let mut checker = Checker::new(file.format, file.records);
    file.each_record(&mut |record| {
        let verdict = checker.check(&record);
        each(record, verdict)
    })
}
