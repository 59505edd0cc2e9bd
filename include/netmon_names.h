/*
 * netmon_names.h: ndisnpp's BLOB owner, category and tag names and the keywords of filter and
 * trigger values, as string constants (Network Monitor's names; "ndisnpp" marks this library's
 * own). Included by netmon.h: include netmon.h, not this file.
 * Generated from src/blob/names.rs by tests/header.rs; do not edit by hand. Regenerate with
 *   NDISNPP_REGENERATE=1 cargo test --test header
 */
#ifndef NDISNPP_NETMON_NAMES_H
#define NDISNPP_NETMON_NAMES_H

#define OWNER_NPP "NPP"
#define CATEGORY_NETWORKINFO "NetworkInfo"
#define TAG_MACTYPE "MacType"
#define TAG_CURRENTADDRESS "CurrentAddress"
#define TAG_LINKSPEED "LinkSpeed"
#define TAG_MAXFRAMESIZE "MaxFrameSize"
#define TAG_FLAGS "Flags"
#define TAG_TIMESTAMPSCALEFACTOR "TimeStampScaleFactor"
#define TAG_COMMENT "Comment"
#define TAG_NODENAME "NodeName"
#define TAG_NAME "Name"
#define TAG_FAKENPP "Fake"
#define TAG_PROMISCUOUS_MODE "PMode"
#define CATEGORY_LOCATION "Location"
#define TAG_RAS "Dial-up Connection"
#define TAG_MACADDRESS "MacAddress"
#define TAG_CLASSID "ClassID"
#define TAG_CONNECTIONNAME "Connection Name"
#define TAG_FRIENDLYNAME "Friendly Name"
/* ndisnpp (not in Netmon): see README, "Linux configuration tags". */
#define TAG_REPLAY_FILE "ReplayFile"
#define CATEGORY_CONFIG "Config"
#define TAG_FRAME_SIZE "FrameSize"
#define TAG_UPDATE_FREQUENCY "UpdateFreq"
#define TAG_BUFFER_SIZE "BufferSize"
#define TAG_DRIVE_LETTER "DriveLetter"
#define TAG_PATTERN_DESIGNATOR "PatternMatch"
#define TAG_PATTERN "Pattern"
#define TAG_ADDRESS_PAIR "AddressPair"
#define TAG_CONNECTIONFLAGS "ConnectionFlags"
#define TAG_ETYPES "Etypes"
#define TAG_SAPS "Saps"
#define TAG_NO_CONVERSATION_STATS "NoConversationStats"
#define TAG_NO_STATS_FRAME "NoStatsFrame"
#define TAG_DONT_DELETE_EMPTY_CAPTURE "DontDeleteEmptyCapture"
#define TAG_WANT_PROTOCOL_INFO "WantProtocolInfo"
#define TAG_INTERFACE_DELAYED_CAPTURE "IDdC"
#define TAG_INTERFACE_REALTIME_CAPTURE "IRTC"
#define TAG_INTERFACE_STATS "ISts"
#define TAG_INTERFACE_EXPERT_STATS "IESP"
#define TAG_INTERFACE_TRANSMIT "IXmt"
#define TAG_LOCAL_ONLY "LocalOnly"
#define TAG_IS_REMOTE "IsRemote"
/* ndisnpp (not in Netmon): see README, "Linux configuration tags". */
#define TAG_FILTER_FLAGS "FilterFlags"
/* ndisnpp (not in Netmon): see README, "Linux configuration tags". */
#define TAG_CAPTURE_DIRECTORY "CaptureDirectory"
/* ndisnpp (not in Netmon): see README, "Linux configuration tags". */
#define TAG_FILE_FORMAT "FileFormat"
/* ndisnpp (not in Netmon): see README, "Linux configuration tags". */
#define TAG_FRAME_LIMIT "FrameLimit"
/* ndisnpp (not in Netmon): IRTC's update interval in milliseconds (wins over `UpdateFreq`). */
#define TAG_UPDATE_INTERVAL "UpdateInterval"
/* ndisnpp (not in Netmon): IRTC's FRAMETABLE length (frames per delivery). */
#define TAG_FRAME_TABLE_LENGTH "FrameTableLength"
/* ndisnpp (not in Netmon): see README, "Linux configuration tags". */
#define TAG_REPLAY_PACE "ReplayPace"
/* ndisnpp (not in Netmon): a pcap-filter(7) expression (tcpdump's filter language), compiled
 * by libpcap for the NIC's link type at Connect and Configure; a frame is kept when it passes
 * it and the Netmon filter parts. See README, "Linux configuration tags".
 */
