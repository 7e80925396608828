//! When a page has settled: the rule, as a pure state machine fed with what the page did.
//!
//! "Settled" means the page loaded, the network is quiet, no cookie or storage write came for the
//! quiet window (`--settle-ms`), and no timer the page set is still due before the cap. It ends
//! as soon as that holds — a page that does nothing after its load event is read one window after
//! it — and it is extended by every late request, write or timer, up to the cap: the window plus
//! [`MAX_EXTENSION`] after load. Timers are what make a cookie set 3 s after load visible without
//! waiting 3 s on every page: the hook (`hook.js`) reports, for each frame, when its earliest
//! pending timer is due, so the engine waits for work the page has scheduled and never for
//! nothing. A timer due after the cap is not waited for (a session-timeout warning in 20 minutes).
//!
//! Everything here is a function of the events and their times: no I/O, no clock of its own, so
//! the rule is tested without a browser.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use tokio::time::Instant;

/// The function the hook calls with a frame's pending timers and storage writes (`hook.js`
/// spells the same name).
pub(crate) const ACTIVITY_BINDING: &str = "__cookieAuditActivity";

/// How far past the quiet window after load a page may keep the visit going with late requests,
/// writes and timers. With the default window (500 ms) a page is read at most 5 s after load —
/// time enough for a cookie written 3 s after load by a script that a timer loads then.
pub const MAX_EXTENSION: Duration = Duration::from_millis(4500);

/// How a visit's wait ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum SettleEnd {
    /// Loaded, quiet for the window, no timer due before the cap: the page is done.
    Quiet,
    /// The page kept working (requests that never end, writes or timers that keep coming) and was
    /// read at the cap, as it was.
    Capped,
    /// The load event never came within the page timeout; the page was read as it was.
    LoadTimedOut,
}

/// What the engine should do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// Wait for an event, at most until this instant, then ask again.
    WaitUntil(Instant),
    /// Stop waiting.
    Done(SettleEnd),
}

/// The settle rule's state for one visit.
#[derive(Debug)]
pub(crate) struct Settle {
    window: Duration,
    extension: Duration,
    /// The load event must come by then.
    load_deadline: Instant,
    loaded_at: Option<Instant>,
    inflight: HashSet<String>,
    /// The last thing that happened: a request that ended, a write, a timer report, the load.
    last_activity: Instant,
    /// Per frame (the hook's token): its earliest pending timer.
    timers: HashMap<String, Due>,
}

/// A pending timer, as a frame reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Due {
    /// The timer's due time on the frame's own clock: the same number means the same timer.
    pub id: i64,
    /// When it is due on ours.
    pub at: Instant,
}

impl Settle {
    /// A visit that starts `now`, whose page must load by `load_deadline`.
    pub(crate) fn new(now: Instant, window: Duration, load_deadline: Instant) -> Settle {
        Settle {
            window,
            extension: MAX_EXTENSION,
            load_deadline,
            loaded_at: None,
            inflight: HashSet::new(),
            last_activity: now,
            timers: HashMap::new(),
        }
    }

    /// The latest a visit can be read after its load event.
    pub(crate) fn cap(window: Duration) -> Duration {
        window + MAX_EXTENSION
    }

    /// The page loaded (or will never load further: a failed or stopped document). Only the first
    /// call counts.
    pub(crate) fn loaded(&mut self, at: Instant) {
        if self.loaded_at.is_none() {
            self.loaded_at = Some(at);
            self.last_activity = self.last_activity.max(at);
        }
    }

    pub(crate) fn request_started(&mut self, id: &str, at: Instant) {
        self.inflight.insert(id.to_string());
        self.last_activity = self.last_activity.max(at);
    }

    pub(crate) fn request_ended(&mut self, id: &str, at: Instant) {
        if self.inflight.remove(id) {
            self.last_activity = self.last_activity.max(at);
        }
    }

    /// A cookie or storage write.
    pub(crate) fn wrote(&mut self, at: Instant) {
        self.last_activity = self.last_activity.max(at);
    }

    /// A frame's report of its earliest pending timer (`None`: none pending). A change is activity
    /// too: it comes when a timer fired, and what the timer started may take a moment to show. A
    /// report that repeats what the frame said before (the engine asks before it stops) is not.
    pub(crate) fn timers(&mut self, frame: &str, earliest: Option<Due>, at: Instant) {
        let changed = match earliest {
            Some(due) => self.timers.insert(frame.to_string(), due) != Some(due),
            None => self.timers.remove(frame).is_some(),
        };
        if changed {
            self.last_activity = self.last_activity.max(at);
        }
    }

    /// A report from the hook (`ACTIVITY_BINDING`), received `now`.
    pub(crate) fn activity(&mut self, report: &Activity, now: Instant) {
        if report.storage_written {
            self.wrote(now);
        }
        let due = report.timer.map(|(id, due_in)| Due {
            id,
            at: now + due_in,
        });
        self.timers(&report.frame, due, now);
    }

