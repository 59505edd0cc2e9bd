//! Discovery of a remote host's NICs: `GetNPPBlobTable` with a filter BLOB naming
//! `NPP:Remote:RemoteComputer` runs the remote capture program with `--list` there (over ssh,
//! as a remote capture does) and turns each NIC BLOB it prints into a remote NIC BLOB.
//!
//! What the remote host says is not trusted: of each BLOB only the entries of [`allowed`] are
//! kept (what describes an interface; never a configuration, a replay file, a capture directory
//! or another remote computer), each value at most [`MAX_VALUE`] bytes; the output is read up to
//! [`MAX_LIST_BYTES`] and at most [`MAX_NICS`] BLOBs. Each BLOB kept gets the filter's
//! `NPP:Remote:*` entries (so `npp_create` reaches the same host the same way),
//! `NPP:Config:IsRemote` TRUE and the remote flag in `NPP:NetworkInfo:Flags`.

use super::plan::RemoteSpec;
use crate::blob::names::*;
use crate::blob::values::{format_dword, parse_dword};
use crate::blob::Blob;
use crate::nmerr::*;
use crate::remote::command::RemoteCommand;
use crate::remote::diagnose::{diagnose, Exit};
use crate::remote::process::{ReadAll, SshProcess};
use crate::types::NETWORKINFO_FLAGS_REMOTE_CARD;
use std::time::{Duration, Instant};

/// The most bytes of a remote NIC list read.
pub(crate) const MAX_LIST_BYTES: usize = 1 << 20;
/// The most NIC BLOBs taken from one host.
pub(crate) const MAX_NICS: usize = 256;
/// The longest value kept from a remote BLOB, in bytes.
pub(crate) const MAX_VALUE: usize = 256;

/// The entries of a remote BLOB kept: every `NPP:NetworkInfo` entry, and the interface's names
/// and address in `NPP:Location`.
pub(crate) fn allowed(category: &str, tag: &str) -> bool {
    category.eq_ignore_ascii_case(CATEGORY_NETWORKINFO)
        || (category.eq_ignore_ascii_case(CATEGORY_LOCATION)
            && [TAG_NAME, TAG_MACADDRESS, TAG_FRIENDLYNAME, TAG_CONNECTIONNAME].iter().any(|t| t.eq_ignore_ascii_case(tag)))
}

/// True when a filter BLOB asks for a remote host's NICs.
pub fn is_remote_filter(filter: &Blob) -> bool {
    crate::stations::is_remote(filter)
}

/// The NIC BLOBs of the host `filter` names (see the module's documentation).
pub fn remote_nic_blobs(filter: &Blob) -> NmResult<Vec<Blob>> {
    let spec = match RemoteSpec::of(filter) {
        Ok(Some(s)) => s,
        Ok(None) => return Err(NMERR_INVALID_REMOTE_COMPUTERNAME),
        Err(e) => return Err(e.code),
    };
    let command = RemoteCommand::new(&spec.program, spec.sudo).fixed("--list");
    let mut ssh = SshProcess::spawn(&spec.dest, &spec.ssh, &command).map_err(|_| NMERR_RPC_REMOTE_FAILURE)?;
    ssh.close_input();
    let deadline = Instant::now() + Duration::from_secs(2 * u64::from(spec.ssh.connect_timeout) + 5);
    let out = match ssh.read_to_end(Some(MAX_LIST_BYTES), deadline) {
        Ok(out) => out,
        Err(why) => {
            ssh.finish(Duration::ZERO);
            return Err(if why == ReadAll::TooLong { NMERR_OUT_OF_RANGE } else { NMERR_TIMEOUT });
        }
    };
    let exit = ssh.finish(Duration::from_secs(2));
    if exit != Exit::Code(0) {
        return Err(diagnose(exit, &ssh.stderr_tail(), &spec.program).code);
    }
    let blobs = from_list(&out, filter)?;
    if blobs.is_empty() {
        return Err(NMERR_NO_NPPS);
    }
    Ok(blobs)
}

