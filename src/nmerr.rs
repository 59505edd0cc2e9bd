//! NMERR: the error numbers of Network Monitor 2, as one enum the whole crate speaks.
//!
//! Every value and name comes from the Network Monitor headers (SDK g). The C
//! functions return the raw number as `uint32_t`; `NMERR_SUCCESS` is 0.
//!
//! The `nmerr_codes!` list below is the one list of codes: each name, number and text is written
//! there once, and the enum, `ALL`, `name()` and the texts are made from it.

/// Makes the enum, `NmErr::ALL`, `name()` and the texts from one list of `NAME = number => "text",`.
/// cbindgen reads the expanded crate (cbindgen.toml `[parse.expand]`), so the header's `enum NmErr`
/// comes from the same list.
macro_rules! nmerr_codes {
    ($($name:ident = $value:literal => $text:literal,)*) => {
        /// Every NMERR code of Network Monitor 2 (numbers 43-45, 52 and 68 are unassigned).
        #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
        #[repr(u32)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum NmErr {
            $($name = $value,)*
        }

        impl NmErr {
            /// Every code, in the list's (numeric) order.
            pub const ALL: &'static [NmErr] = &[$(NmErr::$name,)*];

            /// The code's name, as the header spells it.
            pub const fn name(self) -> &'static str {
                match self {
                    $(NmErr::$name => stringify!($name),)*
                }
            }

            /// The code's name with a terminating NUL (what `nmerr_name` returns).
            pub(crate) const fn name_nul(self) -> &'static str {
                match self {
                    $(NmErr::$name => concat!(stringify!($name), "\0"),)*
                }
            }

            /// The code's description with a terminating NUL (what `nmerr_text` returns).
            pub(crate) const fn text_nul(self) -> &'static str {
                match self {
                    $(NmErr::$name => concat!($text, "\0"),)*
                }
            }
        }
    };
}

