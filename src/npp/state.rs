//! The NPP state machine (SDK b.3): pure, no I/O. Every control call asks `check` whether it is
//! legal in the current state (and with which NMERR it is refused), performs its I/O, then calls
//! `apply` with the transition. The tests walk every cell of the table for every family.

use crate::nmerr::*;

/// The interface family that connected an NPP; until it disconnects, other families' calls answer
/// with their "not mine" code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Esp,
    Stats,
    /// IRTC: frames to the application's callback.
    Rtc,
    /// IDelaydC: a capture file per Start, plus the statistics methods.
    Delayed,
}

impl Family {
    /// The code a call of this family gets on an NPP connected through another family.
    pub fn not_mine(self) -> NmErr {
        match self {
            Family::Esp => NMERR_NOT_ESP,
            Family::Stats => NMERR_NOT_STATS_ONLY,
            Family::Rtc => NMERR_NOT_REALTIME,
            Family::Delayed => NMERR_NOT_DELAYED,
        }
    }

    /// The families that write a capture file per Start.
    pub fn writes_file(self) -> bool {
        matches!(self, Family::Esp | Family::Delayed)
    }
}

/// Where a connected NPP is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Connected, no capture started; `cfg_pending` after a Stop until the next Configure (Start
    /// then re-uses the last accepted configuration: a point the SDK leaves open).
    Idle {
        cfg_pending: bool,
    },
    Running,
    Paused,
}

/// The control operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Connect,
    Configure,
    Start,
    Pause,
    Resume,
    Stop,
    Disconnect,
    GetControlState,
    /// `*_get_total_statistics` and the `*_get_statistics_ex` extension: in any connected phase,
    /// except for IDelaydC, which answers only while running (SDK c: `NMERR_CAPTURE_PAUSED`
    /// while paused, `NMERR_NOT_CAPTURING` when no capture runs).
    ReadStatistics,
    /// `*_get_conversation_statistics`: only while running.
    ReadConversations,
    /// `*_insert_special_frame`: only while running; IStats has nothing to insert into
    /// (`NMERR_NOT_SUPPORTED`).
    InsertSpecialFrame,
}

/// The state of one NPP.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Machine {
    connected: Option<(Family, Phase)>,
}

impl Machine {
    pub fn new() -> Self {
        Machine::default()
    }

    /// The family that connected the NPP and its phase, if connected.
    pub fn connection(&self) -> Option<(Family, Phase)> {
        self.connected
    }

    pub fn phase(&self) -> Option<Phase> {
        self.connected.map(|(_, p)| p)
    }

    /// Whether `op` of `family` is legal now; the NMERR it is refused with otherwise.
    /// Order (SDK b.2): not connected, other family, then the phase.
    pub fn check(&self, family: Family, op: Op) -> NmResult<()> {
        let Some((owner, phase)) = self.connected else {
            return if op == Op::Connect { Ok(()) } else { Err(NMERR_NOT_CONNECTED) };
        };
        if op == Op::Connect {
            return Err(NMERR_ALREADY_CONNECTED);
        }
        if owner != family {
            return Err(family.not_mine());
        }
        use Phase::*;
        match (op, phase) {
            (Op::Connect, _) => unreachable!("handled above"),
            (Op::InsertSpecialFrame, _) if family == Family::Stats => Err(NMERR_NOT_SUPPORTED),
            (Op::ReadStatistics, Idle { .. }) if family == Family::Delayed => Err(NMERR_NOT_CAPTURING),
            (Op::ReadStatistics, Paused) if family == Family::Delayed => Err(NMERR_CAPTURE_PAUSED),
            (Op::GetControlState | Op::ReadStatistics, _) => Ok(()),
            (Op::ReadConversations | Op::InsertSpecialFrame, Running) => Ok(()),
            (Op::ReadConversations | Op::InsertSpecialFrame, Paused) => Err(NMERR_CAPTURE_PAUSED),
            (Op::ReadConversations | Op::InsertSpecialFrame, Idle { .. }) => Err(NMERR_NOT_CAPTURING),
            (Op::Configure, Idle { .. }) => Ok(()),
            (Op::Configure, Running | Paused) => Err(NMERR_CAPTURING),
            (Op::Start, Idle { .. }) => Ok(()),
            (Op::Start, Running) => Err(NMERR_CAPTURING),
            (Op::Start, Paused) => Err(NMERR_CAPTURE_PAUSED),
            (Op::Pause, Idle { .. }) => Err(NMERR_NOT_CAPTURING),
            (Op::Pause, Running) => Ok(()),
            (Op::Pause, Paused) => Err(NMERR_CAPTURE_PAUSED),
            (Op::Resume, Idle { .. } | Running) => Err(NMERR_CAPTURE_NOT_PAUSED),
            (Op::Resume, Paused) => Ok(()),
            (Op::Stop, Idle { .. }) => Err(NMERR_NOT_CAPTURING),
            (Op::Stop, Running | Paused) => Ok(()),
            (Op::Disconnect, Idle { .. }) => Ok(()),
            (Op::Disconnect, Running | Paused) => Err(NMERR_CAPTURING),
        }
    }

