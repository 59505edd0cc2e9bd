/* Layout and constants of include/netmon.h against the spec (SDK f.15, natural x86-64
 * column; f.10, f.12 and f.14 for the structures without a table; section g for the NMERR codes).
 *
 * Every size and offset is checked twice: at compile time (a negative array size when wrong, since
 * this file compiles as C99) and at run time with CHECK_EQ, one printed line per check. */
#include <stddef.h>
#include <stdint.h>
#include "check.h"

#if !defined(__x86_64__)
#error "these tables are the natural x86-64 layout"
#endif

/* Compile-time assertion usable in C99 (no _Static_assert). */
#define STATIC_CHECK(cond, name) typedef char static_check_##name[(cond) ? 1 : -1]

#define MEMBER_SIZE(T, f) sizeof(((T *)0)->f)

/* ---- the tables: X(type, member, offset, size) ---------------------------------------------- */
#define STRUCT_SIZES(S) \
    S(STATISTICS, 88) \
    S(NETWORKSTATUS, 8) \
    S(STATIONSTATS, 44) \
    S(SESSIONSTATS, 20) \
    S(STATIONQUERY, 192) \
    S(QUERYTABLE, 196) \
    S(UPDATE_EVENT, 576) \
    S(TRIGGER, 308) \
    S(CAPTUREFILTER, 824) \
    S(EXPRESSION, 468) \
    S(ANDEXP, 116) \
    S(PATTERNMATCH, 28) \
    S(GENERIC_PORT, 2) \
    S(ADDRESS2, 22) \
    S(ADDRESSPAIR2, 48) \
    S(ADDRESSTABLE2, 392) \
    S(ADDRESS, 16) \
    S(ADDRESSPAIR, 36) \
    S(ADDRESSTABLE, 296) \
    S(NETWORKINFO, 116) \
    S(FRAME, 24) \
    S(FRAME_DESCRIPTOR_HIGHPORT, 2) \
    S(FRAME_DESCRIPTOR, 40) \
    S(FRAMETABLE, 56) \
    S(STATISTICSPARAM, 6504) \
    S(BLOB_TABLE, 16) \
    S(MBLOB, 16) \
    S(MBLOB_TABLE, 24) \
    S(BONEPACKET, 12) \
    S(SECURITY_PERMISSION_RESPONSE, 518) \
    S(GUID, 16) \
    S(CLSID, 16) \
    S(IPX_ADDR, 10) \
    S(VINES_IP_ADDRESS, 6) \
    S(ETHERNET_SRC_ADDRESS, 6) \
    S(ETHERNET_DST_ADDRESS, 6) \
    S(TOKENRING_SRC_ADDRESS, 6) \
    S(TOKENRING_DST_ADDRESS, 6) \
    S(FDDI_SRC_ADDRESS, 6) \
    S(FDDI_DST_ADDRESS, 6)

