//! `xacct-cred keys …` against real stores: GNOME Keyring's Secret Service on a private D-Bus,
//! the kernel's keyutils, and the encrypted file. A store that cannot be reached fails the
//! test (see support/secret_service.rs); nothing here passes without having run.

mod support;

use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use support::secret_service::SecretService;
use support::terminal::Terminal;
use support::*;

/// `args` with `input` on stdin.
fn run_with_stdin(s: &Scenario, args: &[&str], input: &str) -> Outcome {
    with_stdin(s.command(args), input)
}

/// `command` with `input` on stdin.
fn with_stdin(mut command: std::process::Command, input: &str) -> Outcome {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    Outcome::from(child.wait_with_output().unwrap())
}

fn add_dev_key(s: &Scenario, backend: &str) {
    run_with_stdin(
        s,
        &["keys", "add", "dev", "--stdin", "--backend", backend],
        &format!("{DEV_KEY_ID}\n{DEV_SECRET}\n"),
    )
    .ok()
    .no_secrets_on_stderr();
}

/// Every file under `dir` (links not followed) that holds `needle`.
fn files_holding(dir: &Path, needle: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for e in entries.flatten() {
        let path = e.path();
        let Ok(kind) = e.file_type() else { continue };
        if kind.is_dir() {
            found.extend(files_holding(&path, needle));
        } else if kind.is_file()
            && let Ok(bytes) = std::fs::read(&path)
            && bytes.windows(needle.len()).any(|w| w == needle)
        {
            found.push(path.display().to_string());
        }
    }
    found
}

fn export_is_the_dev_key(out: &Outcome) {
    out.ok();
    let doc = out.json();
    assert_eq!(doc["Version"], 1);
    assert_eq!(doc["AccessKeyId"], DEV_KEY_ID);
    assert_eq!(doc["SecretAccessKey"], DEV_SECRET);
    assert!(
        doc.get("SessionToken").is_none(),
        "a long-term key has none"
    );
}

#[test]
fn secret_service_holds_the_key_and_secret_tool_sees_it_there() {
    let mut s = Scenario::new();
    let ss = SecretService::start(&s.home.path().join("keyring"));
    s.set("DBUS_SESSION_BUS_ADDRESS", &ss.address);
    add_dev_key(&s, "secret-service");
    let seen = ss.secret_tool(&["lookup", "service", "xacct-cred", "username", "key/dev"]);
    assert!(seen.status.success(), "secret-tool found no item");
    let item = String::from_utf8(seen.stdout).unwrap();
    assert!(
        item.contains(DEV_KEY_ID) && item.contains(DEV_SECRET),
        "{item}"
    );

    let listed = s.run(&["keys", "list", "--backend", "secret-service"]);
    listed.ok();
    assert!(listed.stdout.contains("dev") && listed.stdout.contains("…0001"));
    assert!(listed.stdout.contains("secret-service"));
    assert!(!listed.stdout.contains(DEV_SECRET) && !listed.stdout.contains(DEV_KEY_ID));
    export_is_the_dev_key(&s.run(&["keys", "export", "dev", "--backend", "secret-service"]));
    // The variable chooses it as the flag does.
    s.set("XACCT_CRED_KEYS_BACKEND", "secret-service");
    export_is_the_dev_key(&s.run(&["keys", "export", "dev"]));

    s.run(&["keys", "remove", "dev"]).ok();
    let gone = ss.secret_tool(&["lookup", "service", "xacct-cred", "username", "key/dev"]);
    assert!(!gone.status.success(), "the item is gone");
    s.run(&["keys", "export", "dev"])
        .failed(3)
        .stderr_has(&["holds no key for profile dev", "keys add dev"]);
}

#[test]
fn without_a_secret_service_the_first_store_that_answers_is_named_with_the_reason() {
    let mut s = Scenario::new();
    s.set("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus");
    s.set("XACCT_CRED_FILE_PASSPHRASE", "pass phrase");
    s.set(
        "XACCT_CRED_KEYS_FILE",
        path_str(&s.home.path().join("k/keys")),
    );
    // The file is named, so it is chosen without probing.
    let listed = s.run(&["keys", "list"]);
    listed
        .ok()
        .stderr_has(&["key store file (XACCT_CRED_KEYS_FILE is set)"]);
    s.unset("XACCT_CRED_KEYS_FILE");
    let listed = s.run(&["keys", "list"]);
    listed.ok().stderr_has(&["no secret-service:"]);
    s.run(&["keys", "list", "--backend", "secret-service"])
        .failed(3)
        .stderr_has(&[
            "the key store secret-service (--backend secret-service) is refused",
            "no session bus at /nonexistent/bus",
        ]);
}

