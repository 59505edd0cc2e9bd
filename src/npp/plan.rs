//! What Connect and Configure decide about a capture, once: where its frames come from, and the
//! filter and trigger it applies. Start, NIC creation and the stations code match on this value
//! instead of reading BLOB tags again, and every error in it is reported when the BLOB is given
//! (Connect, Configure), in the error BLOB.

use crate::blob::names::*;
use crate::blob::Blob;
use crate::filter::CaptureFilter;
use crate::nmerr::*;
use crate::remote::command::{HostKeyCheck, SshOptions};
use crate::remote::dest::Destination;
use crate::types::TRIGGER;
use std::path::PathBuf;

/// Where a capture's frames come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceSpec {
    /// A live interface, by its Linux name (`NPP:Location:Name`).
    Live { name: String },
    /// A replay NIC (`NPP:Location:ReplayFile`), at recorded pace or as fast as possible.
    Replay { path: PathBuf, pace: bool },
    /// A remote NIC (`NPP:Remote:RemoteComputer`): interface `name` on another host, captured
    /// there by `remote.program` and streamed over ssh.
    Remote { name: String, remote: RemoteSpec },
}

/// How a remote NIC is reached (the `NPP:Remote:*` entries).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteSpec {
    pub dest: Destination,
    pub ssh: SshOptions,
    pub program: String,
    pub sudo: bool,
    pub exclude_own_session: bool,
}

/// The longest `NPP:Remote:ConnectTimeout` and `AliveInterval`, seconds.
pub(crate) const MAX_REMOTE_SECONDS: u32 = 300;

impl RemoteSpec {
    /// The `NPP:Remote:*` entries of `target`: None when it names no remote computer.
    pub(crate) fn of(target: &Blob) -> Result<Option<RemoteSpec>, PlanError> {
        let get = |tag: &str| target.get_str(OWNER_NPP.as_bytes(), CATEGORY_REMOTE.as_bytes(), tag.as_bytes()).ok();
        let Some(computer) = get(TAG_REMOTECOMPUTER).filter(|c| !c.is_empty()) else { return Ok(None) };
        let bad = |code: NmErr, tag: &'static str, value: &str| PlanError { code, category: CATEGORY_REMOTE, tag, value: value.to_owned() };
        let dest = crate::remote::dest::parse(&computer).map_err(|_| bad(NMERR_INVALID_REMOTE_COMPUTERNAME, TAG_REMOTECOMPUTER, &computer))?;
        let seconds = |tag: &'static str, default: u32| -> Result<u32, PlanError> {
            match get(tag) {
                None => Ok(default),
                Some(v) => match crate::blob::values::parse_dword(&v) {
                    Ok(n) if (1..=MAX_REMOTE_SECONDS).contains(&n) => Ok(n),
                    _ => Err(bad(NMERR_BLOB_CONVERSION_ERROR, tag, &v)),
                },
            }
        };
        let boolean = |tag: &'static str, default: bool| -> Result<bool, PlanError> {
            match get(tag) {
                None => Ok(default),
                Some(v) => crate::blob::values::parse_bool(&v).map_err(|code| bad(code, tag, &v)),
            }
        };
        let host_key_check = match get(TAG_REMOTE_HOST_KEY_CHECK) {
            None => HostKeyCheck::Config,
            Some(v) => HostKeyCheck::parse(&v).ok_or_else(|| bad(NMERR_BLOB_CONVERSION_ERROR, TAG_REMOTE_HOST_KEY_CHECK, &v))?,
        };
        let program = get(TAG_REMOTE_PROGRAM).unwrap_or_else(|| "nmcap".into());
        if !crate::remote::command::valid_program(&program) {
            return Err(bad(NMERR_BLOB_CONVERSION_ERROR, TAG_REMOTE_PROGRAM, &program));
        }
        let ssh = SshOptions {
            connect_timeout: seconds(TAG_REMOTE_CONNECT_TIMEOUT, 10)?,
            alive_interval: seconds(TAG_REMOTE_ALIVE_INTERVAL, 5)?,
            host_key_check,
            control_path: None,
            master: false,
        };
        Ok(Some(RemoteSpec { dest, ssh, program, sudo: boolean(TAG_REMOTE_SUDO, false)?, exclude_own_session: boolean(TAG_REMOTE_EXCLUDE_OWN_SESSION, true)? }))
    }
}

