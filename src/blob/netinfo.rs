//! NETWORKINFO ↔ `NPP:NetworkInfo:*` (SDK e.3) and the MAC type names.

use super::names::*;
use super::values::*;
use super::Blob;
use crate::nmerr::*;
use crate::types::*;

const MAC_TYPE_NAMES: [(u32, &str); 6] = [
    (MAC_TYPE_UNKNOWN, "UNKNOWN"),
    (MAC_TYPE_ETHERNET, "ETHERNET"),
    (MAC_TYPE_TOKENRING, "TOKENRING"),
    (MAC_TYPE_FDDI, "FDDI"),
    (MAC_TYPE_ATM, "ATM"),
    (MAC_TYPE_1394, "IP/1394"),
];

/// The MacType text of a MAC_TYPE_* number (a number without a name is written in decimal).
pub fn mac_type_name(t: u32) -> String {
    MAC_TYPE_NAMES.iter().find(|(n, _)| *n == t).map(|(_, s)| s.to_string()).unwrap_or_else(|| t.to_string())
}

/// The MAC_TYPE_* number of a MacType text; unknown text is MAC_TYPE_UNKNOWN.
pub fn mac_type_number(s: &str) -> u32 {
    let s = s.trim();
    MAC_TYPE_NAMES.iter().find(|(_, n)| n.eq_ignore_ascii_case(s)).map(|(n, _)| *n).or_else(|| parse_dword(s).ok()).unwrap_or(MAC_TYPE_UNKNOWN)
}

fn fixed_text(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
    &bytes[..end]
}

fn fill_text(dst: &mut [u8; 32], src: &[u8]) {
    *dst = [0; 32];
    let n = src.len().min(31);
    dst[..n].copy_from_slice(&src[..n]);
}

/// SetNetworkInfoInBlob: writes every field as its tag (PermanentAddr → `Location:MacAddress`).
pub fn set_network_info(b: &mut Blob, ni: &NETWORKINFO) -> NmResult<()> {
    // In place: every value below is valid text (no NUL), so no set can fail half-way, and
    // pointers into other entries stay valid.
    let ni_tag = |b: &mut Blob, tag: &str, v: &[u8]| b.set(OWNER_NPP.as_bytes(), CATEGORY_NETWORKINFO.as_bytes(), tag.as_bytes(), v);
    ni_tag(b, TAG_MACTYPE, mac_type_name(ni.MacType).as_bytes())?;
    ni_tag(b, TAG_CURRENTADDRESS, format_mac(&ni.CurrentAddr).as_bytes())?;
    ni_tag(b, TAG_LINKSPEED, format_dword(ni.LinkSpeed).as_bytes())?;
    ni_tag(b, TAG_MAXFRAMESIZE, format_dword(ni.MaxFrameSize).as_bytes())?;
    ni_tag(b, TAG_FLAGS, format_dword(ni.Flags).as_bytes())?;
    ni_tag(b, TAG_TIMESTAMPSCALEFACTOR, format_dword(ni.TimestampScaleFactor).as_bytes())?;
    ni_tag(b, TAG_NODENAME, fixed_text(&ni.NodeName))?;
    ni_tag(b, TAG_PROMISCUOUS_MODE, format_bool(ni.PModeSupported != 0).as_bytes())?;
    ni_tag(b, TAG_COMMENT, fixed_text(&ni.Comment))?;
    b.set_str(OWNER_NPP, CATEGORY_LOCATION, TAG_MACADDRESS, &format_mac(&ni.PermanentAddr))?;
    Ok(())
}