#[cfg(target_os = "linux")]
#[test]
fn keyutils_holds_the_key_until_removed() {
    let s = Scenario::new();
    // A profile name of this test's own, since the kernel's keyrings are per user, not per HOME.
    let profile = format!("dev-{}", std::process::id());
    run_with_stdin(
        &s,
        &["keys", "add", &profile, "--stdin", "--backend", "keyutils"],
        &format!("{DEV_KEY_ID}\n{DEV_SECRET}\n"),
    )
    .ok()
    .stderr_has(&["gone at reboot"]);
    export_is_the_dev_key(&s.run(&["keys", "export", &profile, "--backend", "keyutils"]));
    let listed = s.run(&["keys", "list", "--backend", "keyutils"]);
    assert!(listed.ok().stdout.contains(&profile), "{}", listed.stdout);
    s.run(&["keys", "remove", &profile, "--backend", "keyutils"])
        .ok();
    s.run(&["keys", "export", &profile, "--backend", "keyutils"])
        .failed(3);
    let listed = s.run(&["keys", "list", "--backend", "keyutils"]);
    assert!(!listed.ok().stdout.contains(&profile));
}

/// `keys import` leaves the store's item as the key's only copy, so a store that forgets at
/// reboot (keyutils) is taken only when named, never because it answered first.
#[cfg(target_os = "linux")]
#[test]
fn import_refuses_keyutils_unless_it_is_named() {
    let mut s = Scenario::new();
    s.set("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus");
    let profile = format!("dev-{}", std::process::id());
    let text = format!(
        "[{profile}]\naws_access_key_id = {DEV_KEY_ID}\naws_secret_access_key = {DEV_SECRET}\n"
    );
    s.credentials(&text);
    s.run(&["keys", "import", &profile])
        .failed(2)
        .no_secrets_on_stderr()
        .stderr_has(&["keyutils", "gone at reboot", "--backend file"]);
    assert_eq!(
        std::fs::read_to_string(s.home.path().join(".aws/credentials")).unwrap(),
        text,
        "a refused import changed the file"
    );
    s.run(&["keys", "export", &profile, "--backend", "keyutils"])
        .failed(3);
    // Named, it is the user's choice.
    s.run(&["keys", "import", &profile, "--backend", "keyutils"])
        .ok()
        .stderr_has(&["gone at reboot"]);
    s.run(&["keys", "remove", &profile, "--backend", "keyutils"])
        .ok();
}

#[test]
fn the_file_backend_is_sealed_private_and_needs_its_passphrase() {
    let mut s = Scenario::new();
    let file = s.home.path().join("data/keys");
    s.set("XACCT_CRED_KEYS_FILE", path_str(&file));
    s.set("XACCT_CRED_FILE_PASSPHRASE", "correct horse battery");
    add_dev_key(&s, "file");
    export_is_the_dev_key(&s.run(&["keys", "export", "dev", "--backend", "file"]));
    assert!(files_holding(s.home.path(), DEV_SECRET.as_bytes()).is_empty());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&file), 0o600);
        assert_eq!(mode(file.parent().unwrap()), 0o700);
    }
    s.set("XACCT_CRED_FILE_PASSPHRASE", "wrong");
    s.run(&["keys", "export", "dev", "--backend", "file"])
        .failed(3)
        .stderr_has(&["the passphrase is wrong"]);
    s.unset("XACCT_CRED_FILE_PASSPHRASE");
    s.run(&["keys", "export", "dev", "--backend", "file"])
        .failed(3)
        .stderr_has(&["no terminal to ask on", "XACCT_CRED_FILE_PASSPHRASE"]);
}

