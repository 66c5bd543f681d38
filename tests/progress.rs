//! Progress in a real terminal (tmux): the bar appears while a long create runs and is gone
//! from the final screen; without a terminal nothing but the listing is printed.

mod util;

use std::time::{Duration, Instant};

use util::{OutputExt, captar, cmd};

fn capture(session: &str) -> String {
    cmd("tmux").args(["capture-pane", "-p", "-t", session]).ok().stdout_text()
}

#[test]
fn bar_appears_in_a_terminal_and_leaves_a_clean_screen() {
    if !util::require_tool("tmux") {
        return;
    }
    let tmp = util::tempdir();
    let src = tmp.path().join("src");
    std::fs::create_dir(&src).unwrap();
    // Incompressible data, so gzip -9 keeps create busy for a while even in a release build.
    for i in 0..16 {
        let data = util::noise(8 << 20, 0x2545_f491_4f6c_dd1d + i);
        std::fs::write(src.join(format!("f{i}")), data).unwrap();
    }
    let session = format!("captar-progress-{}", std::process::id());
    let out = tmp.path().join("a.tar.gz");
    let dst = tmp.path().join("dst");
    std::fs::create_dir(&dst).unwrap();
    // create, then extract (fed through a pipe that pauses, so its bar stays up) and verify the
    // same archive: each draws its own bar.
    let script = format!(
        "{c} create -z --level 9 -f {a} -C {s} . && (head -c 4000000 {a}; sleep 2; tail -c +4000001 {a}) | {c} extract -f - -C {d} && {c} verify --all -f {a} -C {d}; echo EXIT=$?; sleep 60",
        c = env!("CARGO_BIN_EXE_captar"),
        a = out.display(),
        s = src.display(),
        d = dst.display()
    );
    cmd("tmux").args(["new-session", "-d", "-s", &session, "-x", "150", "-y", "20", &script]).ok();
    let start = Instant::now();
    let mut saw_bar = false;
    let mut saw_extract = false;
    let mut final_screen = String::new();
    while start.elapsed() < Duration::from_secs(300) {
        let screen = capture(&session);
        if screen.contains("archiving") && screen.contains("MiB") {
            saw_bar = true;
        }
        if screen.contains("extracting") || screen.contains("verifying") {
            saw_extract = true;
        }
        if screen.contains("EXIT=") {
            final_screen = screen;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = cmd("tmux").args(["kill-session", "-t", &session]).run();
    assert!(saw_bar, "no progress bar seen");
    assert!(saw_extract, "no extract or verify progress bar seen");
    assert!(final_screen.contains("EXIT=0"), "{final_screen}");
    for bar in ["archiving", "extracting", "verifying"] {
        assert!(!final_screen.contains(bar), "the {bar} bar was left on the screen:\n{final_screen}");
    }
    assert!(final_screen.contains(" 0 differences"), "{final_screen}");
}

/// The bar moves while one large member is read, not only from member to member (it stood
/// still through it; found by review): fed through a pipe that pauses after 6 MB of a 16 MiB
/// member, extract's and verify's bars show those megabytes read.
#[test]
fn the_bar_moves_within_a_large_member() {
    if !util::require_tool("tmux") {
        return;
    }
    let tmp = util::tempdir();
    let src = tmp.path().join("src");
    std::fs::create_dir(&src).unwrap();
    std::fs::write(src.join("big"), util::noise(16 << 20, 0x9e37_79b9_7f4a_7c15)).unwrap();
    let archive = tmp.path().join("a.tar");
    captar().args(["create", "-f"]).arg(&archive).arg("-C").arg(&src).arg("big").ok();
    let dst = tmp.path().join("dst");
    std::fs::create_dir(&dst).unwrap();
    for (verb, command) in [("extracting", "extract"), ("verifying", "verify --all")] {
        let session = format!("captar-within-{}-{}", std::process::id(), verb);
        let script = format!(
            "(head -c 6000000 {a}; sleep 3; tail -c +6000001 {a}) | {c} {command} -f - -C {d}; echo EXIT=$?; sleep 60",
            c = env!("CARGO_BIN_EXE_captar"),
            a = archive.display(),
            d = dst.display()
        );
        cmd("tmux").args(["new-session", "-d", "-s", &session, "-x", "150", "-y", "20", &script]).ok();
        let start = Instant::now();
        let (mut shown, mut final_screen) = (Vec::new(), String::new());
        while start.elapsed() < Duration::from_secs(60) {
            let screen = capture(&session);
            if let Some(line) = screen.lines().find(|l| l.starts_with(verb)) {
                shown.push(line.to_string());
            }
            if screen.contains("EXIT=") {
                final_screen = screen;
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = cmd("tmux").args(["kill-session", "-t", &session]).run();
        assert!(final_screen.contains("EXIT=0"), "{final_screen}");
        // During the pause, 5.72 MiB of the stream had been read: the bar says so.
        assert!(shown.iter().any(|l| l.contains(" 5.72 MiB")), "{verb}: {shown:#?}");
    }
}

#[test]
fn no_bar_without_a_terminal_or_with_quiet() {
    let tmp = util::tempdir();
    std::fs::write(tmp.path().join("f"), b"x").unwrap();
    let out = captar().args(["create", "-f", "-", "-C"]).arg(tmp.path()).arg("f").ok();
    assert!(out.stderr.is_empty(), "{}", out.stderr_text());
    let out = captar().args(["create", "-q", "-f", "-"]).arg(tmp.path().join("f")).ok();
    // -q silences the note about the leading '/'.
    assert!(out.stderr.is_empty(), "{}", out.stderr_text());
}
