"""The four capture families: Esp (IESP), Delayed (IDelaydC), Stats (IStats), RealTime (IRTC)."""

from __future__ import annotations

import atexit
import collections
import ctypes
import queue
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Deque, Iterator, List, Mapping, Optional, Tuple, Union

from . import _constants, _lib
from ._blob import Blob
from ._errors import NmError, check
from ._nic import Nic
from ._statistics import Statistics

#: What a capture's ``config`` may be: a Blob or a dict of "Owner:Category:Tag" -> str.
Config = Union[Blob, Mapping[str, str], None]

_STATES = {
    value: name[len("NETWORKSTATUS_STATE_") :]
    for name, value in vars(_constants).items()
    if name.startswith("NETWORKSTATUS_STATE_")
}
_FILE_NAME_ROOM = 4096


@dataclass(frozen=True)
class Status:
    """Where a capture stands: ``state`` is the NETWORKSTATUS_STATE_* name without its prefix
    (``"VOID"`` when not connected or idle, ``"CAPTURING"``, ``"PAUSED"``), ``flags`` the
    NETWORKSTATUS_FLAGS_* bits, ``running`` true while started (also paused), ``paused`` true
    while paused.
    """

    state: str
    flags: int
    running: bool
    paused: bool


@dataclass(frozen=True)
class Station:
    """One station (MAC address) of the conversation statistics, with STATIONSTATS's counters."""

    address: str
    TotalPacketsReceived: int
    TotalDirectedPacketsSent: int
    TotalBroadcastPacketsSent: int
    TotalMulticastPacketsSent: int
    TotalBytesReceived: int
    TotalBytesSent: int


@dataclass(frozen=True)
class Session:
    """One-way traffic from station ``owner`` to unicast station ``partner`` (MAC addresses)."""

    owner: str
    partner: str
    TotalPacketsSent: int


@dataclass(frozen=True)
class Conversations:
    """The conversation statistics of a running capture: up to 100 stations and 100 sessions."""

    stations: List[Station]
    sessions: List[Session]


@dataclass(frozen=True)
class Frame:
    """A frame delivered by :class:`RealTime` (copied out of the library's FRAME_DESCRIPTOR).

    ``timestamp`` in seconds since the Unix epoch (``timestamp_us`` exactly, in microseconds),
    ``wire_length`` its length on the wire, ``data`` the stored bytes (``NPP:Config:FrameSize``
    clips them), ``etype`` the EtherType (the one inside SNAP; 0 for other 802.2 frames), ``sap``
    the DSAP of 802.2 frames, ``low_protocol`` a LOW_PROTOCOL_* number, ``ip_protocol`` the IPv4
    protocol / IPv6 next header (None when the frame is neither).
    """

    timestamp: float
    timestamp_us: int
    wire_length: int
    data: bytes
    etype: int
    sap: int
    low_protocol: int
    ip_protocol: Optional[int]


def _mac(address: Any) -> str:
    return ":".join(f"{b:02x}" for b in address)


#: Sessions whose object was garbage-collected on another thread than the main thread, for the
#: reaper thread.
_pending: "queue.SimpleQueue[_Session]" = queue.SimpleQueue()
_reaper_lock = threading.Lock()
_reaper: Optional[threading.Thread] = None
#: Held while a session is closed off the main thread (interpreter exit waits for it).
_reaping = threading.Lock()
#: How long stop() waits for the status event of a capture that ended by itself.
_END_WAIT = 10.0


def _reap(session: "_Session") -> None:
    with _reaping:
        try:
            session.close()
        except Exception:  # nothing to report to: the object is gone  # pragma: no cover
            pass


def _reap_forever() -> None:
    while True:
        session = _pending.get()
        _reap(session)
        del session  # the callbacks are freed only now, after npp_destroy returned here


def _start_reaper() -> None:
    """Starts the reaper thread once (from an ordinary call, never from a finalizer)."""
    global _reaper
    with _reaper_lock:
        if _reaper is None:
            _reaper = threading.Thread(target=_reap_forever, name="ndisnpp-reaper", daemon=True)
            _reaper.start()


