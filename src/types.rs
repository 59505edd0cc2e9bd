//! The Network Monitor 2 vocabulary: Windows type names, the SDK structures and their constants.
//!
//! Layout follows the mingw-w64 64-bit scheme (SDK f.0): natural `#[repr(C)]`, and
//! `#[repr(C, packed)]` exactly where the SDK forces `pack(1)`. Every size and offset of the
//! SDK's tables (SDK f) is asserted at compile time below, and again from C in `ctests/test_layout.c`.
//!
//! Structures with an anonymous union (`ADDRESS2`, `ADDRESS`, `UPDATE_EVENT`) cannot be generated
//! by cbindgen; their C form is written by hand in `cbindgen.toml` and the Rust twins here are
//! excluded from generation. Both sides are tied by the same size/offset assertions.
#![allow(non_camel_case_types, non_snake_case, clippy::upper_case_acronyms)]

use core::ffi::{c_char, c_void};
use core::mem::{offset_of, size_of};

// ---------------------------------------------------------------- Windows vocabulary
pub type DWORD = u32;
pub type WORD = u16;
pub type BYTE = u8;
pub type BOOL = i32;
pub type WINBOOL = i32;
pub type UINT = u32;
pub type USHORT = u16;
pub type LONG = i32;
pub type HRESULT = i32;
pub type ULONG = u32;
pub type WCHAR = u16;
pub type CHAR = c_char;
pub type DWORD_PTR = usize;
pub type LPVOID = *mut c_void;
pub type LPBYTE = *mut BYTE;
pub type LPWORD = *mut WORD;
pub type LPDWORD = *mut DWORD;
pub type LPWSTR = *mut WCHAR;
pub type LPCWSTR = *const WCHAR;
pub type LPSTR = *mut c_char;
pub type LPCSTR = *const c_char;
pub type HWND = *mut c_void;
/// A BLOB handle: an opaque value from the library's handle table, never a pointer to memory.
pub type HBLOB = *const c_void;

pub const TRUE: BOOL = 1;
pub const FALSE: BOOL = 0;
pub const MAX_PATH: u32 = 260;

/// A COM class or interface identifier (16 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GUID {
    pub Data1: u32,
    pub Data2: u16,
    pub Data3: u16,
    pub Data4: [u8; 8],
}
pub type CLSID = GUID;
pub type IID = GUID;
pub type LPCLSID = *mut CLSID;
pub type REFIID = *const GUID;

// ---------------------------------------------------------------- STATISTICS (f.1)
/// Total statistics of a capture (88 bytes). Field meanings: SDK h.1.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct STATISTICS {
    pub TimeElapsed: i64,
    pub TotalFramesCaptured: DWORD,
    pub TotalBytesCaptured: DWORD,
    pub TotalFramesFiltered: DWORD,
    pub TotalBytesFiltered: DWORD,
    pub TotalMulticastsFiltered: DWORD,
    pub TotalBroadcastsFiltered: DWORD,
    pub TotalFramesSeen: DWORD,
    pub TotalBytesSeen: DWORD,
    pub TotalMulticastsReceived: DWORD,
    pub TotalBroadcastsReceived: DWORD,
    pub TotalFramesDropped: DWORD,
    pub TotalFramesDroppedFromBuffer: DWORD,
    pub MacFramesReceived: DWORD,
    pub MacCRCErrors: DWORD,
    pub MacBytesReceivedEx: i64,
    pub MacFramesDropped_NoBuffers: DWORD,
    pub MacMulticastsReceived: DWORD,
    pub MacBroadcastsReceived: DWORD,
    pub MacFramesDropped_HwError: DWORD,
}
pub type LPSTATISTICS = *mut STATISTICS;
pub const STATISTICS_SIZE: u32 = 88;

/// ndisnpp extension: the totals in 64 bits, size-prefixed. Set `StructSize` to
/// `sizeof(STATISTICS_EX)` before the call; the library fills at most that many bytes, so a program
/// built against an older, shorter version keeps working.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct STATISTICS_EX {
    pub StructSize: DWORD,
    pub Reserved: DWORD,
    /// Microseconds since Start (paused time included).
    pub TimeElapsed: i64,
    pub FramesSeen: u64,
    pub BytesSeen: u64,
    pub FramesFiltered: u64,
    pub BytesFiltered: u64,
    pub FramesCaptured: u64,
    pub BytesCaptured: u64,
    /// Passed the filter but not stored (file limit, write failure).
    pub FramesDropped: u64,
    pub BroadcastsSeen: u64,
    pub MulticastsSeen: u64,
    /// Frames the kernel handed to the capture socket, and dropped because the ring was full.
    pub KernelFramesReceived: u64,
    pub KernelFramesDropped: u64,
    /// Times the link went down during the capture (each reported to the status callback as
    /// UPDATE_EVENT_NETWORK_STATUS with Value NDISNPP_LINK_DOWN, and its return NDISNPP_LINK_UP).
    pub LinkOutages: u64,
}
pub type LPSTATISTICS_EX = *mut STATISTICS_EX;

