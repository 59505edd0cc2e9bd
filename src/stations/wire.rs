//! The station-query messages on the wire (the protocol is described in `stations`): the
//! BONEPACKET header (f.14) and the STATIONQUERY (f.4), little-endian.

use crate::types::*;

const BONE_LEN: usize = 12;
const STATIONQUERY_LEN: usize = 192;
const OLD_STATIONQUERY_LEN: usize = 96;

/// A BONEPACKET header as read from / written to the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bone {
    pub command: u8,
    pub flags: u8,
    /// `Reserved`: the query id.
    pub id: u32,
    pub length: u16,
}

/// The 12 header bytes, little-endian.
pub fn encode_bone(b: &Bone) -> [u8; BONE_LEN] {
    let mut out = [0u8; BONE_LEN];
    out[0..4].copy_from_slice(&BONE_PACKET_SIGNATURE.to_le_bytes());
    out[4] = b.command;
    out[5] = b.flags;
    out[6..10].copy_from_slice(&b.id.to_le_bytes());
    out[10..12].copy_from_slice(&b.length.to_le_bytes());
    out
}

/// The header of a message, None unless it is at least 12 bytes with the 'RTSS' signature.
pub fn decode_bone(buf: &[u8]) -> Option<Bone> {
    if buf.len() < BONE_LEN || buf[0..4] != BONE_PACKET_SIGNATURE.to_le_bytes() {
        return None;
    }
    Some(Bone {
        command: buf[4],
        flags: buf[5],
        id: u32::from_le_bytes(buf[6..10].try_into().expect("4 bytes")),
        length: u16::from_le_bytes(buf[10..12].try_into().expect("2 bytes")),
    })
}

/// A request with query id `id`.
pub fn encode_request(id: u32) -> [u8; BONE_LEN] {
    encode_bone(&Bone { command: BONE_COMMAND_STATION_QUERY_REQUEST as u8, flags: 0, id, length: 0 })
}

/// The query id of a request, None for anything else.
pub fn decode_request(buf: &[u8]) -> Option<u32> {
    let b = decode_bone(buf)?;
    (b.command == BONE_COMMAND_STATION_QUERY_REQUEST as u8).then_some(b.id)
}

/// A response to query `id`: header + one STATIONQUERY.
pub fn encode_response(id: u32, sq: &STATIONQUERY) -> [u8; BONE_LEN + STATIONQUERY_LEN] {
    let mut out = [0u8; BONE_LEN + STATIONQUERY_LEN];
    let bone = Bone { command: BONE_COMMAND_STATION_QUERY_RESPONSE as u8, flags: 0, id, length: STATIONQUERY_LEN as u16 };
    out[..BONE_LEN].copy_from_slice(&encode_bone(&bone));
    out[BONE_LEN..].copy_from_slice(&station_to_bytes(sq));
    out
}

/// The STATIONQUERY of a response to query `id`; None for anything else (other id, other
/// command, too short). A `Length` of 96..191 is a pre-2.0 OLDSTATIONQUERY.
pub fn decode_response(buf: &[u8], id: u32) -> Option<STATIONQUERY> {
    let b = decode_bone(buf)?;
    if b.command != BONE_COMMAND_STATION_QUERY_RESPONSE as u8 || b.id != id {
        return None;
    }
    let len = b.length as usize;
    if len < OLD_STATIONQUERY_LEN || buf.len() < BONE_LEN + len.min(STATIONQUERY_LEN) {
        return None;
    }
    Some(station_from_bytes(&buf[BONE_LEN..BONE_LEN + len.min(STATIONQUERY_LEN)]))
}

/// An all-zero STATIONQUERY.
pub fn empty_station() -> STATIONQUERY {
    STATIONQUERY {
        Flags: 0,
        BCDVerMinor: 0,
        BCDVerMajor: 0,
        LicenseNumber: 0,
        MachineName: [0; 16],
        UserName: [0; 32],
        Reserved: [0; 32],
        AdapterAddress: [0; 6],
        WMachineName: [0; 16],
        WUserName: [0; 32],
    }
}

/// STATIONQUERY -> 192 bytes (f.4 offsets, little-endian).
pub(super) fn station_to_bytes(sq: &STATIONQUERY) -> [u8; STATIONQUERY_LEN] {
    let mut out = [0u8; STATIONQUERY_LEN];
    let (flags, license) = (sq.Flags, sq.LicenseNumber);
    let (wm, wu) = (sq.WMachineName, sq.WUserName);
    out[0..4].copy_from_slice(&flags.to_le_bytes());
    out[4] = sq.BCDVerMinor;
    out[5] = sq.BCDVerMajor;
    out[6..10].copy_from_slice(&license.to_le_bytes());
    out[10..26].copy_from_slice(&sq.MachineName);
    out[26..58].copy_from_slice(&sq.UserName);
    out[58..90].copy_from_slice(&sq.Reserved);
    out[90..96].copy_from_slice(&sq.AdapterAddress);
    for (i, u) in wm.iter().enumerate() {
        out[96 + 2 * i..98 + 2 * i].copy_from_slice(&u.to_le_bytes());
    }
    for (i, u) in wu.iter().enumerate() {
        out[128 + 2 * i..130 + 2 * i].copy_from_slice(&u.to_le_bytes());
    }
    out
}

