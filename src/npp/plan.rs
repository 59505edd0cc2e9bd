//! What Connect and Configure decide about a capture, once: where its frames come from, and the
//! filter and trigger it applies. Start, NIC creation and the stations code match on this value
//! instead of reading BLOB tags again, and every error in it is reported when the BLOB is given
//! (Connect, Configure), in the error BLOB.

use crate::blob::names::*;
use crate::blob::Blob;
use crate::filter::CaptureFilter;
use crate::nmerr::*;
use crate::types::TRIGGER;
use std::path::PathBuf;

/// Where a capture's frames come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceSpec {
    /// A live interface, by its Linux name (`NPP:Location:Name`).
    Live { name: String },
    /// A replay NIC (`NPP:Location:ReplayFile`), at recorded pace or as fast as possible.
    Replay { path: PathBuf, pace: bool },
}

impl SourceSpec {
    /// The source a NIC BLOB (merged with its configuration) names: a replay file wins over an
    /// interface name. None when it names neither.
    pub fn of(target: &Blob, pace: bool) -> Option<SourceSpec> {
        let get = |tag: &str| target.get_str(OWNER_NPP.as_bytes(), CATEGORY_LOCATION.as_bytes(), tag.as_bytes()).ok();
        if let Some(path) = get(TAG_REPLAY_FILE) {
            return Some(SourceSpec::Replay { path: PathBuf::from(path), pace });
        }
        super::finder::nic_name(target).map(|name| SourceSpec::Live { name })
    }
}

/// A capture's plan.
#[derive(Clone)]
pub struct Plan {
    pub source: SourceSpec,
    /// The capture filter (None: every frame passes).
    pub filter: Option<CaptureFilter>,
    /// The trigger (None: no `NPP:Trigger:Trigger` entry).
    pub trigger: Option<TRIGGER>,
    /// The pcap-filter expression of `NPP:Config:BpfFilter` (None: none, or only blanks). It is
    /// compiled when the source is opened, for the source's link type (`BpfFilter::compile`).
    pub bpf: Option<String>,
}

/// A part of the plan that cannot be made: its code and the entry (category, tag, value) for the
/// error BLOB.
pub struct PlanError {
    pub code: NmErr,
    pub category: &'static str,
    pub tag: &'static str,
    pub value: String,
}

impl Plan {
    /// The plan of a merged target BLOB (whose configuration `config::parse` accepted).
    pub fn of(target: &Blob, pace: bool) -> Result<Plan, PlanError> {
        let source = SourceSpec::of(target, pace).ok_or(PlanError {
            code: NMERR_BLOB_ENTRY_DOES_NOT_EXIST,
            category: CATEGORY_LOCATION,
            tag: TAG_NAME,
            value: String::new(),
        })?;
        // The parts parse (config::parse checked each); their combination may still be refused
        // (more than 8 address pairs, 4 pattern groups): named by the part that says so.
        let filter = CaptureFilter::from_blob(target).map_err(|code| {
            let tag = [TAG_ADDRESS_PAIR, TAG_PATTERN_DESIGNATOR, TAG_ETYPES, TAG_SAPS]
                .into_iter()
                .find(|t| target.contains(OWNER_NPP.as_bytes(), CATEGORY_CONFIG.as_bytes(), t.as_bytes()))
                .unwrap_or(TAG_ADDRESS_PAIR);
            let value = target.get_str(OWNER_NPP.as_bytes(), CATEGORY_CONFIG.as_bytes(), tag.as_bytes()).unwrap_or_default();
            PlanError { code, category: CATEGORY_CONFIG, tag, value }
        })?;
        let trigger = match target.get_str(OWNER_NPP.as_bytes(), CATEGORY_TRIGGER.as_bytes(), TAG_TRIGGER.as_bytes()) {
            Ok(text) => Some(crate::blob::filters::parse_trigger(&text).map_err(|code| PlanError {
                code,
                category: CATEGORY_TRIGGER,
                tag: TAG_TRIGGER,
                value: text.clone(),
            })?),
            Err(_) => None,
        };
        let bpf = target
            .get_str(OWNER_NPP.as_bytes(), CATEGORY_CONFIG.as_bytes(), TAG_BPF_FILTER.as_bytes())
            .ok()
            .and_then(|v| crate::filter::expression_of(&v).map(str::to_string));
        Ok(Plan { source, filter, trigger, bpf })
    }

    /// The filter and the trigger judge whole frames (SDK h.3.4: clipping applies to frames that
    /// passed): with either, the source hands over whole frames and the engine clips.
    pub fn needs_whole_frames(&self) -> bool {
        self.filter.is_some() || self.trigger.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_and_errors() {
        let mut b = Blob::new();
        assert!(SourceSpec::of(&b, false).is_none());
        b.set_str("NPP", "Location", "Name", "lo").unwrap();
        assert_eq!(SourceSpec::of(&b, false), Some(SourceSpec::Live { name: "lo".into() }));
        b.set_str("NPP", "Location", "ReplayFile", "/x.pcap").unwrap();
        assert_eq!(SourceSpec::of(&b, true), Some(SourceSpec::Replay { path: "/x.pcap".into(), pace: true }));
        let p = Plan::of(&b, false).ok().unwrap();
        assert!(p.filter.is_none() && p.trigger.is_none() && p.bpf.is_none() && !p.needs_whole_frames());
        b.set_str("NPP", "Config", "BpfFilter", " \t").unwrap();
        assert_eq!(Plan::of(&b, false).ok().unwrap().bpf, None);
        b.set_str("NPP", "Config", "BpfFilter", " udp port 53 ").unwrap();
        assert_eq!(Plan::of(&b, false).ok().unwrap().bpf.as_deref(), Some("udp port 53"));
        b.set_str("NPP", "Trigger", "Trigger", "SOON").unwrap();
        let e = Plan::of(&b, false).err().unwrap();
        assert_eq!((e.code, e.tag, e.value.as_str()), (NMERR_ILLEGAL_TRIGGER, "Trigger", "SOON"));
    }
}