#[test]
fn add_refuses_bad_input_without_echoing_the_secret() {
    let mut s = Scenario::new();
    s.set(
        "XACCT_CRED_KEYS_FILE",
        path_str(&s.home.path().join("keys")),
    );
    s.set("XACCT_CRED_FILE_PASSPHRASE", "p");
    for (input, said) in [
        (
            format!("{DEV_KEY_ID}\n"),
            "ended before the secret access key",
        ),
        (
            format!("not a key\n{DEV_SECRET}\n"),
            "is not an access key id",
        ),
        (
            format!("ASIAEXAMPLE000000001\n{DEV_SECRET}\n"),
            "is a temporary key",
        ),
        (
            format!("{DEV_KEY_ID}\n{DEV_SECRET} x\n"),
            "empty or has spaces",
        ),
        // The two lines swapped: the secret where the id goes is described, never shown.
        (
            format!("{DEV_SECRET}\n{DEV_KEY_ID}\n"),
            "(40 characters, some of them not letters or digits)",
        ),
    ] {
        run_with_stdin(&s, &["keys", "add", "dev", "--stdin"], &input)
            .failed(2)
            .no_secrets_on_stderr()
            .stderr_has(&[said]);
    }
    // No terminal and no --stdin: it says how, and reads nothing from argv.
    s.run(&["keys", "add", "dev"])
        .failed(2)
        .stderr_has(&["--stdin"]);
    assert!(!s.home.path().join("keys").exists());
}

/// `--write-profile` on a config holding a secret leaves no backup copy of it beside the config.
#[test]
fn write_profile_makes_no_backup_of_a_config_holding_a_secret() {
    let mut s = Scenario::new();
    s.set(
        "XACCT_CRED_KEYS_FILE",
        path_str(&s.home.path().join("k/keys")),
    );
    s.set("XACCT_CRED_FILE_PASSPHRASE", "pass phrase");
    s.config(&format!(
        "[profile dev]\naws_access_key_id = {DEV_KEY_ID}\naws_secret_access_key = {DEV_SECRET}\n"
    ));
    run_with_stdin(
        &s,
        &["keys", "add", "dev", "--stdin", "--write-profile"],
        &format!("{DEV_KEY_ID}\n{DEV_SECRET}\n"),
    )
    .ok()
    .no_secrets_on_stderr()
    .stderr_has(&["credential_process"]);
    let aws = s.home.path().join(".aws");
    let holding = files_holding(&aws, DEV_SECRET.as_bytes());
    assert_eq!(
        holding,
        [path_str(&aws.join("config"))],
        "a copy of the secret beside the config"
    );
}

#[cfg(unix)]
#[test]
fn import_moves_the_key_out_of_the_files_and_leaves_no_copy_on_disk() {
    use std::os::unix::fs::PermissionsExt;
    let mut s = Scenario::new();
    let ss = SecretService::start(&s.home.path().join("keyring"));
    s.set("DBUS_SESSION_BUS_ADDRESS", &ss.address);
    s.set("XACCT_CRED_KEYS_BACKEND", "secret-service");
    // The credentials file as dotfile managers keep it: a link to a file elsewhere, mode 0640.
    let dotfiles = s.home.path().join("dotfiles");
    std::fs::create_dir(&dotfiles).unwrap();
    let real = dotfiles.join("credentials");
    let text = format!(
        "# my keys\n[dev]\naws_access_key_id = {DEV_KEY_ID}\naws_secret_access_key = {DEV_SECRET}\nregion = eu-west-1\n\n[other]\naws_access_key_id = AKIAOTHER00000000001\naws_secret_access_key = other-secret\n"
    );
    std::fs::write(&real, &text).unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
    let link = s.home.path().join(".aws/credentials");
    std::os::unix::fs::symlink(&real, &link).unwrap();

    s.run(&["keys", "import", "dev"])
        .ok()
        .no_secrets_on_stderr()
        .stderr_has(&["now in secret-service"]);
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        std::fs::metadata(&real).unwrap().permissions().mode() & 0o777,
        0o640
    );
    assert_eq!(
        std::fs::read_to_string(&real).unwrap(),
        "# my keys\n[dev]\nregion = eu-west-1\n\n[other]\naws_access_key_id = AKIAOTHER00000000001\naws_secret_access_key = other-secret\n"
    );
    let names: Vec<String> = std::fs::read_dir(&dotfiles)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["credentials"], "no backup, no temp file");
    export_is_the_dev_key(&s.run(&["keys", "export", "dev"]));
    let holding = files_holding(s.home.path(), DEV_SECRET.as_bytes());
    assert!(
        holding.is_empty(),
        "the secret is still on disk in {holding:?}"
    );

    // Nothing left to import, and the store is unchanged.
    s.run(&["keys", "import", "dev"])
        .failed(2)
        .stderr_has(&["has no aws_access_key_id and aws_secret_access_key"]);
    export_is_the_dev_key(&s.run(&["keys", "export", "dev"]));
}