/* f.15 tables (natural x86-64 column) unless noted. */
#define FIELDS(F) \
    /* STATISTICS */ \
    F(STATISTICS, TimeElapsed, 0, 8) \
    F(STATISTICS, TotalFramesCaptured, 8, 4) \
    F(STATISTICS, TotalBytesCaptured, 12, 4) \
    F(STATISTICS, TotalFramesFiltered, 16, 4) \
    F(STATISTICS, TotalBytesFiltered, 20, 4) \
    F(STATISTICS, TotalMulticastsFiltered, 24, 4) \
    F(STATISTICS, TotalBroadcastsFiltered, 28, 4) \
    F(STATISTICS, TotalFramesSeen, 32, 4) \
    F(STATISTICS, TotalBytesSeen, 36, 4) \
    F(STATISTICS, TotalMulticastsReceived, 40, 4) \
    F(STATISTICS, TotalBroadcastsReceived, 44, 4) \
    F(STATISTICS, TotalFramesDropped, 48, 4) \
    F(STATISTICS, TotalFramesDroppedFromBuffer, 52, 4) \
    F(STATISTICS, MacFramesReceived, 56, 4) \
    F(STATISTICS, MacCRCErrors, 60, 4) \
    F(STATISTICS, MacBytesReceivedEx, 64, 8) \
    F(STATISTICS, MacFramesDropped_NoBuffers, 72, 4) \
    F(STATISTICS, MacMulticastsReceived, 76, 4) \
    F(STATISTICS, MacBroadcastsReceived, 80, 4) \
    F(STATISTICS, MacFramesDropped_HwError, 84, 4) \
    /* NETWORKSTATUS */ \
    F(NETWORKSTATUS, State, 0, 4) \
    F(NETWORKSTATUS, Flags, 4, 4) \
    /* STATIONSTATS */ \
    F(STATIONSTATS, NextStationStats, 0, 4) \
    F(STATIONSTATS, SessionPartnerList, 4, 4) \
    F(STATIONSTATS, Flags, 8, 4) \
    F(STATIONSTATS, StationAddress, 12, 6) \
    F(STATIONSTATS, Pad, 18, 2) \
    F(STATIONSTATS, TotalPacketsReceived, 20, 4) \
    F(STATIONSTATS, TotalDirectedPacketsSent, 24, 4) \
    F(STATIONSTATS, TotalBroadcastPacketsSent, 28, 4) \
    F(STATIONSTATS, TotalMulticastPacketsSent, 32, 4) \
    F(STATIONSTATS, TotalBytesReceived, 36, 4) \
    F(STATIONSTATS, TotalBytesSent, 40, 4) \
    /* SESSIONSTATS */ \
    F(SESSIONSTATS, NextSession, 0, 4) \
    F(SESSIONSTATS, StationOwner, 4, 4) \
    F(SESSIONSTATS, StationPartner, 8, 4) \
    F(SESSIONSTATS, Flags, 12, 4) \
    F(SESSIONSTATS, TotalPacketsSent, 16, 4) \
    /* STATIONQUERY (packed) */ \
    F(STATIONQUERY, Flags, 0, 4) \
    F(STATIONQUERY, BCDVerMinor, 4, 1) \
    F(STATIONQUERY, BCDVerMajor, 5, 1) \
    F(STATIONQUERY, LicenseNumber, 6, 4) \
    F(STATIONQUERY, MachineName, 10, 16) \
    F(STATIONQUERY, UserName, 26, 32) \
    F(STATIONQUERY, Reserved, 58, 32) \
    F(STATIONQUERY, AdapterAddress, 90, 6) \
    F(STATIONQUERY, WMachineName, 96, 32) \
    F(STATIONQUERY, WUserName, 128, 64) \
    /* QUERYTABLE */ \
    F(QUERYTABLE, nStationQueries, 0, 4) \
    F(QUERYTABLE, StationQuery, 4, 192) \
    /* UPDATE_EVENT, with every member of the nameless union */ \
    F(UPDATE_EVENT, Event, 0, 2) \
    F(UPDATE_EVENT, Action, 4, 4) \
    F(UPDATE_EVENT, Status, 8, 4) \
    F(UPDATE_EVENT, Value, 12, 4) \
    F(UPDATE_EVENT, TimeStamp, 16, 8) \
    F(UPDATE_EVENT, lpUserContext, 24, 8) \
    F(UPDATE_EVENT, lpReserved, 32, 8) \
    F(UPDATE_EVENT, FramesDropped, 40, 4) \
    F(UPDATE_EVENT, Reserved, 48, 4) \
    F(UPDATE_EVENT, lpFrameTable, 48, 8) \
    F(UPDATE_EVENT, lpPacketQueue, 48, 8) \
    F(UPDATE_EVENT, SecurityResponse, 48, 518) \
    F(UPDATE_EVENT, lpFinalStats, 568, 8) \
    /* TRIGGER */ \
    F(TRIGGER, TriggerActive, 0, 4) \
    F(TRIGGER, TriggerType, 4, 1) \
    F(TRIGGER, TriggerAction, 5, 1) \
    F(TRIGGER, TriggerFlags, 8, 4) \
    F(TRIGGER, TriggerPatternMatch, 12, 28) \
    F(TRIGGER, TriggerBufferSize, 40, 4) \
    F(TRIGGER, TriggerReserved, 44, 4) \
    F(TRIGGER, TriggerCommandLine, 48, 260) \
    /* CAPTUREFILTER */ \
    F(CAPTUREFILTER, FilterFlags, 0, 4) \
    F(CAPTUREFILTER, lpSapTable, 8, 8) \
    F(CAPTUREFILTER, lpEtypeTable, 16, 8) \
    F(CAPTUREFILTER, nSaps, 24, 2) \
    F(CAPTUREFILTER, nEtypes, 26, 2) \
    F(CAPTUREFILTER, AddressTable, 32, 8) \
    F(CAPTUREFILTER, FilterExpression, 40, 468) \
    F(CAPTUREFILTER, Trigger, 508, 308) \
    F(CAPTUREFILTER, nFrameBytesToCopy, 816, 4) \
    F(CAPTUREFILTER, Reserved, 820, 4) \
    /* EXPRESSION, ANDEXP, PATTERNMATCH, GENERIC_PORT (f.8: a 2-byte union) */ \
    F(EXPRESSION, nAndExps, 0, 4) \
    F(EXPRESSION, AndExp, 4, 464) \
    F(ANDEXP, nPatternMatches, 0, 4) \
    F(ANDEXP, PatternMatch, 4, 112) \
    F(PATTERNMATCH, Flags, 0, 4) \
    F(PATTERNMATCH, OffsetBasis, 4, 1) \
    F(PATTERNMATCH, Port, 6, 2) \
    F(PATTERNMATCH, Offset, 8, 2) \
    F(PATTERNMATCH, Length, 10, 2) \
    F(PATTERNMATCH, PatternToMatch, 12, 16) \
    F(GENERIC_PORT, NextHeader, 0, 1) \
    F(GENERIC_PORT, IPPort, 0, 1) \
    F(GENERIC_PORT, ByteSwappedIPXPort, 0, 2) \
    /* ADDRESS2 (packed), every union member */ \
    F(ADDRESS2, Type, 0, 4) \
    F(ADDRESS2, MACAddress, 4, 6) \
    F(ADDRESS2, IPAddress, 4, 4) \
    F(ADDRESS2, IP6Address, 4, 16) \
    F(ADDRESS2, IPXRawAddress, 4, 10) \
    F(ADDRESS2, IPXAddress, 4, 10) \
    F(ADDRESS2, VinesIPRawAddress, 4, 6) \
    F(ADDRESS2, VinesIPAddress, 4, 6) \
    F(ADDRESS2, EthernetSrcAddress, 4, 6) \
    F(ADDRESS2, EthernetDstAddress, 4, 6) \
    F(ADDRESS2, TokenringSrcAddress, 4, 6) \
    F(ADDRESS2, TokenringDstAddress, 4, 6) \
    F(ADDRESS2, FddiSrcAddress, 4, 6) \
    F(ADDRESS2, FddiDstAddress, 4, 6) \
    F(ADDRESS2, Flags, 20, 2) \
    F(ADDRESSPAIR2, AddressFlags, 0, 2) \
    F(ADDRESSPAIR2, NalReserved, 2, 2) \
    F(ADDRESSPAIR2, DstAddress, 4, 22) \
    F(ADDRESSPAIR2, SrcAddress, 26, 22) \
    F(ADDRESSTABLE2, nAddressPairs, 0, 4) \
    F(ADDRESSTABLE2, nNonMacAddressPairs, 4, 4) \
    F(ADDRESSTABLE2, AddressPair, 8, 384) \
    /* ADDRESS (v1, packed, 10-byte union), every union member */ \
    F(ADDRESS, Type, 0, 4) \
    F(ADDRESS, MACAddress, 4, 6) \
    F(ADDRESS, IPAddress, 4, 4) \
    F(ADDRESS, IPXRawAddress, 4, 10) \
    F(ADDRESS, IPXAddress, 4, 10) \
    F(ADDRESS, VinesIPRawAddress, 4, 6) \
    F(ADDRESS, VinesIPAddress, 4, 6) \
    F(ADDRESS, EthernetSrcAddress, 4, 6) \
    F(ADDRESS, EthernetDstAddress, 4, 6) \
    F(ADDRESS, TokenringSrcAddress, 4, 6) \
    F(ADDRESS, TokenringDstAddress, 4, 6) \
    F(ADDRESS, FddiSrcAddress, 4, 6) \
    F(ADDRESS, FddiDstAddress, 4, 6) \
    F(ADDRESS, Flags, 14, 2) \
    F(ADDRESSPAIR, AddressFlags, 0, 2) \
    F(ADDRESSPAIR, NalReserved, 2, 2) \
    F(ADDRESSPAIR, DstAddress, 4, 16) \
    F(ADDRESSPAIR, SrcAddress, 20, 16) \
    F(ADDRESSTABLE, nAddressPairs, 0, 4) \
    F(ADDRESSTABLE, nNonMacAddressPairs, 4, 4) \
    F(ADDRESSTABLE, AddressPair, 8, 288) \
    /* the address bit-field structs (f.9 declarations; no table): 6 bytes each */ \
    F(ETHERNET_SRC_ADDRESS, Reserved, 1, 5) \
    F(ETHERNET_DST_ADDRESS, Reserved, 1, 5) \
    F(TOKENRING_SRC_ADDRESS, Byte1, 1, 1) \
    F(TOKENRING_SRC_ADDRESS, Reserved, 3, 3) \
    F(TOKENRING_DST_ADDRESS, Reserved, 1, 5) \
    /* NETWORKINFO (mingw form, natural: 2 padding bytes before LinkSpeed) */ \
    F(NETWORKINFO, PermanentAddr, 0, 6) \
    F(NETWORKINFO, CurrentAddr, 6, 6) \
    F(NETWORKINFO, Reserved, 12, 14) \
    F(NETWORKINFO, LinkSpeed, 28, 4) \
    F(NETWORKINFO, MacType, 32, 4) \
    F(NETWORKINFO, MaxFrameSize, 36, 4) \
    F(NETWORKINFO, Flags, 40, 4) \
    F(NETWORKINFO, TimestampScaleFactor, 44, 4) \
    F(NETWORKINFO, NodeName, 48, 32) \
    F(NETWORKINFO, PModeSupported, 80, 4) \
    F(NETWORKINFO, Comment, 84, 32) \
    /* FRAME, FRAMETABLE (tables), FRAME_DESCRIPTOR (f.10 text, x86-64 numbers) */ \
    F(FRAME, TimeStamp, 0, 8) \
    F(FRAME, FrameLength, 8, 4) \
    F(FRAME, nBytesAvail, 12, 4) \
    F(FRAME, MacFrame, 16, 1) \
    F(FRAME_DESCRIPTOR, FramePointer, 0, 8) \
    F(FRAME_DESCRIPTOR, TimeStamp, 8, 8) \
    F(FRAME_DESCRIPTOR, FrameLength, 16, 4) \
    F(FRAME_DESCRIPTOR, nBytesAvail, 20, 4) \
    F(FRAME_DESCRIPTOR, Etype, 24, 2) \
    F(FRAME_DESCRIPTOR, Sap, 26, 1) \
    F(FRAME_DESCRIPTOR, LowProtocol, 27, 1) \
    F(FRAME_DESCRIPTOR, LowProtocolOffset, 28, 2) \
    F(FRAME_DESCRIPTOR, HighPort, 30, 2) \
    F(FRAME_DESCRIPTOR, HighProtocolOffset, 32, 2) \
    F(FRAME_DESCRIPTOR_HIGHPORT, Reserved, 0, 2) \
    F(FRAME_DESCRIPTOR_HIGHPORT, IPPort, 0, 1) \
    F(FRAME_DESCRIPTOR_HIGHPORT, ByteSwappedIPXPort, 0, 2) \
    F(FRAMETABLE, FrameTableLength, 0, 4) \
    F(FRAMETABLE, StartIndex, 4, 4) \
    F(FRAMETABLE, EndIndex, 8, 4) \
    F(FRAMETABLE, FrameCount, 12, 4) \
    F(FRAMETABLE, Frames, 16, 40) \
    /* STATISTICSPARAM, BLOB_TABLE (tables); MBLOB, MBLOB_TABLE (f.12, natural layout) */ \
    F(STATISTICSPARAM, StatisticsSize, 0, 4) \
    F(STATISTICSPARAM, Statistics, 8, 88) \
    F(STATISTICSPARAM, StatisticsTableEntries, 96, 4) \
    F(STATISTICSPARAM, StatisticsTable, 100, 4400) \
    F(STATISTICSPARAM, SessionTableEntries, 4500, 4) \
    F(STATISTICSPARAM, SessionTable, 4504, 2000) \
    F(BLOB_TABLE, dwNumBlobs, 0, 4) \
    F(BLOB_TABLE, hBlobs, 8, 8) \
    F(MBLOB, size, 0, 4) \
    F(MBLOB, pBytes, 8, 8) \
    F(MBLOB_TABLE, dwNumBlobs, 0, 4) \
    F(MBLOB_TABLE, mBlobs, 8, 16) \
    /* BONEPACKET (f.14, packed, 12 bytes) */ \
    F(BONEPACKET, Signature, 0, 4) \
    F(BONEPACKET, Command, 4, 1) \
    F(BONEPACKET, Flags, 5, 1) \
    F(BONEPACKET, Reserved, 6, 4) \
    F(BONEPACKET, Length, 10, 2) \
    /* SECURITY_PERMISSION_RESPONSE (packed) */ \
    F(SECURITY_PERMISSION_RESPONSE, Version, 0, 4) \
    F(SECURITY_PERMISSION_RESPONSE, RandomNumber, 4, 4) \
    F(SECURITY_PERMISSION_RESPONSE, MachineName, 8, 16) \
    F(SECURITY_PERMISSION_RESPONSE, Address, 24, 6) \
    F(SECURITY_PERMISSION_RESPONSE, UserName, 30, 256) \
    F(SECURITY_PERMISSION_RESPONSE, Reason, 286, 100) \
    F(SECURITY_PERMISSION_RESPONSE, SignatureLength, 386, 4) \
    F(SECURITY_PERMISSION_RESPONSE, Signature, 390, 128) \
    /* GUID (the COM layout) */ \
    F(GUID, Data1, 0, 4) \
    F(GUID, Data2, 4, 2) \
    F(GUID, Data3, 6, 2) \
    F(GUID, Data4, 8, 8) \
    /* IPX_ADDR, VINES_IP_ADDRESS (packed) */ \
    F(IPX_ADDR, Subnet, 0, 4) \
    F(IPX_ADDR, Address, 4, 6) \
    F(VINES_IP_ADDRESS, NetID, 0, 4) \
    F(VINES_IP_ADDRESS, SubnetID, 4, 2)