nmerr_codes! {
    NMERR_SUCCESS = 0 => "Operation completed.",
    NMERR_MEMORY_MAPPED_FILE_ERROR = 1 => "Failure in a memory-mapped file operation.",
    NMERR_INVALID_HFILTER = 2 => "Filter handle is not valid.",
    NMERR_CAPTURING = 3 => "Operation refused because a capture is in progress (running or, by inference, paused).",
    NMERR_NOT_CAPTURING = 4 => "Operation requires a started capture and none is running.",
    NMERR_NO_MORE_FRAMES = 5 => "Frame enumeration reached the end.",
    NMERR_BUFFER_TOO_SMALL = 6 => "Caller-supplied buffer is too small.",
    NMERR_FRAME_NOT_RECOGNIZED = 7 => "A parser did not recognise the frame.",
    NMERR_FILE_ALREADY_EXISTS = 8 => "Target file exists already.",
    NMERR_DRIVER_NOT_FOUND = 9 => "Capture driver not present.",
    NMERR_ADDRESS_ALREADY_EXISTS = 10 => "Address already in the address database.",
    NMERR_INVALID_HFRAME = 11 => "Frame handle is not valid.",
    NMERR_INVALID_HPROTOCOL = 12 => "Protocol handle is not valid.",
    NMERR_INVALID_HPROPERTY = 13 => "Property handle is not valid.",
    NMERR_LOCKED = 14 => "Object is locked.",
    NMERR_STACK_EMPTY = 15 => "Filter evaluation stack empty.",
    NMERR_STACK_OVERFLOW = 16 => "Filter evaluation stack overflow.",
    NMERR_TOO_MANY_PROTOCOLS = 17 => "Protocol limit exceeded.",
    NMERR_FILE_NOT_FOUND = 18 => "File does not exist.",
    NMERR_OUT_OF_MEMORY = 19 => "Memory allocation failed.",
    NMERR_CAPTURE_PAUSED = 20 => "Capture is paused (already paused, or must be stopped before restarting).",
    NMERR_NO_BUFFERS = 21 => "No capture buffers available.",
    NMERR_BUFFERS_ALREADY_EXIST = 22 => "Capture buffers already allocated.",
    NMERR_NOT_LOCKED = 23 => "Object is not locked.",
    NMERR_OUT_OF_RANGE = 24 => "Value outside the permitted range.",
    NMERR_LOCK_NESTING_TOO_DEEP = 25 => "Lock nesting limit exceeded.",
    NMERR_LOAD_PARSER_FAILED = 26 => "Parser DLL could not be loaded.",
    NMERR_UNLOAD_PARSER_FAILED = 27 => "Parser DLL could not be unloaded.",
    NMERR_INVALID_HADDRESSDB = 28 => "Address database handle is not valid.",
    NMERR_ADDRESS_NOT_FOUND = 29 => "Address not in the address database.",
    NMERR_NETWORK_NOT_PRESENT = 30 => "The requested network/adapter is not present.",
    NMERR_NO_PROPERTY_DATABASE = 31 => "Protocol has no property database.",
    NMERR_PROPERTY_NOT_FOUND = 32 => "Property not found.",
    NMERR_INVALID_HPROPERTYDB = 33 => "Property database handle is not valid.",
    NMERR_PROTOCOL_NOT_ENABLED = 34 => "Protocol not enabled.",
    NMERR_PROTOCOL_NOT_FOUND = 35 => "Protocol not found.",
    NMERR_INVALID_PARSER_DLL = 36 => "DLL is not a valid parser.",
    NMERR_NO_ATTACHED_PROPERTIES = 37 => "Frame has no attached properties.",
    NMERR_NO_FRAMES = 38 => "Capture contains no frames.",
    NMERR_INVALID_FILE_FORMAT = 39 => "File is not in a recognised capture format.",
    NMERR_COULD_NOT_CREATE_TEMPFILE = 40 => "Temporary file could not be created.",
    NMERR_OUT_OF_DOS_MEMORY = 41 => "Legacy: MS-DOS memory exhausted.",
    NMERR_NO_PROTOCOLS_ENABLED = 42 => "No protocols enabled.",
    NMERR_UNKNOWN_MACTYPE = 46 => "Media (MAC) type not supported.",
    NMERR_ROUTING_INFO_NOT_PRESENT = 47 => "Token Ring routing information absent.",
    NMERR_INVALID_HNETWORK = 48 => "Network handle is not valid.",
    NMERR_NETWORK_ALREADY_OPENED = 49 => "Network already opened.",
    NMERR_NETWORK_NOT_OPENED = 50 => "Network not opened.",
    NMERR_FRAME_NOT_FOUND = 51 => "Frame not found.",
    NMERR_NO_HANDLES = 53 => "No handles available.",
    NMERR_INVALID_NETWORK_ID = 54 => "Network identifier is not valid.",
    NMERR_INVALID_HCAPTURE = 55 => "Capture handle is not valid.",
    NMERR_PROTOCOL_ALREADY_ENABLED = 56 => "Protocol already enabled.",
    NMERR_FILTER_INVALID_EXPRESSION = 57 => "Filter expression is malformed.",
    NMERR_TRANSMIT_ERROR = 58 => "Frame transmission failed.",
    NMERR_INVALID_HBUFFER = 59 => "Buffer handle is not valid.",
    NMERR_INVALID_DATA = 60 => "Data is not valid.",
    NMERR_MSDOS_DRIVER_NOT_LOADED = 61 => "Legacy: MS-DOS driver not loaded.",
    NMERR_WINDOWS_DRIVER_NOT_LOADED = 62 => "Capture driver not loaded.",
    NMERR_MSDOS_DRIVER_INIT_FAILURE = 63 => "Legacy: MS-DOS driver initialisation failed.",
    NMERR_WINDOWS_DRIVER_INIT_FAILURE = 64 => "Capture driver initialisation failed.",
    NMERR_NETWORK_BUSY = 65 => "Network/adapter is busy (in use).",
    NMERR_CAPTURE_NOT_PAUSED = 66 => "Resume requested but the capture is not paused.",
    NMERR_INVALID_PACKET_LENGTH = 67 => "Packet length not valid.",
    NMERR_INTERNAL_EXCEPTION = 69 => "Internal exception caught.",
    NMERR_PROMISCUOUS_MODE_NOT_SUPPORTED = 70 => "Adapter cannot enter promiscuous mode.",
    NMERR_MAC_DRIVER_OPEN_FAILURE = 71 => "Adapter driver could not be opened.",
    NMERR_RUNAWAY_PROTOCOL = 72 => "Parser recursion/loop detected.",
    NMERR_PENDING = 73 => "Operation pending.",
    NMERR_ACCESS_DENIED = 74 => "Access denied.",
    NMERR_INVALID_HPASSWORD = 75 => "Password handle is not valid.",
    NMERR_INVALID_PARAMETER = 76 => "A parameter (typically a pointer) is not valid.",
    NMERR_FILE_READ_ERROR = 77 => "File read failed.",
    NMERR_FILE_WRITE_ERROR = 78 => "File write failed.",
    NMERR_PROTOCOL_NOT_REGISTERED = 79 => "Protocol not registered.",
    NMERR_IP_ADDRESS_NOT_FOUND = 80 => "IP address not found.",
    NMERR_TRANSMIT_CANCELLED = 81 => "Transmission cancelled.",
    NMERR_LOCKED_FRAMES = 82 => "Frames are locked.",
    NMERR_NO_TRANSMITS_PENDING = 83 => "No transmissions pending.",
    NMERR_PATH_NOT_FOUND = 84 => "Path not found.",
    NMERR_WINDOWS_ERROR = 85 => "Underlying OS call failed.",
    NMERR_NO_FRAME_NUMBER = 86 => "Frame has no number.",
    NMERR_FRAME_HAS_NO_CAPTURE = 87 => "Frame is not associated with a capture.",
    NMERR_FRAME_ALREADY_HAS_CAPTURE = 88 => "Frame already associated with a capture.",
    NMERR_NAL_IS_NOT_REMOTE = 89 => "Network abstraction layer is not remote.",
    NMERR_NOT_SUPPORTED = 90 => "Operation not supported.",
    NMERR_DISCARD_FRAME = 91 => "Frame should be discarded.",
    NMERR_CANCEL_SAVE_CAPTURE = 92 => "Saving the capture was cancelled.",
    NMERR_LOST_CONNECTION = 93 => "Connection (remote agent) lost.",
    NMERR_INVALID_MEDIA_TYPE = 94 => "Media type not valid.",
    NMERR_AGENT_IN_USE = 95 => "Remote agent already in use.",
    NMERR_TIMEOUT = 96 => "Request timed out.",
    NMERR_DISCONNECTED = 97 => "Disconnected.",
    NMERR_SETTIMER_FAILED = 98 => "Timer could not be created.",
    NMERR_NETWORK_ERROR = 99 => "Network error.",
    NMERR_INVALID_FRAMESPROC = 100 => "Frames callback not valid.",
    NMERR_UNKNOWN_CAPTURETYPE = 101 => "Capture type unknown.",
    NMERR_NOT_CONNECTED = 102 => "NPP not connected to the network (Connect not called, or Disconnect called).",
    NMERR_ALREADY_CONNECTED = 103 => "This NPP object is already connected.",
    NMERR_INVALID_REGISTRY_CONFIGURATION = 104 => "Registry configuration not valid.",
    NMERR_DELAYED = 105 => "NPP is connected through IDelaydC (use not documented).",
    NMERR_NOT_DELAYED = 106 => "NPP connected, but not through IDelaydC.",
    NMERR_REALTIME = 107 => "NPP is connected through IRTC (use not documented).",
    NMERR_NOT_REALTIME = 108 => "NPP connected, but not through IRTC.",
    NMERR_STATS_ONLY = 109 => "NPP is connected through IStats (use not documented).",
    NMERR_NOT_STATS_ONLY = 110 => "NPP connected, but not through IStats.",
    NMERR_TRANSMIT = 111 => "NPP is connected for transmit (use not documented).",
    NMERR_NOT_TRANSMIT = 112 => "NPP connected, but not for transmit.",
    NMERR_TRANSMITTING = 113 => "A transmission is in progress.",
    NMERR_DISK_NOT_LOCAL_FIXED = 114 => "Capture location is not a local fixed disk.",
    NMERR_COULD_NOT_CREATE_DIRECTORY = 115 => "Capture directory could not be created.",
    NMERR_NO_DEFAULT_CAPTURE_DIRECTORY = 116 => "No default capture directory is configured.",
    NMERR_UPLEVEL_CAPTURE_FILE = 117 => "Capture file written by a newer version.",
    NMERR_LOAD_EXPERT_FAILED = 118 => "Expert DLL could not be loaded.",
    NMERR_EXPERT_REPORT_FAILED = 119 => "Expert report failed.",
    NMERR_REG_OPERATION_FAILED = 120 => "Registry operation failed.",
    NMERR_NO_DLLS_FOUND = 121 => "No DLLs found.",
    NMERR_NO_CONVERSATION_STATS = 122 => "Conversation statistics are not being kept for this connection.",
    NMERR_SECURITY_BREACH_CAPTURE_DELETED = 123 => "Capture deleted after a security breach.",
    NMERR_FRAME_FAILED_FILTER = 124 => "Frame did not pass the filter.",
    NMERR_EXPERT_TERMINATE = 125 => "Expert terminated.",
    NMERR_REMOTE_NOT_A_SERVER = 126 => "Remote computer is not a server.",
    NMERR_REMOTE_VERSION_OUTOFSYNC = 127 => "Remote version mismatch.",
    NMERR_INVALID_EXPERT_GROUP = 128 => "Expert group not valid.",
    NMERR_INVALID_EXPERT_NAME = 129 => "Expert name not valid.",
    NMERR_INVALID_EXPERT_HANDLE = 130 => "Expert handle not valid.",
    NMERR_GROUP_NAME_ALREADY_EXISTS = 131 => "Group name exists.",
    NMERR_INVALID_GROUP_NAME = 132 => "Group name not valid.",
    NMERR_EXPERT_ALREADY_IN_GROUP = 133 => "Expert already in group.",
    NMERR_EXPERT_NOT_IN_GROUP = 134 => "Expert not in group.",
    NMERR_NOT_INITIALIZED = 135 => "Component not initialised.",
    NMERR_INVALID_GROUP_ROOT = 136 => "Group root not valid.",
    NMERR_BAD_VERSION = 137 => "Version mismatch.",
    NMERR_ESP = 138 => "NPP is connected through IESP (use not documented).",
    NMERR_NOT_ESP = 139 => "NPP connected, but not through IESP::Connect.",
    NMERR_BLOB_NOT_INITIALIZED = 1000 => "BLOB handle never initialised (CreateBlob not called).",
    NMERR_INVALID_BLOB = 1001 => "Handle does not refer to a BLOB.",
    NMERR_UPLEVEL_BLOB = 1002 => "BLOB version is newer than supported (or otherwise wrong).",
    NMERR_BLOB_ENTRY_ALREADY_EXISTS = 1003 => "Entry already present / duplicate entry.",
    NMERR_BLOB_ENTRY_DOES_NOT_EXIST = 1004 => "Requested owner/category/tag entry absent; also end of GetStringsFromBlob enumeration.",
    NMERR_AMBIGUOUS_SPECIFIER = 1005 => "Owner or category missing in a specifier.",
    NMERR_BLOB_OWNER_NOT_FOUND = 1006 => "Owner section not found.",
    NMERR_BLOB_CATEGORY_NOT_FOUND = 1007 => "Category section not found.",
    NMERR_UNKNOWN_CATEGORY = 1008 => "Category present but not understood by the NPP.",
    NMERR_UNKNOWN_TAG = 1009 => "Tag present but not understood by the NPP.",
    NMERR_BLOB_CONVERSION_ERROR = 1010 => "BLOB content cannot be converted (corrupt value).",
    NMERR_ILLEGAL_TRIGGER = 1011 => "Trigger entry is corrupt/invalid.",
    NMERR_BLOB_STRING_INVALID = 1012 => "A string is not NUL-terminated.",
    NMERR_UNABLE_TO_LOAD_LIBRARY = 1013 => "Finder: NPP library could not be loaded.",
    NMERR_UNABLE_TO_GET_PROCADDR = 1014 => "Finder: entry point not found in NPP library.",
    NMERR_CLASS_NOT_REGISTERED = 1015 => "Finder: NPP COM class not registered.",
    NMERR_INVALID_REMOTE_COMPUTERNAME = 1016 => "Remote computer name not valid.",
    NMERR_RPC_REMOTE_FAILURE = 1017 => "Remote procedure call failed.",
    NMERR_NO_NPPS = 3016 => "Finder: no NPPs registered.",
    NMERR_NO_MATCHING_NPPS = 3017 => "Finder: NPP BLOBs found, none passed the filter BLOB.",
    NMERR_NO_NPP_SELECTED = 3018 => "User closed the selection UI without choosing a NIC.",
    NMERR_NO_INPUT_BLOBS = 3019 => "No input BLOBs supplied.",
    NMERR_NO_NPP_DLLS = 3020 => "Finder: no DLLs in the NPP directory.",
    NMERR_NO_VALID_NPP_DLLS = 3021 => "Finder: no valid NPP DLL in the NPP directory.",
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
/// What `nmerr_name` answers for a number that is no NMERR code.
pub(crate) const UNKNOWN_NAME_NUL: &str = "unknown NMERR code\0";

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