/// 96 (OLDSTATIONQUERY) or 192 bytes -> STATIONQUERY.
fn station_from_bytes(b: &[u8]) -> STATIONQUERY {
    let mut sq = empty_station();
    sq.Flags = u32::from_le_bytes(b[0..4].try_into().expect("4 bytes"));
    sq.BCDVerMinor = b[4];
    sq.BCDVerMajor = b[5];
    sq.LicenseNumber = u32::from_le_bytes(b[6..10].try_into().expect("4 bytes"));
    sq.MachineName.copy_from_slice(&b[10..26]);
    sq.UserName.copy_from_slice(&b[26..58]);
    sq.Reserved.copy_from_slice(&b[58..90]);
    sq.AdapterAddress.copy_from_slice(&b[90..96]);
    if b.len() >= STATIONQUERY_LEN {
        let mut wm = [0u16; 16];
        let mut wu = [0u16; 32];
        for (i, u) in wm.iter_mut().enumerate() {
            *u = u16::from_le_bytes([b[96 + 2 * i], b[97 + 2 * i]]);
        }
        for (i, u) in wu.iter_mut().enumerate() {
            *u = u16::from_le_bytes([b[128 + 2 * i], b[129 + 2 * i]]);
        }
        sq.WMachineName = wm;
        sq.WUserName = wu;
    }
    sq
}

#[cfg(test)]
mod tests {
    use super::super::{fixed_bytes, fixed_wide, local_station};
    use super::*;

    fn sample() -> STATIONQUERY {
        let mut sq = local_station([0x02, 0x4E, 0x44, 0x51, 0x41, 0x01]);
        sq.MachineName = fixed_bytes::<16>("host-name");
        sq.UserName = fixed_bytes::<32>("alice");
        sq.WMachineName = fixed_wide::<16>("host-name");
        sq.WUserName = fixed_wide::<32>("alice");
        sq.LicenseNumber = 0x0102_0304;
        sq
    }

    #[test]
    fn request_bytes() {
        let r = encode_request(0xA1B2_C3D4);
        assert_eq!(&r, b"RTSS\x00\x00\xD4\xC3\xB2\xA1\x00\x00");
        assert_eq!(decode_request(&r), Some(0xA1B2_C3D4));
        // Ethernet padding after the header is ignored.
        let mut padded = r.to_vec();
        padded.resize(46, 0);
        assert_eq!(decode_request(&padded), Some(0xA1B2_C3D4));
        // Wrong signature, short, or a response: not a request.
        let mut bad = r;
        bad[0] = b'X';
        assert_eq!(decode_request(&bad), None);
        assert_eq!(decode_request(&r[..11]), None);
        assert_eq!(decode_request(&encode_response(7, &sample())), None);
    }

    #[test]
    fn response_round_trip() {
        let sq = sample();
        let msg = encode_response(0x1234_5678, &sq);
        assert_eq!(msg.len(), 204);
        let bone = decode_bone(&msg).unwrap();
        assert_eq!(bone, Bone { command: 1, flags: 0, id: 0x1234_5678, length: 192 });
        // Field offsets of f.4 on the wire (header 12 bytes first).
        let body = &msg[12..];
        assert_eq!(&body[0..4], &STATIONQUERY_FLAGS_CAPTURING.to_le_bytes());
        assert_eq!((body[4], body[5]), (1, 2));
        assert_eq!(&body[6..10], &[4, 3, 2, 1]);
        assert_eq!(&body[10..20], b"host-name\0");
        assert_eq!(&body[26..32], b"alice\0");
        assert!(body[58..90].iter().all(|b| *b == 0));
        assert_eq!(&body[90..96], &[0x02, 0x4E, 0x44, 0x51, 0x41, 0x01]);
        assert_eq!(&body[96..100], &[b'h', 0, b'o', 0]);
        assert_eq!(&body[128..132], &[b'a', 0, b'l', 0]);
        // Byte-identical to the packed in-memory layout on this (little-endian) target.
        // SAFETY: STATIONQUERY is 192 plain bytes.
        let raw: [u8; 192] = unsafe { std::mem::transmute(sq) };
        assert_eq!(body, &raw[..]);

        let back = decode_response(&msg, 0x1234_5678).unwrap();
        assert_eq!(station_to_bytes(&back), station_to_bytes(&sq));
        // Another id, a request, a truncated body: nothing.
        assert!(decode_response(&msg, 0x1234_5679).is_none());
        assert!(decode_response(&encode_request(0x1234_5678), 0x1234_5678).is_none());
        assert!(decode_response(&msg[..150], 0x1234_5678).is_none());
        // Padding after the body is ignored.
        let mut padded = msg.to_vec();
        padded.extend_from_slice(&[0xEE; 10]);
        assert_eq!(station_to_bytes(&decode_response(&padded, 0x1234_5678).unwrap()), station_to_bytes(&sq));
    }

    #[test]
    fn old_station_query() {
        // A pre-2.0 responder: Length 96, no wide names.
        let full = encode_response(9, &sample());
        let mut old = full[..12 + 96].to_vec();
        old[10..12].copy_from_slice(&96u16.to_le_bytes());
        let sq = decode_response(&old, 9).unwrap();
        assert_eq!(sq.MachineName, sample().MachineName);
        assert_eq!(sq.AdapterAddress, sample().AdapterAddress);
        let (wm, wu) = (sq.WMachineName, sq.WUserName);
        assert!(wm.iter().chain(wu.iter()).all(|u| *u == 0));
        // Less than an OLDSTATIONQUERY: nothing.
        old[10..12].copy_from_slice(&95u16.to_le_bytes());
        assert!(decode_response(&old, 9).is_none());
    }
}