#define TAG_BPF_FILTER "BpfFilter"
/* ndisnpp (not in Netmon): ring-buffer capture, a new file before the frame that would take
 * the current one past this many bytes (README, "Rotation").
 */
#define TAG_ROTATE_BYTES "RotateBytes"
/* ndisnpp (not in Netmon): ring-buffer capture, a new file once the current one has been
 * open this many seconds (README, "Rotation").
 */
#define TAG_ROTATE_SECONDS "RotateSeconds"
/* ndisnpp (not in Netmon): ring-buffer capture, keep at most this many files, the oldest
 * deleted (0 = keep all; README, "Rotation").
 */
#define TAG_ROTATE_FILES "RotateFiles"
/* ndisnpp (not in Netmon): ring-buffer capture, the files' name before
 * `_<sequence>_<start time>.<ext>` (README, "Rotation").
 */
#define TAG_ROTATE_BASE_NAME "RotateBaseName"
/* ndisnpp (not in Netmon): the capture file is written to this open descriptor (decimal, e.g.
 * "1" for standard output: a pipe, socket or file) instead of a new file in the capture
 * directory; pcap and pcapng only (Network Monitor 2 needs to seek). README, "Streams".
 */
#define TAG_CAPTURE_FILE_DESCRIPTOR "CaptureFileDescriptor"
/* ndisnpp (not in Netmon): a replay NIC ends the capture by itself at the end of its input,
 * every frame written (BOOL; default FALSE: quiet until Stop, as a network). README, "Streams".
 */
#define TAG_REPLAY_END_AT_EOF "ReplayEndAtEof"
/* ndisnpp (not in Netmon): the `NPP:Location:ReplayFile` value that replays standard input
 * (a pipe: pcap or pcapng, unpaced). README, "Streams".
 */
#define REPLAY_STDIN_TXT "-"
/* ndisnpp (not in Netmon): see README, "Linux configuration tags". */
#define FILE_FORMAT_NETMON2_TXT "NETMON2"
/* ndisnpp (not in Netmon): see README, "Linux configuration tags". */
#define FILE_FORMAT_PCAP_TXT "PCAP"
/* ndisnpp (not in Netmon): see README, "Linux configuration tags". */
#define FILE_FORMAT_PCAPNG_TXT "PCAPNG"
#define CATEGORY_TRIGGER "Trigger"
#define TAG_TRIGGER "Trigger"
#define CATEGORY_FINDER "Finder"
#define TAG_ROOT "Root"
#define TAG_PROCNAME "ProcName"
#define TAG_DISP_STRING "Display"
#define TAG_DLL_FILENAME "DLLName"
#define TAG_GET_SPECIAL_BLOBS "Specials"
#define CATEGORY_REMOTE "Remote"
#define TAG_REMOTECOMPUTER "RemoteComputer"
#define TAG_REMOTECLASSID "ClassID"
/* ndisnpp (not in Netmon): the remote capture program, a name on the remote PATH or an
 * absolute path of `[A-Za-z0-9_./+-]` (default `nmcap`). See README, "Remote capture".
 */
