//! Memory per idle session, measured with a counting allocator: build the shared system once,
//! then many logged-in sessions that each ran a few typical commands, and divide the live heap
//! they added by their number.

use sikker_shell::{Persona, Shell, System};
use std::alloc::{GlobalAlloc, Layout, System as Heap};
use std::sync::atomic::{AtomicIsize, Ordering};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { Heap.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { Heap.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        unsafe { Heap.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

#[test]
fn idle_sessions_are_small() {
    let start = LIVE.load(Ordering::Relaxed);
    let sys = System::new(Persona::generate(2024));
    println!(
        "shared system (persona + base tree): {} bytes",
        LIVE.load(Ordering::Relaxed) - start
    );
    // Warm the command registry and any lazily built tables.
    let mut warm = Shell::new(&sys, "root");
    warm.execute("uname -a; ls /; cat /proc/cpuinfo | grep name | head -n1");
    drop(warm);

    const N: usize = 2_000;
    let before = LIVE.load(Ordering::Relaxed);
    let mut sessions = Vec::with_capacity(N);
    for i in 0..N {
        let mut sh = Shell::new(&sys, if i % 3 == 0 { "admin" } else { "root" });
        sh.execute("uname -a; cd /tmp; w");
        sh.execute("cat /proc/cpuinfo | grep name | head -n1");
        sessions.push(sh);
    }
    let after = LIVE.load(Ordering::Relaxed);
    let per_session = (after - before) as usize / N;
    println!("live heap per idle session after 2 lines: {per_session} bytes");
    assert!(per_session < 16 * 1024, "{per_session} bytes per session");
    let estimate = sessions[1].memory_estimate();
    assert!(estimate < 16 * 1024, "estimate {estimate}");
}