/// ndisnpp extension: what `ndisnpp_repair_capture_ex` found and did, size-prefixed like
/// STATISTICS_EX: set `StructSize` to `sizeof(NDISNPP_REPAIR_RESULT)` before the call; the library
/// fills at most that many bytes.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NDISNPP_REPAIR_RESULT {
    pub StructSize: DWORD,
    /// TRUE: the file was rewritten (beside it, then renamed over it); FALSE: it was sound and
    /// left as it is.
    pub Rewritten: BOOL,
    /// Frames the file holds afterwards.
    pub FramesKept: u64,
    /// Bytes of damaged records skipped and of a tail cut off: what the repaired file no longer
    /// holds or no longer points to (a frame table rebuilt is not counted).
    pub BytesDropped: u64,
    /// Damaged places in the middle of the file that were skipped.
    pub DamagedSkipped: DWORD,
    /// TRUE when a damaged or partial tail was cut off.
    pub TailCut: BOOL,
    /// What was found or done, in words (NUL-terminated, cut to fit); on a failure, why.
    pub Detail: [c_char; 256],
}

// ---------------------------------------------------------------- NETWORKSTATUS (f.2)
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NETWORKSTATUS {
    pub State: DWORD,
    pub Flags: DWORD,
}
pub type LPNETWORKSTATUS = *mut NETWORKSTATUS;
pub const NETWORKSTATUS_STATE_VOID: u32 = 0;
pub const NETWORKSTATUS_STATE_INIT: u32 = 1;
pub const NETWORKSTATUS_STATE_CAPTURING: u32 = 2;
pub const NETWORKSTATUS_STATE_PAUSED: u32 = 3;
pub const NETWORKSTATUS_FLAGS_TRIGGER_PENDING: u32 = 0x1;

// ---------------------------------------------------------------- conversation statistics (f.3)
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct STATIONSTATS {
    pub NextStationStats: DWORD,
    pub SessionPartnerList: DWORD,
    pub Flags: DWORD,
    pub StationAddress: [BYTE; 6],
    pub Pad: WORD,
    pub TotalPacketsReceived: DWORD,
    pub TotalDirectedPacketsSent: DWORD,
    pub TotalBroadcastPacketsSent: DWORD,
    pub TotalMulticastPacketsSent: DWORD,
    pub TotalBytesReceived: DWORD,
    pub TotalBytesSent: DWORD,
}
pub type LPSTATIONSTATS = *mut STATIONSTATS;

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SESSIONSTATS {
    pub NextSession: DWORD,
    pub StationOwner: DWORD,
    pub StationPartner: DWORD,
    pub Flags: DWORD,
    pub TotalPacketsSent: DWORD,
}
pub type LPSESSIONSTATS = *mut SESSIONSTATS;
pub const STATIONSTATS_FLAGS_INITIALIZED: u32 = 0x1;
pub const STATIONSTATS_FLAGS_EVENTPOSTED: u32 = 0x2;
pub const STATIONSTATS_POOL_SIZE: u32 = 100;
pub const SESSION_FLAGS_INITIALIZED: u32 = 0x1;
pub const SESSION_FLAGS_EVENTPOSTED: u32 = 0x2;
pub const SESSION_POOL_SIZE: u32 = 100;
pub const MAX_SESSIONS: u32 = 100;
pub const MAX_STATIONS: u32 = 100;

// ---------------------------------------------------------------- STATIONQUERY (f.4), packed
pub const MACHINE_NAME_LENGTH: u32 = 16;
pub const USER_NAME_LENGTH: u32 = 32;

#[repr(C, packed)]
#[derive(Clone, Copy)]
pub struct STATIONQUERY {
    pub Flags: DWORD,
    pub BCDVerMinor: BYTE,
    pub BCDVerMajor: BYTE,
    pub LicenseNumber: DWORD,
    pub MachineName: [BYTE; 16],
    pub UserName: [BYTE; 32],
    pub Reserved: [BYTE; 32],
    pub AdapterAddress: [BYTE; 6],
    pub WMachineName: [WCHAR; 16],
    pub WUserName: [WCHAR; 32],
}
pub type LPSTATIONQUERY = *mut STATIONQUERY;

/// `nStationQueries` entries follow; allocate `4 + 192 * n` bytes.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct QUERYTABLE {
    pub nStationQueries: DWORD,
    pub StationQuery: [STATIONQUERY; 1],
}
pub type LPQUERYTABLE = *mut QUERYTABLE;
pub const STATIONQUERY_FLAGS_LOADED: u32 = 0x0001;
pub const STATIONQUERY_FLAGS_RUNNING: u32 = 0x0002;
pub const STATIONQUERY_FLAGS_CAPTURING: u32 = 0x0004;
pub const STATIONQUERY_FLAGS_TRANSMITTING: u32 = 0x0008;
pub const STATIONQUERY_VERSION_MINOR: u32 = 0x01;
pub const STATIONQUERY_VERSION_MAJOR: u32 = 0x02;

// ---------------------------------------------------------------- UPDATE_EVENT (f.5)
pub const MAX_USER_NAME_LENGTH: u32 = 256;
pub const MAX_SECURITY_BREACH_REASON_SIZE: u32 = 100;
pub const MAX_SIGNATURE_LENGTH: u32 = 128;

