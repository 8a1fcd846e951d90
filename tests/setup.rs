//! `setup` edits the config file the way users keep it: the file's mode on the new file (0600
//! on its backup, none of a text holding a secret), a symlinked config edited at its target with the link kept, a hard-linked or
//! bind-mounted config rewritten in place, a binary path that survives upgrades, `~` in
//! AWS_CONFIG_FILE, and no secret or token value on stderr.
#![cfg(unix)]

mod support;

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use support::*;

const ARGS: [&str; 8] = [
    "setup",
    "--name",
    "prodro",
    "--role-arn",
    ROLE_ARN,
    "--source-profile",
    "dev",
    "--no-doctor",
];

fn scenario() -> Scenario {
    let s = Scenario::new();
    s.credentials(&format!(
        "[dev]\naws_access_key_id = {DEV_KEY_ID}\naws_secret_access_key = {DEV_SECRET}\n"
    ));
    s
}

fn mode(p: &Path) -> u32 {
    fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

fn backups(dir: &Path) -> Vec<PathBuf> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".bak-"))
        .collect()
}

fn leftovers(dir: &Path) -> Vec<PathBuf> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("xacct-cred-tmp"))
        .collect()
}

/// The credential_process line setup wrote into `config`.
fn credential_process(config: &Path) -> String {
    let text = fs::read_to_string(config).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("credential_process = "))
        .unwrap_or_else(|| panic!("no credential_process in:\n{text}"));
    line["credential_process = ".len()..].to_string()
}

#[test]
fn the_config_and_its_backup_keep_the_files_mode() {
    for original_mode in [0o600, 0o640] {
        let s = scenario();
        let config = s.home.path().join(".aws/config");
        fs::write(&config, "[default]\nregion = eu-west-1\n").unwrap();
        fs::set_permissions(&config, fs::Permissions::from_mode(original_mode)).unwrap();
        s.run(&ARGS).ok();
        assert_eq!(
            mode(&config),
            original_mode,
            "the edited file keeps its mode"
        );
        let b = backups(&s.home.path().join(".aws"));
        assert_eq!(b.len(), 1);
        assert_eq!(mode(&b[0]), 0o600, "a backup is its owner's alone");
        assert!(leftovers(&s.home.path().join(".aws")).is_empty());
    }
    // A new file is 0600.
    let s = scenario();
    s.run(&ARGS).ok();
    assert_eq!(mode(&s.home.path().join(".aws/config")), 0o600);
}

#[test]
fn a_symlinked_config_is_edited_at_its_target_and_stays_a_link() {
    let s = scenario();
    let dotfiles = s.home.path().join("dotfiles/aws");
    fs::create_dir_all(&dotfiles).unwrap();
    let target = dotfiles.join("config");
    fs::write(&target, "# kept in git\n[default]\nregion = eu-west-1\n").unwrap();
    fs::set_permissions(&target, fs::Permissions::from_mode(0o600)).unwrap();
    let link = s.home.path().join(".aws/config");
    // A relative link, as stow makes them, through a second link.
    let hop = s.home.path().join(".aws/config-hop");
    symlink("../dotfiles/aws/config", &hop).unwrap();
    symlink("config-hop", &link).unwrap();

    s.run(&ARGS)
        .ok()
        .stderr_has(&["the target of the symlink", "which stays"]);
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(fs::read_link(&link).unwrap(), Path::new("config-hop"));
    assert_eq!(
        fs::read_link(&hop).unwrap(),
        Path::new("../dotfiles/aws/config")
    );
    let edited = fs::read_to_string(&target).unwrap();
    assert!(edited.starts_with("# kept in git\n"), "{edited}");
    assert!(edited.contains("[profile prodro-role]"), "{edited}");
    assert_eq!(mode(&target), 0o600);
    assert_eq!(
        backups(&dotfiles).len(),
        1,
        "the backup is beside the target"
    );
    assert!(backups(&s.home.path().join(".aws")).is_empty());
}