impl SourceSpec {
    /// The source a NIC BLOB (merged with its configuration) names: a replay file wins over an
    /// interface name. None when it names neither.
    /// A remote computer makes the NIC remote (its interface is `NPP:Location:Name` there).
    pub fn of(target: &Blob, pace: bool) -> Result<Option<SourceSpec>, PlanError> {
        let get = |tag: &str| target.get_str(OWNER_NPP.as_bytes(), CATEGORY_LOCATION.as_bytes(), tag.as_bytes()).ok();
        if let Some(remote) = RemoteSpec::of(target)? {
            return Ok(super::finder::nic_name(target).map(|name| SourceSpec::Remote { name, remote }));
        }
        if let Some(path) = get(TAG_REPLAY_FILE) {
            return Ok(Some(SourceSpec::Replay { path: PathBuf::from(path), pace }));
        }
        Ok(super::finder::nic_name(target).map(|name| SourceSpec::Live { name }))
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
        let source = SourceSpec::of(target, pace)?.ok_or(PlanError {
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
        assert!(SourceSpec::of(&b, false).ok().unwrap().is_none());
        b.set_str("NPP", "Location", "Name", "lo").unwrap();
        assert_eq!(SourceSpec::of(&b, false).ok().unwrap(), Some(SourceSpec::Live { name: "lo".into() }));
        b.set_str("NPP", "Location", "ReplayFile", "/x.pcap").unwrap();
        assert_eq!(SourceSpec::of(&b, true).ok().unwrap(), Some(SourceSpec::Replay { path: "/x.pcap".into(), pace: true }));
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

    #[test]
    fn remote_nics() {
        let mut b = Blob::new();
        b.set_str("NPP", "Location", "Name", "eth0").unwrap();
        b.set_str("NPP", "Location", "ReplayFile", "/x.pcap").unwrap();
        b.set_str("NPP", "Remote", "RemoteComputer", "ssh://ops@probe:2222").unwrap();
        let Some(SourceSpec::Remote { name, remote }) = SourceSpec::of(&b, false).ok().unwrap() else { panic!("not remote") };
        assert_eq!(name, "eth0");
        assert_eq!((remote.dest.user.as_deref(), remote.dest.host.as_str(), remote.dest.port), (Some("ops"), "probe", Some(2222)));
        assert_eq!((remote.program.as_str(), remote.sudo, remote.exclude_own_session), ("nmcap", false, true));
        assert_eq!((remote.ssh.connect_timeout, remote.ssh.alive_interval, remote.ssh.host_key_check), (10, 5, HostKeyCheck::Config));
        for (tag, value, code) in [
            ("RemoteComputer", "-oProxyCommand=x", NMERR_INVALID_REMOTE_COMPUTERNAME),
            ("RemoteComputer", "a b", NMERR_INVALID_REMOTE_COMPUTERNAME),
            ("HostKeyCheck", "no", NMERR_BLOB_CONVERSION_ERROR),
            ("ConnectTimeout", "0", NMERR_BLOB_CONVERSION_ERROR),
            ("AliveInterval", "301", NMERR_BLOB_CONVERSION_ERROR),
            ("Program", "nmcap; reboot", NMERR_BLOB_CONVERSION_ERROR),
            ("Sudo", "maybe", NMERR_BLOB_CONVERSION_ERROR),
        ] {
            let mut bad = b.clone();
            bad.set_str("NPP", "Remote", tag, value).unwrap();
            let e = SourceSpec::of(&bad, false).err().unwrap_or_else(|| panic!("{tag}={value} accepted"));
            assert_eq!((e.code, e.category, e.tag, e.value.as_str()), (code, "Remote", tag, value));
        }
        b.set_str("NPP", "Remote", "HostKeyCheck", "accept-new").unwrap();
        b.set_str("NPP", "Remote", "Sudo", "TRUE").unwrap();
        b.set_str("NPP", "Remote", "Program", "/opt/nm/nmcap").unwrap();
        let Some(SourceSpec::Remote { remote, .. }) = SourceSpec::of(&b, false).ok().unwrap() else { panic!("not remote") };
        assert_eq!((remote.ssh.host_key_check, remote.sudo, remote.program.as_str()), (HostKeyCheck::AcceptNew, true, "/opt/nm/nmcap"));
    }
}