/* Windows types: S(type, size). */
#define TYPE_SIZES(S) \
    S(DWORD, 4) \
    S(WORD, 2) \
    S(BYTE, 1) \
    S(BOOL, 4) \
    S(WCHAR, 2) \
    S(HRESULT, 4) \
    S(LONG, 4) \
    S(UINT, 4) \
    S(USHORT, 2) \
    S(CHAR, 1) \
    S(WINBOOL, 4) \
    S(HBLOB, sizeof(void *)) \
    S(HNPP, sizeof(void *)) \
    S(HWND, sizeof(void *)) \
    S(DWORD_PTR, sizeof(void *)) \
    S(LPVOID, sizeof(void *)) \
    S(PBLOB_TABLE, sizeof(void *)) \
    S(LPNETWORKCALLBACKPROC, sizeof(void *))

/* Numeric #defines against the spec: D(name, value). */
#define DEFINES(D) \
    D(TRUE, 1) \
    D(FALSE, 0) \
    D(MAX_PATH, 260) \
    D(STATISTICS_SIZE, 88) \
    D(NETWORKSTATUS_STATE_VOID, 0) \
    D(NETWORKSTATUS_STATE_INIT, 1) \
    D(NETWORKSTATUS_STATE_CAPTURING, 2) \
    D(NETWORKSTATUS_STATE_PAUSED, 3) \
    D(NETWORKSTATUS_FLAGS_TRIGGER_PENDING, 0x1) \
    D(STATIONSTATS_FLAGS_INITIALIZED, 0x1) \
    D(STATIONSTATS_FLAGS_EVENTPOSTED, 0x2) \
    D(STATIONSTATS_POOL_SIZE, 100) \
    D(SESSION_FLAGS_INITIALIZED, 0x1) \
    D(SESSION_FLAGS_EVENTPOSTED, 0x2) \
    D(SESSION_POOL_SIZE, 100) \
    D(MAX_SESSIONS, 100) \
    D(MAX_STATIONS, 100) \
    D(MACHINE_NAME_LENGTH, 16) \
    D(USER_NAME_LENGTH, 32) \
    D(STATIONQUERY_FLAGS_LOADED, 0x1) \
    D(STATIONQUERY_FLAGS_RUNNING, 0x2) \
    D(STATIONQUERY_FLAGS_CAPTURING, 0x4) \
    D(STATIONQUERY_FLAGS_TRANSMITTING, 0x8) \
    D(STATIONQUERY_VERSION_MINOR, 0x01) \
    D(STATIONQUERY_VERSION_MAJOR, 0x02) \
    D(MAX_USER_NAME_LENGTH, 256) \
    D(MAX_SECURITY_BREACH_REASON_SIZE, 100) \
    D(MAX_SIGNATURE_LENGTH, 128) \
    D(UPDATE_EVENT_TERMINATE_THREAD, 0x0) \
    D(UPDATE_EVENT_NETWORK_STATUS, 0x1) \
    D(UPDATE_EVENT_RTC_INTERVAL_ELAPSED, 0x2) \
    D(UPDATE_EVENT_RTC_FRAME_TABLE_FULL, 0x3) \
    D(UPDATE_EVENT_RTC_BUFFER_FULL, 0x4) \
    D(UPDATE_EVENT_TRIGGER_BUFFER_CONTENT, 0x5) \
    D(UPDATE_EVENT_TRIGGER_PATTERN_MATCH, 0x6) \
    D(UPDATE_EVENT_TRIGGER_BUFFER_PATTERN, 0x7) \
    D(UPDATE_EVENT_TRIGGER_PATTERN_BUFFER, 0x8) \
    D(UPDATE_EVENT_TRANSMIT_STATUS, 0x9) \
    D(UPDATE_EVENT_SECURITY_BREACH, 0xA) \
    D(UPDATE_EVENT_REMOTE_FAILURE, 0xB) \
    D(UPDATE_ACTION_TERMINATE_THREAD, 0x0) \
    D(UPDATE_ACTION_NOTIFY, 0x1) \
    D(UPDATE_ACTION_STOP_CAPTURE, 0x2) \
    D(UPDATE_ACTION_PAUSE_CAPTURE, 0x3) \
    D(UPDATE_ACTION_RTC_BUFFER_SWITCH, 0x4) \
    D(TRIGGER_TYPE_PATTERN_MATCH, 1) \
    D(TRIGGER_TYPE_BUFFER_CONTENT, 2) \
    D(TRIGGER_TYPE_PATTERN_MATCH_THEN_BUFFER_CONTENT, 3) \
    D(TRIGGER_TYPE_BUFFER_CONTENT_THEN_PATTERN_MATCH, 4) \
    D(TRIGGER_FLAGS_FRAME_RELATIVE, 0x0) \
    D(TRIGGER_FLAGS_DATA_RELATIVE, 0x1) \
    D(TRIGGER_ACTION_NOTIFY, 0x0) \
    D(TRIGGER_ACTION_STOP, 0x2) \
    D(TRIGGER_ACTION_PAUSE, 0x3) \
    D(TRIGGER_BUFFER_FULL_25_PERCENT, 0) \
    D(TRIGGER_BUFFER_FULL_50_PERCENT, 1) \
    D(TRIGGER_BUFFER_FULL_75_PERCENT, 2) \
    D(TRIGGER_BUFFER_FULL_100_PERCENT, 3) \
    D(CAPTUREFILTER_FLAGS_INCLUDE_ALL_SAPS, 0x0001) \
    D(CAPTUREFILTER_FLAGS_INCLUDE_ALL_ETYPES, 0x0002) \
    D(CAPTUREFILTER_FLAGS_TRIGGER, 0x0004) \
    D(CAPTUREFILTER_FLAGS_LOCAL_ONLY, 0x0008) \
    D(CAPTUREFILTER_FLAGS_DISCARD_COMMENTS, 0x0010) \
    D(CAPTUREFILTER_FLAGS_KEEP_RAW, 0x0020) \
    D(CAPTUREFILTER_FLAGS_INCLUDE_ALL, 0x0003) \
    D(BUFFER_FULL_25_PERCENT, 0) \
    D(BUFFER_FULL_50_PERCENT, 1) \
    D(BUFFER_FULL_75_PERCENT, 2) \
    D(BUFFER_FULL_100_PERCENT, 3) \
    D(MAX_PATTERN_LENGTH, 16) \
    D(MAX_PATTERNS, 4) \
    D(PATTERN_MATCH_FLAGS_NOT, 0x1) \
    D(PATTERN_MATCH_FLAGS_RESERVED_1, 0x2) \
    D(PATTERN_MATCH_FLAGS_PORT_SPECIFIED, 0x8) \
    D(OFFSET_BASIS_RELATIVE_TO_FRAME, 0) \
    D(OFFSET_BASIS_RELATIVE_TO_EFFECTIVE_PROTOCOL, 1) \
    D(OFFSET_BASIS_RELATIVE_TO_IPX, 2) \
    D(OFFSET_BASIS_RELATIVE_TO_IP, 3) \
    D(OFFSET_BASIS_RELATIVE_TO_IP6, 4) \
    D(MAX_NAME_SIZE, 32) \
    D(IP_ADDRESS_SIZE, 4) \
    D(MAC_ADDRESS_SIZE, 6) \
    D(IP6_ADDRESS_SIZE, 16) \
    D(MAX_ADDRESS_SIZE, 16) \
    D(MAX_ADDRESS_PAIRS, 8) \
    D(ADDRESS_TYPE_ETHERNET, 0) \
    D(ADDRESS_TYPE_IP, 1) \
    D(ADDRESS_TYPE_IPX, 2) \
    D(ADDRESS_TYPE_TOKENRING, 3) \
    D(ADDRESS_TYPE_FDDI, 4) \
    D(ADDRESS_TYPE_XNS, 5) \
    D(ADDRESS_TYPE_ANY, 6) \
    D(ADDRESS_TYPE_ANY_GROUP, 7) \
    D(ADDRESS_TYPE_FIND_HIGHEST, 8) \
    D(ADDRESS_TYPE_VINES_IP, 9) \
    D(ADDRESS_TYPE_LOCAL_ONLY, 10) \
    D(ADDRESS_TYPE_ATM, 11) \
    D(ADDRESS_TYPE_1394, 12) \
    D(ADDRESS_TYPE_IP6, 13) \
    D(ADDRESSTYPE_FLAGS_NORMALIZE, 0x1) \
    D(ADDRESSTYPE_FLAGS_BIT_REVERSE, 0x2) \
    D(ADDRESS_FLAGS_MATCH_DST, 0x1) \
    D(ADDRESS_FLAGS_MATCH_SRC, 0x2) \
    D(ADDRESS_FLAGS_EXCLUDE, 0x4) \
    D(ADDRESS_FLAGS_DST_GROUP_ADDR, 0x8) \
    D(ADDRESS_FLAGS_MATCH_BOTH, 0x3) \
    D(LOW_PROTOCOL_IPX, 2) \
    D(LOW_PROTOCOL_IP, 3) \
    D(LOW_PROTOCOL_IP6, 4) \
    D(LOW_PROTOCOL_UNKNOWN, 0xFF) \
    D(NETWORKINFO_RESERVED_FIELD_SIZE, 14) \
    D(ADAPTER_COMMENT_LENGTH, 32) \
    D(NETWORKINFO_FLAGS_PMODE_NOT_SUPPORTED, 0x01) \
    D(NETWORKINFO_FLAGS_REMOTE_NAL, 0x04) \
    D(NETWORKINFO_FLAGS_REMOTE_NAL_CONNECTED, 0x08) \
    D(NETWORKINFO_FLAGS_REMOTE_CARD, 0x10) \
    D(NETWORKINFO_FLAGS_RAS, 0x20) \
    D(MINIMUM_FRAME_SIZE, 32) \
    D(MAC_TYPE_UNKNOWN, 0) \
    D(MAC_TYPE_ETHERNET, 1) \
    D(MAC_TYPE_TOKENRING, 2) \
    D(MAC_TYPE_FDDI, 3) \
    D(MAC_TYPE_ATM, 4) \
    D(MAC_TYPE_1394, 5) \
    D(CONNECTION_FLAGS_WANT_CONVERSATION_STATS, 0x1) \
    D(DEFAULT_DELAYED_BUFFER_SIZE, 1) \
    D(USE_DEFAULT_DRIVE_LETTER, 0) \
    D(RTC_FRAME_SIZE_FULL, 0) \
    D(DEFAULT_RTC_BUFFER_SIZE, 0x100000) \
    D(INITIAL_RESTART_KEY, 0xFFFFFFFF) \
    D(STATS_FRAME_TYPE, 103) \
    D(STATISTICS_VERSION_1_0, 0x00) \
    D(STATISTICS_VERSION_2_0, 0x20) \
    D(DEFAULT_ETHERTYPE, 0x8419) \
    D(DEFAULT_SAP, 0xAA) \
    D(DEFAULT_CONTROL, 0x03) \
    D(CAPTUREFILE_VERSION_MAJOR, 2) \
    D(CAPTUREFILE_VERSION_MINOR, 0) \
    D(NETMON_1_0_CAPTUREFILE_SIGNATURE, MAKE_IDENTIFIER('R', 'T', 'S', 'S')) \
    D(NETMON_2_0_CAPTUREFILE_SIGNATURE, MAKE_IDENTIFIER('G', 'M', 'B', 'U')) \
    D(BONE_PACKET_SIGNATURE, MAKE_SIG('R', 'T', 'S', 'S')) \
    D(BONE_COMMAND_STATION_QUERY_REQUEST, 0) \
    D(BONE_COMMAND_STATION_QUERY_RESPONSE, 1) \
    D(BONE_COMMAND_ALERT, 2) \
    D(BONE_COMMAND_PERMISSION_CHECK, 3) \
    D(BONE_COMMAND_PERMISSION_RESPONSE, 4) \
    D(BONE_COMMAND_SECURITY_MONITOR_EVENT, 5)

