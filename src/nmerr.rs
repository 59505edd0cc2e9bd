//! NMERR: the error numbers of Network Monitor 2, as one enum the whole crate speaks.
//!
//! Every value and name comes from the Network Monitor headers (spec section g). The C
//! functions return the raw number as `uint32_t`; `NMERR_SUCCESS` is 0.
//!
//! The enum below is the one list of codes: each variant's name, number and `#[text]` are written
//! there once. cbindgen (which does not expand macros) turns the enum into the header's `enum
//! NmErr`; the `CodeTable` derive makes `ALL`, `name()` and the texts from the same variants.

use ndisnpp_macros::CodeTable;

/// Every NMERR code of Network Monitor 2 (numbers 43-45, 52 and 68 are unassigned).
#[allow(non_camel_case_types, clippy::upper_case_acronyms)]
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, CodeTable)]
pub enum NmErr {
    #[text = "Operation completed."]
    NMERR_SUCCESS = 0,
    #[text = "Failure in a memory-mapped file operation."]
    NMERR_MEMORY_MAPPED_FILE_ERROR = 1,
    #[text = "Filter handle is not valid."]
    NMERR_INVALID_HFILTER = 2,
    #[text = "Operation refused because a capture is in progress (running or, by inference, paused)."]
    NMERR_CAPTURING = 3,
    #[text = "Operation requires a started capture and none is running."]
    NMERR_NOT_CAPTURING = 4,
    #[text = "Frame enumeration reached the end."]
    NMERR_NO_MORE_FRAMES = 5,
    #[text = "Caller-supplied buffer is too small."]
    NMERR_BUFFER_TOO_SMALL = 6,
    #[text = "A parser did not recognise the frame."]
    NMERR_FRAME_NOT_RECOGNIZED = 7,
    #[text = "Target file exists already."]
    NMERR_FILE_ALREADY_EXISTS = 8,
    #[text = "Capture driver not present."]
    NMERR_DRIVER_NOT_FOUND = 9,
    #[text = "Address already in the address database."]
    NMERR_ADDRESS_ALREADY_EXISTS = 10,
    #[text = "Frame handle is not valid."]
    NMERR_INVALID_HFRAME = 11,
    #[text = "Protocol handle is not valid."]
    NMERR_INVALID_HPROTOCOL = 12,
    #[text = "Property handle is not valid."]
    NMERR_INVALID_HPROPERTY = 13,
    #[text = "Object is locked."]
    NMERR_LOCKED = 14,
    #[text = "Filter evaluation stack empty."]
    NMERR_STACK_EMPTY = 15,
    #[text = "Filter evaluation stack overflow."]
    NMERR_STACK_OVERFLOW = 16,
    #[text = "Protocol limit exceeded."]
    NMERR_TOO_MANY_PROTOCOLS = 17,
    #[text = "File does not exist."]
    NMERR_FILE_NOT_FOUND = 18,
    #[text = "Memory allocation failed."]
    NMERR_OUT_OF_MEMORY = 19,
    #[text = "Capture is paused (already paused, or must be stopped before restarting)."]
    NMERR_CAPTURE_PAUSED = 20,
    #[text = "No capture buffers available."]
    NMERR_NO_BUFFERS = 21,
    #[text = "Capture buffers already allocated."]
    NMERR_BUFFERS_ALREADY_EXIST = 22,
    #[text = "Object is not locked."]
    NMERR_NOT_LOCKED = 23,
    #[text = "Value outside the permitted range."]
    NMERR_OUT_OF_RANGE = 24,
    #[text = "Lock nesting limit exceeded."]
    NMERR_LOCK_NESTING_TOO_DEEP = 25,
    #[text = "Parser DLL could not be loaded."]
    NMERR_LOAD_PARSER_FAILED = 26,
    #[text = "Parser DLL could not be unloaded."]
    NMERR_UNLOAD_PARSER_FAILED = 27,
    #[text = "Address database handle is not valid."]
    NMERR_INVALID_HADDRESSDB = 28,
    #[text = "Address not in the address database."]
    NMERR_ADDRESS_NOT_FOUND = 29,
    #[text = "The requested network/adapter is not present."]
    NMERR_NETWORK_NOT_PRESENT = 30,
    #[text = "Protocol has no property database."]
    NMERR_NO_PROPERTY_DATABASE = 31,
    #[text = "Property not found."]
    NMERR_PROPERTY_NOT_FOUND = 32,
    #[text = "Property database handle is not valid."]
    NMERR_INVALID_HPROPERTYDB = 33,
    #[text = "Protocol not enabled."]
    NMERR_PROTOCOL_NOT_ENABLED = 34,
    #[text = "Protocol not found."]
    NMERR_PROTOCOL_NOT_FOUND = 35,
    #[text = "DLL is not a valid parser."]
    NMERR_INVALID_PARSER_DLL = 36,
    #[text = "Frame has no attached properties."]
    NMERR_NO_ATTACHED_PROPERTIES = 37,
    #[text = "Capture contains no frames."]
    NMERR_NO_FRAMES = 38,
    #[text = "File is not in a recognised capture format."]
    NMERR_INVALID_FILE_FORMAT = 39,
    #[text = "Temporary file could not be created."]
    NMERR_COULD_NOT_CREATE_TEMPFILE = 40,
    #[text = "Legacy: MS-DOS memory exhausted."]
    NMERR_OUT_OF_DOS_MEMORY = 41,
    #[text = "No protocols enabled."]
    NMERR_NO_PROTOCOLS_ENABLED = 42,
    #[text = "Media (MAC) type not supported."]
    NMERR_UNKNOWN_MACTYPE = 46,
    #[text = "Token Ring routing information absent."]
    NMERR_ROUTING_INFO_NOT_PRESENT = 47,
    #[text = "Network handle is not valid."]
    NMERR_INVALID_HNETWORK = 48,
    #[text = "Network already opened."]
    NMERR_NETWORK_ALREADY_OPENED = 49,
    #[text = "Network not opened."]
    NMERR_NETWORK_NOT_OPENED = 50,
    #[text = "Frame not found."]
    NMERR_FRAME_NOT_FOUND = 51,
    #[text = "No handles available."]
    NMERR_NO_HANDLES = 53,
    #[text = "Network identifier is not valid."]
    NMERR_INVALID_NETWORK_ID = 54,
    #[text = "Capture handle is not valid."]
    NMERR_INVALID_HCAPTURE = 55,
    #[text = "Protocol already enabled."]
    NMERR_PROTOCOL_ALREADY_ENABLED = 56,
    #[text = "Filter expression is malformed."]
    NMERR_FILTER_INVALID_EXPRESSION = 57,
    #[text = "Frame transmission failed."]
    NMERR_TRANSMIT_ERROR = 58,
    #[text = "Buffer handle is not valid."]
    NMERR_INVALID_HBUFFER = 59,
    #[text = "Data is not valid."]
    NMERR_INVALID_DATA = 60,
    #[text = "Legacy: MS-DOS driver not loaded."]
    NMERR_MSDOS_DRIVER_NOT_LOADED = 61,
    #[text = "Capture driver not loaded."]
    NMERR_WINDOWS_DRIVER_NOT_LOADED = 62,
    #[text = "Legacy: MS-DOS driver initialisation failed."]
    NMERR_MSDOS_DRIVER_INIT_FAILURE = 63,
    #[text = "Capture driver initialisation failed."]
    NMERR_WINDOWS_DRIVER_INIT_FAILURE = 64,
    #[text = "Network/adapter is busy (in use)."]
    NMERR_NETWORK_BUSY = 65,
    #[text = "Resume requested but the capture is not paused."]
    NMERR_CAPTURE_NOT_PAUSED = 66,
    #[text = "Packet length not valid."]
    NMERR_INVALID_PACKET_LENGTH = 67,
    #[text = "Internal exception caught."]
    NMERR_INTERNAL_EXCEPTION = 69,
    #[text = "Adapter cannot enter promiscuous mode."]
    NMERR_PROMISCUOUS_MODE_NOT_SUPPORTED = 70,
    #[text = "Adapter driver could not be opened."]
    NMERR_MAC_DRIVER_OPEN_FAILURE = 71,
    #[text = "Parser recursion/loop detected."]
    NMERR_RUNAWAY_PROTOCOL = 72,
    #[text = "Operation pending."]
    NMERR_PENDING = 73,
    #[text = "Access denied."]
    NMERR_ACCESS_DENIED = 74,
    #[text = "Password handle is not valid."]
    NMERR_INVALID_HPASSWORD = 75,
    #[text = "A parameter (typically a pointer) is not valid."]
    NMERR_INVALID_PARAMETER = 76,
    #[text = "File read failed."]
    NMERR_FILE_READ_ERROR = 77,
    #[text = "File write failed."]
    NMERR_FILE_WRITE_ERROR = 78,
    #[text = "Protocol not registered."]
    NMERR_PROTOCOL_NOT_REGISTERED = 79,
    #[text = "IP address not found."]
    NMERR_IP_ADDRESS_NOT_FOUND = 80,
    #[text = "Transmission cancelled."]
    NMERR_TRANSMIT_CANCELLED = 81,
    #[text = "Frames are locked."]
    NMERR_LOCKED_FRAMES = 82,
    #[text = "No transmissions pending."]
    NMERR_NO_TRANSMITS_PENDING = 83,
    #[text = "Path not found."]
    NMERR_PATH_NOT_FOUND = 84,
    #[text = "Underlying OS call failed."]
    NMERR_WINDOWS_ERROR = 85,
    #[text = "Frame has no number."]
    NMERR_NO_FRAME_NUMBER = 86,
    #[text = "Frame is not associated with a capture."]
    NMERR_FRAME_HAS_NO_CAPTURE = 87,
    #[text = "Frame already associated with a capture."]
    NMERR_FRAME_ALREADY_HAS_CAPTURE = 88,
    #[text = "Network abstraction layer is not remote."]
    NMERR_NAL_IS_NOT_REMOTE = 89,
    #[text = "Operation not supported."]
    NMERR_NOT_SUPPORTED = 90,
    #[text = "Frame should be discarded."]
    NMERR_DISCARD_FRAME = 91,
    #[text = "Saving the capture was cancelled."]
    NMERR_CANCEL_SAVE_CAPTURE = 92,
    #[text = "Connection (remote agent) lost."]
    NMERR_LOST_CONNECTION = 93,
    #[text = "Media type not valid."]
    NMERR_INVALID_MEDIA_TYPE = 94,
    #[text = "Remote agent already in use."]
    NMERR_AGENT_IN_USE = 95,
    #[text = "Request timed out."]
    NMERR_TIMEOUT = 96,
    #[text = "Disconnected."]
    NMERR_DISCONNECTED = 97,
    #[text = "Timer could not be created."]
    NMERR_SETTIMER_FAILED = 98,
    #[text = "Network error."]
    NMERR_NETWORK_ERROR = 99,
    #[text = "Frames callback not valid."]
    NMERR_INVALID_FRAMESPROC = 100,
    #[text = "Capture type unknown."]
    NMERR_UNKNOWN_CAPTURETYPE = 101,
    #[text = "NPP not connected to the network (Connect not called, or Disconnect called)."]
    NMERR_NOT_CONNECTED = 102,
    #[text = "This NPP object is already connected."]
    NMERR_ALREADY_CONNECTED = 103,
    #[text = "Registry configuration not valid."]
    NMERR_INVALID_REGISTRY_CONFIGURATION = 104,
    #[text = "NPP is connected through IDelaydC (use not documented)."]
    NMERR_DELAYED = 105,
    #[text = "NPP connected, but not through IDelaydC."]
    NMERR_NOT_DELAYED = 106,
    #[text = "NPP is connected through IRTC (use not documented)."]
    NMERR_REALTIME = 107,
    #[text = "NPP connected, but not through IRTC."]
    NMERR_NOT_REALTIME = 108,
    #[text = "NPP is connected through IStats (use not documented)."]
    NMERR_STATS_ONLY = 109,
    #[text = "NPP connected, but not through IStats."]
    NMERR_NOT_STATS_ONLY = 110,
    #[text = "NPP is connected for transmit (use not documented)."]
    NMERR_TRANSMIT = 111,
    #[text = "NPP connected, but not for transmit."]
    NMERR_NOT_TRANSMIT = 112,
    #[text = "A transmission is in progress."]
    NMERR_TRANSMITTING = 113,
    #[text = "Capture location is not a local fixed disk."]
    NMERR_DISK_NOT_LOCAL_FIXED = 114,
    #[text = "Capture directory could not be created."]
    NMERR_COULD_NOT_CREATE_DIRECTORY = 115,
    #[text = "No default capture directory is configured."]
    NMERR_NO_DEFAULT_CAPTURE_DIRECTORY = 116,
    #[text = "Capture file written by a newer version."]
    NMERR_UPLEVEL_CAPTURE_FILE = 117,
    #[text = "Expert DLL could not be loaded."]
    NMERR_LOAD_EXPERT_FAILED = 118,
    #[text = "Expert report failed."]
    NMERR_EXPERT_REPORT_FAILED = 119,
    #[text = "Registry operation failed."]
    NMERR_REG_OPERATION_FAILED = 120,
    #[text = "No DLLs found."]
    NMERR_NO_DLLS_FOUND = 121,
    #[text = "Conversation statistics are not being kept for this connection."]
    NMERR_NO_CONVERSATION_STATS = 122,
    #[text = "Capture deleted after a security breach."]
    NMERR_SECURITY_BREACH_CAPTURE_DELETED = 123,
    #[text = "Frame did not pass the filter."]
    NMERR_FRAME_FAILED_FILTER = 124,
    #[text = "Expert terminated."]
    NMERR_EXPERT_TERMINATE = 125,
    #[text = "Remote computer is not a server."]
    NMERR_REMOTE_NOT_A_SERVER = 126,
    #[text = "Remote version mismatch."]
    NMERR_REMOTE_VERSION_OUTOFSYNC = 127,
    #[text = "Expert group not valid."]
    NMERR_INVALID_EXPERT_GROUP = 128,
    #[text = "Expert name not valid."]
    NMERR_INVALID_EXPERT_NAME = 129,
    #[text = "Expert handle not valid."]
    NMERR_INVALID_EXPERT_HANDLE = 130,
    #[text = "Group name exists."]
    NMERR_GROUP_NAME_ALREADY_EXISTS = 131,
    #[text = "Group name not valid."]
    NMERR_INVALID_GROUP_NAME = 132,
    #[text = "Expert already in group."]
    NMERR_EXPERT_ALREADY_IN_GROUP = 133,
    #[text = "Expert not in group."]
    NMERR_EXPERT_NOT_IN_GROUP = 134,
    #[text = "Component not initialised."]
    NMERR_NOT_INITIALIZED = 135,
    #[text = "Group root not valid."]
    NMERR_INVALID_GROUP_ROOT = 136,
    #[text = "Version mismatch."]
    NMERR_BAD_VERSION = 137,
    #[text = "NPP is connected through IESP (use not documented)."]
    NMERR_ESP = 138,
    #[text = "NPP connected, but not through IESP::Connect."]
    NMERR_NOT_ESP = 139,
    #[text = "BLOB handle never initialised (CreateBlob not called)."]
    NMERR_BLOB_NOT_INITIALIZED = 1000,
    #[text = "Handle does not refer to a BLOB."]
    NMERR_INVALID_BLOB = 1001,
    #[text = "BLOB version is newer than supported (or otherwise wrong)."]
    NMERR_UPLEVEL_BLOB = 1002,
    #[text = "Entry already present / duplicate entry."]
    NMERR_BLOB_ENTRY_ALREADY_EXISTS = 1003,
    #[text = "Requested owner/category/tag entry absent; also end of GetStringsFromBlob enumeration."]
    NMERR_BLOB_ENTRY_DOES_NOT_EXIST = 1004,
    #[text = "Owner or category missing in a specifier."]
    NMERR_AMBIGUOUS_SPECIFIER = 1005,
    #[text = "Owner section not found."]
    NMERR_BLOB_OWNER_NOT_FOUND = 1006,
    #[text = "Category section not found."]
    NMERR_BLOB_CATEGORY_NOT_FOUND = 1007,
    #[text = "Category present but not understood by the NPP."]
    NMERR_UNKNOWN_CATEGORY = 1008,
    #[text = "Tag present but not understood by the NPP."]
    NMERR_UNKNOWN_TAG = 1009,
    #[text = "BLOB content cannot be converted (corrupt value)."]
    NMERR_BLOB_CONVERSION_ERROR = 1010,
    #[text = "Trigger entry is corrupt/invalid."]
    NMERR_ILLEGAL_TRIGGER = 1011,
    #[text = "A string is not NUL-terminated."]
    NMERR_BLOB_STRING_INVALID = 1012,
    #[text = "Finder: NPP library could not be loaded."]
    NMERR_UNABLE_TO_LOAD_LIBRARY = 1013,
    #[text = "Finder: entry point not found in NPP library."]
    NMERR_UNABLE_TO_GET_PROCADDR = 1014,
    #[text = "Finder: NPP COM class not registered."]
    NMERR_CLASS_NOT_REGISTERED = 1015,
    #[text = "Remote computer name not valid."]
    NMERR_INVALID_REMOTE_COMPUTERNAME = 1016,
    #[text = "Remote procedure call failed."]
    NMERR_RPC_REMOTE_FAILURE = 1017,
    #[text = "Finder: no NPPs registered."]
    NMERR_NO_NPPS = 3016,
    #[text = "Finder: NPP BLOBs found, none passed the filter BLOB."]
    NMERR_NO_MATCHING_NPPS = 3017,
    #[text = "User closed the selection UI without choosing a NIC."]
    NMERR_NO_NPP_SELECTED = 3018,
    #[text = "No input BLOBs supplied."]
    NMERR_NO_INPUT_BLOBS = 3019,
    #[text = "Finder: no DLLs in the NPP directory."]
    NMERR_NO_NPP_DLLS = 3020,
    #[text = "Finder: no valid NPP DLL in the NPP directory."]
    NMERR_NO_VALID_NPP_DLLS = 3021,
}