/// GetNetworkInfoFromBlob: `NMERR_BLOB_ENTRY_DOES_NOT_EXIST` when the BLOB has no
/// `NPP:NetworkInfo` entries; absent tags leave their field zero; a malformed value answers
/// `NMERR_BLOB_CONVERSION_ERROR` and names the tag in `bad_tag`.
pub fn get_network_info(b: &Blob, bad_tag: &mut Option<(&'static str, &'static str)>) -> NmResult<NETWORKINFO> {
    if b.categories_of(OWNER_NPP.as_bytes()).iter().all(|c| !c.to_bytes().eq_ignore_ascii_case(CATEGORY_NETWORKINFO.as_bytes())) {
        return Err(NMERR_BLOB_ENTRY_DOES_NOT_EXIST);
    }
    let mut ni = NETWORKINFO::default();
    let get = |cat: &str, tag: &str| b.get_str(OWNER_NPP.as_bytes(), cat.as_bytes(), tag.as_bytes()).ok();
    macro_rules! conv {
        ($cat:expr, $tag:expr, $parse:expr, $field:expr) => {
            if let Some(v) = get($cat, $tag) {
                match $parse(&v) {
                    Ok(x) => $field = x,
                    Err(e) => {
                        *bad_tag = Some(($cat, $tag));
                        return Err(e);
                    }
                }
            }
        };
    }
    conv!(CATEGORY_NETWORKINFO, TAG_MACTYPE, |v: &str| NmResult::Ok(mac_type_number(v)), ni.MacType);
    conv!(CATEGORY_NETWORKINFO, TAG_CURRENTADDRESS, |v: &str| parse_mac(v), ni.CurrentAddr);
    conv!(CATEGORY_LOCATION, TAG_MACADDRESS, |v: &str| parse_mac(v), ni.PermanentAddr);
    conv!(CATEGORY_NETWORKINFO, TAG_LINKSPEED, |v: &str| parse_dword(v), ni.LinkSpeed);
    conv!(CATEGORY_NETWORKINFO, TAG_MAXFRAMESIZE, |v: &str| parse_dword(v), ni.MaxFrameSize);
    conv!(CATEGORY_NETWORKINFO, TAG_FLAGS, |v: &str| parse_dword(v), ni.Flags);
    conv!(CATEGORY_NETWORKINFO, TAG_TIMESTAMPSCALEFACTOR, |v: &str| parse_dword(v), ni.TimestampScaleFactor);
    conv!(CATEGORY_NETWORKINFO, TAG_PROMISCUOUS_MODE, |v: &str| parse_bool(v).map(|x| x as BOOL), ni.PModeSupported);
    let raw = |tag: &str| b.get(OWNER_NPP.as_bytes(), CATEGORY_NETWORKINFO.as_bytes(), tag.as_bytes()).ok().map(|c| c.to_bytes().to_vec());
    if let Some(v) = raw(TAG_NODENAME) {
        fill_text(&mut ni.NodeName, &v);
    }
    if let Some(v) = raw(TAG_COMMENT) {
        fill_text(&mut ni.Comment, &v);
    }
    Ok(ni)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut ni = NETWORKINFO {
            PermanentAddr: [2, 0, 0, 0, 0, 1],
            CurrentAddr: [2, 0, 0, 0, 0, 2],
            LinkSpeed: 10000,
            MacType: MAC_TYPE_ETHERNET,
            MaxFrameSize: 1514,
            Flags: NETWORKINFO_FLAGS_RAS,
            TimestampScaleFactor: 1000,
            PModeSupported: TRUE,
            ..Default::default()
        };
        fill_text(&mut ni.NodeName, b"host");
        fill_text(&mut ni.Comment, b"a comment that is longer than thirty-one bytes");
        let mut b = Blob::new();
        set_network_info(&mut b, &ni).unwrap();
        let mut bad = None;
        let back = get_network_info(&b, &mut bad).unwrap();
        assert_eq!(back, ni);
        assert_eq!(&back.Comment[..31], &b"a comment that is longer than thirty-one bytes"[..31]);
        assert_eq!(back.Comment[31], 0);
        b.set_str(OWNER_NPP, CATEGORY_NETWORKINFO, TAG_LINKSPEED, "fast").unwrap();
        assert_eq!(get_network_info(&b, &mut bad).unwrap_err(), NMERR_BLOB_CONVERSION_ERROR);
        assert_eq!(bad, Some((CATEGORY_NETWORKINFO, TAG_LINKSPEED)));
        assert_eq!(get_network_info(&Blob::new(), &mut bad).unwrap_err(), NMERR_BLOB_ENTRY_DOES_NOT_EXIST);
        assert_eq!(mac_type_number("ethernet"), 1);
        assert_eq!(mac_type_number("banana"), 0);
        assert_eq!(mac_type_name(77), "77");
        assert_eq!(mac_type_number("77"), 77);
    }
}
