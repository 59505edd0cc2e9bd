//! The NPP finder: one NIC BLOB per capture interface, and the filter-BLOB rule (SDK e.1).

use crate::blob::names::*;
use crate::blob::netinfo::set_network_info;
use crate::blob::values::*;
use crate::blob::{names_equal, Blob};
use crate::capture::devices::{self, DeviceInfo};
use crate::nmerr::*;
use crate::types::*;

/// Environment variable naming the interface that GetNPPBlobFromUI / SelectNPPBlobFromTable
/// choose (they cannot show a dialog on Linux).
pub const SELECT_ENV: &str = "NETMON_NPP_NAME";

/// This machine's host name (defined with the station queries, which answer with it).
pub use crate::stations::local_host_name;

fn fixed32(s: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    let n = s.len().min(31);
    out[..n].copy_from_slice(&s.as_bytes()[..n]);
    out
}

/// The NIC BLOB of one interface.
pub fn nic_blob(d: &DeviceInfo, node: &str) -> NmResult<Blob> {
    let mut b = Blob::new();
    let current = d.current_mac.unwrap_or([0; 6]);
    let friendly = d.description.clone().unwrap_or_else(|| d.name.clone());
    let ethernet_header = if d.ethernet { 14 } else { 0 };
    let ni = NETWORKINFO {
        PermanentAddr: d.permanent_mac.unwrap_or(current),
        CurrentAddr: current,
        LinkSpeed: d.speed_mbps.unwrap_or(0),
        MacType: if d.ethernet { MAC_TYPE_ETHERNET } else { MAC_TYPE_UNKNOWN },
        MaxFrameSize: d.mtu.map_or(0, |m| m.saturating_add(ethernet_header)),
        Flags: if d.netdev { 0 } else { NETWORKINFO_FLAGS_PMODE_NOT_SUPPORTED },
        TimestampScaleFactor: 1000,
        NodeName: fixed32(node),
        PModeSupported: d.netdev as BOOL,
        Comment: fixed32(&friendly),
        ..Default::default()
    };
    set_network_info(&mut b, &ni)?;
    // The structure's Comment holds 31 bytes; the BLOB entry holds the whole description.
    b.set_str(OWNER_NPP, CATEGORY_NETWORKINFO, TAG_COMMENT, &friendly)?;
    b.set_str(OWNER_NPP, CATEGORY_NETWORKINFO, TAG_NAME, &d.name)?;
    b.set_str(OWNER_NPP, CATEGORY_NETWORKINFO, TAG_RAS, format_bool(false))?;
    b.set_str(OWNER_NPP, CATEGORY_LOCATION, TAG_NAME, &d.name)?;
    b.set_str(OWNER_NPP, CATEGORY_LOCATION, TAG_FRIENDLYNAME, &friendly)?;
    b.set_str(OWNER_NPP, CATEGORY_LOCATION, TAG_CONNECTIONNAME, &d.name)?;
    b.set_str(OWNER_NPP, CATEGORY_LOCATION, TAG_CLASSID, NDISNPP_CLASSID_TXT)?;
    b.set_str(OWNER_NPP, CATEGORY_LOCATION, TAG_RAS, format_bool(false))?;
    // The capture families this NPP serves on every interface (IESP, IStats, IRTC, IDelaydC);
    // it transmits nothing.
    for (tag, on) in [
        (TAG_INTERFACE_EXPERT_STATS, true),
        (TAG_INTERFACE_STATS, true),
        (TAG_INTERFACE_DELAYED_CAPTURE, true),
        (TAG_INTERFACE_REALTIME_CAPTURE, true),
        (TAG_INTERFACE_TRANSMIT, false),
    ] {
        b.set_str(OWNER_NPP, CATEGORY_CONFIG, tag, format_bool(on))?;
    }
    Ok(b)
}

/// One NIC BLOB per interface libpcap finds. `NMERR_WINDOWS_ERROR` when libpcap fails.
pub fn nic_blobs() -> NmResult<Vec<Blob>> {
    let devs = devices::list().map_err(|_| NMERR_WINDOWS_ERROR)?;
    let node = local_host_name();
    devs.iter().map(|d| nic_blob(d, &node)).collect()
}

fn values_match(a: &str, b: &str) -> bool {
    if names_equal(a.trim().as_bytes(), b.trim().as_bytes()) {
        return true;
    }
    if let (Ok(x), Ok(y)) = (parse_bool(a), parse_bool(b)) {
        return x == y;
    }
    if let (Ok(x), Ok(y)) = (parse_dword(a), parse_dword(b)) {
        return x == y;
    }
    if let (Ok(x), Ok(y)) = (parse_mac(a), parse_mac(b)) {
        return x == y;
    }
    false
}