pub use NmErr::*;

/// Result type used inside the crate: `Err` carries the NMERR code to return.
pub type NmResult<T> = Result<T, NmErr>;

impl NmErr {
    /// The raw number as the C functions return it.
    pub const fn code(self) -> u32 {
        self as u32
    }

    /// The code for a raw number, if Network Monitor defines one.
    pub fn from_code(code: u32) -> Option<NmErr> {
        ALL.iter().copied().find(|e| e.code() == code)
    }

    /// The short description of this code, as `nmerr_text` returns it.
    pub fn text(self) -> &'static str {
        self.text_nul().trim_end_matches('\0')
    }
}

/// Every defined code, in numeric order (the enum's order).
pub const ALL: &[NmErr] = NmErr::ALL;

/// Text for a number that Network Monitor does not define.
pub(crate) const UNKNOWN_TEXT_NUL: &str = "Unknown NMERR code.\0";

/// `NMERR_TO_HRESULT`: 0 stays 0; anything else becomes a failure HRESULT of FACILITY_ITF
/// carrying the code in its low 16 bits.
pub const fn nmerr_to_hresult(code: u32) -> i32 {
    if code == 0 {
        0
    } else {
        (0x8004_0000u32 | (code & 0xFFFF)) as i32
    }
}

/// `HRESULT_TO_NMERR`: the low 16 bits of the HRESULT.
pub const fn hresult_to_nmerr(hr: i32) -> u32 {
    (hr as u32) & 0xFFFF
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_sorted() {
        for w in ALL.windows(2) {
            assert!(w[0].code() < w[1].code(), "{:?} before {:?}", w[0], w[1]);
        }
        assert_eq!(ALL.len(), 159);
    }

    /// ALL is made from the enum, so it lists every variant; this checks it lists each once, and
    /// that each name is the variant's own.
    #[test]
    fn the_list_is_complete() {
        let names: std::collections::BTreeSet<&str> = ALL.iter().map(|e| e.name()).collect();
        assert_eq!(names.len(), ALL.len(), "names are unique");
        for e in ALL {
            assert_eq!(e.name(), format!("{e:?}"));
            assert!(e.name().starts_with("NMERR_"));
        }
        assert_eq!((NMERR_SUCCESS.name(), NMERR_SUCCESS.text()), ("NMERR_SUCCESS", "Operation completed."));
        assert_eq!((NMERR_NO_VALID_NPP_DLLS.code(), NMERR_NO_VALID_NPP_DLLS.name()), (3021, "NMERR_NO_VALID_NPP_DLLS"));
    }

    #[test]
    fn every_code_has_text() {
        for e in ALL {
            let t = e.text();
            assert!(!t.is_empty() && !t.contains('\0'), "{e:?}");
            assert!(e.text_nul().ends_with('\0'));
            assert_eq!(NmErr::from_code(e.code()), Some(*e));
        }
        assert_eq!(NmErr::from_code(43), None);
    }

    #[test]
    fn hresult_round_trip() {
        assert_eq!(nmerr_to_hresult(0), 0);
        assert_eq!(nmerr_to_hresult(139) as u32, 0x8004_008B);
        assert_eq!(nmerr_to_hresult(1004) as u32, 0x8004_03EC);
        assert_eq!(nmerr_to_hresult(3018) as u32, 0x8004_0BCA);
        for e in ALL {
            assert_eq!(hresult_to_nmerr(nmerr_to_hresult(e.code())), e.code());
        }
    }
}
