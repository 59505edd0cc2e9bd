//! Triggers (SDK h.4): a pattern match, a buffer-content level, or one then the other; fired at
//! most once per capture, with the action NOTIFY, PAUSE or STOP. Pure: the capture thread tells it
//! about every stored frame (whether the trigger's pattern matched it, and the bytes stored so
//! far) and performs what it answers.

use crate::types::*;

/// What a firing trigger asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fired {
    /// UPDATE_EVENT_TRIGGER_* code.
    pub event: u32,
    /// UPDATE_ACTION_NOTIFY / _STOP_CAPTURE / _PAUSE_CAPTURE.
    pub action: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// Waiting for the pattern (types 1 and 3, or 4 after its level).
    Pattern,
    /// Waiting until `threshold` more bytes are stored than at `from` (types 2 and 4, or 3 after
    /// its pattern).
    Buffer {
        from: u64,
    },
    Fired,
}

/// A trigger armed for one capture.
#[derive(Clone, Copy)]
pub struct TriggerState {
    kind: u32,
    action: u32,
    threshold: u64,
    stage: Stage,
    pub pattern: PATTERNMATCH,
    /// TRIGGER_FLAGS_DATA_RELATIVE: the pattern's offset counts from the effective protocol.
    pub data_relative: bool,
}

impl TriggerState {
    /// The armed trigger, or None when `t` is inactive. `buffer_size` is the capture's BufferSize
    /// (0 = DEFAULT_RTC_BUFFER_SIZE): the buffer levels are 25/50/75/100 % of it, in stored bytes.
    pub fn new(t: &TRIGGER, buffer_size: u32) -> Option<TriggerState> {
        if t.TriggerActive == 0 {
            return None;
        }
        let kind = t.TriggerType as u32;
        let size = if buffer_size == 0 { DEFAULT_RTC_BUFFER_SIZE } else { buffer_size } as u64;
        let threshold = size * (t.TriggerBufferSize.min(3) as u64 + 1) / 4;
        let stage = match kind {
            TRIGGER_TYPE_BUFFER_CONTENT | TRIGGER_TYPE_BUFFER_CONTENT_THEN_PATTERN_MATCH => Stage::Buffer { from: 0 },
            _ => Stage::Pattern,
        };
        let action = match t.TriggerAction as u32 {
            TRIGGER_ACTION_STOP => UPDATE_ACTION_STOP_CAPTURE,
            TRIGGER_ACTION_PAUSE => UPDATE_ACTION_PAUSE_CAPTURE,
            _ => UPDATE_ACTION_NOTIFY,
        };
        Some(TriggerState { kind, action, threshold, stage, pattern: t.TriggerPatternMatch, data_relative: t.TriggerFlags & TRIGGER_FLAGS_DATA_RELATIVE != 0 })
    }

    /// True until the trigger fires (NETWORKSTATUS_FLAGS_TRIGGER_PENDING).
    pub fn pending(&self) -> bool {
        self.stage != Stage::Fired
    }

    /// Whether the next stored frame must be checked against the pattern.
    pub fn wants_pattern(&self) -> bool {
        self.stage == Stage::Pattern
    }

    fn event(&self) -> u32 {
        match self.kind {
            TRIGGER_TYPE_PATTERN_MATCH => UPDATE_EVENT_TRIGGER_PATTERN_MATCH,
            TRIGGER_TYPE_BUFFER_CONTENT => UPDATE_EVENT_TRIGGER_BUFFER_CONTENT,
            TRIGGER_TYPE_PATTERN_MATCH_THEN_BUFFER_CONTENT => UPDATE_EVENT_TRIGGER_PATTERN_BUFFER,
            _ => UPDATE_EVENT_TRIGGER_BUFFER_PATTERN,
        }
    }

    fn fire(&mut self) -> Option<Fired> {
        self.stage = Stage::Fired;
        Some(Fired { event: self.event(), action: self.action })
    }

