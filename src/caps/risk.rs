/*!
Risk classes of the capabilities: what a capability lets a process do beyond an ordinary user, so
an audit (`captar caps scan --risk`, later `list --risk` and `verify --risk`) can point at the files
that matter. Pure code: a table indexed by capability number.

Each class is the worst that a capability *alone* is known to allow a process in the initial
namespaces; inside a user namespace the same capability reaches only what that namespace owns.

| class | meaning | capabilities |
|---|---|---|
| `root-equivalent` | a known, generic technique turns it into full root | chown, dac_override, dac_read_search, fowner, setgid, setuid, setpcap, sys_module, sys_rawio, sys_ptrace, sys_admin, sys_boot, mknod, setfcap, bpf |
| `high` | crosses a security boundary (other users' processes or data, the audit or MAC policy), without a generic path to root | fsetid, kill, net_admin, ipc_owner, sys_chroot, audit_control, mac_override, mac_admin |
| `moderate` | denial of service, tampering with the network namespace or the clock, kernel information leaks | linux_immutable, net_raw, sys_nice, sys_resource, sys_time, syslog, audit_read, perfmon, checkpoint_restore |
| `low` | narrow privileges with little to abuse | net_bind_service, net_broadcast, ipc_lock, sys_pacct, sys_tty_config, lease, audit_write, wake_alarm, block_suspend |

Bits without a name (41–63) are classed `high`: a future kernel may give them any meaning.

Where the classes come from:
- capabilities(7), which lists what each capability permits, and whose notes call CAP_SYS_ADMIN
  "the new root" for how much it covers;
- Brad Spengler, "False Boundaries and Arbitrary Code Execution" (grsecurity, 2011): most
  capabilities are root-equivalent given a little creativity; the techniques cited per
  capability in [`RISK`] below are the well-known ones (write /etc/shadow, load a module, ptrace
  a root process, open_by_handle_at as in the 2014 "Shocker" container escape, kexec, …);
- Docker's default capability set ([`DOCKER_DEFAULT`], moby `oci/caps/defaults.go`) as the
  baseline of what container runtimes grant; note that it includes several root-equivalent
  capabilities, confined there by the container's namespaces.
*/

use super::{FileCaps, cap_label};

/// How much a capability lets a process do; ordered from least to most dangerous.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RiskClass {
    Low,
    Moderate,
    High,
    RootEquivalent,
}

impl RiskClass {
    /// Every class, most dangerous first.
    pub const ALL: [RiskClass; 4] = [RiskClass::RootEquivalent, RiskClass::High, RiskClass::Moderate, RiskClass::Low];

    /// The class's name as printed (`root-equivalent`, `high`, `moderate`, `low`).
    pub fn name(self) -> &'static str {
        match self {
            RiskClass::Low => "low",
            RiskClass::Moderate => "moderate",
            RiskClass::High => "high",
            RiskClass::RootEquivalent => "root-equivalent",
        }
    }
}

impl std::fmt::Display for RiskClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

use RiskClass::{High, Low, Moderate, RootEquivalent};