#[repr(C, packed)]
#[derive(Clone, Copy)]
pub struct SECURITY_PERMISSION_RESPONSE {
    pub Version: UINT,
    pub RandomNumber: DWORD,
    pub MachineName: [BYTE; 16],
    pub Address: [BYTE; 6],
    pub UserName: [BYTE; 256],
    pub Reason: [BYTE; 100],
    pub SignatureLength: DWORD,
    pub Signature: [BYTE; 128],
}

/// The anonymous union of `UPDATE_EVENT` (Rust twin only; C sees the SDK's nameless union).
#[repr(C)]
#[derive(Clone, Copy)]
pub union UPDATE_EVENT_DATA {
    pub Reserved: DWORD,
    pub lpFrameTable: *mut FRAMETABLE,
    pub lpPacketQueue: DWORD_PTR,
    pub SecurityResponse: SECURITY_PERMISSION_RESPONSE,
}

/// What the status callback receives, by value (576 bytes).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct UPDATE_EVENT {
    pub Event: USHORT,
    pub Action: DWORD,
    pub Status: DWORD,
    pub Value: DWORD,
    pub TimeStamp: i64,
    pub lpUserContext: DWORD_PTR,
    pub lpReserved: DWORD_PTR,
    pub FramesDropped: UINT,
    pub Data: UPDATE_EVENT_DATA,
    pub lpFinalStats: LPSTATISTICS,
}
pub type PUPDATE_EVENT = *mut UPDATE_EVENT;

/// The status callback. It runs on the library's thread for that NPP with no library lock held,
/// so it may call back into the library. Its return value is ignored.
pub type LPNETWORKCALLBACKPROC = Option<unsafe extern "C" fn(UPDATE_EVENT) -> DWORD>;

pub const UPDATE_EVENT_TERMINATE_THREAD: u32 = 0x0;
pub const UPDATE_EVENT_NETWORK_STATUS: u32 = 0x1;
pub const UPDATE_EVENT_RTC_INTERVAL_ELAPSED: u32 = 0x2;
pub const UPDATE_EVENT_RTC_FRAME_TABLE_FULL: u32 = 0x3;
pub const UPDATE_EVENT_RTC_BUFFER_FULL: u32 = 0x4;
pub const UPDATE_EVENT_TRIGGER_BUFFER_CONTENT: u32 = 0x5;
pub const UPDATE_EVENT_TRIGGER_PATTERN_MATCH: u32 = 0x6;
pub const UPDATE_EVENT_TRIGGER_BUFFER_PATTERN: u32 = 0x7;
pub const UPDATE_EVENT_TRIGGER_PATTERN_BUFFER: u32 = 0x8;
pub const UPDATE_EVENT_TRANSMIT_STATUS: u32 = 0x9;
pub const UPDATE_EVENT_SECURITY_BREACH: u32 = 0xA;
pub const UPDATE_EVENT_REMOTE_FAILURE: u32 = 0xB;
pub const UPDATE_ACTION_TERMINATE_THREAD: u32 = 0x0;
pub const UPDATE_ACTION_NOTIFY: u32 = 0x1;
pub const UPDATE_ACTION_STOP_CAPTURE: u32 = 0x2;
pub const UPDATE_ACTION_PAUSE_CAPTURE: u32 = 0x3;
pub const UPDATE_ACTION_RTC_BUFFER_SWITCH: u32 = 0x4;

/// ndisnpp extension: `UPDATE_EVENT.Value` of an UPDATE_EVENT_NETWORK_STATUS /
/// UPDATE_ACTION_NOTIFY event: the captured interface's link went down (the capture goes on, and
/// STATISTICS_EX.LinkOutages counts it) ...
pub const NDISNPP_LINK_DOWN: u32 = 0x1;
/// ... and came back up (frames are captured again).
pub const NDISNPP_LINK_UP: u32 = 0x2;
/// ... a rotating capture (README, "Rotation") started its next file (the second, third ...; the
/// first is the one `esp_start` / `dc_start` named): `lpReserved` points to its path, a
/// NUL-terminated `char` string valid only during the callback (`Status` is
/// NETWORKSTATUS_STATE_CAPTURING). Posted once the file before it is complete and this one is
/// created, just before the frame that opens it is written.
pub const NDISNPP_FILE_STARTED: u32 = 0x3;

/// ndisnpp extension: the largest `NPP:Config:BufferSize`, 1 GiB. The value sizes the kernel ring
/// of a live capture (0 = libpcap's default, 2 MiB) and each of IRTC's two frame buffers (0 =
/// DEFAULT_RTC_BUFFER_SIZE); memory is committed as frames use it, not at Start. Larger values
/// are refused by Connect and Configure with NMERR_BLOB_CONVERSION_ERROR, the entry in the error
/// BLOB.
pub const NDISNPP_MAX_BUFFER_SIZE: u32 = 0x4000_0000;