    /// After a frame was stored: `matched` = the trigger pattern matched it (only asked when
    /// `wants_pattern`), `stored_bytes` = bytes stored so far, this frame included.
    pub fn on_stored(&mut self, matched: bool, stored_bytes: u64) -> Option<Fired> {
        match self.stage {
            Stage::Fired => None,
            Stage::Pattern if !matched => None,
            Stage::Pattern => match self.kind {
                TRIGGER_TYPE_PATTERN_MATCH_THEN_BUFFER_CONTENT => {
                    self.stage = Stage::Buffer { from: stored_bytes };
                    None
                }
                _ => self.fire(),
            },
            Stage::Buffer { from } => {
                if stored_bytes.saturating_sub(from) < self.threshold {
                    return None;
                }
                match self.kind {
                    TRIGGER_TYPE_BUFFER_CONTENT_THEN_PATTERN_MATCH => {
                        self.stage = Stage::Pattern;
                        None
                    }
                    _ => self.fire(),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blob::filters::zero_trigger;

    fn trig(kind: u32, action: u32, level: u32) -> TRIGGER {
        let mut t = zero_trigger();
        t.TriggerActive = TRUE;
        t.TriggerType = kind as u8;
        t.TriggerAction = action as u8;
        t.TriggerBufferSize = level;
        t
    }

    #[test]
    fn inactive_is_none() {
        assert!(TriggerState::new(&zero_trigger(), 0).is_none());
    }

    #[test]
    fn pattern_match_fires_once() {
        let mut s = TriggerState::new(&trig(1, TRIGGER_ACTION_STOP, 0), 1000).unwrap();
        assert!(s.pending() && s.wants_pattern());
        assert_eq!(s.on_stored(false, 100), None);
        assert_eq!(s.on_stored(true, 200), Some(Fired { event: UPDATE_EVENT_TRIGGER_PATTERN_MATCH, action: UPDATE_ACTION_STOP_CAPTURE }));
        assert!(!s.pending());
        assert_eq!(s.on_stored(true, 300), None, "at most once");
    }

    #[test]
    fn buffer_levels() {
        for (level, fires_at) in [(0u32, 250u64), (1, 500), (2, 750), (3, 1000)] {
            let mut s = TriggerState::new(&trig(2, TRIGGER_ACTION_NOTIFY, level), 1000).unwrap();
            assert!(!s.wants_pattern());
            assert_eq!(s.on_stored(false, fires_at - 1), None);
            assert_eq!(s.on_stored(false, fires_at), Some(Fired { event: UPDATE_EVENT_TRIGGER_BUFFER_CONTENT, action: UPDATE_ACTION_NOTIFY }));
        }
        let s = TriggerState::new(&trig(2, TRIGGER_ACTION_PAUSE, 3), 0).unwrap();
        assert_eq!(s.threshold, DEFAULT_RTC_BUFFER_SIZE as u64);
    }

    #[test]
    fn combined_orders() {
        // pattern, then 25 % (250 bytes) more
        let mut s = TriggerState::new(&trig(3, TRIGGER_ACTION_PAUSE, 0), 1000).unwrap();
        assert_eq!(s.on_stored(false, 400), None);
        assert_eq!(s.on_stored(true, 500), None);
        assert!(!s.wants_pattern() && s.pending());
        assert_eq!(s.on_stored(true, 749), None);
        assert_eq!(s.on_stored(false, 750), Some(Fired { event: UPDATE_EVENT_TRIGGER_PATTERN_BUFFER, action: UPDATE_ACTION_PAUSE_CAPTURE }));
        // 50 %, then the pattern
        let mut s = TriggerState::new(&trig(4, TRIGGER_ACTION_NOTIFY, 1), 1000).unwrap();
        assert_eq!(s.on_stored(true, 499), None, "a pattern before the level does not count");
        assert_eq!(s.on_stored(true, 500), None, "the level is reached: the pattern is armed");
        assert!(s.wants_pattern());
        assert_eq!(s.on_stored(false, 600), None);
        assert_eq!(s.on_stored(true, 700), Some(Fired { event: UPDATE_EVENT_TRIGGER_BUFFER_PATTERN, action: UPDATE_ACTION_NOTIFY }));
    }
}