/// The class of each named capability, indexed by number, with the reason.
pub const RISK: [RiskClass; 41] = [
    RootEquivalent, // 0 chown: take ownership of /etc/shadow, sudoers or any root file, then write it
    RootEquivalent, // 1 dac_override: write /etc/passwd, /etc/shadow, root's crontab
    RootEquivalent, // 2 dac_read_search: read /etc/shadow and private keys; open_by_handle_at (Shocker)
    RootEquivalent, // 3 fowner: chmod any file (make /etc/shadow writable), set its ACLs and xattrs
    High,           // 4 fsetid: setgid bit for any group on own files: become a member of any group
    High,           // 5 kill: signal any process, including root daemons and security agents
    RootEquivalent, // 6 setgid: setgid(0), or groups like disk and shadow
    RootEquivalent, // 7 setuid: setuid(0)
    RootEquivalent, // 8 setpcap: raise any bounding-set capability into the inheritable set
    Moderate,       // 9 linux_immutable: clear immutable/append-only flags (tamper with logs)
    Low,            // 10 net_bind_service: bind ports below 1024
    Low,            // 11 net_broadcast: broadcast and multicast (unused by the kernel today)
    High,           // 12 net_admin: firewall, routes, interfaces: redirect and intercept traffic
    Moderate,       // 13 net_raw: raw and packet sockets: sniff and spoof in the network namespace
    Low,            // 14 ipc_lock: lock memory (denial of service)
    High,           // 15 ipc_owner: bypass permissions on System V IPC: other users' shared memory
    RootEquivalent, // 16 sys_module: load kernel modules
    RootEquivalent, // 17 sys_rawio: /dev/mem, /dev/kmem, ioperm/iopl, raw SCSI commands
    High,           // 18 sys_chroot: chroot; with a hard link to a setuid-root program, root
    RootEquivalent, // 19 sys_ptrace: ptrace a root process and inject code
    Low,            // 20 sys_pacct: switch process accounting
    RootEquivalent, // 21 sys_admin: mount, namespaces, and much more ("the new root")
    RootEquivalent, // 22 sys_boot: kexec_load a kernel of one's choice (where not locked down)
    Moderate,       // 23 sys_nice: real-time priorities: starve the machine
    Moderate,       // 24 sys_resource: override limits, quotas and reserved blocks (fill the disk)
    Moderate,       // 25 sys_time: set the clock (certificates, tickets, log timelines)
    Low,            // 26 sys_tty_config: vhangup and virtual terminal ioctls
    RootEquivalent, // 27 mknod: make a device node of the root disk or /dev/mem, owned by oneself
    Low,            // 28 lease: file leases
    Low,            // 29 audit_write: write audit records
    High,           // 30 audit_control: change or disable audit rules (hide activity)
    RootEquivalent, // 31 setfcap: give a file any capability, then execute it
    High,           // 32 mac_override: override the MAC policy (Smack)
    High,           // 33 mac_admin: change the MAC policy (Smack, AppArmor)
    Moderate,       // 34 syslog: read the kernel log and kernel addresses (defeats KASLR)
    Low,            // 35 wake_alarm: alarms that wake the system
    Low,            // 36 block_suspend: block system suspend
    Moderate,       // 37 audit_read: read the audit log (other users' commands)
    Moderate,       // 38 perfmon: performance monitoring of the kernel: information leaks
    RootEquivalent, // 39 bpf: privileged BPF: read kernel memory, a history of verifier escalations
    Moderate,       // 40 checkpoint_restore: choose PIDs, read /proc/PID/map_files
];

/// Docker's default capability set (moby `oci/caps/defaults.go`), as `capsh --decode` shows it:
/// chown, dac_override, fowner, fsetid, kill, setgid, setuid, setpcap, net_bind_service, net_raw,
/// sys_chroot, mknod, audit_write, setfcap.
pub const DOCKER_DEFAULT: u64 = 0x0000_0000_a804_25fb;

/// The class of capability `n`; bits without a name are `High`.
pub fn risk_of(n: u32) -> RiskClass {
    RISK.get(n as usize).copied().unwrap_or(High)
}

/// The most dangerous class among the capabilities of `mask`, if any.
pub fn highest(mask: u64) -> Option<RiskClass> {
    super::mask_caps(mask).map(risk_of).max()
}

/// The capabilities of `mask` grouped by class, most dangerous first, classes without any left out.
pub fn classify(mask: u64) -> Vec<(RiskClass, u64)> {
    RiskClass::ALL
        .iter()
        .map(|&class| (class, super::mask_caps(mask).filter(|&n| risk_of(n) == class).fold(0u64, |m, n| m | 1 << n)))
        .filter(|&(_, m)| m != 0)
        .collect()
}

/// The risky capabilities of `mask` (class `moderate` or above) as one line, most dangerous class
/// first: `root-equivalent:cap_setuid,cap_sys_admin high:cap_net_admin`. `None` when it holds only
/// low-risk capabilities or none.
pub fn describe_mask(mask: u64) -> Option<String> {
    let groups: Vec<String> = classify(mask)
        .into_iter()
        .filter(|&(class, _)| class >= Moderate)
        .map(|(class, m)| {
            format!("{}:{}", class.name(), super::mask_caps(m).map(cap_label).collect::<Vec<_>>().join(","))
        })
        .collect();
    (!groups.is_empty()).then(|| groups.join(" "))
}

/// [`describe_mask`] of what a file capability grants (permitted | inheritable): the suffix that
/// `scan --risk` prints as ` [risk=…]`, for `list --risk` and `verify --risk` to reuse.
pub fn describe(caps: &FileCaps) -> Option<String> {
    describe_mask(caps.granted())
}
