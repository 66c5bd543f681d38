//! Capability names, numbers 0–40 (include/uapi/linux/capability.h; libcap's cap_names), and the
//! helpers that turn a 64-bit capability mask into names the way libcap does.

use std::borrow::Cow;

/// Names of the capabilities the kernel defines, indexed by number.
pub const CAP_NAMES: [&str; 41] = [
    "cap_chown",
    "cap_dac_override",
    "cap_dac_read_search",
    "cap_fowner",
    "cap_fsetid",
    "cap_kill",
    "cap_setgid",
    "cap_setuid",
    "cap_setpcap",
    "cap_linux_immutable",
    "cap_net_bind_service",
    "cap_net_broadcast",
    "cap_net_admin",
    "cap_net_raw",
    "cap_ipc_lock",
    "cap_ipc_owner",
    "cap_sys_module",
    "cap_sys_rawio",
    "cap_sys_chroot",
    "cap_sys_ptrace",
    "cap_sys_pacct",
    "cap_sys_admin",
    "cap_sys_boot",
    "cap_sys_nice",
    "cap_sys_resource",
    "cap_sys_time",
    "cap_sys_tty_config",
    "cap_mknod",
    "cap_lease",
    "cap_audit_write",
    "cap_audit_control",
    "cap_setfcap",
    "cap_mac_override",
    "cap_mac_admin",
    "cap_syslog",
    "cap_wake_alarm",
    "cap_block_suspend",
    "cap_audit_read",
    "cap_perfmon",
    "cap_bpf",
    "cap_checkpoint_restore",
];

/// The highest capability number with a name.
pub const LAST_KNOWN_CAP: u32 = CAP_NAMES.len() as u32 - 1;

/// The name of capability `n`, if it has one.
pub fn cap_name(n: u32) -> Option<&'static str> {
    CAP_NAMES.get(n as usize).copied()
}

/// Every capability with a name, as a mask (bits 0–40).
pub const KNOWN_MASK: u64 = (1u64 << (LAST_KNOWN_CAP + 1)) - 1;

/// The name of capability `n`, or its decimal number when it has none (libcap's `cap_to_name`).
pub fn cap_label(n: u32) -> Cow<'static, str> {
    match cap_name(n) {
        Some(name) => Cow::Borrowed(name),
        None => Cow::Owned(n.to_string()),
    }
}

/// The capability numbers set in `mask`, ascending.
pub fn mask_caps(mask: u64) -> impl Iterator<Item = u32> {
    (0..64).filter(move |&n| mask & (1u64 << n) != 0)
}

/// The capabilities of `mask` as `capsh --decode` lists them: names (numbers for bits without a
/// name) in ascending order, joined by commas; empty for 0.
pub fn mask_text(mask: u64) -> String {
    mask_caps(mask).map(cap_label).collect::<Vec<_>>().join(",")
}

/// The number of a capability given by name (`cap_net_raw`, any case) or by decimal number.
pub fn cap_number(name: &str) -> Option<u32> {
    let lower = name.to_ascii_lowercase();
    if let Some(n) = CAP_NAMES.iter().position(|&c| c == lower) {
        return Some(n as u32);
    }
    if !lower.is_empty() && lower.bytes().all(|b| b.is_ascii_digit()) {
        return lower.parse::<u32>().ok().filter(|&n| n < 64);
    }
    None
}