    /// What to do at `now`.
    pub(crate) fn next(&self, now: Instant) -> Next {
        let Some(loaded_at) = self.loaded_at else {
            return if now >= self.load_deadline {
                Next::Done(SettleEnd::LoadTimedOut)
            } else {
                Next::WaitUntil(self.load_deadline)
            };
        };
        let cap_at = loaded_at + self.window + self.extension;
        if now >= cap_at {
            return Next::Done(SettleEnd::Capped);
        }
        // A request in flight or a timer due before the cap: an event will say when it is over.
        let timer_pending = self.timers.values().any(|due| due.at <= cap_at);
        if !self.inflight.is_empty() || timer_pending {
            return Next::WaitUntil(cap_at);
        }
        let quiet_at = self.last_activity + self.window;
        if now >= quiet_at {
            Next::Done(SettleEnd::Quiet)
        } else {
            Next::WaitUntil(quiet_at.min(cap_at))
        }
    }
}

/// What a frame's hook reported: its earliest pending timer (its id on the frame's clock, and how
/// soon it is due) and whether it wrote to storage since the last report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Activity {
    pub frame: String,
    pub timer: Option<(i64, Duration)>,
    pub storage_written: bool,
}

impl Activity {
    /// Reads the hook's payload; `None` for anything else (a page may call the binding too).
    pub(crate) fn parse(payload: &str) -> Option<Activity> {
        #[derive(serde::Deserialize)]
        struct Timer {
            due: f64,
            in_ms: f64,
        }
        #[derive(serde::Deserialize)]
        struct Payload {
            frame: String,
            timer: Option<Timer>,
            #[serde(default)]
            storage: bool,
        }
        let payload: Payload = serde_json::from_str(payload).ok()?;
        let timer = match payload.timer {
            Some(t) if t.due.is_finite() && t.in_ms.is_finite() => Some((
                t.due.round() as i64,
                Duration::from_millis(t.in_ms.clamp(0.0, 86_400_000.0) as u64),
            )),
            Some(_) => return None,
            None => None,
        };
        Some(Activity {
            frame: payload.frame,
            timer,
            storage_written: payload.storage,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: Duration = Duration::from_millis(500);

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn due(id: i64, at: Instant) -> Option<Due> {
        Some(Due { id, at })
    }

    #[test]
    fn the_hooks_reports_are_read_and_anything_else_is_not() {
        let report =
            Activity::parse(r#"{"frame":"k3x","timer":{"due":3012,"in_ms":2990},"storage":true}"#)
                .unwrap();
        assert_eq!(report.frame, "k3x");
        assert_eq!(report.timer, Some((3012, ms(2990))));
        assert!(report.storage_written);
        let none = Activity::parse(r#"{"frame":"k3x","timer":null,"storage":false}"#).unwrap();
        assert_eq!(none.timer, None);
        assert_eq!(Activity::parse("not json"), None);
        assert_eq!(Activity::parse(r#"{"timer":null}"#), None);
        // Applied: a storage write restarts the window, the timer holds the page.
        let (mut settle, t0) = visit();
        settle.loaded(t0);
        settle.activity(&report, t0 + ms(400));
        let cap_at = t0 + WINDOW + MAX_EXTENSION;
        assert_eq!(settle.next(t0 + ms(900)), Next::WaitUntil(cap_at));
        settle.activity(&none, t0 + ms(3_400));
        assert_eq!(settle.next(t0 + ms(3_400)), Next::WaitUntil(t0 + ms(3_900)));
    }

    #[test]
    fn a_repeated_report_is_not_activity_but_a_changed_one_is() {
        let (mut settle, t0) = visit();
        settle.loaded(t0);
        settle.timers("main", due(100, t0 + ms(100)), t0);
        settle.timers("main", None, t0 + ms(100));
        // Saying again that nothing is pending does not restart the window.
        settle.timers("main", None, t0 + ms(550));
        assert_eq!(settle.next(t0 + ms(600)), Next::Done(SettleEnd::Quiet));
        // A frame never heard of saying nothing is pending is no news either.
        settle.timers("other", None, t0 + ms(600));
        assert_eq!(settle.next(t0 + ms(600)), Next::Done(SettleEnd::Quiet));
    }

    /// A visit that started at t0 with a 20 s load timeout.
    fn visit() -> (Settle, Instant) {
        let t0 = Instant::now();
        (Settle::new(t0, WINDOW, t0 + ms(20_000)), t0)
    }

    #[test]
    fn a_page_that_does_nothing_after_load_settles_one_window_after_it() {
        let (mut settle, t0) = visit();
        assert_eq!(settle.next(t0), Next::WaitUntil(t0 + ms(20_000)));
        settle.loaded(t0 + ms(200));
        assert_eq!(settle.next(t0 + ms(200)), Next::WaitUntil(t0 + ms(700)));
        assert_eq!(settle.next(t0 + ms(699)), Next::WaitUntil(t0 + ms(700)));
        assert_eq!(settle.next(t0 + ms(700)), Next::Done(SettleEnd::Quiet));
    }

    #[test]
    fn no_load_by_the_deadline_is_a_load_timeout() {
        let (mut settle, t0) = visit();
        settle.request_started("main", t0);
        assert_eq!(
            settle.next(t0 + ms(20_000)),
            Next::Done(SettleEnd::LoadTimedOut)
        );
    }

    #[test]
    fn requests_in_flight_hold_the_page_and_their_end_restarts_the_window() {
        let (mut settle, t0) = visit();
        settle.loaded(t0 + ms(100));
        settle.request_started("img", t0 + ms(150));
        let cap_at = t0 + ms(100) + WINDOW + MAX_EXTENSION;
        assert_eq!(settle.next(t0 + ms(2_000)), Next::WaitUntil(cap_at));
        settle.request_ended("img", t0 + ms(2_000));
        assert_eq!(settle.next(t0 + ms(2_000)), Next::WaitUntil(t0 + ms(2_500)));
        assert_eq!(settle.next(t0 + ms(2_500)), Next::Done(SettleEnd::Quiet));
        // The end of a request never seen starting changes nothing.
        settle.request_ended("unknown", t0 + ms(2_400));
        assert_eq!(settle.next(t0 + ms(2_500)), Next::Done(SettleEnd::Quiet));
    }

    #[test]
    fn a_write_extends_the_window() {
        let (mut settle, t0) = visit();
        settle.loaded(t0);
        settle.wrote(t0 + ms(400));
        assert_eq!(settle.next(t0 + ms(500)), Next::WaitUntil(t0 + ms(900)));
        assert_eq!(settle.next(t0 + ms(900)), Next::Done(SettleEnd::Quiet));
    }

    #[test]
    fn a_timer_due_before_the_cap_is_waited_for_and_one_after_it_is_not() {
        let (mut settle, t0) = visit();
        settle.loaded(t0);
        let cap_at = t0 + WINDOW + MAX_EXTENSION;
        // 3 s after load: waited for, however quiet the page is meanwhile.
        settle.timers("main", due(3_000, t0 + ms(3_000)), t0 + ms(10));
        assert_eq!(settle.next(t0 + ms(2_000)), Next::WaitUntil(cap_at));
        // Asked again before stopping, the frame says the same: that is no activity.
        settle.timers("main", due(3_000, t0 + ms(3_000)), t0 + ms(2_000));
        assert_eq!(settle.next(t0 + ms(2_000)), Next::WaitUntil(cap_at));
        // It fired: the frame has nothing pending, one more window for what it started.
        settle.timers("main", None, t0 + ms(3_001));
        assert_eq!(settle.next(t0 + ms(3_001)), Next::WaitUntil(t0 + ms(3_501)));
        assert_eq!(settle.next(t0 + ms(3_501)), Next::Done(SettleEnd::Quiet));
        // A timer due a minute from now is not worth waiting for.
        settle.timers("iframe", due(60_000, t0 + ms(60_000)), t0 + ms(3_100));
        assert_eq!(settle.next(t0 + ms(3_600)), Next::Done(SettleEnd::Quiet));
    }

    #[test]
    fn an_overdue_timer_still_holds_the_page_until_its_frame_reports() {
        // On a busy machine a timer fires late: its frame has not said it fired, so it may yet
        // write a cookie.
        let (mut settle, t0) = visit();
        settle.loaded(t0);
        settle.timers("main", due(300, t0 + ms(300)), t0);
        let cap_at = t0 + WINDOW + MAX_EXTENSION;
        assert_eq!(settle.next(t0 + ms(1_000)), Next::WaitUntil(cap_at));
    }

    #[test]
    fn a_page_that_never_stops_is_read_at_the_cap() {
        let (mut settle, t0) = visit();
        settle.loaded(t0);
        let cap_at = t0 + WINDOW + MAX_EXTENSION;
        let mut now = t0;
        while now < cap_at {
            settle.wrote(now);
            assert!(matches!(settle.next(now), Next::WaitUntil(at) if at <= cap_at));
            now += ms(100);
        }
        assert_eq!(settle.next(cap_at), Next::Done(SettleEnd::Capped));
        settle.request_started("poll", cap_at);
        assert_eq!(settle.next(cap_at + ms(1)), Next::Done(SettleEnd::Capped));
    }

    #[test]
    fn activity_before_the_load_does_not_shorten_the_window_after_it() {
        let (mut settle, t0) = visit();
        settle.request_started("main", t0);
        settle.request_ended("main", t0 + ms(50));
        settle.loaded(t0 + ms(1_000));
        assert_eq!(settle.next(t0 + ms(1_000)), Next::WaitUntil(t0 + ms(1_500)));
        // A second load event (an error page after a failed document) changes nothing.
        settle.loaded(t0 + ms(1_400));
        assert_eq!(settle.next(t0 + ms(1_500)), Next::Done(SettleEnd::Quiet));
    }
}