#[test]
fn the_path_written_is_the_xacct_cred_on_path_when_it_is_this_binary() {
    let s = scenario();
    // Homebrew's layout: bin/xacct-cred -> ../Cellar/xacct-cred/1.2.3/bin/xacct-cred.
    let prefix = s.home.path().join("brew");
    let cellar = prefix.join("Cellar/xacct-cred/1.2.3/bin");
    fs::create_dir_all(&cellar).unwrap();
    fs::create_dir_all(prefix.join("bin")).unwrap();
    fs::copy(BIN, cellar.join("xacct-cred")).unwrap();
    symlink(
        "../Cellar/xacct-cred/1.2.3/bin/xacct-cred",
        prefix.join("bin/xacct-cred"),
    )
    .unwrap();
    let mut s = s;
    let path = format!(
        "{}:{}",
        prefix.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    s.set("PATH", &path);
    // Run as the Cellar binary itself: the PATH entry is the same file, and it is chosen.
    let out = Outcome::from(
        s.command_for(cellar.join("xacct-cred").to_str().unwrap(), &ARGS)
            .output()
            .unwrap(),
    );
    out.ok().stderr_has(&["found on PATH"]);
    let config = s.home.path().join(".aws/config");
    assert_eq!(
        credential_process(&config),
        format!(
            "{} --profile prodro-role",
            prefix.join("bin/xacct-cred").display()
        )
    );
}

#[test]
fn without_it_on_path_the_path_as_invoked_is_written_not_its_link_target() {
    let mut s = scenario();
    // An unrelated xacct-cred on PATH (another file) must not be chosen.
    let other = s.home.path().join("other-bin");
    fs::create_dir_all(&other).unwrap();
    fs::write(other.join("xacct-cred"), "#!/bin/sh\nexit 1\n").unwrap();
    fs::set_permissions(other.join("xacct-cred"), fs::Permissions::from_mode(0o755)).unwrap();
    s.set(
        "PATH",
        &format!(
            "{}:{}",
            other.display(),
            std::env::var("PATH").unwrap_or_default()
        ),
    );
    let stable = s.home.path().join("opt/bin");
    fs::create_dir_all(&stable).unwrap();
    symlink(BIN, stable.join("xacct-cred")).unwrap();
    // Invoked by a relative path through a link: made absolute, the link not resolved.
    let mut c = s.command_for("./opt/bin/xacct-cred", &ARGS);
    c.current_dir(s.home.path());
    let out = Outcome::from(c.output().unwrap());
    out.ok().stderr_has(&["the path it was run as"]);
    assert_eq!(
        credential_process(&s.home.path().join(".aws/config")),
        format!(
            "{} --profile prodro-role",
            stable.join("xacct-cred").display()
        )
    );
}

#[test]
fn a_tilde_in_aws_config_file_is_the_home_directory() {
    let mut s = scenario();
    s.set("AWS_CONFIG_FILE", "~/alt/config");
    let cwd = tempfile::tempdir().unwrap();
    let mut c = s.command(&ARGS);
    c.current_dir(cwd.path());
    Outcome::from(c.output().unwrap()).ok();
    assert!(
        fs::read_to_string(s.home.path().join("alt/config"))
            .unwrap()
            .contains("[profile prodro-role]")
    );
    assert!(!cwd.path().join("~").exists(), "no ./~ directory");
    // And the default command reads the same file.
    let out = s.run(&["--profile", "nope"]);
    out.failed(2)
        .stderr_has(&[&format!("{}", s.home.path().join("alt/config").display())]);
}

#[test]
fn a_conflict_never_prints_a_secret_or_token_value() {
    let s = scenario();
    s.config("[profile prodro]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = SECRET-VALUE-1\naws_session_token = TOKEN-VALUE-2\nsso_token_hint = TOKEN-VALUE-3\n");
    let out = s.run(&ARGS);
    out.failed(2)
        .stderr_has(&[
            "already defines [profile prodro] differently",
            "aws_session_token = …",
        ])
        .no_secrets_on_stderr();
    for value in ["SECRET-VALUE-1", "TOKEN-VALUE-2", "TOKEN-VALUE-3"] {
        assert!(
            !out.stderr.contains(value),
            "{value} on stderr:\n{}",
            out.stderr
        );
    }
    assert!(
        out.stderr.contains("AKIAEXAMPLE"),
        "a key id is not a secret"
    );
}

#[test]
fn a_hard_linked_config_is_rewritten_in_place_and_keeps_its_links() {
    use std::os::unix::fs::MetadataExt;
    let s = scenario();
    let config = s.home.path().join(".aws/config");
    fs::write(&config, "[default]\nregion = eu-west-1\n").unwrap();
    fs::set_permissions(&config, fs::Permissions::from_mode(0o640)).unwrap();
    let other = s.home.path().join("config-elsewhere");
    fs::hard_link(&config, &other).unwrap();
    let inode = fs::metadata(&config).unwrap().ino();
    s.run(&ARGS).ok();
    assert_eq!(fs::metadata(&config).unwrap().ino(), inode, "same inode");
    assert_eq!(fs::metadata(&config).unwrap().nlink(), 2, "the link stays");
    let edited = fs::read_to_string(&other).unwrap();
    assert!(edited.contains("[profile prodro-role]"), "{edited}");
    assert!(
        edited.starts_with("[default]\nregion = eu-west-1\n"),
        "{edited}"
    );
    assert_eq!(mode(&config), 0o640);
    assert_eq!(backups(&s.home.path().join(".aws")).len(), 1);
    assert!(leftovers(&s.home.path().join(".aws")).is_empty());
}

#[test]
#[ignore = "needs root for a mount namespace (unshare -m); scripts/test-all.sh runs it as root"]
fn a_bind_mounted_config_is_rewritten_in_place() {
    // As in a container started with `-v ~/.aws/config:/root/.aws/config`: renaming over a
    // mount point fails with EBUSY, so the file is rewritten where it is.
    let s = scenario();
    let config = s.home.path().join(".aws/config");
    let host = s.home.path().join("host-config");
    fs::write(&config, "").unwrap();
    fs::write(&host, "[default]\nregion = eu-west-1\n").unwrap();
    let script = format!(
        "mount --bind {} {} && exec \"$0\" \"$@\"",
        host.display(),
        config.display()
    );
    let mut argv = vec!["-m", "sh", "-c", &script, BIN];
    argv.extend(ARGS);
    let out = Outcome::from(s.command_for("unshare", &argv).output().unwrap());
    out.ok();
    let edited = fs::read_to_string(&host).unwrap();
    assert!(edited.contains("[profile prodro-role]"), "{edited}");
    assert!(
        edited.starts_with("[default]\nregion = eu-west-1\n"),
        "{edited}"
    );
    assert!(leftovers(&s.home.path().join(".aws")).is_empty());
}

#[test]
#[ignore = "needs root to chown a directory to another user; scripts/test-all.sh runs it as root"]
fn as_root_it_refuses_a_directory_another_user_controls() {
    // Root editing a user's config in a directory the user owns could be made to write into a
    // file of the user's choosing (a link swapped in between checks and writes).
    let s = scenario();
    let aws = s.home.path().join(".aws");
    let config = aws.join("config");
    fs::write(&config, "[default]\nregion = eu-west-1\n").unwrap();
    std::os::unix::fs::chown(&aws, Some(65534), Some(65534)).unwrap();
    s.run(&ARGS)
        .failed(2)
        .stderr_has(&["as root", "owned by uid 65534", "sudo -u"]);
    assert_eq!(
        fs::read_to_string(&config).unwrap(),
        "[default]\nregion = eu-west-1\n"
    );
    assert!(backups(&aws).is_empty());
    // Owned by root again: it edits.
    std::os::unix::fs::chown(&aws, Some(0), Some(0)).unwrap();
    s.run(&ARGS).ok();
    assert!(
        fs::read_to_string(&config)
            .unwrap()
            .contains("[profile prodro-role]")
    );

    // A link another user owns, even to a root-owned place: refused, the target untouched
    // (setup follows links itself, so the kernel's protected_symlinks never sees them).
    let elsewhere = s.home.path().join("root-file");
    fs::write(&elsewhere, "precious\n").unwrap();
    fs::remove_file(&config).unwrap();
    symlink(&elsewhere, &config).unwrap();
    std::os::unix::fs::lchown(&config, Some(65534), Some(65534)).unwrap();
    s.run(&ARGS)
        .failed(2)
        .stderr_has(&["as root", "owned by uid 65534"]);
    assert_eq!(fs::read_to_string(&elsewhere).unwrap(), "precious\n");

    // A config directly in a directory others may write to (sticky or not): refused.
    let shared = s.home.path().join("shared");
    fs::create_dir(&shared).unwrap();
    fs::set_permissions(&shared, fs::Permissions::from_mode(0o1777)).unwrap();
    let mut s = s;
    s.set("AWS_CONFIG_FILE", shared.join("config").to_str().unwrap());
    s.run(&ARGS)
        .failed(2)
        .stderr_has(&["as root", "writable by other users"]);
    assert!(!shared.join("config").exists());
}

#[test]
#[ignore = "needs root to give a file a group it is not in; scripts/test-all.sh runs it as root"]
fn the_config_and_its_backup_keep_the_files_group() {
    // root:adm 0640 became root:root: the group that was meant to read it no longer could.
    use std::os::unix::fs::MetadataExt;
    let s = scenario();
    let aws = s.home.path().join(".aws");
    let config = aws.join("config");
    fs::write(&config, "[default]\nregion = eu-west-1\n").unwrap();
    fs::set_permissions(&config, fs::Permissions::from_mode(0o640)).unwrap();
    std::os::unix::fs::chown(&config, None, Some(65534)).unwrap();
    s.run(&ARGS).ok();
    assert!(
        fs::read_to_string(&config)
            .unwrap()
            .contains("[profile prodro]")
    );
    let backup = backups(&aws);
    assert_eq!(backup.len(), 1);
    for (file, want) in [(&config, 0o640), (&backup[0], 0o600)] {
        let meta = fs::metadata(file).unwrap();
        assert_eq!(
            (meta.gid(), mode(file)),
            (65534, want),
            "{}",
            file.display()
        );
    }
}

#[test]
#[ignore = "needs root to chown a directory to another user; scripts/test-all.sh runs it as root"]
fn as_root_a_missing_directory_followed_by_dotdot_is_refused() {
    // The walk stopped at the first missing component: ROOTS/rmiss/../THEIRS/config passed,
    // and setup created rmiss and wrote into the directory another user owns.
    let mut s = scenario();
    let theirs = s.home.path().join("theirs");
    fs::create_dir(&theirs).unwrap();
    std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)).unwrap();
    let sneaky = s.home.path().join("rmiss/../theirs/config");
    s.set("AWS_CONFIG_FILE", sneaky.to_str().unwrap());
    s.run(&ARGS).failed(2).stderr_has(&[
        "as root",
        "rmiss",
        "does not exist and a `..` follows it",
    ]);
    assert!(!theirs.join("config").exists());
    assert!(!s.home.path().join("rmiss").exists());
}

