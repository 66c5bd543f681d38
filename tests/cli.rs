//! The command line itself: global options before a subcommand, usage errors, option values
//! checked before any work, tar-style letters, and the man page.

mod util;

use util::{OutputExt, captar};

/// `-q` is a global option (`captar --help` lists it): before a subcommand it is that, not the
/// start of a tar-style line.
#[test]
fn quiet_before_a_subcommand() {
    let tmp = util::tempdir();
    std::fs::write(tmp.path().join("f"), b"x\n").unwrap();
    let a = tmp.path().join("a.tar");
    let abs = tmp.path().join("f");
    // An absolute path gets a note, which -q leaves out.
    let out = captar().args(["create", "-f"]).arg(&a).arg(&abs).ok();
    assert!(out.stderr_text().contains("removing leading '/'"), "{}", out.stderr_text());
    for q in ["-q", "--quiet"] {
        let out = captar().args([q, "create", "-f"]).arg(&a).arg(&abs).ok();
        assert_eq!(out.stderr_text(), "");
        let out = captar().args([q, "list", "-f"]).arg(&a).ok();
        assert!(out.stdout_text().ends_with("/f\n"), "{}", out.stdout_text());
        captar().args([q, "t", "-f"]).arg(&a).ok();
    }
    // And inside a tar-style line, before the bundle or in it.
    captar().args(["-q", "-tf"]).arg(&a).ok();
    captar().args(["-tqf"]).arg(&a).ok();
}
