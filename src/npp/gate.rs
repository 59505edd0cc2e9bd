//! Who may wait for whom: the control lock of an NPP, the captures it is finishing, and the
//! threads that run the application's callbacks.
//!
//! The contract (netmon.h, "Callbacks"): when a call that ends something (Stop, Disconnect,
//! npp_destroy) returns, no callback of what it ended runs or will run — it waits for a callback
//! that is running, as `pthread_join` would. Two waits cannot be honoured and are not made:
//! * a callback waiting for its own NPP's callbacks (the call from inside the callback returns at
//!   once; the rest is finished on a thread of its own once the callback returns);
//! * a callback of NPP A waiting for NPP B while B's callbacks wait, directly or through other
//!   NPPs, for A (two NPPs whose callbacks stop each other): the call that would close the cycle
//!   does not wait either.
//!
//! Both cases are "detached" calls. Every other wait is woken (a condition variable), never a
//! spin.

use parking_lot::{Condvar, Mutex, MutexGuard};
use std::cell::Cell;

thread_local! {
    /// The NPP whose callback (frames or status) this thread runs, 0 on the application's
    /// threads; and whether it is the frames callback (IRTC's delivery thread).
    static SERVING: Cell<(u64, bool)> = const { Cell::new((0, false)) };
}

/// Marks the calling thread as the one that runs NPP `handle`'s frames callback (`frames`) or its
/// status callback, for the thread's lifetime.
pub fn serve(handle: u64, frames: bool) {
    SERVING.with(|s| s.set((handle, frames)));
}

/// The NPP whose callback the calling thread runs (0: none).
pub fn serving() -> u64 {
    SERVING.with(|s| s.get().0)
}

/// True on NPP `handle`'s frames-callback thread.
pub fn serving_frames_of(handle: u64) -> bool {
    SERVING.with(|s| s.get()) == (handle, true)
}

/// Edges "a thread running NPP `.0`'s callbacks waits for NPP `.1`", one per waiting call.
static WAITS: Mutex<Vec<(u64, u64)>> = Mutex::new(Vec::new());

/// True when NPP `from` waits, directly or through others, for NPP `to`.
fn reaches(edges: &[(u64, u64)], from: u64, to: u64) -> bool {
    let mut seen = vec![from];
    let mut next = vec![from];
    while let Some(n) = next.pop() {
        for &(a, b) in edges {
            if a == n && !seen.contains(&b) {
                if b == to {
                    return true;
                }
                seen.push(b);
                next.push(b);
            }
        }
    }
    false
}

/// One call's place in the wait graph: removed when the call returns.
pub struct Waiter {
    edge: Option<(u64, u64)>,
    /// The call must not wait for the NPP's callbacks (see the module's doc).
    pub detached: bool,
}

impl Waiter {
    /// Enters a call on NPP `target` from the calling thread.
    pub fn enter(target: u64) -> Waiter {
        let me = serving();
        if me == 0 {
            return Waiter { edge: None, detached: false };
        }
        if me == target {
            return Waiter { edge: None, detached: true };
        }
        let mut w = WAITS.lock();
        if reaches(&w, target, me) {
            return Waiter { edge: None, detached: true };
        }
        w.push((me, target));
        Waiter { edge: Some((me, target)), detached: false }
    }
}

impl Drop for Waiter {
    fn drop(&mut self) {
        if let Some(edge) = self.edge {
            let mut w = WAITS.lock();
            if let Some(i) = w.iter().position(|&e| e == edge) {
                w.swap_remove(i);
            }
        }
    }
}

#[derive(Default)]
struct State {
    /// A control call holds the NPP.
    held: bool,
    /// A Stop or npp_destroy is finishing a capture (joining its threads).
    stopping: u32,
    /// Captures being finished on threads of their own (a call from inside a callback).
    finishing: u32,
}

/// The per-NPP control lock, with the finishing work it waits for.
#[derive(Default)]
pub struct Gate {
    state: Mutex<State>,
    changed: Condvar,
}