#define TAG_REMOTE_PROGRAM "Program"
/* ndisnpp (not in Netmon): BOOL, run the remote program through `sudo -n --`. */
#define TAG_REMOTE_SUDO "Sudo"
/* ndisnpp (not in Netmon): seconds ssh may take to connect (1..300, default 10). */
#define TAG_REMOTE_CONNECT_TIMEOUT "ConnectTimeout"
/* ndisnpp (not in Netmon): seconds between ssh keep-alives (1..300, default 5). */
#define TAG_REMOTE_ALIVE_INTERVAL "AliveInterval"
/* ndisnpp (not in Netmon): `config` (default), `yes` or `accept-new`; there is no `no`. */
#define TAG_REMOTE_HOST_KEY_CHECK "HostKeyCheck"
/* ndisnpp (not in Netmon): BOOL (default TRUE), leave the ssh session's own traffic out. */
#define TAG_REMOTE_EXCLUDE_OWN_SESSION "ExcludeOwnSession"
#define CATEGORY_ESP "ESP"
#define TAG_ESP_GENERAL_ACTIVE "ESPGeneralActive"
#define TAG_ESP_PROTOCOL_ACTIVE "ESPProtocolActive"
#define TAG_ESP_MAC_ACTIVE "ESPMacActive"
#define TAG_ESP_MAC2MAC_ACTIVE "ESPMac2MacActive"
#define TAG_ESP_IP_ACTIVE "ESPIpActive"
#define TAG_ESP_IP2IP_ACTIVE "ESPIp2IpActive"
#define TAG_ESP_IP_APP_ACTIVE "ESPIpAppActive"
#define TAG_ESP_IPX_ACTIVE "ESPIpxActive"
#define TAG_ESP_IPX2IPX_ACTIVE "ESPIpx2IpxActive"
#define TAG_ESP_IPX_APP_ACTIVE "ESPIpxAppActive"
#define TAG_ESP_DEC_ACTIVE "ESPDecActive"
#define TAG_ESP_DEC2DEC_ACTIVE "ESPDec2DecActive"
#define TAG_ESP_DEC_APP_ACTIVE "ESPDecAppActive"
#define TAG_ESP_APPLE_ACTIVE "ESPAppleActive"
#define TAG_ESP_APPLE2APPLE_ACTIVE "ESPApple2AppleActive"
#define TAG_ESP_APPLE_APP_ACTIVE "ESPAppleAppActive"
#define TAG_ESP_UTIL_SIZE "ESPUtilSize"
#define TAG_ESP_TIME_SIZE "ESPTimeSize"
#define TAG_ESP_BPS_SIZE "ESPBpsSize"
#define TAG_ESP_BPS_THRESH "ESPBpsThresh"
#define TAG_ESP_FPS_THRESH "ESPFpsThresh"
#define TAG_ESP_MAC "ESPMac"
#define TAG_ESP_IPX "ESPIpx"
#define TAG_ESP_IPXSPX "ESPIpxSpx"
#define TAG_ESP_NCP "ESPNcp"
#define TAG_ESP_IP "ESPIp"
#define TAG_ESP_UDP "ESPUdp"
#define TAG_ESP_TCP "ESPTcp"
#define TAG_ESP_ICMP "ESPIcmp"
#define TAG_ESP_ARP "ESPArp"
#define TAG_ESP_RARP "ESPRarp"
#define TAG_ESP_APPLE "ESPApple"
#define TAG_ESP_AARP "ESPAarp"
#define TAG_ESP_DEC "ESPDec"
#define TAG_ESP_NETBIOS "ESPNetbios"
#define TAG_ESP_SNA "ESPSna"
#define TAG_ESP_BPDU "ESPBpdu"
#define TAG_ESP_LLC "ESPLlc"
#define TAG_ESP_RPL "ESPRpl"
#define TAG_ESP_BANYAN "ESPBanyan"
#define TAG_ESP_LANMAN "ESPLanMan"
#define TAG_ESP_SNMP "ESPSnmp"
#define TAG_ESP_X25 "ESPX25"
#define TAG_ESP_XNS "ESPXns"
#define TAG_ESP_ISO "ESPIso"
#define TAG_ESP_UNKNOWN "ESPUnknown"
#define TAG_ESP_ATP "ESPAtp"
#define TAG_ESP_ADSP "ESPAdsp"
#define PROTOCOL_STRING_ETHERNET_TXT "ETHERNET"
#define PROTOCOL_STRING_TOKENRING_TXT "TOKENRING"
#define PROTOCOL_STRING_FDDI_TXT "FDDI"
#define PROTOCOL_STRING_ATM_TXT "ATM"
#define PROTOCOL_STRING_1394_TXT "IP/1394"
#define PROTOCOL_STRING_IP_TXT "IP"
#define PROTOCOL_STRING_IP6_TXT "IP6"
#define PROTOCOL_STRING_IPX_TXT "IPX"
#define PROTOCOL_STRING_XNS_TXT "XNS"
#define PROTOCOL_STRING_VINES_IP_TXT "VINES IP"
#define PROTOCOL_STRING_ICMP_TXT "ICMP"
#define PROTOCOL_STRING_TCP_TXT "TCP"
#define PROTOCOL_STRING_UDP_TXT "UDP"
#define PROTOCOL_STRING_SPX_TXT "SPX"
#define PROTOCOL_STRING_NCP_TXT "NCP"
#define PROTOCOL_STRING_ANY_TXT "ANY"
#define PROTOCOL_STRING_ANY_GROUP_TXT "ANY GROUP"
#define PROTOCOL_STRING_HIGHEST_TXT "HIGHEST"
#define PROTOCOL_STRING_LOCAL_ONLY_TXT "LOCAL ONLY"
#define PROTOCOL_STRING_UNKNOWN_TXT "UNKNOWN"
#define PROTOCOL_STRING_DATA_TXT "DATA"
#define PROTOCOL_STRING_FRAME_TXT "FRAME"
#define PROTOCOL_STRING_NONE_TXT "NONE"
#define PROTOCOL_STRING_EFFECTIVE_TXT "EFFECTIVE"
#define ADDRESS_PAIR_INCLUDE_TXT "INCLUDE"
#define ADDRESS_PAIR_EXCLUDE_TXT "EXCLUDE"
#define INCLUDE_ALL_EXCEPT_TXT "INCLUDE ALL EXCEPT"
#define EXCLUDE_ALL_EXCEPT_TXT "EXCLUDE ALL EXCEPT"
#define PATTERN_MATCH_OR_TXT "OR("
#define PATTERN_MATCH_AND_TXT "AND("
#define PATTERN_MATCH_NOT_TXT "NOT"
#define TRIGGER_PATTERN_TXT "PATTERN MATCH"
#define TRIGGER_BUFFER_TXT "BUFFER CONTENT"
#define TRIGGER_NOTIFY_TXT "NOTIFY"
#define TRIGGER_STOP_TXT "STOP"
#define TRIGGER_PAUSE_TXT "PAUSE"
#define TRIGGER_25_PERCENT_TXT "25 PERCENT"
#define TRIGGER_50_PERCENT_TXT "50 PERCENT"
#define TRIGGER_75_PERCENT_TXT "75 PERCENT"
#define TRIGGER_100_PERCENT_TXT "100 PERCENT"
/* ndisnpp: the class ID written to `NPP:Location:ClassID` of every NIC BLOB this library finds. */
#define NDISNPP_CLASSID_TXT "{8C3B7A52-1D64-4E0F-A9B2-6F1C0D3E5A47}"
/* ndisnpp (not in Netmon): QueryStations waits this many milliseconds for answers (DWORD,
 * default 1000, at most 10000).
 */
#define TAG_QUERY_TIMEOUT "QueryTimeout"
/* ndisnpp (not in Netmon): a running capture answers other stations' QueryStations (BOOL,
 * default TRUE).
 */
#define TAG_ANSWER_STATION_QUERIES "AnswerStationQueries"

#endif /* NDISNPP_NETMON_NAMES_H */