@atexit.register
def _reap_at_exit() -> None:
    # The daemon reaper may not run again: the close it is doing is waited for, and what it has
    # not taken yet is closed here.
    while True:
        try:
            session = _pending.get_nowait()
        except queue.Empty:
            with _reaping:
                return
        _reap(session)


def _finalize(session: "_Session") -> None:
    """The finalizer of a capture object (garbage collection, interpreter exit).

    The cyclic garbage collector runs on whatever thread allocates, which may be one of the
    library's threads inside a callback of this package (even before the callback's first line,
    while ctypes converts its argument). Tearing the NPP down there would wait for that very
    callback, and freeing its ctypes thunks would free the code that thread is executing. The
    library calls back on its own threads only, so on the main thread the session is closed at
    once; on any other thread it goes to the reaper thread, which closes it and only then lets
    the thunks go.
    """
    if threading.get_ident() == threading.main_thread().ident:
        session.close()
    else:
        _pending.put(session)  # SimpleQueue.put is safe in finalizers


class _Ending:
    """The final statistics of a capture that ended by itself (frame limit, trigger, full disk,
    interface gone), from its status event (set on the library's status thread)."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.final: Optional[Statistics] = None

    def reset(self) -> None:
        with self.cond:
            self.final = None

    def set(self, final: Statistics) -> None:
        with self.cond:
            self.final = final
            self.cond.notify_all()

    def wait(self) -> Optional[Statistics]:
        with self.cond:
            self.cond.wait_for(lambda: self.final is not None, _END_WAIT)
            return self.final


class _Session:
    """The resources of one capture object: its NPP and the callbacks the library may call.

    Kept apart from the public object so that its finalizer (which also runs at interpreter
    exit) stops, disconnects and destroys the NPP while the callbacks are still alive.
    """

    def __init__(self, family: str, npp: int) -> None:
        self.family = family
        self.npp: Optional[int] = npp
        self.connected = False
        self.callbacks: Tuple[Any, ...] = ()
        self.after_stop: Callable[[], None] = lambda: None
        # esp_stop and dc_stop take an optional STATISTICS pointer; the others none.
        self.stop_args: Tuple[Any, ...] = (None,) if family in ("esp", "dc") else ()
        # A capture this object started and has not stopped.
        self.running = False
        self.ending = _Ending()

    def fn(self, name: str) -> Any:
        return getattr(_lib.lib, f"{self.family}_{name}")

    def call(self, name: str, *args: Any) -> None:
        if self.npp is None:
            raise ValueError("the capture object is closed")
        check(self.fn(name)(self.npp, *args), f"{self.family}_{name}")

    def control_state(self) -> Tuple[bool, bool]:
        running, paused = _lib.BOOL(), _lib.BOOL()
        self.call("get_control_state", ctypes.byref(running), ctypes.byref(paused))
        return bool(running.value), bool(paused.value)

    def start(self, *args: Any) -> None:
        self.ending.reset()
        self.call("start", *args)
        self.running = True

    def stop(self, *args: Any) -> bool:
        """Stop. False when the capture this object started had ended by itself (the library
        answers NMERR_NOT_CAPTURING then); other errors are raised."""
        try:
            self.call("stop", *args)
            return True
        except NmError as e:
            if e.code != _constants.NMERR_NOT_CAPTURING or not self.running:
                raise
            return False
        finally:
            self.running = False

    def close(self) -> None:
        if self.npp is None:
            return
        try:
            if self.connected:
                if self.control_state()[0]:
                    self.stop(*self.stop_args)
                self.call("disconnect")
                self.connected = False
        finally:
            _lib.lib.npp_destroy(self.npp)
            self.npp = None
            self.running = False
            self.after_stop()
            self.callbacks = ()


class _Capture:
    """What the four families share: an NPP made from the NIC BLOB merged with the
    configuration, Connect on ``with`` (or :meth:`connect`), and on exit Stop and Disconnect as
    needed, then npp_destroy.

    ``config={"NPP:Config:BpfFilter": "udp port 53"}`` captures only the frames that pass a
    pcap-filter(7) expression (tcpdump's filter language), and the Netmon filter entries when
    both are given. libpcap compiles it for the NIC's link type when connecting; one it cannot
    compile raises NmError ``NMERR_BLOB_CONVERSION_ERROR`` whose ``details`` hold the entry
    (``"NPP:Config:BpfFilter"``) and libpcap's message (``"NPP:Error:Detail"``).
    """

    _family: ClassVar[str]
    _pause_args: ClassVar[Tuple[Any, ...]] = ()

    def __init__(self, nic: Nic, config: Config = None) -> None:
        """Creates the NPP (npp_create) for ``nic`` with ``config`` merged into a copy of its BLOB;
        connecting waits for ``with`` or :meth:`connect`."""
        blob = nic.blob.copy()
        if isinstance(config, Blob):
            blob.merge(config)
        elif config is not None:
            blob.update(config)
        self.blob: Blob = blob
        """The NIC BLOB merged with the configuration: what Connect receives."""
        _start_reaper()
        handle = _lib.HNPP()
        check(_lib.lib.npp_create(blob.handle, ctypes.byref(handle)), "npp_create")
        self._session = _Session(self._family, handle.value or 0)
        self._session.callbacks = (_status_callback(self._session.ending, None),)
        self._close = weakref.finalize(self, _finalize, self._session)

    def _connect(self, error_blob: Blob) -> int:
        s = self._session
        return int(s.fn("connect")(s.npp, self.blob.handle, s.callbacks[0], None, error_blob.handle))

    def connect(self) -> None:
        """Connects to the NIC with the merged BLOB (done by ``with``). NmError on failure, with
        the error BLOB's entries in ``details``."""
        if self._session.npp is None:
            raise ValueError("the capture object is closed")
        errors = Blob()
        rc = self._connect(errors)
        if rc != 0:
            raise NmError(rc, f"{self._family}_connect", dict(errors.items_list()))
        self._session.connected = True

    def __enter__(self) -> Any:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stops (if running or paused) and disconnects (if connected), then destroys the NPP.

        Garbage collection does the same, and so does interpreter exit. When the collector runs
        on another thread than the main thread (a library thread inside a callback, when the
        object is in a reference cycle), a thread of the package does it a moment later.
        """
        if self._close.detach() is not None:
            self._session.close()

    def pause(self) -> None:
        """Pauses the capture (frames are counted as seen, not kept)."""
        self._session.call("pause", *self._pause_args)

    def resume(self) -> None:
        """Resumes a paused capture."""
        self._session.call("resume")

    def disconnect(self) -> None:
        """Disconnects (NmError NMERR_CAPTURING while a capture runs or is paused)."""
        self._session.call("disconnect")
        self._session.connected = False

    def status(self) -> Status:
        """The state (``*_query_status``) and control state (``*_get_control_state``)."""
        st = _lib.NETWORKSTATUS()
        self._session.call("query_status", ctypes.byref(st))
        running, paused = self._session.control_state()
        return Status(_STATES.get(st.State, str(st.State)), st.Flags, running, paused)

    def frames_captured(self) -> int:
        """Frames captured so far by the running capture, else the last one (64-bit, from the
        ``*_get_statistics_ex`` extension). NmError NMERR_NOT_CAPTURING before any capture."""
        ex = _lib.STATISTICS_EX(StructSize=ctypes.sizeof(_lib.STATISTICS_EX))
        self._session.call("get_statistics_ex", ctypes.byref(ex))
        return int(ex.FramesCaptured)


class _FileCapture(_Capture):
    """Esp and Delayed: a capture file per Start."""

    def start(self) -> str:
        """Starts a capture into a new file in the capture directory; returns its path. With
        ``NPP:Config:CaptureFileDescriptor`` (a descriptor number as text; PCAP or PCAPNG only) the
        capture goes to a duplicate of that descriptor instead, and the path returned is ``""``
        (README "Streams")."""
        name = ctypes.create_string_buffer(_FILE_NAME_ROOM)
        self._session.start(name, _FILE_NAME_ROOM)
        return name.value.decode()

    def stop(self) -> Statistics:
        """Stops: drains, completes and closes the file; returns the final statistics.

        After a capture that ended by itself (``NPP:Config:FrameLimit``, a trigger, a full disk,
        the interface gone), where the C function answers NMERR_NOT_CAPTURING, it returns the
        final statistics that came with the status event of that end (waiting up to 10 s for
        it). NmError NMERR_NOT_CAPTURING when this object started no capture since the last stop.
        """
        st = _lib.STATISTICS()
        s = self._session
        if s.stop(ctypes.byref(st)):
            return Statistics._from_c(st)
        final = s.ending.wait()
        if final is None:  # pragma: no cover - the status event is posted as the capture ends
            raise NmError(_constants.NMERR_NOT_CAPTURING, f"{self._family}_stop")
        return final


class _Totals(_Capture):
    """Stats, Delayed and RealTime: total and conversation statistics on request."""

    def _raw_totals(self, clear: bool) -> Any:
        st = _lib.STATISTICS()
        self._session.call("get_total_statistics", ctypes.byref(st), 1 if clear else 0)
        return st

    def total_statistics(self, clear: bool = False) -> Statistics:
        """The capture's totals (``*_get_total_statistics``); ``clear`` resets them after."""
        return Statistics._from_c(self._raw_totals(clear))

    def conversations(self, clear: bool = False) -> Conversations:
        """The stations and one-way sessions seen so far (only while running)."""
        sessions = (_lib.SESSIONSTATS * _constants.MAX_SESSIONS)()
        stations = (_lib.STATIONSTATS * _constants.MAX_STATIONS)()
        n_sessions, n_stations = _lib.DWORD(), _lib.DWORD()
        self._session.call(
            "get_conversation_statistics",
            ctypes.byref(n_sessions),
            sessions,
            ctypes.byref(n_stations),
            stations,
            1 if clear else 0,
        )
        counters = [f for f in Station.__dataclass_fields__ if f != "address"]
        found = [
            Station(_mac(s.StationAddress), *(getattr(s, f) for f in counters))
            for s in stations[: n_stations.value]
        ]
        return Conversations(
            found,
            [
                Session(found[s.StationOwner].address, found[s.StationPartner].address, s.TotalPacketsSent)
                for s in sessions[: n_sessions.value]
            ],
        )


class Esp(_FileCapture):
    """IESP: capture to a file. ``Esp(nic, config)`` merges ``config`` (``NPP:Config:*``
    entries, filters) into a copy of the NIC BLOB; ``with`` connects, and its end stops and
    disconnects as needed.

    The files go to ``NPP:Config:CaptureDirectory``, else ``$NETMON_CAPTURE_DIR``, else a private
    default. A directory that another user controls (owned by a user other than you and root, or
    writable by group or others without the sticky bit, such as a 0777 directory) is refused:
    connecting raises NmError ``NMERR_ACCESS_DENIED`` whose ``details`` hold
    ``"NPP:Config:CaptureDirectory"`` and the reason, ``"NPP:Error:Detail"`` (README "Security:
    the capture directory"). ``Delayed`` follows the same rule.

    Rotation (README "Rotation"): with ``"NPP:Config:RotateBytes"`` and/or
    ``"NPP:Config:RotateSeconds"`` the capture goes to a series of files
    ``<base>_<00001...>_<YYYYMMDDTHHMMSSZ>.<cap|pcap|pcapng>`` in the capture directory, a new one
    before the frame that would take the current file past that many bytes or once it is that
    many seconds old; ``"NPP:Config:RotateFiles"`` keeps only the newest N (the oldest deleted),
    ``"NPP:Config:RotateBaseName"`` names them (else ``nm-<random>``). ``start()`` returns the
    first file; the others share its name up to the sequence number (sorted by name, a series is
    in order). Each file is complete and readable on its own; ``stop()`` returns the statistics
    of the whole capture.
    """

    _family = "esp"
    _pause_args = (None,)  # esp_pause's obsolete STATISTICS pointer


class Delayed(_FileCapture, _Totals):
    """IDelaydC: a capture file per Start, with total and conversation statistics while it runs."""

    _family = "dc"


class Stats(_Totals):
    """IStats: statistics only, no frames kept."""

    _family = "stats"

    def start(self) -> None:
        """Starts counting."""
        self._session.start()

    def stop(self) -> Statistics:
        """Stops counting; returns the final totals (also after a capture that ended by itself,
        where the C function answers NMERR_NOT_CAPTURING)."""
        self._session.stop()
        return self.total_statistics()


class _FrameQueue:
    """The bounded queue between the library's delivery thread and the iterator.

    The frames callback only appends (dropping and counting when full: ``capacity`` frames or
    ``capacity_bytes`` stored bytes): it never waits for the consumer. ``closed``: rtc_stop
    returned, every frame is in. ``expected``: the capture ended by itself and the library
    captured that many frames (counted since ``base``).
    """

    def __init__(self, capacity: int, capacity_bytes: int) -> None:
        self.capacity = capacity
        self.capacity_bytes = capacity_bytes
        self.items: Deque[Frame] = collections.deque()
        self.bytes = 0  # stored bytes of the frames in items
        self.cond = threading.Condition()
        self.reset()

    def reset(self) -> None:
        with self.cond:
            self.closed = False
            self.expected: Optional[int] = None
            self.received = self.base = self.dropped = self.dropped_bytes = 0

    def put_many(self, frames: List[Frame]) -> None:
        with self.cond:
            for frame in frames:
                self.received += 1
                size = len(frame.data)
                if len(self.items) < self.capacity and self.bytes + size <= self.capacity_bytes:
                    self.items.append(frame)
                    self.bytes += size
                else:
                    self.dropped += 1
                    self.dropped_bytes += size
            self.cond.notify_all()

    def end(self, captured: int) -> None:
        with self.cond:
            self.expected = self.base + captured
            self.cond.notify_all()

    def close(self) -> None:
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def _all_in(self) -> bool:
        return self.expected is not None and self.received >= self.expected

    def _over(self) -> bool:
        return self.closed or self._all_in()

    def wait_all_in(self) -> None:
        """Waits (up to 10 s) until the frames of a capture that ended by itself are all in."""
        with self.cond:
            self.cond.wait_for(self._all_in, _END_WAIT)

    def get(self, timeout: Optional[float]) -> Optional[Frame]:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self.cond:
            while not self.items:
                if self._over():
                    return None
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                self.cond.wait(remaining)
            frame = self.items.popleft()
            self.bytes -= len(frame.data)
            return frame


def _frames_callback(frames: _FrameQueue) -> Any:
    size = ctypes.sizeof(_lib.FRAME_DESCRIPTOR)
    offset = _lib.FRAMETABLE.Frames.offset
    ip = (_constants.LOW_PROTOCOL_IP, _constants.LOW_PROTOCOL_IP6)

    def on_frames(event: Any) -> int:
        if not event.lpFrameTable:
            return 0
        table = event.lpFrameTable.contents
        base = ctypes.addressof(table) + offset
        batch = []
        for k in range(table.FrameCount):
            d = _lib.FRAME_DESCRIPTOR.from_address(base + (table.StartIndex + k) % table.FrameTableLength * size)
            batch.append(
                Frame(
                    d.TimeStamp / 1e6,
                    d.TimeStamp,
                    d.FrameLength,
                    ctypes.string_at(d.FramePointer, d.nBytesAvail) if d.nBytesAvail else b"",
                    d.Etype,
                    d.Sap,
                    d.LowProtocol,
                    d.HighPort & 0xFF if d.LowProtocol in ip else None,
                )
            )
        frames.put_many(batch)
        return 0

    return _lib.LPNETWORKCALLBACKPROC(on_frames)


def _status_callback(ending: _Ending, frames: Optional[_FrameQueue]) -> Any:
    def on_status(event: Any) -> int:
        # A capture that ended by itself (frame limit, trigger, source gone): its final figures.
        if event.Action == _constants.UPDATE_ACTION_STOP_CAPTURE and event.lpFinalStats:
            raw = ctypes.cast(event.lpFinalStats, ctypes.POINTER(_lib.STATISTICS)).contents
            if frames is not None:
                frames.end(raw.TotalFramesCaptured)
            ending.set(Statistics._from_c(raw))
        return 0

    return _lib.LPNETWORKCALLBACKPROC(on_status)


#: RealTime's default bound of its queue in stored bytes.
DEFAULT_QUEUE_BYTES = 64 * 1024 * 1024


class RealTime(_Totals):
    """IRTC: frames as they arrive, through :meth:`frames`.

    The library's frames callback copies each frame into a queue of at most ``queue_size``
    frames holding at most ``queue_bytes`` stored bytes (``Frame.data``; default 64 MiB); when a
    frame does not fit, it is dropped (the callback never waits for Python code) and counted:
    :meth:`stop` and :meth:`total_statistics` move such frames from
    ``TotalFramesCaptured``/``TotalBytesCaptured`` to ``TotalFramesDropped``, so their
    ``TotalFramesCaptured`` is what :meth:`frames` can yield. ``dropped`` holds the count.
    """

    _family = "rtc"

    def __init__(
        self, nic: Nic, config: Config = None, *, queue_size: int = 65536, queue_bytes: int = DEFAULT_QUEUE_BYTES
    ) -> None:
        """As the other families, with a frame queue of ``queue_size`` frames and ``queue_bytes``
        stored bytes (a frame longer than ``queue_bytes`` is always dropped)."""
        if queue_size < 1:
            raise ValueError("queue_size must be at least 1")
        if queue_bytes < 1:
            raise ValueError("queue_bytes must be at least 1")
        super().__init__(nic, config)
        self._queue = _FrameQueue(queue_size, queue_bytes)
        s = self._session
        s.callbacks = (_status_callback(s.ending, self._queue), _frames_callback(self._queue))
        s.after_stop = self._queue.close

    @property
    def dropped(self) -> int:
        """Frames of this capture the queue had no room for."""
        return self._queue.dropped

    def _connect(self, error_blob: Blob) -> int:
        s = self._session
        status, frames = s.callbacks
        return int(_lib.lib.rtc_connect(s.npp, self.blob.handle, status, frames, None, error_blob.handle))

    def start(self) -> None:
        """Starts delivering frames to :meth:`frames`."""
        self._queue.reset()
        self._session.start()

    def stop(self) -> Statistics:
        """Stops: every frame captured before is in the queue when it returns (:meth:`frames`
        then ends after yielding them). Returns the final totals (queue drops included).

        After a capture that ended by itself (``NPP:Config:FrameLimit``, a trigger, the
        interface gone), where rtc_stop answers NMERR_NOT_CAPTURING, it waits (up to 10 s) until
        the capture's last frame is in the queue and returns the final totals all the same.
        NmError NMERR_NOT_CAPTURING when this object started no capture since the last stop.
        """
        try:
            if not self._session.stop():
                self._queue.wait_all_in()
        finally:
            self._queue.close()
        return self.total_statistics()

    def total_statistics(self, clear: bool = False) -> Statistics:
        """As for Stats, with the frames the queue dropped counted as dropped (not captured)."""
        q = self._queue
        raw = self._raw_totals(clear)
        with q.cond:
            dropped, dropped_bytes = q.dropped, q.dropped_bytes
            if clear:
                q.base += raw.TotalFramesCaptured
                q.dropped = q.dropped_bytes = 0
        raw.TotalFramesDropped += dropped
        raw.TotalFramesCaptured = max(0, raw.TotalFramesCaptured - dropped)
        raw.TotalBytesCaptured = max(0, raw.TotalBytesCaptured - dropped_bytes)
        return Statistics._from_c(raw)

    def frames(self, timeout: Optional[float] = None) -> Iterator[Frame]:
        """Yields the frames in the order they arrive. Ends when the capture stops (after the
        last frame captured before the Stop) or when ``timeout`` seconds pass with no frame."""
        while True:
            frame = self._queue.get(timeout)
            if frame is None:
                return
            yield frame