/// The control lock, held: released on drop.
pub struct Held<'a>(&'a Gate);

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.0.state.lock().held = false;
        self.0.changed.notify_all();
    }
}

impl Gate {
    fn update(&self, f: impl FnOnce(&mut State)) {
        f(&mut self.state.lock());
        self.changed.notify_all();
    }

    fn wait_while<'a>(&'a self, mut g: MutexGuard<'a, State>, cond: impl Fn(&State) -> bool) -> MutexGuard<'a, State> {
        while cond(&g) {
            self.changed.wait(&mut g);
        }
        g
    }

    /// Takes the control lock. A detached call does not wait while a capture of this NPP is being
    /// stopped (that waits for the callback the call comes from): it gets None.
    pub fn hold(&self, detached: bool) -> Option<Held<'_>> {
        let g = self.wait_while(self.state.lock(), |s| s.held && !(detached && s.stopping > 0));
        let mut g = g;
        if g.held {
            return None;
        }
        g.held = true;
        Some(Held(self))
    }

    /// Says that a capture of this NPP is being stopped, until the returned value is dropped.
    pub fn stopping(&self) -> Stopping<'_> {
        self.begin_stopping();
        Stopping(self)
    }

    /// `stopping` for a capture finished on a thread of its own: `end_stopping` when done.
    pub fn begin_stopping(&self) {
        self.update(|s| s.stopping += 1);
    }

    pub fn end_stopping(&self) {
        self.update(|s| s.stopping -= 1);
    }

    /// Counts a capture being finished on a thread of its own; `finished` says it is done.
    pub fn begin_finishing(&self) {
        self.update(|s| s.finishing += 1);
    }

    pub fn finished(&self) {
        self.update(|s| s.finishing -= 1);
    }

    /// Waits until no capture of this NPP is being finished on a thread of its own.
    pub fn wait_finished(&self) {
        drop(self.wait_while(self.state.lock(), |s| s.finishing > 0));
    }
}

/// See `Gate::stopping`.
pub struct Stopping<'a>(&'a Gate);

impl Drop for Stopping<'_> {
    fn drop(&mut self) {
        self.0.end_stopping();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycles_are_detached() {
        let t = std::thread::spawn(|| {
            serve(101, true);
            let a = Waiter::enter(102);
            assert!(!a.detached);
            let own = Waiter::enter(101);
            assert!(own.detached);
            // 102 -> 103 -> 101 would close the cycle 101 -> 102 -> 103 -> 101.
            let b = std::thread::spawn(|| {
                serve(102, true);
                let w = Waiter::enter(103);
                assert!(!w.detached);
                let c = std::thread::spawn(|| {
                    serve(103, false);
                    assert!(Waiter::enter(101).detached);
                    assert!(!Waiter::enter(104).detached);
                });
                c.join().unwrap();
            });
            b.join().unwrap();
            drop(a);
            let c = std::thread::spawn(|| {
                serve(103, false);
                assert!(!Waiter::enter(101).detached);
            });
            c.join().unwrap();
        });
        t.join().unwrap();
        assert!(!Waiter::enter(5).detached);
    }

    #[test]
    fn gate_waits_are_woken() {
        let g = std::sync::Arc::new(Gate::default());
        let held = g.hold(false).unwrap();
        let s = g.stopping();
        // Detached: does not wait while stopping.
        assert!(g.hold(true).is_none());
        drop(s);
        let g2 = g.clone();
        let t = std::thread::spawn(move || g2.hold(false).is_some());
        std::thread::sleep(std::time::Duration::from_millis(20));
        drop(held);
        assert!(t.join().unwrap());
        g.begin_finishing();
        let g3 = g.clone();
        let t = std::thread::spawn(move || g3.wait_finished());
        std::thread::sleep(std::time::Duration::from_millis(20));
        g.finished();
        t.join().unwrap();
    }
}