    /// Performs the transition of a successful `op` (call only after `check` allowed it).
    pub fn apply(&mut self, family: Family, op: Op) {
        debug_assert!(self.check(family, op).is_ok(), "{op:?} not allowed in {self:?}");
        let phase = self.phase();
        self.connected = match op {
            Op::Connect => Some((family, Phase::Idle { cfg_pending: false })),
            Op::Disconnect => None,
            Op::Configure => Some((family, Phase::Idle { cfg_pending: false })),
            Op::Start | Op::Resume => Some((family, Phase::Running)),
            Op::Pause => Some((family, Phase::Paused)),
            Op::Stop => Some((family, Phase::Idle { cfg_pending: true })),
            Op::GetControlState | Op::ReadStatistics | Op::ReadConversations | Op::InsertSpecialFrame => {
                self.connected.map(|(f, _)| (f, phase.unwrap_or(Phase::Idle { cfg_pending: false })))
            }
        };
    }

    /// A capture that ended by itself (trigger STOP, interface gone, write failure, file limit):
    /// as if Stop had been called.
    pub fn capture_ended(&mut self) {
        if let Some((f, Phase::Running | Phase::Paused)) = self.connected {
            self.connected = Some((f, Phase::Idle { cfg_pending: true }));
        }
    }

    /// A capture paused by a trigger: as if Pause had been called.
    pub fn capture_paused(&mut self) {
        if let Some((f, Phase::Running)) = self.connected {
            self.connected = Some((f, Phase::Paused));
        }
    }

    /// NETWORKSTATUS.State: VOID when not connected or idle, CAPTURING, PAUSED (INIT is never
    /// reported). Whoever connected the NPP, QueryStatus reports its state.
    pub fn network_state(&self) -> u32 {
        match self.phase() {
            None | Some(Phase::Idle { .. }) => crate::types::NETWORKSTATUS_STATE_VOID,
            Some(Phase::Running) => crate::types::NETWORKSTATUS_STATE_CAPTURING,
            Some(Phase::Paused) => crate::types::NETWORKSTATUS_STATE_PAUSED,
        }
    }

