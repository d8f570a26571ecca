//! Batching of ring buffer reads while events flood in.
//!
//! The kernel wakes a reader that has caught up as soon as the next event
//! is written, so a fast reader under a steady stream wakes for every few
//! events, and each wake-up costs a `poll`, two context switches, a
//! `write` of the output and, in the traced task, an `irq_work` to wake
//! us. [`Pacer`] lets at most one wake-up per [`Pacer::PERIOD`] through
//! while events keep coming: after a drain that found events less than a
//! period after the previous one, the reader sleeps out the rest of the
//! period, and the next drain takes the whole batch. A lone event (nothing
//! drained for a period) is read at once; no event waits longer than one
//! period. One period of events at the rates the kernel can produce
//! (a few million a second) is a small part of the ring buffer.

use std::time::{Duration, Instant};

#[derive(Debug, Default)]
pub struct Pacer {
    last: Option<Instant>,
}

impl Pacer {
    pub const PERIOD: Duration = Duration::from_millis(1);

    pub fn new() -> Pacer {
        Pacer::default()
    }

    /// How long to wait before polling again, after a drain that handled
    /// `events` events at `now`.
    pub fn wait_after(&mut self, events: usize, now: Instant) -> Option<Duration> {
        if events == 0 {
            return None;
        }
        let wait = self
            .last
            .map(|t| now.saturating_duration_since(t))
            .filter(|&since| since < Self::PERIOD)
            .map(|since| Self::PERIOD - since);
        // The period starts at the drain that ends it.
        self.last = Some(now + wait.unwrap_or_default());
        wait
    }

    /// [`Pacer::wait_after`] now, and the wait itself.
    pub fn after_drain(&mut self, events: usize) {
        if let Some(d) = self.wait_after(events, Instant::now()) {
            std::thread::sleep(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lone_events_are_not_delayed() {
        let mut p = Pacer::new();
        let t0 = Instant::now();
        assert_eq!(p.wait_after(1, t0), None);
        // The next event comes after a quiet period: read at once.
        assert_eq!(p.wait_after(1, t0 + Duration::from_millis(5)), None);
        // Nothing drained (a poll timeout): no wait, period unchanged.
        assert_eq!(p.wait_after(0, t0 + Duration::from_millis(5)), None);
    }

    #[test]
    fn a_stream_is_read_once_per_period() {
        let mut p = Pacer::new();
        let t0 = Instant::now();
        assert_eq!(p.wait_after(3, t0), None);
        let w = p.wait_after(3, t0 + Duration::from_micros(100));
        assert_eq!(w, Some(Duration::from_micros(900)));
        // The next drain, right after that wait, waits a whole period.
        let w = p.wait_after(50, t0 + Duration::from_micros(1010));
        assert_eq!(w, Some(Duration::from_micros(990)));
        assert!(w.unwrap() <= Pacer::PERIOD);
    }
}