#[test]
#[ignore = "needs root to chown a directory to another user; scripts/test-all.sh runs it as root"]
fn as_root_the_program_path_written_is_never_one_another_user_controls() {
    // `su` without `-` or `sudo -E`: a user's directory first on root's PATH, holding a link to
    // this very binary. Root's profile would run whatever that user later puts there.
    let mut s = scenario();
    let theirs = s.home.path().join("nobody-bin");
    fs::create_dir(&theirs).unwrap();
    symlink(BIN, theirs.join("xacct-cred")).unwrap();
    std::os::unix::fs::lchown(theirs.join("xacct-cred"), Some(65534), Some(65534)).unwrap();
    std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)).unwrap();
    s.set(
        "PATH",
        &format!(
            "{}:{}",
            theirs.display(),
            std::env::var("PATH").unwrap_or_default()
        ),
    );
    let config = s.home.path().join(".aws/config");
    s.run(&ARGS).ok();
    let written = credential_process(&config);
    assert!(
        !written.contains("nobody-bin"),
        "root's profile must not run a path nobody controls: {written}"
    );
    assert_eq!(written, format!("{BIN} --profile prodro-role"));

    // The binary itself in a directory another user owns: no path passes, so setup refuses.
    fs::remove_file(&config).unwrap();
    let copy_dir = s.home.path().join("nobody-copy");
    fs::create_dir(&copy_dir).unwrap();
    fs::copy(BIN, copy_dir.join("xacct-cred")).unwrap();
    std::os::unix::fs::chown(&copy_dir, Some(65534), Some(65534)).unwrap();
    s.set("PATH", &std::env::var("PATH").unwrap_or_default());
    let out = Outcome::from(
        s.command_for(copy_dir.join("xacct-cred").to_str().unwrap(), &ARGS)
            .output()
            .unwrap(),
    );
    out.failed(2).stderr_has(&[
        "as root, xacct-cred does not write a credential_process",
        "/usr/local/bin",
        "run the command as the user",
    ]);
    assert!(!config.exists(), "nothing was written");
}

