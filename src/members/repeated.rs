//! The mobiles seen so far in a batch or a file, to refuse a later member with the mobile of
//! an earlier one ("same mobile as line 6"): the first is saved and the later is not, so a
//! member is never saved twice. The first member with a mobile always comes first, so the
//! index is built as members stream by: nothing but the index is held, a few dozen bytes a
//! member (a mainland mobile as the number its digits write, and the member's number).
//!
//! Uses nothing of the crate; used by `batch` and, through it, by the command line.

use std::collections::HashMap;

/// Each mobile seen, with the number (position, line or row) of the first member that had it.
#[derive(Debug, Default)]
pub struct RepeatedMobiles {
    /// Mobiles of digits only, without a leading zero: every mobile the library accepts.
    numeric: HashMap<u64, usize>,
    /// Any other text, should the library ever accept one.
    other: HashMap<Box<str>, usize>,
}

impl RepeatedMobiles {
    /// Room for `members` mobiles, so the index is not moved as it grows.
    pub fn with_capacity(members: usize) -> RepeatedMobiles {
        RepeatedMobiles {
            numeric: HashMap::with_capacity(members),
            other: HashMap::new(),
        }
    }

    /// The number of the earlier member with `mobile`; None when it is the first, which is
    /// then remembered as number `number`.
    pub fn earlier(&mut self, mobile: &str, number: usize) -> Option<usize> {
        match numeric_key(mobile) {
            Some(key) => match self.numeric.get(&key) {
                Some(first) => Some(*first),
                None => {
                    self.numeric.insert(key, number);
                    None
                }
            },
            None => match self.other.get(mobile) {
                Some(first) => Some(*first),
                None => {
                    self.other.insert(mobile.into(), number);
                    None
                }
            },
        }
    }
}

/// The number `mobile` writes, when that number gives back the same text (digits only, no
/// leading zero, at most 19 of them).
fn numeric_key(mobile: &str) -> Option<u64> {
    let digits = mobile.len() <= 19
        && !mobile.starts_with('0')
        && !mobile.is_empty()
        && mobile.bytes().all(|b| b.is_ascii_digit());
    digits.then(|| mobile.parse().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_record_of_a_mobile_is_remembered() {
        let mut index = RepeatedMobiles::with_capacity(4);
        assert_eq!(index.earlier("13800138000", 2), None);
        assert_eq!(index.earlier("13800138001", 3), None);
        assert_eq!(index.earlier("13800138000", 7), Some(2));
        assert_eq!(index.earlier("13800138000", 9), Some(2));
        // Text that a number would not give back is kept as text, never confused.
        assert_eq!(index.earlier("013800138000", 10), None);
        assert_eq!(index.earlier("013800138000", 11), Some(10));
        assert_eq!(index.earlier("+8613800138000", 12), None);
        assert_eq!(index.earlier("99999999999999999999", 13), None);
        assert_eq!(index.earlier("99999999999999999999", 14), Some(13));
    }
}