#[test]
fn import_refuses_temporary_keys_and_changes_nothing() {
    let mut s = Scenario::new();
    s.set(
        "XACCT_CRED_KEYS_FILE",
        path_str(&s.home.path().join("keys")),
    );
    s.set("XACCT_CRED_FILE_PASSPHRASE", "p");
    let text = format!(
        "[dev]\naws_access_key_id = ASIATEMP000000000001\naws_secret_access_key = {DEV_SECRET}\naws_session_token = tok\n"
    );
    s.credentials(&text);
    s.run(&["keys", "import", "dev"])
        .failed(2)
        .stderr_has(&["temporary keys"]);
    assert_eq!(
        std::fs::read_to_string(s.home.path().join(".aws/credentials")).unwrap(),
        text
    );
    assert!(!s.home.path().join("keys").exists());
}

/// `keys add` on a terminal: the key id is typed with echo, the secret without. `script` gives
/// the binary a pseudo-terminal; the secret is typed only once its prompt shows (as a person
/// would: the terminal echoes what arrives while echo is still on).
#[test]
fn add_asks_on_the_terminal_and_the_secret_is_not_echoed() {
    let mut s = Scenario::new();
    s.set(
        "XACCT_CRED_KEYS_FILE",
        path_str(&s.home.path().join("keys")),
    );
    s.set("XACCT_CRED_FILE_PASSPHRASE", "p");
    let mut terminal = Terminal::run(&s, "keys add dev --backend file");
    terminal.answer("Access key id for dev: ", DEV_KEY_ID);
    terminal.answer("Secret access key (not shown): ", DEV_SECRET);
    let (ok, terminal) = terminal.finish();
    assert!(ok, "{terminal:?}");
    assert!(
        terminal.contains(DEV_KEY_ID),
        "the key id is echoed: {terminal:?}"
    );
    assert!(
        !terminal.contains(DEV_SECRET),
        "the secret is not: {terminal:?}"
    );
    export_is_the_dev_key(&s.run(&["keys", "export", "dev", "--backend", "file"]));
}

/// Root with another user's session bus (inherited through `su` / `sudo -E`): the Secret
/// Service there is not chosen by itself, and refused when named. Needs root (chown).
#[cfg(target_os = "linux")]
#[test]
#[ignore = "needs root: run by scripts/test-all.sh with -- --ignored"]
fn another_users_session_bus_is_never_used() {
    assert!(
        rustix::process::geteuid().is_root(),
        "NOT RUNNABLE: this test needs root (it hands a socket to nobody)"
    );
    let mut s = Scenario::new();
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("bus");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    std::os::unix::fs::chown(&socket, Some(65534), Some(65534)).unwrap();
    s.set(
        "DBUS_SESSION_BUS_ADDRESS",
        &format!("unix:path={}", path_str(&socket)),
    );
    s.set("XACCT_CRED_FILE_PASSPHRASE", "pass phrase");
    s.unset("XACCT_CRED_KEYS_FILE");
    s.run(&["keys", "list"]).ok().stderr_has(&[
        "no secret-service: the session bus socket",
        "belongs to uid 65534",
    ]);
    run_with_stdin(
        &s,
        &[
            "keys",
            "add",
            "dev",
            "--stdin",
            "--backend",
            "secret-service",
        ],
        &format!("{DEV_KEY_ID}\n{DEV_SECRET}\n"),
    )
    .failed(3)
    .no_secrets_on_stderr()
    .stderr_has(&[
        "secret-service (--backend secret-service) is refused",
        "not to this user",
        "sudo -E",
    ]);
}

