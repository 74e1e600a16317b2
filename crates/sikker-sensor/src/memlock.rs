//! The sensor process gives up locking memory.
//!
//! russh keeps key material in buffers it locks into RAM (`mlock` when one is allocated or
//! grown, `munlock` when it is freed: about seven calls per SSH handshake, each splitting and
//! merging the heap's mappings in the kernel). That was a tenth of the sensor's CPU per
//! handshake, and it protects nothing a honeypot has: the keys are those of attackers'
//! sessions. With the locked-memory limit at zero and without `CAP_IPC_LOCK`, each of those
//! calls fails at once and russh carries on (it ignores the result). The host keys are not in
//! such buffers either way.

use std::io;

/// Sets this process's locked-memory limit to zero and drops `CAP_IPC_LOCK` from the calling
/// thread. Capabilities belong to threads and are inherited by the threads a thread starts, so
/// call it first in `main`, before any runtime starts its workers.
pub fn forgo_memory_locking() -> io::Result<()> {
    imp::forgo()
}

#[cfg(target_os = "linux")]
mod imp {
    use std::io;

    const CAP_IPC_LOCK: u32 = 14;
    /// `_LINUX_CAPABILITY_VERSION_3`: 64-bit sets, as two 32-bit words.
    const CAP_VERSION_3: u32 = 0x2008_0522;

    #[repr(C)]
    struct CapHeader {
        version: u32,
        pid: libc::c_int,
    }

    #[repr(C)]
    #[derive(Clone, Copy, Default)]
    struct CapData {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }

    pub(super) fn forgo() -> io::Result<()> {
        let none = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: a valid pointer to an initialised rlimit for the duration of the call.
        if unsafe { libc::setrlimit(libc::RLIMIT_MEMLOCK, &none) } != 0 {
            return Err(io::Error::last_os_error());
        }
        let mut header = CapHeader {
            version: CAP_VERSION_3,
            pid: 0,
        };
        let mut data = [CapData::default(); 2];
        // SAFETY: version 3 reads and writes exactly two `CapData`; pid 0 is this thread.
        if unsafe { libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()) } != 0 {
            return Err(io::Error::last_os_error());
        }
        let bit = 1u32 << CAP_IPC_LOCK;
        if (data[0].effective | data[0].permitted | data[0].inheritable) & bit == 0 {
            return Ok(());
        }
        data[0].effective &= !bit;
        data[0].permitted &= !bit;
        data[0].inheritable &= !bit;
        // SAFETY: as above; dropping a capability needs no privilege.
        if unsafe { libc::syscall(libc::SYS_capset, &header, data.as_ptr()) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn memory_can_no_longer_be_locked() {
            // In a thread of its own, so the other tests keep this thread's capabilities
            // (the limit is the process's, which no other test depends on).
            let result = std::thread::spawn(|| {
                forgo()?;
                let buf = vec![7u8; 4096];
                // SAFETY: a live allocation of that length.
                let locked = unsafe { libc::mlock(buf.as_ptr().cast(), buf.len()) };
                if locked == 0 {
                    // SAFETY: as above, and it was locked.
                    unsafe { libc::munlock(buf.as_ptr().cast(), buf.len()) };
                }
                Ok::<_, io::Error>(locked)
            })
            .join()
            .expect("the test thread");
            assert_eq!(result.expect("forgo_memory_locking"), -1);
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    pub(super) fn forgo() -> std::io::Result<()> {
        Ok(())
    }
}