/// ndisnpp extension: rotation (ring-buffer capture to a series of files, README "Rotation").
/// `NPP:Config:RotateBytes` is 0 (no rotation by size) or from this value ...
pub const NDISNPP_ROTATE_BYTES_MIN: u64 = 4096;
/// ... to this one (1 TiB). Connect and Configure refuse other values (and a value that is not a
/// decimal or 0x number) with NMERR_BLOB_CONVERSION_ERROR, the entry in the error BLOB.
pub const NDISNPP_ROTATE_BYTES_MAX: u64 = 1_099_511_627_776;
/// ndisnpp extension: the largest `NPP:Config:RotateSeconds` (366 days; 0 = no rotation by time).
pub const NDISNPP_ROTATE_SECONDS_MAX: u32 = 31_622_400;
/// ndisnpp extension: the largest `NPP:Config:RotateFiles` (0 = keep every file).
pub const NDISNPP_ROTATE_FILES_MAX: u32 = 100_000;
/// ndisnpp extension: the longest `NPP:Config:RotateBaseName`, in bytes.
pub const NDISNPP_ROTATE_BASE_NAME_MAX: u32 = 128;

// ---------------------------------------------------------------- patterns (f.8)
pub const MAX_PATTERN_LENGTH: u32 = 16;
pub const MAX_PATTERNS: u32 = 4;

#[repr(C)]
#[derive(Clone, Copy)]
pub union GENERIC_PORT {
    pub NextHeader: BYTE,
    pub IPPort: BYTE,
    pub ByteSwappedIPXPort: WORD,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct PATTERNMATCH {
    pub Flags: DWORD,
    pub OffsetBasis: BYTE,
    pub Port: GENERIC_PORT,
    pub Offset: WORD,
    pub Length: WORD,
    pub PatternToMatch: [BYTE; 16],
}
pub type LPPATTERNMATCH = *mut PATTERNMATCH;

/// Up to four patterns, ORed together.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct ANDEXP {
    pub nPatternMatches: DWORD,
    pub PatternMatch: [PATTERNMATCH; 4],
}
pub type LPANDEXP = *mut ANDEXP;

/// Up to four ANDEXP groups, ANDed together.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct EXPRESSION {
    pub nAndExps: DWORD,
    pub AndExp: [ANDEXP; 4],
}
pub type LPEXPRESSION = *mut EXPRESSION;

pub const PATTERN_MATCH_FLAGS_NOT: u32 = 0x1;
pub const PATTERN_MATCH_FLAGS_RESERVED_1: u32 = 0x2;
pub const PATTERN_MATCH_FLAGS_PORT_SPECIFIED: u32 = 0x8;
pub const OFFSET_BASIS_RELATIVE_TO_FRAME: u32 = 0;
pub const OFFSET_BASIS_RELATIVE_TO_EFFECTIVE_PROTOCOL: u32 = 1;
pub const OFFSET_BASIS_RELATIVE_TO_IPX: u32 = 2;
pub const OFFSET_BASIS_RELATIVE_TO_IP: u32 = 3;
pub const OFFSET_BASIS_RELATIVE_TO_IP6: u32 = 4;

// ---------------------------------------------------------------- TRIGGER (f.6)
/// A trigger. `TriggerCommandLine` is stored and returned but never executed by this library.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct TRIGGER {
    pub TriggerActive: BOOL,
    pub TriggerType: BYTE,
    pub TriggerAction: BYTE,
    pub TriggerFlags: DWORD,
    pub TriggerPatternMatch: PATTERNMATCH,
    pub TriggerBufferSize: DWORD,
    pub TriggerReserved: DWORD,
    pub TriggerCommandLine: [c_char; 260],
}
pub type LPTRIGGER = *mut TRIGGER;
pub const TRIGGER_TYPE_PATTERN_MATCH: u32 = 1;
pub const TRIGGER_TYPE_BUFFER_CONTENT: u32 = 2;
pub const TRIGGER_TYPE_PATTERN_MATCH_THEN_BUFFER_CONTENT: u32 = 3;
pub const TRIGGER_TYPE_BUFFER_CONTENT_THEN_PATTERN_MATCH: u32 = 4;
pub const TRIGGER_FLAGS_FRAME_RELATIVE: u32 = 0x0;
pub const TRIGGER_FLAGS_DATA_RELATIVE: u32 = 0x1;
pub const TRIGGER_ACTION_NOTIFY: u32 = 0x0;
pub const TRIGGER_ACTION_STOP: u32 = 0x2;
pub const TRIGGER_ACTION_PAUSE: u32 = 0x3;
pub const TRIGGER_BUFFER_FULL_25_PERCENT: u32 = 0;
pub const TRIGGER_BUFFER_FULL_50_PERCENT: u32 = 1;
pub const TRIGGER_BUFFER_FULL_75_PERCENT: u32 = 2;
pub const TRIGGER_BUFFER_FULL_100_PERCENT: u32 = 3;

