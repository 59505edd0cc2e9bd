//! Owner, category and tag names and the keywords of filter/trigger values (SDK d.3).
//!
//! This list is the only one: C gets the same names as string `#define`s in
//! `include/netmon_names.h` (included by `netmon.h`), which `tests/header.rs` writes from [`ALL`]
//! (`NDISNPP_REGENERATE=1 cargo test --test header names_header`) and fails on when it is stale.
//! cbindgen cannot emit string constants, hence the generated file.
//! Tags marked "ndisnpp" are this library's own (README, "Linux configuration tags"); the rest are Netmon's.

/// One string constant of this module: its name, its value and its doc comment's lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StringName {
    /// The constant's name, the same in Rust and C (`TAG_MACTYPE`).
    pub name: &'static str,
    /// Its value (`"MacType"`).
    pub value: &'static str,
    /// The lines of its doc comment, each as rustc hands it over (with the leading space).
    pub doc: &'static [&'static str],
}

/// Declares each `pub const NAME: &str = "value";` with its doc comment, and [`ALL`], the list
/// of them in the order written.
macro_rules! string_names {
    ($($(#[doc = $doc:literal])* pub const $name:ident: &str = $value:literal;)*) => {
        $($(#[doc = $doc])* pub const $name: &str = $value;)*

        /// Every string constant of this module, in the order declared: the source of
        /// `include/netmon_names.h`.
        pub const ALL: &[StringName] = &[$(StringName { name: stringify!($name), value: $value, doc: &[$($doc),*] }),*];
    };
}

string_names! {
    pub const OWNER_NPP: &str = "NPP";
    pub const CATEGORY_NETWORKINFO: &str = "NetworkInfo";
    pub const TAG_MACTYPE: &str = "MacType";
    pub const TAG_CURRENTADDRESS: &str = "CurrentAddress";
    pub const TAG_LINKSPEED: &str = "LinkSpeed";
    pub const TAG_MAXFRAMESIZE: &str = "MaxFrameSize";
    pub const TAG_FLAGS: &str = "Flags";
    pub const TAG_TIMESTAMPSCALEFACTOR: &str = "TimeStampScaleFactor";
    pub const TAG_COMMENT: &str = "Comment";
    pub const TAG_NODENAME: &str = "NodeName";
    pub const TAG_NAME: &str = "Name";
    pub const TAG_FAKENPP: &str = "Fake";
    pub const TAG_PROMISCUOUS_MODE: &str = "PMode";
    pub const CATEGORY_LOCATION: &str = "Location";
    pub const TAG_RAS: &str = "Dial-up Connection";
    pub const TAG_MACADDRESS: &str = "MacAddress";
    pub const TAG_CLASSID: &str = "ClassID";
    pub const TAG_CONNECTIONNAME: &str = "Connection Name";
    pub const TAG_FRIENDLYNAME: &str = "Friendly Name";
    /// ndisnpp (not in Netmon): see README, "Linux configuration tags".
    pub const TAG_REPLAY_FILE: &str = "ReplayFile";
    pub const CATEGORY_CONFIG: &str = "Config";
    pub const TAG_FRAME_SIZE: &str = "FrameSize";
    pub const TAG_UPDATE_FREQUENCY: &str = "UpdateFreq";
    pub const TAG_BUFFER_SIZE: &str = "BufferSize";
    pub const TAG_DRIVE_LETTER: &str = "DriveLetter";
    pub const TAG_PATTERN_DESIGNATOR: &str = "PatternMatch";
    pub const TAG_PATTERN: &str = "Pattern";
    pub const TAG_ADDRESS_PAIR: &str = "AddressPair";
    pub const TAG_CONNECTIONFLAGS: &str = "ConnectionFlags";
    pub const TAG_ETYPES: &str = "Etypes";
    pub const TAG_SAPS: &str = "Saps";
    pub const TAG_NO_CONVERSATION_STATS: &str = "NoConversationStats";
    pub const TAG_NO_STATS_FRAME: &str = "NoStatsFrame";
    pub const TAG_DONT_DELETE_EMPTY_CAPTURE: &str = "DontDeleteEmptyCapture";
    pub const TAG_WANT_PROTOCOL_INFO: &str = "WantProtocolInfo";
    pub const TAG_INTERFACE_DELAYED_CAPTURE: &str = "IDdC";
    pub const TAG_INTERFACE_REALTIME_CAPTURE: &str = "IRTC";
    pub const TAG_INTERFACE_STATS: &str = "ISts";
    pub const TAG_INTERFACE_EXPERT_STATS: &str = "IESP";
    pub const TAG_INTERFACE_TRANSMIT: &str = "IXmt";
    pub const TAG_LOCAL_ONLY: &str = "LocalOnly";
    pub const TAG_IS_REMOTE: &str = "IsRemote";
    /// ndisnpp (not in Netmon): see README, "Linux configuration tags".
    pub const TAG_FILTER_FLAGS: &str = "FilterFlags";
    /// ndisnpp (not in Netmon): see README, "Linux configuration tags".
    pub const TAG_CAPTURE_DIRECTORY: &str = "CaptureDirectory";
    /// ndisnpp (not in Netmon): see README, "Linux configuration tags".
    pub const TAG_FILE_FORMAT: &str = "FileFormat";
    /// ndisnpp (not in Netmon): see README, "Linux configuration tags".
    pub const TAG_FRAME_LIMIT: &str = "FrameLimit";
    /// ndisnpp (not in Netmon): IRTC's update interval in milliseconds (wins over `UpdateFreq`).
    pub const TAG_UPDATE_INTERVAL: &str = "UpdateInterval";
    /// ndisnpp (not in Netmon): IRTC's FRAMETABLE length (frames per delivery).
    pub const TAG_FRAME_TABLE_LENGTH: &str = "FrameTableLength";
    /// ndisnpp (not in Netmon): see README, "Linux configuration tags".
    pub const TAG_REPLAY_PACE: &str = "ReplayPace";
    /// ndisnpp (not in Netmon): a pcap-filter(7) expression (tcpdump's filter language), compiled
    /// by libpcap for the NIC's link type at Connect and Configure; a frame is kept when it passes
    /// it and the Netmon filter parts. See README, "Linux configuration tags".
    pub const TAG_BPF_FILTER: &str = "BpfFilter";
    /// ndisnpp (not in Netmon): ring-buffer capture, a new file before the frame that would take
    /// the current one past this many bytes (README, "Rotation").
    pub const TAG_ROTATE_BYTES: &str = "RotateBytes";
    /// ndisnpp (not in Netmon): ring-buffer capture, a new file once the current one has been
    /// open this many seconds (README, "Rotation").
    pub const TAG_ROTATE_SECONDS: &str = "RotateSeconds";
    /// ndisnpp (not in Netmon): ring-buffer capture, keep at most this many files, the oldest
    /// deleted (0 = keep all; README, "Rotation").
    pub const TAG_ROTATE_FILES: &str = "RotateFiles";
    /// ndisnpp (not in Netmon): ring-buffer capture, the files' name before
    /// `_<sequence>_<start time>.<ext>` (README, "Rotation").
    pub const TAG_ROTATE_BASE_NAME: &str = "RotateBaseName";
    /// ndisnpp (not in Netmon): the capture file is written to this open descriptor (decimal, e.g.
    /// "1" for standard output: a pipe, socket or file) instead of a new file in the capture
    /// directory; pcap and pcapng only (Network Monitor 2 needs to seek). README, "Streams".
    pub const TAG_CAPTURE_FILE_DESCRIPTOR: &str = "CaptureFileDescriptor";
    /// ndisnpp (not in Netmon): a replay NIC ends the capture by itself at the end of its input,
    /// every frame written (BOOL; default FALSE: quiet until Stop, as a network). README, "Streams".
    pub const TAG_REPLAY_END_AT_EOF: &str = "ReplayEndAtEof";
    /// ndisnpp (not in Netmon): the `NPP:Location:ReplayFile` value that replays standard input
    /// (a pipe: pcap or pcapng, unpaced). README, "Streams".
    pub const REPLAY_STDIN_TXT: &str = "-";
    /// ndisnpp (not in Netmon): see README, "Linux configuration tags".
    pub const FILE_FORMAT_NETMON2_TXT: &str = "NETMON2";
    /// ndisnpp (not in Netmon): see README, "Linux configuration tags".
    pub const FILE_FORMAT_PCAP_TXT: &str = "PCAP";
    /// ndisnpp (not in Netmon): see README, "Linux configuration tags".
    pub const FILE_FORMAT_PCAPNG_TXT: &str = "PCAPNG";
    pub const CATEGORY_TRIGGER: &str = "Trigger";
    pub const TAG_TRIGGER: &str = "Trigger";
    pub const CATEGORY_FINDER: &str = "Finder";
    pub const TAG_ROOT: &str = "Root";
    pub const TAG_PROCNAME: &str = "ProcName";
    pub const TAG_DISP_STRING: &str = "Display";
    pub const TAG_DLL_FILENAME: &str = "DLLName";
    pub const TAG_GET_SPECIAL_BLOBS: &str = "Specials";
    pub const CATEGORY_REMOTE: &str = "Remote";
    pub const TAG_REMOTECOMPUTER: &str = "RemoteComputer";
    pub const TAG_REMOTECLASSID: &str = "ClassID";
    /// ndisnpp (not in Netmon): the remote capture program, a name on the remote PATH or an
    /// absolute path of `[A-Za-z0-9_./+-]` (default `nmcap`). See README, "Remote capture".
    pub const TAG_REMOTE_PROGRAM: &str = "Program";
    /// ndisnpp (not in Netmon): BOOL, run the remote program through `sudo -n --`.
    pub const TAG_REMOTE_SUDO: &str = "Sudo";
    /// ndisnpp (not in Netmon): seconds ssh may take to connect (1..300, default 10).
    pub const TAG_REMOTE_CONNECT_TIMEOUT: &str = "ConnectTimeout";
    /// ndisnpp (not in Netmon): seconds between ssh keep-alives (1..300, default 5).
    pub const TAG_REMOTE_ALIVE_INTERVAL: &str = "AliveInterval";
    /// ndisnpp (not in Netmon): `config` (default), `yes` or `accept-new`; there is no `no`.
    pub const TAG_REMOTE_HOST_KEY_CHECK: &str = "HostKeyCheck";
    /// ndisnpp (not in Netmon): BOOL (default TRUE), leave the ssh session's own traffic out.
    pub const TAG_REMOTE_EXCLUDE_OWN_SESSION: &str = "ExcludeOwnSession";
    pub const CATEGORY_ESP: &str = "ESP";
    pub const TAG_ESP_GENERAL_ACTIVE: &str = "ESPGeneralActive";
    pub const TAG_ESP_PROTOCOL_ACTIVE: &str = "ESPProtocolActive";
    pub const TAG_ESP_MAC_ACTIVE: &str = "ESPMacActive";
    pub const TAG_ESP_MAC2MAC_ACTIVE: &str = "ESPMac2MacActive";
    pub const TAG_ESP_IP_ACTIVE: &str = "ESPIpActive";
    pub const TAG_ESP_IP2IP_ACTIVE: &str = "ESPIp2IpActive";
    pub const TAG_ESP_IP_APP_ACTIVE: &str = "ESPIpAppActive";
    pub const TAG_ESP_IPX_ACTIVE: &str = "ESPIpxActive";
    pub const TAG_ESP_IPX2IPX_ACTIVE: &str = "ESPIpx2IpxActive";
    pub const TAG_ESP_IPX_APP_ACTIVE: &str = "ESPIpxAppActive";
    pub const TAG_ESP_DEC_ACTIVE: &str = "ESPDecActive";
    pub const TAG_ESP_DEC2DEC_ACTIVE: &str = "ESPDec2DecActive";
    pub const TAG_ESP_DEC_APP_ACTIVE: &str = "ESPDecAppActive";
    pub const TAG_ESP_APPLE_ACTIVE: &str = "ESPAppleActive";
    pub const TAG_ESP_APPLE2APPLE_ACTIVE: &str = "ESPApple2AppleActive";
    pub const TAG_ESP_APPLE_APP_ACTIVE: &str = "ESPAppleAppActive";
    pub const TAG_ESP_UTIL_SIZE: &str = "ESPUtilSize";
    pub const TAG_ESP_TIME_SIZE: &str = "ESPTimeSize";
    pub const TAG_ESP_BPS_SIZE: &str = "ESPBpsSize";
    pub const TAG_ESP_BPS_THRESH: &str = "ESPBpsThresh";
    pub const TAG_ESP_FPS_THRESH: &str = "ESPFpsThresh";
    pub const TAG_ESP_MAC: &str = "ESPMac";
    pub const TAG_ESP_IPX: &str = "ESPIpx";
    pub const TAG_ESP_IPXSPX: &str = "ESPIpxSpx";
    pub const TAG_ESP_NCP: &str = "ESPNcp";
    pub const TAG_ESP_IP: &str = "ESPIp";
    pub const TAG_ESP_UDP: &str = "ESPUdp";
    pub const TAG_ESP_TCP: &str = "ESPTcp";
    pub const TAG_ESP_ICMP: &str = "ESPIcmp";
    pub const TAG_ESP_ARP: &str = "ESPArp";
    pub const TAG_ESP_RARP: &str = "ESPRarp";
    pub const TAG_ESP_APPLE: &str = "ESPApple";
    pub const TAG_ESP_AARP: &str = "ESPAarp";
    pub const TAG_ESP_DEC: &str = "ESPDec";
    pub const TAG_ESP_NETBIOS: &str = "ESPNetbios";
    pub const TAG_ESP_SNA: &str = "ESPSna";
    pub const TAG_ESP_BPDU: &str = "ESPBpdu";
    pub const TAG_ESP_LLC: &str = "ESPLlc";
    pub const TAG_ESP_RPL: &str = "ESPRpl";
    pub const TAG_ESP_BANYAN: &str = "ESPBanyan";
    pub const TAG_ESP_LANMAN: &str = "ESPLanMan";
    pub const TAG_ESP_SNMP: &str = "ESPSnmp";
    pub const TAG_ESP_X25: &str = "ESPX25";
    pub const TAG_ESP_XNS: &str = "ESPXns";
    pub const TAG_ESP_ISO: &str = "ESPIso";
    pub const TAG_ESP_UNKNOWN: &str = "ESPUnknown";
    pub const TAG_ESP_ATP: &str = "ESPAtp";
    pub const TAG_ESP_ADSP: &str = "ESPAdsp";
    pub const PROTOCOL_STRING_ETHERNET_TXT: &str = "ETHERNET";
    pub const PROTOCOL_STRING_TOKENRING_TXT: &str = "TOKENRING";
    pub const PROTOCOL_STRING_FDDI_TXT: &str = "FDDI";
    pub const PROTOCOL_STRING_ATM_TXT: &str = "ATM";
    pub const PROTOCOL_STRING_1394_TXT: &str = "IP/1394";
    pub const PROTOCOL_STRING_IP_TXT: &str = "IP";
    pub const PROTOCOL_STRING_IP6_TXT: &str = "IP6";
    pub const PROTOCOL_STRING_IPX_TXT: &str = "IPX";
    pub const PROTOCOL_STRING_XNS_TXT: &str = "XNS";
    pub const PROTOCOL_STRING_VINES_IP_TXT: &str = "VINES IP";
    pub const PROTOCOL_STRING_ICMP_TXT: &str = "ICMP";
    pub const PROTOCOL_STRING_TCP_TXT: &str = "TCP";
    pub const PROTOCOL_STRING_UDP_TXT: &str = "UDP";
    pub const PROTOCOL_STRING_SPX_TXT: &str = "SPX";
    pub const PROTOCOL_STRING_NCP_TXT: &str = "NCP";
    pub const PROTOCOL_STRING_ANY_TXT: &str = "ANY";
    pub const PROTOCOL_STRING_ANY_GROUP_TXT: &str = "ANY GROUP";
    pub const PROTOCOL_STRING_HIGHEST_TXT: &str = "HIGHEST";
    pub const PROTOCOL_STRING_LOCAL_ONLY_TXT: &str = "LOCAL ONLY";
    pub const PROTOCOL_STRING_UNKNOWN_TXT: &str = "UNKNOWN";
    pub const PROTOCOL_STRING_DATA_TXT: &str = "DATA";
    pub const PROTOCOL_STRING_FRAME_TXT: &str = "FRAME";
    pub const PROTOCOL_STRING_NONE_TXT: &str = "NONE";
    pub const PROTOCOL_STRING_EFFECTIVE_TXT: &str = "EFFECTIVE";
    pub const ADDRESS_PAIR_INCLUDE_TXT: &str = "INCLUDE";
    pub const ADDRESS_PAIR_EXCLUDE_TXT: &str = "EXCLUDE";
    pub const INCLUDE_ALL_EXCEPT_TXT: &str = "INCLUDE ALL EXCEPT";
    pub const EXCLUDE_ALL_EXCEPT_TXT: &str = "EXCLUDE ALL EXCEPT";
    pub const PATTERN_MATCH_OR_TXT: &str = "OR(";
    pub const PATTERN_MATCH_AND_TXT: &str = "AND(";
    pub const PATTERN_MATCH_NOT_TXT: &str = "NOT";
    pub const TRIGGER_PATTERN_TXT: &str = "PATTERN MATCH";
    pub const TRIGGER_BUFFER_TXT: &str = "BUFFER CONTENT";
    pub const TRIGGER_NOTIFY_TXT: &str = "NOTIFY";
    pub const TRIGGER_STOP_TXT: &str = "STOP";
    pub const TRIGGER_PAUSE_TXT: &str = "PAUSE";
    pub const TRIGGER_25_PERCENT_TXT: &str = "25 PERCENT";
    pub const TRIGGER_50_PERCENT_TXT: &str = "50 PERCENT";
    pub const TRIGGER_75_PERCENT_TXT: &str = "75 PERCENT";
    pub const TRIGGER_100_PERCENT_TXT: &str = "100 PERCENT";
    /// ndisnpp: the class ID written to `NPP:Location:ClassID` of every NIC BLOB this library finds.
    pub const NDISNPP_CLASSID_TXT: &str = "{8C3B7A52-1D64-4E0F-A9B2-6F1C0D3E5A47}";
    /// ndisnpp (not in Netmon): QueryStations waits this many milliseconds for answers (DWORD,
    /// default 1000, at most 10000).
    pub const TAG_QUERY_TIMEOUT: &str = "QueryTimeout";
    /// ndisnpp (not in Netmon): a running capture answers other stations' QueryStations (BOOL,
    /// default TRUE).
    pub const TAG_ANSWER_STATION_QUERIES: &str = "AnswerStationQueries";
}
