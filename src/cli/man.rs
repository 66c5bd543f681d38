/*!
`captar man`: one man page for the whole tool, generated from the clap definitions. clap_mangen
renders a page per command that refers to `captar-create(1)` and the like; captar installs one
page, so the overview's sections are followed by a section per subcommand (`CAPTAR CREATE`,
`CAPTAR CAPS SCAN`, ...) with its synopsis, description, every option and its examples.
*/

use clap::Command;
use clap_mangen::Man;
use clap_mangen::roff::{Roff, roman};

/// The whole page, in roff.
pub fn page(mut cmd: Command) -> std::io::Result<Vec<u8>> {
    cmd = cmd.disable_help_subcommand(true);
    cmd.build();
    let man = Man::new(cmd.clone());
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    let mut roff = Roff::default();
    roff.control("SH", ["COMMANDS"]);
    for sub in commands(&cmd) {
        roff.control("TP", []);
        roff.text([roman(full_name(sub))]);
        roff.text([roman(format!("{} (see {} below)", about(sub), full_name(sub).to_uppercase()))]);
    }
    append(&mut out, &roff)?;
    for sub in commands(&cmd) {
        command_sections(sub, &mut out)?;
    }
    examples(&cmd, "SH", &mut out)?;
    man.render_version_section(&mut out)?;
    Ok(strip_repeated_preludes(out))
}

/// The visible subcommands of `cmd`.
fn commands(cmd: &Command) -> impl Iterator<Item = &Command> {
    cmd.get_subcommands().filter(|s| !s.is_hide_set() && s.get_name() != "help")
}

/// `captar caps scan`: the name it is typed as.
fn full_name(cmd: &Command) -> String {
    cmd.get_bin_name().unwrap_or_else(|| cmd.get_name()).to_string()
}

fn about(cmd: &Command) -> String {
    cmd.get_about().map(|a| a.to_string()).unwrap_or_default()
}

/// `CAPTAR CREATE` and its subsections, then those of its own subcommands.
fn command_sections(cmd: &Command, out: &mut Vec<u8>) -> std::io::Result<()> {
    let mut roff = Roff::default();
    roff.control("SH", [full_name(cmd).to_uppercase().as_str()]);
    append(out, &roff)?;
    let man = Man::new(cmd.clone());
    let mut part = Vec::new();
    man.render_description_section(&mut part)?;
    push_renamed(out, &part, None);
    part.clear();
    man.render_synopsis_section(&mut part)?;
    push_renamed(out, &part, Some("SYNOPSIS"));
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        part.clear();
        man.render_options_section(&mut part)?;
        push_renamed(out, &part, Some("OPTIONS"));
    }
    examples(cmd, "SS", out)?;
    for sub in commands(cmd) {
        command_sections(sub, out)?;
    }
    Ok(())
}

/// The examples of the help's epilogue (`after_help`), lines kept as they are, under `.SH` or
/// `.SS EXAMPLES`.
fn examples(cmd: &Command, heading: &str, out: &mut Vec<u8>) -> std::io::Result<()> {
    let Some(text) = cmd.get_after_help().map(|t| t.to_string()) else { return Ok(()) };
    let mut roff = Roff::default();
    roff.control(heading, ["EXAMPLES"]);
    roff.control("nf", []);
    for line in text.lines().filter(|l| *l != "Examples:") {
        roff.text([roman(line)]);
    }
    roff.control("fi", []);
    append(out, &roff)
}

fn append(out: &mut Vec<u8>, roff: &Roff) -> std::io::Result<()> {
    roff.to_writer(out)
}

/// Appends a section clap_mangen rendered, its `.SH` heading made a subsection (`.SS name`)
/// or dropped (`None`).
fn push_renamed(out: &mut Vec<u8>, part: &[u8], name: Option<&str>) {
    let text = String::from_utf8_lossy(part);
    let mut renamed = false;
    for line in text.lines() {
        if !renamed && line.starts_with(".SH ") {
            renamed = true;
            if let Some(name) = name {
                out.extend_from_slice(format!(".SS {name}\n").as_bytes());
            }
            continue;
        }
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
    }
}

/// Each rendering starts with the same two lines defining `\*(Aq`; one is enough.
fn strip_repeated_preludes(page: Vec<u8>) -> Vec<u8> {
    let text = String::from_utf8_lossy(&page);
    let mut seen = false;
    let mut out = String::with_capacity(text.len());
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if line.starts_with(".ie \\n(.g .ds Aq") && lines.peek().is_some_and(|l| l.starts_with(".el .ds Aq")) {
            lines.next();
            if seen {
                continue;
            }
            seen = true;
            out.push_str(".ie \\n(.g .ds Aq \\(aq\n.el .ds Aq '\n");
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_page_with_every_command_and_option() {
        let page = page(<super::super::Cli as clap::CommandFactory>::command()).unwrap();
        let page = String::from_utf8(page).unwrap();
        for want in [
            ".SH \"CAPTAR CREATE\"",
            ".SH \"CAPTAR EXTRACT\"",
            ".SH \"CAPTAR CAPS SCAN\"",
            "\\-\\-no\\-recursion",
            "\\-\\-cap\\-rootid",
            "\\-\\-beyond",
        ] {
            assert!(page.contains(want), "{want} missing");
        }
        assert!(!page.contains("captar\\-create(1)"), "refers to pages that do not exist");
        assert_eq!(page.matches(".ds Aq \\(aq").count(), 1);
        assert_eq!(page.matches(".TH ").count(), 1);
        assert!(page.contains(".SH EXAMPLES\n.nf\n"));
    }
}