/// FilterNPPBlob: every filter entry (except the `NPP:Finder` instructions) must match an entry of
/// the candidate; BOOL, DWORD and MAC values compare by value, text case-insensitively.
pub fn passes_filter(candidate: &Blob, filter: &Blob) -> bool {
    filter.entries().all(|e| {
        if names_equal(e.owner.to_bytes(), OWNER_NPP.as_bytes()) && names_equal(e.category.to_bytes(), CATEGORY_FINDER.as_bytes()) {
            return true;
        }
        match candidate.get(e.owner.to_bytes(), e.category.to_bytes(), e.tag.to_bytes()) {
            Ok(v) => values_match(&v.to_string_lossy(), &e.value.to_string_lossy()),
            Err(_) => false,
        }
    })
}

/// GetNPPBlobTable's selection: `NMERR_NO_NPPS` when there is no interface at all,
/// `NMERR_NO_MATCHING_NPPS` when none passes the filter.
pub fn select(all: Vec<Blob>, filter: Option<&Blob>) -> NmResult<Vec<Blob>> {
    if all.is_empty() {
        return Err(NMERR_NO_NPPS);
    }
    let kept: Vec<Blob> = all.into_iter().filter(|b| filter.map_or(true, |f| passes_filter(b, f))).collect();
    if kept.is_empty() {
        return Err(NMERR_NO_MATCHING_NPPS);
    }
    Ok(kept)
}

/// The Linux name of a NIC BLOB (`NPP:Location:Name`; defined in `blob`, where the station
/// queries find it too).
pub use crate::blob::nic_name;

/// The non-interactive choice of the UI functions: the interface named by `$NETMON_NPP_NAME` if
/// set (and present), else the first candidate. `NMERR_NO_NPP_SELECTED` when there is none.
pub fn choose(candidates: &[Blob]) -> NmResult<usize> {
    let wanted = std::env::var(SELECT_ENV).ok().filter(|s| !s.is_empty());
    let pick = match wanted {
        Some(name) => candidates.iter().position(|b| nic_name(b).as_deref() == Some(name.as_str())),
        None => (!candidates.is_empty()).then_some(0),
    };
    pick.ok_or(NMERR_NO_NPP_SELECTED)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev(name: &str) -> DeviceInfo {
        DeviceInfo { name: name.into(), netdev: true, ethernet: true, current_mac: Some([2, 0, 0, 0, 0, 9]), mtu: Some(1500), ..Default::default() }
    }

    #[test]
    fn blob_fields_and_filters() {
        let b = nic_blob(&dev("eth9"), "host").unwrap();
        assert_eq!(nic_name(&b).as_deref(), Some("eth9"));
        assert_eq!(b.get_str(b"NPP", b"NetworkInfo", b"MaxFrameSize").unwrap(), "1514");
        assert_eq!(b.get_str(b"NPP", b"NetworkInfo", b"MacType").unwrap(), "ETHERNET");
        assert_eq!(b.get_str(b"NPP", b"Location", b"MacAddress").unwrap(), "020000000009");
        let mut f = Blob::new();
        f.set_str("NPP", "NetworkInfo", "MacType", "ethernet").unwrap();
        f.set_str("NPP", "Config", "IESP", "1").unwrap();
        f.set_str("NPP", "Finder", "Specials", "TRUE").unwrap();
        f.set_str("NPP", "Location", "MacAddress", "02-00-00-00-00-09").unwrap();
        assert!(passes_filter(&b, &f));
        f.set_str("NPP", "Location", "Name", "eth0").unwrap();
        assert!(!passes_filter(&b, &f));
        let all = vec![b.clone(), nic_blob(&dev("eth0"), "host").unwrap()];
        assert_eq!(select(all.clone(), Some(&f)).unwrap().len(), 1);
        f.set_str("NPP", "Location", "Name", "nope").unwrap();
        assert_eq!(select(all.clone(), Some(&f)).unwrap_err(), NMERR_NO_MATCHING_NPPS);
        assert_eq!(select(vec![], None).unwrap_err(), NMERR_NO_NPPS);
        assert_eq!(choose(&all).unwrap(), 0);
        assert_eq!(choose(&[]).unwrap_err(), NMERR_NO_NPP_SELECTED);
    }
}