/// A credentials file with the `[dev]` the AWS CLI uses and a stale `[profile dev]` (which the
/// SDKs ignore there): import stored the stale key and removed the working one.
#[test]
fn import_takes_the_key_the_aws_cli_uses_and_refuses_two_keys_for_one_profile() {
    let mut s = Scenario::new();
    s.set(
        "XACCT_CRED_KEYS_FILE",
        path_str(&s.home.path().join("store/keys")),
    );
    s.set("XACCT_CRED_FILE_PASSPHRASE", "p");
    s.set("XACCT_CRED_KEYS_BACKEND", "file");
    let stale = "[profile dev]\naws_access_key_id = AKIASTALESTALESTA002\naws_secret_access_key = StaleSecretNobodyUses0000000000000000000\n";
    s.credentials(&format!(
        "[dev]\naws_access_key_id = {DEV_KEY_ID}\naws_secret_access_key = {DEV_SECRET}\n{stale}"
    ));
    s.run(&["keys", "import", "dev"])
        .ok()
        .no_secrets_on_stderr();
    export_is_the_dev_key(&s.run(&["keys", "export", "dev"]));
    let creds = s.home.path().join(".aws/credentials");
    assert_eq!(
        std::fs::read_to_string(&creds).unwrap(),
        format!("[dev]\n{stale}"),
        "the stale section is not the profile's: left as it was"
    );

    // Two sections for one profile with two keys: which one is meant is not for xacct-cred to
    // guess.
    let text = format!(
        "[dev]\naws_access_key_id = {DEV_KEY_ID}\naws_secret_access_key = {DEV_SECRET}\n[other]\nregion = x\n[dev]\naws_access_key_id = AKIASECONDSECONDSE03\naws_secret_access_key = Second000000000000000000000000000000000\n"
    );
    s.credentials(&text);
    s.run(&["keys", "remove", "dev"]).ok();
    s.run(&["keys", "import", "dev"])
        .failed(2)
        .stderr_has(&["more than one aws_access_key_id", "nothing was changed"])
        .no_secrets_on_stderr();
    assert_eq!(std::fs::read_to_string(&creds).unwrap(), text);
    s.run(&["keys", "export", "dev"]).failed(3);

    // The key in the config's [profile dev], overridden by the credentials file's [dev]: the
    // AWS CLI uses the credentials file's; refused though both are the profile's.
    s.credentials(&format!("[dev]\naws_access_key_id = {DEV_KEY_ID}\n"));
    s.config("[profile dev]\naws_secret_access_key = ConfigSecret0000000000000000000000000000\naws_access_key_id = AKIACONFIGCONFIGCO04\n");
    s.run(&["keys", "import", "dev"])
        .failed(2)
        .stderr_has(&["more than one aws_access_key_id"]);
}

/// The terminal's output of `keys import dev` (file store, passphrase asked twice), with
/// `meanwhile` run on the credentials file while the passphrase prompt waits.
fn import_while(s: &Scenario, meanwhile: impl FnOnce(&Path)) -> (bool, String) {
    let mut terminal = Terminal::run(s, "keys import dev --backend file");
    if !terminal.shows("Passphrase for the key file", Duration::from_secs(20)) {
        panic!("no passphrase prompt: {:?}", terminal.screen());
    }
    meanwhile(&s.home.path().join(".aws/credentials"));
    terminal.answer("Passphrase for the key file", "pass phrase");
    terminal.answer("The same passphrase again", "pass phrase");
    terminal.finish()
}

/// `keys import` wrote back the text it read before the passphrase prompt: what another tool
/// wrote meanwhile (`aws configure set` for another profile) was lost.
#[test]
fn import_never_writes_back_text_older_than_the_file() {
    let mut s = Scenario::new();
    s.set(
        "XACCT_CRED_KEYS_FILE",
        path_str(&s.home.path().join("store/keys")),
    );
    let dev =
        format!("[dev]\naws_access_key_id = {DEV_KEY_ID}\naws_secret_access_key = {DEV_SECRET}\n");
    // Another profile added meanwhile: kept, and the key still taken out.
    s.credentials(&dev);
    let (ok, terminal) = import_while(&s, |creds| {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(creds)
            .unwrap();
        f.write_all(b"[other]\nregion = added-meanwhile\n").unwrap();
    });
    assert!(ok, "{terminal}");
    assert!(!terminal.contains(DEV_SECRET));
    let creds = s.home.path().join(".aws/credentials");
    assert_eq!(
        std::fs::read_to_string(&creds).unwrap(),
        "[dev]\n[other]\nregion = added-meanwhile\n"
    );

    // The profile's key itself changed meanwhile: the file is left as it is now, and the
    // command says so.
    std::fs::remove_dir_all(s.home.path().join("store")).unwrap();
    s.credentials(&dev);
    let rotated = "[dev]\naws_access_key_id = AKIANEWNEWNEWNEWNE05\naws_secret_access_key = NewSecret0000000000000000000000000000000\n";
    let (ok, terminal) = import_while(&s, |creds| std::fs::write(creds, rotated).unwrap());
    assert!(!ok, "{terminal}");
    assert!(
        terminal.contains("changed while it was being stored")
            && terminal.contains("keys import dev again"),
        "{terminal}"
    );
    assert_eq!(std::fs::read_to_string(&creds).unwrap(), rotated);
}

