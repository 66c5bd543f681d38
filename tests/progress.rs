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
    // Enough data that the run lasts a few seconds even in a release build.
    for i in 0..48 {
        std::fs::write(src.join(format!("f{i}")), vec![i as u8; 16 << 20]).unwrap();
    }
    let session = format!("captar-progress-{}", std::process::id());
    let out = tmp.path().join("a.tar.gz");
    let script = format!(
        "{} create -z -f {} -C {} . ; echo EXIT=$?; sleep 60",
        env!("CARGO_BIN_EXE_captar"),
        out.display(),
        src.display()
    );
    cmd("tmux").args(["new-session", "-d", "-s", &session, "-x", "150", "-y", "20", &script]).ok();
    let start = Instant::now();
    let mut saw_bar = false;
    let mut final_screen = String::new();
    while start.elapsed() < Duration::from_secs(120) {
        let screen = capture(&session);
        if screen.contains("archiving") && screen.contains("files") || screen.contains("MiB/") {
            saw_bar = true;
        }
        if screen.contains("EXIT=") {
            final_screen = screen;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = cmd("tmux").args(["kill-session", "-t", &session]).run();
    assert!(saw_bar, "no progress bar seen");
    assert!(final_screen.contains("EXIT=0"), "{final_screen}");
    assert!(!final_screen.contains("archiving"), "the bar was left on the screen:\n{final_screen}");
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
