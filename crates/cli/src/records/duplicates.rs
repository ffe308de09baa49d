//! The index of the mobiles seen so far in a file, to refuse a later row with the mobile of
//! an earlier one ("same mobile as line 6"). The first row with a mobile always comes first,
//! so the index is built as the rows stream by: nothing but the index is held, a few dozen
//! bytes a row (a mainland mobile as the number its digits write, and the row's number).

use std::collections::HashMap;

/// Each mobile seen, with the number (line, item or row) of the first record that had it.
#[derive(Debug, Default)]
pub(super) struct DuplicateIndex {
    /// Mobiles of digits only, without a leading zero: every mobile the library accepts.
    numeric: HashMap<u64, usize>,
    /// Any other text, should the library ever accept one.
    other: HashMap<Box<str>, usize>,
}

impl DuplicateIndex {
    /// Room for `records` mobiles, so the index is not moved as it grows.
    pub fn with_capacity(records: usize) -> DuplicateIndex {
        DuplicateIndex {
            numeric: HashMap::with_capacity(records),
            other: HashMap::new(),
        }
    }

    /// The number of the earlier record with `mobile`; None when it is the first, which is
    /// then remembered as record `number`.
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
        let mut index = DuplicateIndex::with_capacity(4);
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
