//! Capability names, numbers 0–40 (include/uapi/linux/capability.h; libcap's cap_names).

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
