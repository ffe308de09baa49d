//! The gateway's rate limits: the account's request budget and the token endpoint's.

use crate::options::{Limit, Window};
use std::collections::VecDeque;

/// Counts requests against one limit.
#[derive(Debug, Default)]
pub(crate) struct Counter {
    /// Times (epoch ms) of the requests let through in the current window(s).
    times: VecDeque<u64>,
}

impl Counter {
    /// Lets one request through, or says in how many ms a slot frees up.
    pub fn take(&mut self, limit: Limit, window: Window, now: u64) -> Result<(), u64> {
        let length = limit.window_ms.max(1);
        match window {
            Window::Sliding => {
                while self
                    .times
                    .front()
                    .is_some_and(|t| now.saturating_sub(*t) >= length)
                {
                    self.times.pop_front();
                }
            }
            Window::Fixed => {
                let start = now - now % length;
                self.times.retain(|t| *t >= start);
            }
        }
        if self.times.len() < limit.requests as usize {
            self.times.push_back(now);
            return Ok(());
        }
        let free_at = match window {
            Window::Sliding => self.times.front().map_or(now, |t| t + length),
            Window::Fixed => now - now % length + length,
        };
        Err(free_at.saturating_sub(now).max(1))
    }

    pub fn clear(&mut self) {
        self.times.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: Limit = Limit {
        requests: 2,
        window_ms: 1000,
    };

    #[test]
    fn sliding_windows_free_a_slot_a_window_after_each_request() {
        let mut c = Counter::default();
        assert!(c.take(TWO, Window::Sliding, 100).is_ok());
        assert!(c.take(TWO, Window::Sliding, 600).is_ok());
        assert_eq!(c.take(TWO, Window::Sliding, 900), Err(200));
        assert!(c.take(TWO, Window::Sliding, 1100).is_ok());
        assert_eq!(c.take(TWO, Window::Sliding, 1200), Err(400));
    }

    #[test]
    fn fixed_windows_start_afresh_at_each_boundary() {
        let mut c = Counter::default();
        assert!(c.take(TWO, Window::Fixed, 900).is_ok());
        assert!(c.take(TWO, Window::Fixed, 950).is_ok());
        assert_eq!(c.take(TWO, Window::Fixed, 990), Err(10));
        assert!(c.take(TWO, Window::Fixed, 1000).is_ok());
        assert!(c.take(TWO, Window::Fixed, 1001).is_ok());
    }
}