/* Section g: every NMERR code, E(name, number). */
#define NMERR_CODES(E) \
    E(NMERR_SUCCESS, 0) \
    E(NMERR_MEMORY_MAPPED_FILE_ERROR, 1) \
    E(NMERR_INVALID_HFILTER, 2) \
    E(NMERR_CAPTURING, 3) \
    E(NMERR_NOT_CAPTURING, 4) \
    E(NMERR_NO_MORE_FRAMES, 5) \
    E(NMERR_BUFFER_TOO_SMALL, 6) \
    E(NMERR_FRAME_NOT_RECOGNIZED, 7) \
    E(NMERR_FILE_ALREADY_EXISTS, 8) \
    E(NMERR_DRIVER_NOT_FOUND, 9) \
    E(NMERR_ADDRESS_ALREADY_EXISTS, 10) \
    E(NMERR_INVALID_HFRAME, 11) \
    E(NMERR_INVALID_HPROTOCOL, 12) \
    E(NMERR_INVALID_HPROPERTY, 13) \
    E(NMERR_LOCKED, 14) \
    E(NMERR_STACK_EMPTY, 15) \
    E(NMERR_STACK_OVERFLOW, 16) \
    E(NMERR_TOO_MANY_PROTOCOLS, 17) \
    E(NMERR_FILE_NOT_FOUND, 18) \
    E(NMERR_OUT_OF_MEMORY, 19) \
    E(NMERR_CAPTURE_PAUSED, 20) \
    E(NMERR_NO_BUFFERS, 21) \
    E(NMERR_BUFFERS_ALREADY_EXIST, 22) \
    E(NMERR_NOT_LOCKED, 23) \
    E(NMERR_OUT_OF_RANGE, 24) \
    E(NMERR_LOCK_NESTING_TOO_DEEP, 25) \
    E(NMERR_LOAD_PARSER_FAILED, 26) \
    E(NMERR_UNLOAD_PARSER_FAILED, 27) \
    E(NMERR_INVALID_HADDRESSDB, 28) \
    E(NMERR_ADDRESS_NOT_FOUND, 29) \
    E(NMERR_NETWORK_NOT_PRESENT, 30) \
    E(NMERR_NO_PROPERTY_DATABASE, 31) \
    E(NMERR_PROPERTY_NOT_FOUND, 32) \
    E(NMERR_INVALID_HPROPERTYDB, 33) \
    E(NMERR_PROTOCOL_NOT_ENABLED, 34) \
    E(NMERR_PROTOCOL_NOT_FOUND, 35) \
    E(NMERR_INVALID_PARSER_DLL, 36) \
    E(NMERR_NO_ATTACHED_PROPERTIES, 37) \
    E(NMERR_NO_FRAMES, 38) \
    E(NMERR_INVALID_FILE_FORMAT, 39) \
    E(NMERR_COULD_NOT_CREATE_TEMPFILE, 40) \
    E(NMERR_OUT_OF_DOS_MEMORY, 41) \
    E(NMERR_NO_PROTOCOLS_ENABLED, 42) \
    E(NMERR_UNKNOWN_MACTYPE, 46) \
    E(NMERR_ROUTING_INFO_NOT_PRESENT, 47) \
    E(NMERR_INVALID_HNETWORK, 48) \
    E(NMERR_NETWORK_ALREADY_OPENED, 49) \
    E(NMERR_NETWORK_NOT_OPENED, 50) \
    E(NMERR_FRAME_NOT_FOUND, 51) \
    E(NMERR_NO_HANDLES, 53) \
    E(NMERR_INVALID_NETWORK_ID, 54) \
    E(NMERR_INVALID_HCAPTURE, 55) \
    E(NMERR_PROTOCOL_ALREADY_ENABLED, 56) \
    E(NMERR_FILTER_INVALID_EXPRESSION, 57) \
    E(NMERR_TRANSMIT_ERROR, 58) \
    E(NMERR_INVALID_HBUFFER, 59) \
    E(NMERR_INVALID_DATA, 60) \
    E(NMERR_MSDOS_DRIVER_NOT_LOADED, 61) \
    E(NMERR_WINDOWS_DRIVER_NOT_LOADED, 62) \
    E(NMERR_MSDOS_DRIVER_INIT_FAILURE, 63) \
    E(NMERR_WINDOWS_DRIVER_INIT_FAILURE, 64) \
    E(NMERR_NETWORK_BUSY, 65) \
    E(NMERR_CAPTURE_NOT_PAUSED, 66) \
    E(NMERR_INVALID_PACKET_LENGTH, 67) \
    E(NMERR_INTERNAL_EXCEPTION, 69) \
    E(NMERR_PROMISCUOUS_MODE_NOT_SUPPORTED, 70) \
    E(NMERR_MAC_DRIVER_OPEN_FAILURE, 71) \
    E(NMERR_RUNAWAY_PROTOCOL, 72) \
    E(NMERR_PENDING, 73) \
    E(NMERR_ACCESS_DENIED, 74) \
    E(NMERR_INVALID_HPASSWORD, 75) \
    E(NMERR_INVALID_PARAMETER, 76) \
    E(NMERR_FILE_READ_ERROR, 77) \
    E(NMERR_FILE_WRITE_ERROR, 78) \
    E(NMERR_PROTOCOL_NOT_REGISTERED, 79) \
    E(NMERR_IP_ADDRESS_NOT_FOUND, 80) \
    E(NMERR_TRANSMIT_CANCELLED, 81) \
    E(NMERR_LOCKED_FRAMES, 82) \
    E(NMERR_NO_TRANSMITS_PENDING, 83) \
    E(NMERR_PATH_NOT_FOUND, 84) \
    E(NMERR_WINDOWS_ERROR, 85) \
    E(NMERR_NO_FRAME_NUMBER, 86) \
    E(NMERR_FRAME_HAS_NO_CAPTURE, 87) \
    E(NMERR_FRAME_ALREADY_HAS_CAPTURE, 88) \
    E(NMERR_NAL_IS_NOT_REMOTE, 89) \
    E(NMERR_NOT_SUPPORTED, 90) \
    E(NMERR_DISCARD_FRAME, 91) \
    E(NMERR_CANCEL_SAVE_CAPTURE, 92) \
    E(NMERR_LOST_CONNECTION, 93) \
    E(NMERR_INVALID_MEDIA_TYPE, 94) \
    E(NMERR_AGENT_IN_USE, 95) \
    E(NMERR_TIMEOUT, 96) \
    E(NMERR_DISCONNECTED, 97) \
    E(NMERR_SETTIMER_FAILED, 98) \
    E(NMERR_NETWORK_ERROR, 99) \
    E(NMERR_INVALID_FRAMESPROC, 100) \
    E(NMERR_UNKNOWN_CAPTURETYPE, 101) \
    E(NMERR_NOT_CONNECTED, 102) \
    E(NMERR_ALREADY_CONNECTED, 103) \
    E(NMERR_INVALID_REGISTRY_CONFIGURATION, 104) \
    E(NMERR_DELAYED, 105) \
    E(NMERR_NOT_DELAYED, 106) \
    E(NMERR_REALTIME, 107) \
    E(NMERR_NOT_REALTIME, 108) \
    E(NMERR_STATS_ONLY, 109) \
    E(NMERR_NOT_STATS_ONLY, 110) \
    E(NMERR_TRANSMIT, 111) \
    E(NMERR_NOT_TRANSMIT, 112) \
    E(NMERR_TRANSMITTING, 113) \
    E(NMERR_DISK_NOT_LOCAL_FIXED, 114) \
    E(NMERR_COULD_NOT_CREATE_DIRECTORY, 115) \
    E(NMERR_NO_DEFAULT_CAPTURE_DIRECTORY, 116) \
    E(NMERR_UPLEVEL_CAPTURE_FILE, 117) \
    E(NMERR_LOAD_EXPERT_FAILED, 118) \
    E(NMERR_EXPERT_REPORT_FAILED, 119) \
    E(NMERR_REG_OPERATION_FAILED, 120) \
    E(NMERR_NO_DLLS_FOUND, 121) \
    E(NMERR_NO_CONVERSATION_STATS, 122) \
    E(NMERR_SECURITY_BREACH_CAPTURE_DELETED, 123) \
    E(NMERR_FRAME_FAILED_FILTER, 124) \
    E(NMERR_EXPERT_TERMINATE, 125) \
    E(NMERR_REMOTE_NOT_A_SERVER, 126) \
    E(NMERR_REMOTE_VERSION_OUTOFSYNC, 127) \
    E(NMERR_INVALID_EXPERT_GROUP, 128) \
    E(NMERR_INVALID_EXPERT_NAME, 129) \
    E(NMERR_INVALID_EXPERT_HANDLE, 130) \
    E(NMERR_GROUP_NAME_ALREADY_EXISTS, 131) \
    E(NMERR_INVALID_GROUP_NAME, 132) \
    E(NMERR_EXPERT_ALREADY_IN_GROUP, 133) \
    E(NMERR_EXPERT_NOT_IN_GROUP, 134) \
    E(NMERR_NOT_INITIALIZED, 135) \
    E(NMERR_INVALID_GROUP_ROOT, 136) \
    E(NMERR_BAD_VERSION, 137) \
    E(NMERR_ESP, 138) \
    E(NMERR_NOT_ESP, 139) \
    E(NMERR_BLOB_NOT_INITIALIZED, 1000) \
    E(NMERR_INVALID_BLOB, 1001) \
    E(NMERR_UPLEVEL_BLOB, 1002) \
    E(NMERR_BLOB_ENTRY_ALREADY_EXISTS, 1003) \
    E(NMERR_BLOB_ENTRY_DOES_NOT_EXIST, 1004) \
    E(NMERR_AMBIGUOUS_SPECIFIER, 1005) \
    E(NMERR_BLOB_OWNER_NOT_FOUND, 1006) \
    E(NMERR_BLOB_CATEGORY_NOT_FOUND, 1007) \
    E(NMERR_UNKNOWN_CATEGORY, 1008) \
    E(NMERR_UNKNOWN_TAG, 1009) \
    E(NMERR_BLOB_CONVERSION_ERROR, 1010) \
    E(NMERR_ILLEGAL_TRIGGER, 1011) \
    E(NMERR_BLOB_STRING_INVALID, 1012) \
    E(NMERR_UNABLE_TO_LOAD_LIBRARY, 1013) \
    E(NMERR_UNABLE_TO_GET_PROCADDR, 1014) \
    E(NMERR_CLASS_NOT_REGISTERED, 1015) \
    E(NMERR_INVALID_REMOTE_COMPUTERNAME, 1016) \
    E(NMERR_RPC_REMOTE_FAILURE, 1017) \
    E(NMERR_NO_NPPS, 3016) \
    E(NMERR_NO_MATCHING_NPPS, 3017) \
    E(NMERR_NO_NPP_SELECTED, 3018) \
    E(NMERR_NO_INPUT_BLOBS, 3019) \
    E(NMERR_NO_NPP_DLLS, 3020) \
    E(NMERR_NO_VALID_NPP_DLLS, 3021) \
    /* end */