#[test]
#[ignore = "needs root for a mount namespace (unshare -m) and a tmpfs; scripts/test-all.sh runs it as root"]
fn a_full_disk_during_an_in_place_rewrite_never_leaves_the_config_truncated() {
    // A hard-linked config on a full file system: room for the backup, none for the longer
    // new text. The config must afterwards be exactly the old text or exactly the new one.
    let mut s = scenario();
    let disk = s.home.path().join("disk");
    fs::create_dir(&disk).unwrap();
    // One page of config (4000 bytes) that the two profiles push past a page.
    let original = format!(
        "[default]\nregion = eu-west-1\n{}\n",
        "# padding\n".repeat(397)
    );
    assert!(original.len() < 4096 && original.len() > 3900);
    let keep = s.home.path().join("original");
    fs::write(&keep, &original).unwrap();
    let after = s.home.path().join("after");
    let config = disk.join("config");
    s.set("AWS_CONFIG_FILE", config.to_str().unwrap());
    let script = format!(
        r#"set -e
mount -t tmpfs -o size=64k,mode=0755 tmpfs {disk}
cp {keep} {disk}/config
ln {disk}/config {disk}/config-link
# Fill the file system, then free exactly one page: room for the backup, not for the new text.
dd if=/dev/zero of={disk}/filler bs=4096 2>/dev/null || true
truncate -s -4096 {disk}/filler
set +e
"$0" "$@"
echo "rc=$?"
cp {disk}/config {after}
"#,
        disk = disk.display(),
        keep = keep.display(),
        after = after.display()
    );
    let mut argv = vec!["-m", "sh", "-c", &script, BIN];
    argv.extend(ARGS);
    let out = Outcome::from(s.command_for("unshare", &argv).output().unwrap());
    assert!(
        out.stdout.contains("rc="),
        "the script ran: {}{}",
        out.stdout,
        out.stderr
    );
    let left = fs::read_to_string(&after).unwrap();
    if out.stdout.contains("rc=0") {
        assert!(
            left.starts_with(&original) && left.contains("[profile prodro-role]"),
            "{left}"
        );
    } else {
        assert_eq!(
            left.len(),
            original.len(),
            "the failed rewrite left {} bytes of {}: {}",
            left.len(),
            original.len(),
            out.stderr
        );
        assert_eq!(left, original, "{}", out.stderr);
        assert!(out.stderr.contains("No space left"), "{}", out.stderr);
    }
}