// ---------------------------------------------------------------- addresses (f.9)
pub const MAX_NAME_SIZE: u32 = 32;
pub const IP_ADDRESS_SIZE: u32 = 4;
pub const MAC_ADDRESS_SIZE: u32 = 6;
pub const IP6_ADDRESS_SIZE: u32 = 16;
pub const MAX_ADDRESS_SIZE: u32 = 16;
pub const MAX_ADDRESS_PAIRS: u32 = 8;
pub const ADDRESS_TYPE_ETHERNET: u32 = 0;
pub const ADDRESS_TYPE_IP: u32 = 1;
pub const ADDRESS_TYPE_IPX: u32 = 2;
pub const ADDRESS_TYPE_TOKENRING: u32 = 3;
pub const ADDRESS_TYPE_FDDI: u32 = 4;
pub const ADDRESS_TYPE_XNS: u32 = 5;
pub const ADDRESS_TYPE_ANY: u32 = 6;
pub const ADDRESS_TYPE_ANY_GROUP: u32 = 7;
pub const ADDRESS_TYPE_FIND_HIGHEST: u32 = 8;
pub const ADDRESS_TYPE_VINES_IP: u32 = 9;
pub const ADDRESS_TYPE_LOCAL_ONLY: u32 = 10;
pub const ADDRESS_TYPE_ATM: u32 = 11;
pub const ADDRESS_TYPE_1394: u32 = 12;
pub const ADDRESS_TYPE_IP6: u32 = 13;
pub const ADDRESSTYPE_FLAGS_NORMALIZE: u32 = 0x1;
pub const ADDRESSTYPE_FLAGS_BIT_REVERSE: u32 = 0x2;
pub const ADDRESS_FLAGS_MATCH_DST: u32 = 0x1;
pub const ADDRESS_FLAGS_MATCH_SRC: u32 = 0x2;
pub const ADDRESS_FLAGS_EXCLUDE: u32 = 0x4;
pub const ADDRESS_FLAGS_DST_GROUP_ADDR: u32 = 0x8;
pub const ADDRESS_FLAGS_MATCH_BOTH: u32 = 0x3;

#[repr(C, packed)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IPX_ADDR {
    pub Subnet: [BYTE; 4],
    pub Address: [BYTE; 6],
}

#[repr(C, packed)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VINES_IP_ADDRESS {
    pub NetID: DWORD,
    pub SubnetID: WORD,
}

/// ADDRESS2 (22 bytes, packed). Rust twin: the union is seen as its 16 raw bytes.
#[repr(C, packed)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ADDRESS2 {
    pub Type: DWORD,
    pub Address: [BYTE; 16],
    pub Flags: WORD,
}
pub type LPADDRESS2 = *mut ADDRESS2;

/// v1 ADDRESS (16 bytes, packed, 10-byte union). Rust twin.
#[repr(C, packed)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ADDRESS {
    pub Type: DWORD,
    pub Address: [BYTE; 10],
    pub Flags: WORD,
}
pub type LPADDRESS = *mut ADDRESS;

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ADDRESSPAIR2 {
    pub AddressFlags: WORD,
    pub NalReserved: WORD,
    pub DstAddress: ADDRESS2,
    pub SrcAddress: ADDRESS2,
}
pub type LPADDRESSPAIR2 = *mut ADDRESSPAIR2;

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ADDRESSTABLE2 {
    pub nAddressPairs: DWORD,
    pub nNonMacAddressPairs: DWORD,
    pub AddressPair: [ADDRESSPAIR2; 8],
}
pub type LPADDRESSTABLE2 = *mut ADDRESSTABLE2;

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ADDRESSPAIR {
    pub AddressFlags: WORD,
    pub NalReserved: WORD,
    pub DstAddress: ADDRESS,
    pub SrcAddress: ADDRESS,
}
pub type LPADDRESSPAIR = *mut ADDRESSPAIR;

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ADDRESSTABLE {
    pub nAddressPairs: DWORD,
    pub nNonMacAddressPairs: DWORD,
    pub AddressPair: [ADDRESSPAIR; 8],
}
pub type LPADDRESSTABLE = *mut ADDRESSTABLE;

// ---------------------------------------------------------------- CAPTUREFILTER (f.7)
/// The driver-side view of a capture filter; the BLOB helpers store its parts.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct CAPTUREFILTER {
    pub FilterFlags: DWORD,
    pub lpSapTable: LPBYTE,
    pub lpEtypeTable: LPWORD,
    pub nSaps: WORD,
    pub nEtypes: WORD,
    pub AddressTable: LPADDRESSTABLE2,
    pub FilterExpression: EXPRESSION,
    pub Trigger: TRIGGER,
    pub nFrameBytesToCopy: DWORD,
    pub Reserved: DWORD,
}
pub type LPCAPTUREFILTER = *mut CAPTUREFILTER;
pub const CAPTUREFILTER_FLAGS_INCLUDE_ALL_SAPS: u32 = 0x0001;
pub const CAPTUREFILTER_FLAGS_INCLUDE_ALL_ETYPES: u32 = 0x0002;
pub const CAPTUREFILTER_FLAGS_TRIGGER: u32 = 0x0004;
pub const CAPTUREFILTER_FLAGS_LOCAL_ONLY: u32 = 0x0008;
pub const CAPTUREFILTER_FLAGS_DISCARD_COMMENTS: u32 = 0x0010;
pub const CAPTUREFILTER_FLAGS_KEEP_RAW: u32 = 0x0020;
pub const CAPTUREFILTER_FLAGS_INCLUDE_ALL: u32 = 0x0003;
pub const BUFFER_FULL_25_PERCENT: u32 = 0;
pub const BUFFER_FULL_50_PERCENT: u32 = 1;
pub const BUFFER_FULL_75_PERCENT: u32 = 2;
pub const BUFFER_FULL_100_PERCENT: u32 = 3;