    /// GetControlState's (IsRunnning, IsPaused): running includes paused.
    pub fn control_state(&self) -> (bool, bool) {
        match self.phase() {
            Some(Phase::Running) => (true, false),
            Some(Phase::Paused) => (true, true),
            _ => (false, false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Family::*;
    use Op::*;

    const OPS: [Op; 11] = [Connect, Configure, Start, Pause, Resume, Stop, Disconnect, GetControlState, ReadStatistics, ReadConversations, InsertSpecialFrame];
    const FAMILIES: [Family; 4] = [Esp, Stats, Rtc, Delayed];

    fn at(phase: Option<Phase>, fam: Family) -> Machine {
        Machine { connected: phase.map(|p| (fam, p)) }
    }

    /// The whole table of SDK b.3 and c (the same for every family, with its own "not mine"
    /// code, except where `fam` is named).
    fn expected(fam: Family, op: Op, phase: Option<Phase>) -> NmResult<Option<Phase>> {
        use Phase::*;
        let idle = Idle { cfg_pending: false };
        let stopped = Idle { cfg_pending: true };
        match (op, phase) {
            (Connect, None) => Ok(Some(idle)),
            (Connect, Some(_)) => Err(NMERR_ALREADY_CONNECTED),
            (_, None) => Err(NMERR_NOT_CONNECTED),
            (Configure, Some(Idle { .. })) => Ok(Some(idle)),
            (Configure, Some(_)) => Err(NMERR_CAPTURING),
            (Start, Some(Idle { .. })) => Ok(Some(Running)),
            (Start, Some(Running)) => Err(NMERR_CAPTURING),
            (Start, Some(Paused)) => Err(NMERR_CAPTURE_PAUSED),
            (Pause, Some(Idle { .. })) => Err(NMERR_NOT_CAPTURING),
            (Pause, Some(Running)) => Ok(Some(Paused)),
            (Pause, Some(Paused)) => Err(NMERR_CAPTURE_PAUSED),
            (Resume, Some(Paused)) => Ok(Some(Running)),
            (Resume, Some(_)) => Err(NMERR_CAPTURE_NOT_PAUSED),
            (Stop, Some(Idle { .. })) => Err(NMERR_NOT_CAPTURING),
            (Stop, Some(_)) => Ok(Some(stopped)),
            (Disconnect, Some(Idle { .. })) => Ok(None),
            (Disconnect, Some(_)) => Err(NMERR_CAPTURING),
            (InsertSpecialFrame, Some(_)) if fam == Stats => Err(NMERR_NOT_SUPPORTED),
            (ReadStatistics, Some(Idle { .. })) if fam == Delayed => Err(NMERR_NOT_CAPTURING),
            (ReadStatistics, Some(Paused)) if fam == Delayed => Err(NMERR_CAPTURE_PAUSED),
            (GetControlState | ReadStatistics, p) => Ok(p),
            (ReadConversations | InsertSpecialFrame, Some(Running)) => Ok(Some(Running)),
            (ReadConversations | InsertSpecialFrame, Some(Paused)) => Err(NMERR_CAPTURE_PAUSED),
            (ReadConversations | InsertSpecialFrame, Some(Idle { .. })) => Err(NMERR_NOT_CAPTURING),
        }
    }

    #[test]
    fn every_cell() {
        let phases = [None, Some(Phase::Idle { cfg_pending: false }), Some(Phase::Idle { cfg_pending: true }), Some(Phase::Running), Some(Phase::Paused)];
        for fam in FAMILIES {
            for phase in phases {
                for op in OPS {
                    let mut m = at(phase, fam);
                    let want = expected(fam, op, phase);
                    let got = m.check(fam, op);
                    assert_eq!(got.is_ok(), want.is_ok(), "{fam:?} {op:?} in {phase:?}");
                    match want {
                        Err(e) => {
                            assert_eq!(got, Err(e), "{fam:?} {op:?} in {phase:?}");
                            assert_eq!(m, at(phase, fam), "refused call changes nothing");
                        }
                        Ok(next) => {
                            m.apply(fam, op);
                            assert_eq!(m.phase(), next, "{fam:?} {op:?} in {phase:?}");
                        }
                    }
                    // every other family on this NPP
                    for other in FAMILIES.into_iter().filter(|o| *o != fam) {
                        let m = at(phase, fam);
                        let r = m.check(other, op);
                        match (phase, op) {
                            (None, Connect) => assert_eq!(r, Ok(())),
                            (None, _) => assert_eq!(r, Err(NMERR_NOT_CONNECTED)),
                            (Some(_), Connect) => assert_eq!(r, Err(NMERR_ALREADY_CONNECTED)),
                            (Some(_), _) => assert_eq!(r, Err(other.not_mine())),
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn status_and_control_state() {
        let mut m = Machine::new();
        assert_eq!(m.network_state(), 0);
        m.apply(Esp, Connect);
        assert_eq!((m.network_state(), m.control_state()), (0, (false, false)));
        m.apply(Esp, Start);
        assert_eq!((m.network_state(), m.control_state()), (2, (true, false)));
        m.capture_paused();
        assert_eq!((m.network_state(), m.control_state()), (3, (true, true)));
        m.capture_ended();
        assert_eq!(m.phase(), Some(Phase::Idle { cfg_pending: true }));
        m.capture_ended();
        assert_eq!(m.phase(), Some(Phase::Idle { cfg_pending: true }));
    }
}