/// `--source-in-store` adds the source profile's `keys export` line only when the files hold no
/// keys for it (theirs would win over the line) and only for a source profile; refused, the
/// config is not touched.
#[test]
fn source_in_store_is_refused_while_the_files_hold_the_source_keys() {
    let s = scenario();
    let config = s.home.path().join(".aws/config");
    let mut args = ARGS.to_vec();
    args.push("--source-in-store");
    s.run(&args)
        .failed(2)
        .stderr_has(&["still hold keys for profile dev", "keys import dev"])
        .no_secrets_on_stderr();
    assert!(!config.exists(), "a refused setup wrote the config");

    let s = Scenario::new();
    let config = s.home.path().join(".aws/config");
    s.run(&args).ok();
    let text = fs::read_to_string(&config).unwrap();
    let export = text
        .lines()
        .skip_while(|l| l.trim() != "[profile dev]")
        .nth(1)
        .unwrap_or_else(|| panic!("no [profile dev] in:\n{text}"));
    assert!(export.ends_with(" keys export dev"), "{text}");
    s.run(&args).ok().stderr_has(&["nothing changed"]);
    assert_eq!(fs::read_to_string(&config).unwrap(), text);

    let s = Scenario::new();
    s.run(&[
        "setup",
        "--name",
        "p",
        "--role-arn",
        ROLE_ARN,
        "--credential-source",
        "Environment",
        "--source-in-store",
        "--no-doctor",
    ])
    .failed(2)
    .stderr_has(&["needs --source-profile"]);
}

/// `cmd` run, killed after `limit` (a refusal must not wait on a FIFO).
fn output_within(mut cmd: std::process::Command, limit: std::time::Duration) -> Outcome {
    use std::process::Stdio;
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let until = std::time::Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > until {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("still running after {limit:?} (blocked on a FIFO?)");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    Outcome::from(child.wait_with_output().unwrap())
}

/// Root with umask 000 made ~/.aws 0777: another user could then swap root's config.
#[test]
fn missing_directories_are_made_private_whatever_the_umask() {
    let mut s = scenario();
    let config = s.home.path().join("new/aws/config");
    s.set("AWS_CONFIG_FILE", config.to_str().unwrap());
    let mut argv = vec!["-c", "umask 000; exec \"$0\" \"$@\"", BIN];
    argv.extend(ARGS);
    Outcome::from(s.command_for("sh", &argv).output().unwrap()).ok();
    assert_eq!(mode(&s.home.path().join("new")), 0o700);
    assert_eq!(mode(&s.home.path().join("new/aws")), 0o700);
    assert_eq!(mode(&config), 0o600);
}

/// setup backed up a config holding a secret (with the config's mode, 0644 here), and `keys
/// import` later left that copy; the copy an older setup made is scrubbed by the import.
#[test]
fn no_backup_of_a_config_holding_a_secret_and_import_scrubs_earlier_ones() {
    let mut s = Scenario::new();
    s.set(
        "XACCT_CRED_KEYS_FILE",
        path_str(&s.home.path().join("store/keys")),
    );
    s.set("XACCT_CRED_FILE_PASSPHRASE", "pass phrase");
    s.set("XACCT_CRED_KEYS_BACKEND", "file");
    let aws = s.home.path().join(".aws");
    let config = aws.join("config");
    let text = format!(
        "[profile dev]\naws_access_key_id = {DEV_KEY_ID}\naws_secret_access_key = {DEV_SECRET}\n"
    );
    fs::write(&config, &text).unwrap();
    fs::set_permissions(&config, fs::Permissions::from_mode(0o644)).unwrap();
    // What an earlier setup left: a backup holding the secret, with the config's mode.
    let earlier = aws.join("config.bak-1700000000");
    fs::write(&earlier, format!("# old\n{text}region = x\n")).unwrap();
    fs::set_permissions(&earlier, fs::Permissions::from_mode(0o644)).unwrap();
    s.run(&ARGS)
        .ok()
        .stderr_has(&["made no backup", "holds a secret"])
        .no_secrets_on_stderr();
    assert_eq!(
        backups(&aws),
        std::slice::from_ref(&earlier),
        "no new backup"
    );
    assert_eq!(mode(&config), 0o644, "the config keeps its mode");

    s.run(&["keys", "import", "dev"])
        .ok()
        .stderr_has(&["out of the earlier backup", "config.bak-1700000000"])
        .no_secrets_on_stderr();
    let scrubbed = fs::read_to_string(&earlier).unwrap();
    assert_eq!(scrubbed, "# old\n[profile dev]\nregion = x\n");
    assert_eq!(mode(&earlier), 0o644, "the backup keeps its mode");
    for file in fs::read_dir(&aws).unwrap() {
        let path = file.unwrap().path();
        let bytes = fs::read(&path).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(DEV_SECRET),
            "the secret is still in {}",
            path.display()
        );
    }
}