// ---------------------------------------------------------------- frames (f.10)
/// A frame as the real-time interface hands it: `nBytesAvail` bytes follow `TimeStamp`..
#[repr(C)]
#[derive(Clone, Copy)]
pub struct FRAME {
    pub TimeStamp: i64,
    pub FrameLength: DWORD,
    pub nBytesAvail: DWORD,
    pub MacFrame: [BYTE; 1],
}
pub type LPFRAME = *mut FRAME;

#[repr(C)]
#[derive(Clone, Copy)]
pub union FRAME_DESCRIPTOR_HIGHPORT {
    pub Reserved: WORD,
    pub IPPort: BYTE,
    pub ByteSwappedIPXPort: WORD,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct FRAME_DESCRIPTOR {
    pub FramePointer: LPBYTE,
    pub TimeStamp: i64,
    pub FrameLength: DWORD,
    pub nBytesAvail: DWORD,
    pub Etype: WORD,
    pub Sap: BYTE,
    pub LowProtocol: BYTE,
    pub LowProtocolOffset: WORD,
    pub HighPort: FRAME_DESCRIPTOR_HIGHPORT,
    pub HighProtocolOffset: WORD,
}
pub type LPFRAME_DESCRIPTOR = *mut FRAME_DESCRIPTOR;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct FRAMETABLE {
    pub FrameTableLength: DWORD,
    pub StartIndex: DWORD,
    pub EndIndex: DWORD,
    pub FrameCount: DWORD,
    pub Frames: [FRAME_DESCRIPTOR; 1],
}
pub type LPFRAMETABLE = *mut FRAMETABLE;
pub const LOW_PROTOCOL_IPX: u32 = 2;
pub const LOW_PROTOCOL_IP: u32 = 3;
pub const LOW_PROTOCOL_IP6: u32 = 4;
pub const LOW_PROTOCOL_UNKNOWN: u32 = 0xFF;

// ---------------------------------------------------------------- NETWORKINFO (f.11)
pub const NETWORKINFO_RESERVED_FIELD_SIZE: u32 = 14;
pub const ADAPTER_COMMENT_LENGTH: u32 = 32;

/// Describes one NIC (116 bytes on x86-64).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NETWORKINFO {
    pub PermanentAddr: [BYTE; 6],
    pub CurrentAddr: [BYTE; 6],
    pub Reserved: [BYTE; 14],
    pub LinkSpeed: DWORD,
    pub MacType: DWORD,
    pub MaxFrameSize: DWORD,
    pub Flags: DWORD,
    pub TimestampScaleFactor: DWORD,
    pub NodeName: [BYTE; 32],
    pub PModeSupported: BOOL,
    pub Comment: [BYTE; 32],
}
pub type LPNETWORKINFO = *mut NETWORKINFO;
pub const NETWORKINFO_FLAGS_PMODE_NOT_SUPPORTED: u32 = 0x01;
pub const NETWORKINFO_FLAGS_REMOTE_NAL: u32 = 0x04;
pub const NETWORKINFO_FLAGS_REMOTE_NAL_CONNECTED: u32 = 0x08;
pub const NETWORKINFO_FLAGS_REMOTE_CARD: u32 = 0x10;
pub const NETWORKINFO_FLAGS_RAS: u32 = 0x20;
pub const MINIMUM_FRAME_SIZE: u32 = 32;
pub const MAC_TYPE_UNKNOWN: u32 = 0;
pub const MAC_TYPE_ETHERNET: u32 = 1;
pub const MAC_TYPE_TOKENRING: u32 = 2;
pub const MAC_TYPE_FDDI: u32 = 3;
pub const MAC_TYPE_ATM: u32 = 4;
pub const MAC_TYPE_1394: u32 = 5;

// ---------------------------------------------------------------- tables (f.12)
#[repr(C)]
#[derive(Clone, Copy)]
pub struct STATISTICSPARAM {
    pub StatisticsSize: DWORD,
    pub Statistics: STATISTICS,
    pub StatisticsTableEntries: DWORD,
    pub StatisticsTable: [STATIONSTATS; 100],
    pub SessionTableEntries: DWORD,
    pub SessionTable: [SESSIONSTATS; 100],
}
pub type LPSTATISTICSPARAM = *mut STATISTICSPARAM;