/// The remote NIC BLOBs of a `--list` output (`#NMBLOB 1` records); records that do not parse
/// are skipped.
pub(crate) fn from_list(out: &[u8], filter: &Blob) -> NmResult<Vec<Blob>> {
    let text = String::from_utf8_lossy(out);
    let mut records: Vec<String> = Vec::new();
    for line in text.split_inclusive('\n') {
        if line.trim_end() == "#NMBLOB 1" || records.is_empty() {
            records.push(String::new());
        }
        if let Some(r) = records.last_mut() {
            r.push_str(line);
        }
    }
    let mut blobs = Vec::new();
    for r in records.iter().filter(|r| r.starts_with("#NMBLOB 1")) {
        if blobs.len() == MAX_NICS {
            break;
        }
        let Ok(remote) = crate::blob::text::parse(r.as_bytes()) else { continue };
        let mut b = Blob::new();
        for e in remote.entries_under(OWNER_NPP.as_bytes(), None) {
            let (cat, tag, value) = (e.category.to_string_lossy(), e.tag.to_string_lossy(), e.value.to_string_lossy());
            if allowed(&cat, &tag) && value.len() <= MAX_VALUE {
                b.set_str(OWNER_NPP, &cat, &tag, &value)?;
            }
        }
        if crate::blob::nic_name(&b).is_none() {
            continue;
        }
        let flags = b.get_str(OWNER_NPP.as_bytes(), CATEGORY_NETWORKINFO.as_bytes(), TAG_FLAGS.as_bytes()).ok().and_then(|v| parse_dword(&v).ok()).unwrap_or(0);
        b.set_str(OWNER_NPP, CATEGORY_NETWORKINFO, TAG_FLAGS, &format_dword(flags | NETWORKINFO_FLAGS_REMOTE_CARD))?;
        b.set_str(OWNER_NPP, CATEGORY_CONFIG, TAG_IS_REMOTE, crate::blob::values::format_bool(true))?;
        for e in filter.entries_under(OWNER_NPP.as_bytes(), Some(CATEGORY_REMOTE.as_bytes())) {
            b.set_str(OWNER_NPP, CATEGORY_REMOTE, &e.tag.to_string_lossy(), &e.value.to_string_lossy())?;
        }
        blobs.push(b);
    }
    Ok(blobs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hostile_list_keeps_only_the_allowlisted_entries() {
        let mut filter = Blob::new();
        filter.set_str(OWNER_NPP, CATEGORY_REMOTE, TAG_REMOTECOMPUTER, "probe").unwrap();
        filter.set_str(OWNER_NPP, CATEGORY_REMOTE, TAG_REMOTE_PROGRAM, "/opt/nmcap").unwrap();
        let long = "x".repeat(MAX_VALUE + 1);
        let list = format!(
            "junk before\n#NMBLOB 1\nNPP:Location:Name=eth0\nNPP:Location:ReplayFile=/etc/shadow\nNPP:Config:CaptureDirectory=/\n\
             NPP:Remote:RemoteComputer=evil\nNPP:Remote:Program=/bin/evil\nNPP:NetworkInfo:Flags=1\nNPP:Location:Friendly Name=Uplink\n\
             NPP:NetworkInfo:Comment={long}\nOther:Thing:X=1\n#NMBLOB 1\nNPP:Location:ReplayFile=/x.pcap\n#NMBLOB 1\nnot a blob line\n\
             #NMBLOB 1\nNPP:Location:Name=eth1\n"
        );
        let blobs = from_list(list.as_bytes(), &filter).unwrap();
        assert_eq!(blobs.len(), 2, "a BLOB without an interface name, and one that does not parse, are skipped");
        let b = &blobs[0];
        let get = |c: &str, t: &str| b.get_str(OWNER_NPP.as_bytes(), c.as_bytes(), t.as_bytes()).ok();
        assert_eq!(get(CATEGORY_LOCATION, TAG_NAME).as_deref(), Some("eth0"));
        assert_eq!(get(CATEGORY_LOCATION, TAG_FRIENDLYNAME).as_deref(), Some("Uplink"));
        assert_eq!(get(CATEGORY_LOCATION, TAG_REPLAY_FILE), None);
        assert_eq!(get(CATEGORY_CONFIG, TAG_CAPTURE_DIRECTORY), None);
        assert_eq!(get(CATEGORY_REMOTE, TAG_REMOTECOMPUTER).as_deref(), Some("probe"));
        assert_eq!(get(CATEGORY_REMOTE, TAG_REMOTE_PROGRAM).as_deref(), Some("/opt/nmcap"));
        assert_eq!(get(CATEGORY_NETWORKINFO, TAG_COMMENT), None, "a value over the bound is dropped");
        assert_eq!(get(CATEGORY_NETWORKINFO, TAG_FLAGS).as_deref().map(|v| parse_dword(v).unwrap()), Some(1 | NETWORKINFO_FLAGS_REMOTE_CARD));
        assert_eq!(get(CATEGORY_CONFIG, TAG_IS_REMOTE).as_deref(), Some("TRUE"));
        assert!(b.get_str(b"Other", b"Thing", b"X").is_err());
        assert_eq!(blobs[1].get_str(OWNER_NPP.as_bytes(), CATEGORY_LOCATION.as_bytes(), TAG_NAME.as_bytes()).ok().as_deref(), Some("eth1"));
        // At most MAX_NICS.
        let many: String = (0..MAX_NICS + 10).map(|i| format!("#NMBLOB 1\nNPP:Location:Name=e{i}\n")).collect();
        assert_eq!(from_list(many.as_bytes(), &filter).unwrap().len(), MAX_NICS);
    }
}