/// A FIFO as the credentials file hung setup: a plain read waits for a writer.
#[test]
fn a_fifo_as_the_credentials_file_is_refused_without_waiting() {
    let mut s = scenario();
    let fifo = s.home.path().join("fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    s.set("AWS_SHARED_CREDENTIALS_FILE", fifo.to_str().unwrap());
    let out = output_within(s.command(&ARGS), std::time::Duration::from_secs(10));
    out.failed(2)
        .stderr_has(&["could not read", "fifo", "not a regular file"]);
    assert!(!s.home.path().join(".aws/config").exists());
}

/// With HOME unset, setup wrote `./~/.aws/config`, which the AWS CLI never reads.
#[test]
fn without_a_home_directory_a_tilde_path_is_refused() {
    let s = scenario();
    let cwd = tempfile::tempdir().unwrap();
    for args in [&ARGS[..], &["keys", "import", "dev"]] {
        let mut c = s.command(args);
        c.env_remove("HOME").current_dir(cwd.path());
        Outcome::from(c.output().unwrap())
            .failed(2)
            .stderr_has(&["HOME is not set", "AWS_CONFIG_FILE"]);
    }
    assert!(!cwd.path().join("~").exists(), "no ./~ directory");
}

/// A config that does not parse: setup said "error parsing  on line 2", naming no file.
#[test]
fn a_parse_error_names_the_file() {
    let s = scenario();
    s.config("[default]\n= no key here\n");
    let config = s.home.path().join(".aws/config");
    s.run(&ARGS)
        .failed(2)
        .stderr_has(&[&format!("{} on line 2", config.display())]);
}

#[test]
#[ignore = "needs root to chown a directory to another user; scripts/test-all.sh runs it as root"]
fn as_root_a_credentials_file_another_user_controls_is_not_read() {
    // sudo -E: AWS_SHARED_CREDENTIALS_FILE into nobody's tree; setup's doctor step then ran the
    // credential_process nobody wrote there, as root.
    let mut s = scenario();
    let theirs = s.home.path().join("theirs");
    fs::create_dir(&theirs).unwrap();
    let ran = theirs.join("RAN");
    let helper = theirs.join("helper.sh");
    fs::write(&helper, format!("#!/bin/sh\nid > {}\n", ran.display())).unwrap();
    fs::set_permissions(&helper, fs::Permissions::from_mode(0o755)).unwrap();
    let creds = theirs.join("credentials");
    fs::write(
        &creds,
        format!("[dev]\ncredential_process = {}\n", helper.display()),
    )
    .unwrap();
    for p in [&theirs, &helper, &creds] {
        std::os::unix::fs::chown(p, Some(65534), Some(65534)).unwrap();
    }
    s.set("AWS_SHARED_CREDENTIALS_FILE", creds.to_str().unwrap());
    let with_doctor: Vec<&str> = ARGS
        .iter()
        .copied()
        .filter(|a| *a != "--no-doctor")
        .collect();
    s.run(&with_doctor).failed(2).stderr_has(&[
        "as root, xacct-cred does not read",
        "owned by uid 65534",
        "AWS_SHARED_CREDENTIALS_FILE",
    ]);
    assert!(!ran.exists(), "root ran nobody's credential_process");
    assert!(!s.home.path().join(".aws/config").exists());
}

#[test]
#[ignore = "needs root to give a file to another group; scripts/test-all.sh runs it as root"]
fn as_root_a_config_others_may_write_to_is_refused() {
    // root:nogroup 0664: setup edited it as root and left it so; nobody then rewrote the
    // credential_process root's profile runs.
    for (gid, file_mode, why) in [
        (65534, 0o664, "writable by its group (gid 65534)"),
        (0, 0o646, "writable by other users"),
    ] {
        let s = scenario();
        let config = s.home.path().join(".aws/config");
        fs::write(&config, "[default]\n").unwrap();
        std::os::unix::fs::chown(&config, None, Some(gid)).unwrap();
        fs::set_permissions(&config, fs::Permissions::from_mode(file_mode)).unwrap();
        s.run(&ARGS).failed(2).stderr_has(&["as root", why]);
        assert_eq!(fs::read_to_string(&config).unwrap(), "[default]\n");
    }
    // Group-writable by root's own group: root's alone, edited.
    let s = scenario();
    let config = s.home.path().join(".aws/config");
    fs::write(&config, "[default]\n").unwrap();
    std::os::unix::fs::chown(&config, None, Some(0)).unwrap();
    fs::set_permissions(&config, fs::Permissions::from_mode(0o660)).unwrap();
    s.run(&ARGS).ok();
}

#[test]
#[ignore = "needs root for a mount namespace (unshare -m) and a tmpfs; scripts/test-all.sh runs it as root"]
fn a_full_disk_while_writing_the_backup_leaves_no_backup() {
    // ENOSPC while the backup was written left a cut-short backup per try, and said to check
    // the permissions.
    let mut s = scenario();
    let disk = s.home.path().join("disk");
    fs::create_dir(&disk).unwrap();
    // Three pages of config, one page free.
    let original = format!("[default]\nregion = eu-west-1\n{}", "# pad\n".repeat(1500));
    let keep = s.home.path().join("original");
    fs::write(&keep, &original).unwrap();
    let listing = s.home.path().join("listing");
    s.set("AWS_CONFIG_FILE", disk.join("config").to_str().unwrap());
    let script = format!(
        r#"set -e
mount -t tmpfs -o size=64k,mode=0755 tmpfs {disk}
cp {keep} {disk}/config
dd if=/dev/zero of={disk}/filler bs=4096 2>/dev/null || true
truncate -s -4096 {disk}/filler
set +e
"$0" "$@"
echo "rc=$?"
"$0" "$@"
echo "rc=$?"
ls -a {disk} > {listing}
cmp -s {keep} {disk}/config && echo same
"#,
        disk = disk.display(),
        keep = keep.display(),
        listing = listing.display()
    );
    let mut argv = vec!["-m", "sh", "-c", &script, BIN];
    argv.extend(ARGS);
    let out = Outcome::from(s.command_for("unshare", &argv).output().unwrap());
    assert_eq!(
        out.stdout.matches("rc=2").count(),
        2,
        "{}{}",
        out.stdout,
        out.stderr
    );
    assert!(out.stdout.contains("same"), "the config is unchanged");
    assert!(out.stderr.contains("the disk is full"), "{}", out.stderr);
    assert!(!out.stderr.contains("permissions"), "{}", out.stderr);
    let listing = fs::read_to_string(&listing).unwrap();
    assert!(!listing.contains(".bak-"), "backups left: {listing}");
    assert!(
        !listing.contains("xacct-cred-tmp"),
        "temp files left: {listing}"
    );
}

/// Root with another user's files (`sudo -E` keeps their HOME, or AWS_SHARED_CREDENTIALS_FILE
/// points into their tree): `doctor` and the credential_process path read settings of theirs,
/// and ran their `credential_process` source as root. Every command that reads the files
/// refuses first, and nothing of theirs runs. Needs root (chown).
#[test]
#[ignore = "needs root and the nobody user; scripts/test-all.sh runs it as root"]
fn as_root_files_another_user_controls_are_not_read() {
    assert!(
        unsafe { libc::geteuid() } == 0,
        "run as root (scripts/test-all.sh does)"
    );
    let sts = support::fake::sts();
    let theirs = tempfile::tempdir().unwrap();
    let ran = theirs.path().join("ran");
    let helper = theirs.path().join("helper.sh");
    fs::write(
        &helper,
        format!(
            "id -u > {}\necho '{{\"Version\":1,\"AccessKeyId\":\"AKIATHEIRS0000000001\",\"SecretAccessKey\":\"theirs\"}}'\n",
            ran.display()
        ),
    )
    .unwrap();
    let profiles = format!(
        "[profile prod]\nrole_arn = {ROLE_ARN}\nsource_profile = helper\nregion = eu-west-1\n\n[profile helper]\ncredential_process = /bin/sh {}\n",
        helper.display()
    );
    // Their HOME, with the cache directory root's own (as the cache refusal's hint suggests).
    let mut s = Scenario::with_role(&sts, "");
    let their_home = theirs.path().join("home");
    fs::create_dir_all(their_home.join(".aws")).unwrap();
    fs::write(their_home.join(".aws/config"), &profiles).unwrap();
    // Their credentials file, with root's own HOME and config.
    let creds = theirs.path().join("credentials");
    fs::write(&creds, profiles.replace("[profile ", "[")).unwrap();
    for entry in [theirs.path(), &their_home, &their_home.join(".aws")] {
        std::os::unix::fs::chown(entry, Some(65534), Some(65534)).unwrap();
    }
    std::os::unix::fs::chown(their_home.join(".aws/config"), Some(65534), Some(65534)).unwrap();
    std::os::unix::fs::chown(&creds, Some(65534), Some(65534)).unwrap();
    let their_config = their_home.join(".aws/config");
    let cases = [
        ("AWS_CONFIG_FILE", &their_config),
        ("AWS_SHARED_CREDENTIALS_FILE", &creds),
    ];
    for (variable, path) in cases {
        s.set(variable, path_str(path));
        if variable == "AWS_SHARED_CREDENTIALS_FILE" {
            s.unset("AWS_CONFIG_FILE");
            s.config(&format!(
                "[profile prod]\nrole_arn = {ROLE_ARN}\nsource_profile = helper\nregion = eu-west-1\n"
            ));
        }
        for args in [
            &["doctor", "--profile", "prod"][..],
            &["--profile", "prod"][..],
            &["--profile", "prod", "--no-cache"][..],
        ] {
            let out = s.run(args);
            // doctor reports on stdout, step by step.
            let (code, said) = match args[0] {
                "doctor" => (2, &out.stdout),
                _ => (2, &out.stderr),
            };
            assert_eq!(out.code, Some(code), "{args:?}: {out:?}");
            for part in ["as root, xacct-cred does not read", "owned by uid 65534"] {
                assert!(said.contains(part), "{args:?}: {part}: {out:?}");
            }
            assert!(
                !ran.exists(),
                "{variable}: {args:?} ran their credential_process as uid {}",
                fs::read_to_string(&ran).unwrap_or_default().trim()
            );
        }
    }
    // Root's own files (the control): the same profiles run.
    s.unset("AWS_SHARED_CREDENTIALS_FILE");
    s.config(&profiles);
    let root_helper = s.home.path().join("helper.sh");
    fs::copy(&helper, &root_helper).unwrap();
    s.config(&profiles.replace(path_str(&helper), path_str(&root_helper)));
    s.run(&["--profile", "prod"]).ok();
    assert!(ran.exists(), "root's own helper runs");
}

/// Root with another user's environment (`su` without `-`, `sudo -E`): `console --open` ran the
/// first `xdg-open` on a careless PATH as root — and root's own `xdg-open` runs what `BROWSER`
/// or `www-browser` on that PATH names, with the URL or the sign-in page's path. As root no
/// opener runs; the URL is printed. Needs root.
#[test]
#[ignore = "needs root and the nobody user; scripts/test-all.sh runs it as root"]
fn as_root_console_open_runs_no_opener() {
    assert!(
        unsafe { libc::geteuid() } == 0,
        "run as root (scripts/test-all.sh does)"
    );
    let sts = support::fake::sts();
    let mut s = Scenario::with_role(&sts, "");
    let theirs = s.home.path().join("theirs");
    fs::create_dir(&theirs).unwrap();
    let ran = s.home.path().join("ran");
    let program = format!("#!/bin/sh\nid -u >> {}\n", ran.display());
    for name in ["xdg-open", "open", "www-browser", "evil"] {
        let path = theirs.join(name);
        fs::write(&path, &program).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    }
    s.set(
        "PATH",
        &format!("{}:{}", theirs.display(), std::env::var("PATH").unwrap()),
    )
    .set("BROWSER", path_str(&theirs.join("evil")));
    // Theirs, then root's own (root-owned, first on PATH): neither runs.
    for owner in [65534, 0] {
        std::os::unix::fs::chown(&theirs, Some(owner), Some(owner)).unwrap();
        let out = s.run(&["console", "--profile", "prod", "--open"]);
        out.ok();
        assert!(!ran.exists(), "an opener ran as root");
        assert!(
            out.stdout
                .contains("https://signin.aws.amazon.com/switchrole")
                && out.stderr.contains("as root, no browser is opened"),
            "the URL is printed instead: {out:?}"
        );
    }
}

/// Root reads the AWS files where no other user can change them, but reading is not writing: an
/// existing file of root's in a sticky directory others may write to (a Kubernetes secret
/// volume is 1777, /nix/store 1775) cannot be removed or replaced there, and /dev/null as "no
/// credentials file" holds nothing anyone wrote. A missing file in such a directory is refused
/// (another user could create it before the read). Needs root.
#[test]
#[ignore = "needs root and the nobody user; scripts/test-all.sh runs it as root"]
fn as_root_the_aws_files_may_be_read_from_a_sticky_directory_or_dev_null() {
    assert!(
        unsafe { libc::geteuid() } == 0,
        "run as root (scripts/test-all.sh does)"
    );
    let sts = support::fake::sts();
    let mut s = Scenario::with_role(&sts, "");
    let volume = s.home.path().join("volume");
    fs::create_dir(&volume).unwrap();
    let credentials = volume.join("credentials");
    fs::write(
        &credentials,
        format!("[dev]\naws_access_key_id = {DEV_KEY_ID}\naws_secret_access_key = {DEV_SECRET}\n"),
    )
    .unwrap();
    for mode in [0o1777, 0o1775] {
        fs::set_permissions(&volume, fs::Permissions::from_mode(mode)).unwrap();
        s.set("AWS_SHARED_CREDENTIALS_FILE", path_str(&credentials));
        s.run(&["--profile", "prod", "--no-cache"]).ok();
        s.set(
            "AWS_SHARED_CREDENTIALS_FILE",
            path_str(&volume.join("missing")),
        );
        s.run(&["--profile", "prod", "--no-cache"])
            .failed(2)
            .stderr_has(&[
                "as root, xacct-cred does not read",
                "writable by other users",
            ]);
    }
    // A file of root's that another user may write through an ACL (its mask shows in the
    // group bits, gid 0): refused.
    fs::set_permissions(&volume, fs::Permissions::from_mode(0o755)).unwrap();
    s.set("AWS_SHARED_CREDENTIALS_FILE", path_str(&credentials));
    let granted = std::process::Command::new("setfacl")
        .args(["-m", "u:nobody:rw", path_str(&credentials)])
        .status()
        .expect("setfacl (Debian's acl package; scripts/setup-test-deps.sh installs it)");
    assert!(granted.success());
    s.run(&["--profile", "prod", "--no-cache"])
        .failed(2)
        .stderr_has(&["or an ACL"]);
    // The source from the environment, and no credentials file at all.
    s.set("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
    s.set("AWS_ACCESS_KEY_ID", DEV_KEY_ID);
    s.set("AWS_SECRET_ACCESS_KEY", DEV_SECRET);
    s.config(&format!(
        "[profile prod]\nrole_arn = {ROLE_ARN}\ncredential_source = Environment\nregion = eu-west-1\n"
    ));
    s.run(&["--profile", "prod", "--no-cache"]).ok();
}