/// Root with XACCT_CRED_KEYS_FILE into another user's tree (sudo -E): the file store created
/// directories, as root, where that user's link pointed, before the walk refused.
#[cfg(target_os = "linux")]
#[test]
#[ignore = "needs root: run by scripts/test-all.sh with -- --ignored"]
fn as_root_the_key_file_walk_comes_before_any_directory_is_made() {
    assert!(
        rustix::process::geteuid().is_root(),
        "NOT RUNNABLE: this test needs root (it hands a link to nobody)"
    );
    let mut s = Scenario::new();
    let rootonly = s.home.path().join("rootonly");
    let theirs = s.home.path().join("theirs");
    std::fs::create_dir(&rootonly).unwrap();
    std::fs::create_dir(&theirs).unwrap();
    std::os::unix::fs::symlink(&rootonly, theirs.join("share")).unwrap();
    std::os::unix::fs::lchown(theirs.join("share"), Some(65534), Some(65534)).unwrap();
    std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)).unwrap();
    s.set(
        "XACCT_CRED_KEYS_FILE",
        path_str(&theirs.join("share/sub/keys")),
    );
    s.set("XACCT_CRED_FILE_PASSPHRASE", "p");
    run_with_stdin(
        &s,
        &["keys", "add", "dev", "--stdin", "--backend", "file"],
        &format!("{DEV_KEY_ID}\n{DEV_SECRET}\n"),
    )
    .failed(3)
    .stderr_has(&["as root", "owned by uid 65534"]);
    let made: Vec<_> = std::fs::read_dir(&rootonly).unwrap().collect();
    assert!(made.is_empty(), "created as root: {made:?}");
}

/// The key file under a directory that a group may write to, for a user who is not root
/// (`nobody`, run by root): a group member could rename the user's own directory away while a
/// `keys import` or `rotate` ran, have the store sealed into theirs, and delete it with the only
/// copy of the key. Refused before anything is written; the same path without the group's write
/// bit is used.
#[cfg(unix)]
#[test]
#[ignore = "needs root and the nobody user; scripts/test-all.sh runs it as root"]
fn as_another_user_a_key_file_under_a_group_shared_directory_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    assert!(
        rustix::process::geteuid().is_root(),
        "NOT RUNNABLE: this test needs root (it runs the binary as nobody)"
    );
    const NOBODY: u32 = 65534;
    let mut s = Scenario::new();
    let (_bin_dir, bin) = binary_anyone_may_run();
    let team = s.home.path().join("team");
    std::fs::create_dir_all(team.join("u")).unwrap();
    let file = team.join("u/keys");
    s.set("XACCT_CRED_KEYS_FILE", path_str(&file));
    s.set("XACCT_CRED_FILE_PASSPHRASE", "p");
    s.give_home_to(NOBODY);
    std::fs::set_permissions(team.join("u"), std::fs::Permissions::from_mode(0o700)).unwrap();
    let add = |s: &Scenario| {
        let mut command = s.command_for(
            path_str(&bin),
            &["keys", "add", "dev", "--stdin", "--backend", "file"],
        );
        command.uid(NOBODY).gid(NOBODY);
        with_stdin(command, &format!("{DEV_KEY_ID}\n{DEV_SECRET}\n"))
    };
    std::fs::set_permissions(&team, std::fs::Permissions::from_mode(0o2770)).unwrap();
    add(&s)
        .failed(3)
        .stderr_has(&["does not use the key file", "its group"])
        .no_secrets_on_stderr();
    assert!(!file.exists(), "the store was written");
    std::fs::set_permissions(&team, std::fs::Permissions::from_mode(0o2750)).unwrap();
    add(&s).ok();
    assert!(file.exists());
}