/* ---- compile-time checks ----------------------------------------------------------------- */
#define SA_SIZE(T, size) STATIC_CHECK(sizeof(T) == (size), size_##T);
#define SA_FIELD(T, f, off, size) \
    STATIC_CHECK(offsetof(T, f) == (off), off_##T##_##f); \
    STATIC_CHECK(MEMBER_SIZE(T, f) == (size), msize_##T##_##f);
#define SA_TYPE(T, size) STATIC_CHECK(sizeof(T) == (size), type_##T);
#define SA_DEF(name, value) STATIC_CHECK((long long)(name) == (long long)(value), def_##name);
#define SA_NMERR(name, value) STATIC_CHECK((long long)(name) == (long long)(value), nmerr_##name);

STRUCT_SIZES(SA_SIZE)
FIELDS(SA_FIELD)
TYPE_SIZES(SA_TYPE)
DEFINES(SA_DEF)
NMERR_CODES(SA_NMERR)

/* Signedness of the integer types (DWORD unsigned; BOOL, HRESULT, LONG signed). */
STATIC_CHECK((DWORD)-1 > 0, dword_unsigned);
STATIC_CHECK((WORD)-1 > 0, word_unsigned);
STATIC_CHECK((BYTE)-1 > 0, byte_unsigned);
STATIC_CHECK((WCHAR)-1 > 0, wchar_unsigned);
STATIC_CHECK((BOOL)-1 < 0, bool_signed);
STATIC_CHECK((HRESULT)-1 < 0, hresult_signed);
/* NETWORKINFO_RESERVED_FIELD_SIZE is defined through ADDRESS2 in the SDK. */
STATIC_CHECK(NETWORKINFO_RESERVED_FIELD_SIZE == offsetof(ADDRESS2, IPXAddress) + sizeof(IPX_ADDR), reserved_field_size);
STATIC_CHECK(STATISTICS_SIZE == sizeof(STATISTICS), statistics_size);

/* ---- run-time checks (the same tables) ----------------------------------------------------- */
#define RT_SIZE(T, size) \
    printf("sizeof(%s) = %zu (spec %d)\n", #T, sizeof(T), (int)(size)); \
    CHECK_EQ(sizeof(T), size);
#define RT_FIELD(T, f, off, size) \
    printf("  %s.%s: offset %zu size %zu (spec %d/%d)\n", #T, #f, offsetof(T, f), MEMBER_SIZE(T, f), \
           (int)(off), (int)(size)); \
    CHECK_EQ(offsetof(T, f), off); \
    CHECK_EQ(MEMBER_SIZE(T, f), size);
#define RT_TYPE(T, size) \
    printf("sizeof(%s) = %zu (expected %d)\n", #T, sizeof(T), (int)(size)); \
    CHECK_EQ(sizeof(T), size);
#define RT_DEF(name, value) \
    printf("%s = %lld (spec %lld)\n", #name, (long long)(name), (long long)(value)); \
    CHECK_EQ(name, value);

static const char UNKNOWN[] = "Unknown NMERR code.";

static void check_nmerr(const char *name, DWORD code, long long want) {
    const char *text = nmerr_text(code);
    HRESULT hr = NMERR_TO_HRESULT(code);
    HRESULT want_hr = code == 0 ? 0 : (HRESULT)(0x80040000u | code);
    printf("%s = %u (spec %lld): 0x%08X \"%s\"\n", name, (unsigned)code, want, (unsigned)hr, text ? text : "(null)");
    CHECK_EQ(code, want);
    CHECK(text != NULL);
    if (text) {
        CHECK(text[0] != '\0');
        CHECK(strcmp(text, UNKNOWN) != 0);
    }
    CHECK_EQ(hr, want_hr);
    CHECK_EQ(HRESULT_TO_NMERR(hr), code);
}

#define RT_NMERR(name, value) check_nmerr(#name, name, value);

int main(void) {
    /* Structures. */
    STRUCT_SIZES(RT_SIZE)
    FIELDS(RT_FIELD)

    /* Windows types. */
    TYPE_SIZES(RT_TYPE)
    CHECK_EQ(sizeof(HBLOB), sizeof(void *));
    CHECK((DWORD)-1 > 0);
    CHECK((BOOL)-1 < 0);

    /* #defines. */
    DEFINES(RT_DEF)
    CHECK_EQ(NETMON_2_0_CAPTUREFILE_SIGNATURE, MAKE_IDENTIFIER('G', 'M', 'B', 'U'));
    CHECK_EQ(NETMON_2_0_CAPTUREFILE_SIGNATURE, 0x55424D47); /* "GMBU" in memory order */
    CHECK_EQ(NETMON_1_0_CAPTUREFILE_SIGNATURE, 0x53535452); /* "RTSS" */
    {
        DWORD sig = NETMON_2_0_CAPTUREFILE_SIGNATURE;
        BYTE bytes[4];
        memcpy(bytes, &sig, 4);
        CHECK(bytes[0] == 'G' && bytes[1] == 'M' && bytes[2] == 'B' && bytes[3] == 'U');
    }
    CHECK_EQ(INITIAL_RESTART_KEY, 0xFFFFFFFFu);
    CHECK_EQ((DWORD)INITIAL_RESTART_KEY, 4294967295u);
    CHECK_EQ(NETWORKINFO_RESERVED_FIELD_SIZE, offsetof(ADDRESS2, IPXAddress) + sizeof(IPX_ADDR));
    CHECK_EQ(STATISTICS_SIZE, sizeof(STATISTICS));
    CHECK(BLOB_TABLE_SIZE(0) >= offsetof(BLOB_TABLE, hBlobs));
    CHECK(BLOB_TABLE_SIZE(5) >= offsetof(BLOB_TABLE, hBlobs) + 5 * sizeof(HBLOB));
    CHECK_EQ(sizeof(STATIONQUERY) * 3 + offsetof(QUERYTABLE, StationQuery), 4 + 192 * 3);

    /* Every NMERR code of section g, its text and its HRESULT. */
    NMERR_CODES(RT_NMERR)
    CHECK_STR(nmerr_text(NMERR_SUCCESS), nmerr_text(0));
    {
        /* Unassigned and out-of-range numbers. */
        static const DWORD unknown[] = {43, 44, 45, 52, 68, 140, 999, 1018, 2000, 3015, 3022, 99999, 0xFFFFFFFFu};
        size_t i;
        for (i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
            printf("nmerr_text(%u) = \"%s\"\n", (unsigned)unknown[i], nmerr_text(unknown[i]));
            CHECK_STR(nmerr_text(unknown[i]), UNKNOWN);
        }
    }
    CHECK_EQ(NMERR_TO_HRESULT(139), (HRESULT)0x8004008Bu);
    CHECK_EQ(NMERR_TO_HRESULT(1004), (HRESULT)0x800403ECu);
    CHECK_EQ(NMERR_TO_HRESULT(3018), (HRESULT)0x80040BCAu);
    CHECK_EQ(NMERR_TO_HRESULT(0), 0);
    CHECK_EQ(NMERR_TO_HRESULT(NMERR_NOT_ESP), (HRESULT)0x8004008Bu);
    CHECK_EQ(NMERR_TO_HRESULT(NMERR_BLOB_ENTRY_DOES_NOT_EXIST), (HRESULT)0x800403ECu);
    CHECK_EQ(NMERR_TO_HRESULT(NMERR_NO_NPP_SELECTED), (HRESULT)0x80040BCAu);
    CHECK_EQ(HRESULT_TO_NMERR((HRESULT)0x8004008Bu), 139);
    CHECK_EQ(HRESULT_TO_NMERR((HRESULT)0x800403ECu), 1004);
    CHECK_EQ(HRESULT_TO_NMERR((HRESULT)0x80040BCAu), 3018);
    CHECK_EQ(HRESULT_TO_NMERR(0), 0);
    /* Only the low 16 bits travel (the g.1 formula). */
    CHECK_EQ(NMERR_TO_HRESULT(0x12345), (HRESULT)0x80042345u);
    CHECK_EQ(HRESULT_TO_NMERR((HRESULT)0x12345678), 0x5678);

    return check_done("test_layout");
}