/// `dwNumBlobs` handles follow. Tables from `GetNPPBlobTable` / `AllocBlobTable` are freed with
/// `FreeBlobTable`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct BLOB_TABLE {
    pub dwNumBlobs: DWORD,
    pub hBlobs: [HBLOB; 1],
}
pub type PBLOB_TABLE = *mut BLOB_TABLE;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct MBLOB {
    pub size: DWORD,
    pub pBytes: *mut BYTE,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct MBLOB_TABLE {
    pub dwNumBlobs: DWORD,
    pub mBlobs: [MBLOB; 1],
}
pub type PMBLOB_TABLE = *mut MBLOB_TABLE;

// ---------------------------------------------------------------- misc (f.13, f.14)
pub const CONNECTION_FLAGS_WANT_CONVERSATION_STATS: u32 = 0x1;
pub const DEFAULT_DELAYED_BUFFER_SIZE: u32 = 1;
pub const USE_DEFAULT_DRIVE_LETTER: u32 = 0;
pub const RTC_FRAME_SIZE_FULL: u32 = 0;
pub const DEFAULT_RTC_BUFFER_SIZE: u32 = 0x100000;
pub const INITIAL_RESTART_KEY: u32 = 0xFFFF_FFFF;
pub const STATS_FRAME_TYPE: u32 = 103;
pub const STATISTICS_VERSION_1_0: u32 = 0x00;
pub const STATISTICS_VERSION_2_0: u32 = 0x20;
pub const DEFAULT_ETHERTYPE: u32 = 0x8419;
pub const DEFAULT_SAP: u32 = 0xAA;
pub const DEFAULT_CONTROL: u32 = 0x03;
pub const CAPTUREFILE_VERSION_MAJOR: u32 = 2;
pub const CAPTUREFILE_VERSION_MINOR: u32 = 0;
/// MAKE_IDENTIFIER('R','T','S','S')
pub const NETMON_1_0_CAPTUREFILE_SIGNATURE: u32 = 0x5353_5452;
/// MAKE_IDENTIFIER('G','M','B','U')
pub const NETMON_2_0_CAPTUREFILE_SIGNATURE: u32 = 0x5542_4D47;

#[repr(C, packed)]
#[derive(Clone, Copy, Debug, Default)]
pub struct BONEPACKET {
    pub Signature: DWORD,
    pub Command: BYTE,
    pub Flags: BYTE,
    pub Reserved: DWORD,
    pub Length: WORD,
}
pub const BONE_PACKET_SIGNATURE: u32 = 0x5353_5452;
pub const BONE_COMMAND_STATION_QUERY_REQUEST: u32 = 0;
pub const BONE_COMMAND_STATION_QUERY_RESPONSE: u32 = 1;
pub const BONE_COMMAND_ALERT: u32 = 2;
pub const BONE_COMMAND_PERMISSION_CHECK: u32 = 3;
pub const BONE_COMMAND_PERMISSION_RESPONSE: u32 = 4;
pub const BONE_COMMAND_SECURITY_MONITOR_EVENT: u32 = 5;

// ---------------------------------------------------------------- NPP handle
/// Opaque NPP object; C only ever holds `HNPP` values, which are table handles.
pub struct NPP_OBJECT {
    _private: (),
}
/// An NPP handle from `npp_create`; NULL, destroyed and forged values are detected.
pub type HNPP = *mut NPP_OBJECT;

// ---------------------------------------------------------------- layout assertions
macro_rules! layout {
    ($t:ty, $size:expr $(, $field:ident @ $off:expr)* $(,)?) => {
        const _: () = assert!(size_of::<$t>() == $size);
        $(const _: () = assert!(offset_of!($t, $field) == $off);)*
    };
}

layout!(GUID, 16, Data1 @ 0, Data2 @ 4, Data3 @ 6, Data4 @ 8);
layout!(STATISTICS, 88, TimeElapsed @ 0, TotalFramesCaptured @ 8, TotalBytesCaptured @ 12,
    TotalFramesFiltered @ 16, TotalBytesFiltered @ 20, TotalMulticastsFiltered @ 24,
    TotalBroadcastsFiltered @ 28, TotalFramesSeen @ 32, TotalBytesSeen @ 36,
    TotalMulticastsReceived @ 40, TotalBroadcastsReceived @ 44, TotalFramesDropped @ 48,
    TotalFramesDroppedFromBuffer @ 52, MacFramesReceived @ 56, MacCRCErrors @ 60,
    MacBytesReceivedEx @ 64, MacFramesDropped_NoBuffers @ 72, MacMulticastsReceived @ 76,
    MacBroadcastsReceived @ 80, MacFramesDropped_HwError @ 84);
layout!(STATISTICS_EX, 112, StructSize @ 0, TimeElapsed @ 8, FramesSeen @ 16, KernelFramesDropped @ 96, LinkOutages @ 104);
layout!(NDISNPP_REPAIR_RESULT, 288, StructSize @ 0, Rewritten @ 4, FramesKept @ 8, BytesDropped @ 16, DamagedSkipped @ 24, TailCut @ 28, Detail @ 32);
layout!(NETWORKSTATUS, 8, State @ 0, Flags @ 4);
layout!(STATIONSTATS, 44, NextStationStats @ 0, SessionPartnerList @ 4, Flags @ 8,
    StationAddress @ 12, Pad @ 18, TotalPacketsReceived @ 20, TotalDirectedPacketsSent @ 24,
    TotalBroadcastPacketsSent @ 28, TotalMulticastPacketsSent @ 32, TotalBytesReceived @ 36,
    TotalBytesSent @ 40);
layout!(SESSIONSTATS, 20, NextSession @ 0, StationOwner @ 4, StationPartner @ 8, Flags @ 12,
    TotalPacketsSent @ 16);
layout!(STATIONQUERY, 192, Flags @ 0, BCDVerMinor @ 4, BCDVerMajor @ 5, LicenseNumber @ 6,
    MachineName @ 10, UserName @ 26, Reserved @ 58, AdapterAddress @ 90, WMachineName @ 96,
    WUserName @ 128);
layout!(QUERYTABLE, 196, nStationQueries @ 0, StationQuery @ 4);
layout!(SECURITY_PERMISSION_RESPONSE, 518, Version @ 0, RandomNumber @ 4, MachineName @ 8,
    Address @ 24, UserName @ 30, Reason @ 286, SignatureLength @ 386, Signature @ 390);
layout!(UPDATE_EVENT, 576, Event @ 0, Action @ 4, Status @ 8, Value @ 12, TimeStamp @ 16,
    lpUserContext @ 24, lpReserved @ 32, FramesDropped @ 40, Data @ 48, lpFinalStats @ 568);
layout!(GENERIC_PORT, 2);
layout!(PATTERNMATCH, 28, Flags @ 0, OffsetBasis @ 4, Port @ 6, Offset @ 8, Length @ 10,
    PatternToMatch @ 12);
layout!(ANDEXP, 116, nPatternMatches @ 0, PatternMatch @ 4);
layout!(EXPRESSION, 468, nAndExps @ 0, AndExp @ 4);
layout!(TRIGGER, 308, TriggerActive @ 0, TriggerType @ 4, TriggerAction @ 5, TriggerFlags @ 8,
    TriggerPatternMatch @ 12, TriggerBufferSize @ 40, TriggerReserved @ 44,
    TriggerCommandLine @ 48);
layout!(IPX_ADDR, 10, Subnet @ 0, Address @ 4);
layout!(VINES_IP_ADDRESS, 6, NetID @ 0, SubnetID @ 4);
layout!(ADDRESS2, 22, Type @ 0, Address @ 4, Flags @ 20);
layout!(ADDRESS, 16, Type @ 0, Address @ 4, Flags @ 14);
layout!(ADDRESSPAIR2, 48, AddressFlags @ 0, NalReserved @ 2, DstAddress @ 4, SrcAddress @ 26);
layout!(ADDRESSTABLE2, 392, nAddressPairs @ 0, nNonMacAddressPairs @ 4, AddressPair @ 8);
layout!(ADDRESSPAIR, 36, AddressFlags @ 0, NalReserved @ 2, DstAddress @ 4, SrcAddress @ 20);
layout!(ADDRESSTABLE, 296, nAddressPairs @ 0, nNonMacAddressPairs @ 4, AddressPair @ 8);
layout!(CAPTUREFILTER, 824, FilterFlags @ 0, lpSapTable @ 8, lpEtypeTable @ 16, nSaps @ 24,
    nEtypes @ 26, AddressTable @ 32, FilterExpression @ 40, Trigger @ 508,
    nFrameBytesToCopy @ 816, Reserved @ 820);
layout!(FRAME, 24, TimeStamp @ 0, FrameLength @ 8, nBytesAvail @ 12, MacFrame @ 16);
layout!(FRAME_DESCRIPTOR, 40, FramePointer @ 0, TimeStamp @ 8, FrameLength @ 16,
    nBytesAvail @ 20, Etype @ 24, Sap @ 26, LowProtocol @ 27, LowProtocolOffset @ 28,
    HighPort @ 30, HighProtocolOffset @ 32);
layout!(FRAMETABLE, 56, FrameTableLength @ 0, StartIndex @ 4, EndIndex @ 8, FrameCount @ 12,
    Frames @ 16);
layout!(NETWORKINFO, 116, PermanentAddr @ 0, CurrentAddr @ 6, Reserved @ 12, LinkSpeed @ 28,
    MacType @ 32, MaxFrameSize @ 36, Flags @ 40, TimestampScaleFactor @ 44, NodeName @ 48,
    PModeSupported @ 80, Comment @ 84);
layout!(STATISTICSPARAM, 6504, StatisticsSize @ 0, Statistics @ 8,
    StatisticsTableEntries @ 96, StatisticsTable @ 100, SessionTableEntries @ 4500,
    SessionTable @ 4504);
layout!(BLOB_TABLE, 16, dwNumBlobs @ 0, hBlobs @ 8);
layout!(MBLOB, 16, size @ 0, pBytes @ 8);
layout!(MBLOB_TABLE, 24, dwNumBlobs @ 0, mBlobs @ 8);
layout!(BONEPACKET, 12, Signature @ 0, Command @ 4, Flags @ 5, Reserved @ 6, Length @ 10);
const _: () = assert!(NETMON_1_0_CAPTUREFILE_SIGNATURE == u32::from_le_bytes(*b"RTSS"));
const _: () = assert!(NETMON_2_0_CAPTUREFILE_SIGNATURE == u32::from_le_bytes(*b"GMBU"));
const _: () = assert!(BONE_PACKET_SIGNATURE == u32::from_le_bytes(*b"RTSS"));
