//! docs/REFERENCE.md is what `xacct-cred generate markdown` prints, from the same definitions as
//! --help and the man page: a flag, a help text or a variable changed without regenerating the
//! page fails here.

use std::process::Command;

#[test]
fn the_committed_reference_is_what_the_binary_generates() {
    let out = Command::new(env!("CARGO_BIN_EXE_xacct-cred"))
        .args(["generate", "markdown"])
        .output()
        .expect("run xacct-cred generate markdown");
    assert!(
        out.status.success(),
        "generate markdown failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let generated = String::from_utf8(out.stdout).expect("UTF-8");
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/REFERENCE.md");
    let committed = std::fs::read_to_string(&path).expect("read docs/REFERENCE.md");
    if generated != committed {
        let line = generated
            .lines()
            .zip(committed.lines())
            .position(|(g, c)| g != c)
            .map_or_else(
                || generated.lines().count().min(committed.lines().count()) + 1,
                |i| i + 1,
            );
        panic!(
            "docs/REFERENCE.md differs from `xacct-cred generate markdown` from line {line}:\n  \
             generated: {:?}\n  committed: {:?}\nRegenerate it: {}",
            generated.lines().nth(line - 1).unwrap_or("<end>"),
            committed.lines().nth(line - 1).unwrap_or("<end>"),
            xacct_cred::cli::markdown::REGENERATE
        );
    }
}

#[test]
fn the_reference_names_every_visible_subcommand() {
    let page = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/REFERENCE.md"),
    )
    .expect("read docs/REFERENCE.md");
    for sub in xacct_cred::cli::command()
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
    {
        assert!(
            page.contains(&format!("## `xacct-cred {}`", sub.get_name())),
            "docs/REFERENCE.md has no section for {}",
            sub.get_name()
        );
    }
}
