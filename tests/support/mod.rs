//! Test support: the real binary in a fresh HOME, and fakes of STS, IMDSv2 and the ECS
//! container endpoint on 127.0.0.1 that a test can make fail (denials, throttling, 500s, slow
//! or silent replies, closed ports). Every server stops when its handle is dropped.
#![allow(dead_code)]

pub mod fake;
pub mod secret_service;
pub mod terminal;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

#[allow(unused_imports)]
pub use fake::{FakeServer, IMDS_KEY_ID, IMDS_TOKEN};

pub const BIN: &str = env!("CARGO_BIN_EXE_xacct-cred");
pub const DEV_KEY_ID: &str = "AKIADEVEXAMPLE000001";
pub const DEV_SECRET: &str = "dev-secret-DO-NOT-PRINT-0123456789abcdef";
pub const ROLE_ARN: &str = "arn:aws:iam::111111111111:role/readonly-asi-production-bucket";

/// A temporary HOME with ~/.aws and a cache directory, and the environment to run the binary in.
pub struct Scenario {
    pub home: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Scenario {
    pub fn new() -> Scenario {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir(home.path().join(".aws")).unwrap();
        let mut s = Scenario {
            home,
            env: Vec::new(),
        };
        let cache = s.cache_dir();
        s.set("XACCT_CRED_CACHE_DIR", cache.to_str().unwrap());
        s.set("USER", "asi-dev");
        s
    }

    /// The usual setup: IAM user keys in `dev`, the role in `prod`, STS at `sts`.
    pub fn with_role(sts: &FakeServer, extra: &str) -> Scenario {
        let s = Scenario::new();
        s.credentials(&format!(
            "[dev]\naws_access_key_id = {DEV_KEY_ID}\naws_secret_access_key = {DEV_SECRET}\n"
        ));
        s.config(&format!("[profile prod]\nrole_arn = {ROLE_ARN}\nsource_profile = dev\nregion = eu-west-1\n{extra}\n"));
        let mut s = s;
        s.set("AWS_ENDPOINT_URL_STS", &sts.url());
        s
    }

    /// Hands HOME and everything in it (links themselves, not followed) to `uid`: a second
    /// local user's scenario, run as root with [`binary_anyone_may_run`].
    #[cfg(unix)]
    pub fn give_home_to(&self, uid: u32) {
        fn walk(path: &Path, uid: u32) {
            std::os::unix::fs::lchown(path, Some(uid), Some(uid)).unwrap();
            if std::fs::symlink_metadata(path).unwrap().is_dir() {
                for entry in std::fs::read_dir(path).unwrap() {
                    walk(&entry.unwrap().path(), uid);
                }
            }
        }
        walk(self.home.path(), uid);
    }

    /// `prod`'s source becomes the profile `helper`, whose `credential_process` runs `/bin/sh
    /// SCRIPT` (after `wrapper`, e.g. `exec setsid `); the script prints working keys until a
    /// test rewrites it (a hang, a failure). Returns the script's path.
    pub fn with_helper_source(&self, wrapper: &str) -> PathBuf {
        let helper = self.home.path().join("helper.sh");
        self.config(&format!(
            "[profile prod]\nrole_arn = {ROLE_ARN}\nsource_profile = helper\nregion = eu-west-1\n\n[profile helper]\ncredential_process = {wrapper}/bin/sh {}\n",
            helper.display()
        ));
        std::fs::write(
            &helper,
            "echo '{\"Version\":1,\"AccessKeyId\":\"AKIAHELPER0000000001\",\"SecretAccessKey\":\"helper-secret\"}'\n",
        )
        .unwrap();
        helper
    }

    pub fn config(&self, text: &str) {
        std::fs::write(self.home.path().join(".aws/config"), text).unwrap();
    }

    pub fn credentials(&self, text: &str) {
        std::fs::write(self.home.path().join(".aws/credentials"), text).unwrap();
    }

    pub fn set(&mut self, k: &str, v: &str) -> &mut Self {
        self.env.retain(|(key, _)| key != k);
        self.env.push((k.into(), v.into()));
        self
    }

    pub fn unset(&mut self, k: &str) -> &mut Self {
        self.env.retain(|(key, _)| key != k);
        self
    }

    pub fn cache_dir(&self) -> PathBuf {
        self.home.path().join("cache")
    }

    /// The binary with nothing of the runner's environment but PATH.
    pub fn command(&self, args: &[&str]) -> Command {
        self.command_for(BIN, args)
    }

    /// Another program in the same environment (e.g. `script`, to give the binary a terminal).
    pub fn command_for(&self, program: &str, args: &[&str]) -> Command {
        let mut c = Command::new(program);
        c.args(args)
            .env_clear()
            .env("HOME", self.home.path())
            .env("PATH", std::env::var("PATH").unwrap_or_default());
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c.stdin(Stdio::null());
        detach_from_terminal(&mut c);
        c
    }

    pub fn run(&self, args: &[&str]) -> Outcome {
        Outcome::from(self.command(args).output().unwrap())
    }

    /// The one cache entry file (panics unless there is exactly one).
    pub fn entry_file(&self) -> PathBuf {
        let files = self.entry_files();
        assert_eq!(files.len(), 1, "expected one cache entry, found {files:?}");
        files.into_iter().next().unwrap()
    }

    /// Rewrites the one cache entry's expiration to `left` from now (an entry renewed long ago).
    pub fn set_time_left(&self, left: std::time::Duration) {
        let path = self.entry_file();
        let mut doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let exp = (time::OffsetDateTime::now_utc() + left)
            .replace_nanosecond(0)
            .unwrap()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap();
        doc["credentials"]["Expiration"] = exp.into();
        std::fs::write(&path, doc.to_string()).unwrap();
    }

    /// Expires the one cache entry.
    pub fn expire_entry(&self) {
        let path = self.entry_file();
        let mut doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        doc["credentials"]["Expiration"] = "2020-01-01T00:00:00Z".into();
        std::fs::write(&path, doc.to_string()).unwrap();
    }

    pub fn entry_files(&self) -> Vec<PathBuf> {
        let Ok(rd) = std::fs::read_dir(self.cache_dir()) else {
            return Vec::new();
        };
        let mut v: Vec<PathBuf> = rd
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        v.sort();
        v
    }
}

impl Scenario {
    /// Every live process started in this scenario (its environment names this HOME): the
    /// callers, and the background renewals they started. Linux only (/proc); elsewhere empty.
    /// (A zombie has no environment to read; tests that care look for zombies themselves.)
    pub fn processes(&self) -> Vec<u32> {
        let needle = format!("HOME={}", self.home.path().display());
        let Ok(rd) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        rd.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
            .filter(|pid| {
                let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
                environ.split(|b| *b == 0).any(|kv| kv == needle.as_bytes())
            })
            .collect()
    }

    /// The background renewals among [`Scenario::processes`].
    pub fn background_renewals(&self) -> Vec<u32> {
        self.processes()
            .into_iter()
            .filter(|pid| {
                std::fs::read(format!("/proc/{pid}/cmdline"))
                    .is_ok_and(|c| c.windows(18).any(|w| w == b"background-renewal"))
            })
            .collect()
    }

    /// Waits (at most `limit`) until no process of this scenario is left; true if none is.
    /// "None" must hold for 300 ms of polls in a row: a process's environment cannot be read
    /// while it is in the middle of `execve` (the detached renewal's second step, just started,
    /// under load), and one empty listing then would end the wait too early.
    pub fn wait_until_no_processes(&self, limit: std::time::Duration) -> bool {
        use std::time::{Duration, Instant};
        let until = Instant::now() + limit;
        let mut none_since: Option<Instant> = None;
        loop {
            if self.processes().is_empty() {
                let since = *none_since.get_or_insert_with(Instant::now);
                if since.elapsed() >= Duration::from_millis(300) {
                    return true;
                }
            } else {
                none_since = None;
            }
            if Instant::now() >= until {
                return false;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// SIGKILLs whatever this scenario left running (tests stop what they start).
    pub fn kill_processes(&self) {
        for pid in self.processes() {
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
        }
    }

    /// Polls `what` every 20 ms for at most `limit`.
    pub fn eventually(&self, limit: std::time::Duration, what: impl Fn() -> bool) -> bool {
        let until = std::time::Instant::now() + limit;
        while std::time::Instant::now() < until {
            if what() {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        what()
    }
}

/// No controlling terminal, as under CI, a daemon or an SDK: /dev/tty cannot be opened.
fn detach_from_terminal(c: &mut Command) {
    #[cfg(unix)]
    unsafe {
        use std::os::unix::process::CommandExt;
        c.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
}

/// What a run of the binary did.
#[derive(Debug)]
pub struct Outcome {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Outcome {
    fn from(o: Output) -> Self {
        Outcome {
            code: o.status.code(),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Outcome {
    #[track_caller]
    pub fn ok(&self) -> &Self {
        assert_eq!(
            self.code,
            Some(0),
            "expected success; stderr:\n{}\nstdout:\n{}",
            self.stderr,
            self.stdout
        );
        self
    }

    /// Failed with `code`, printed nothing on stdout, and said no secret on stderr.
    #[track_caller]
    pub fn failed(&self, code: i32) -> &Self {
        assert_eq!(
            self.code,
            Some(code),
            "expected exit {code}; stderr:\n{}\nstdout:\n{}",
            self.stderr,
            self.stdout
        );
        assert_eq!(self.stdout, "", "nothing may reach stdout on failure");
        self.no_secrets_on_stderr();
        assert!(!self.stderr.contains("panicked"), "{}", self.stderr);
        self
    }

    #[track_caller]
    pub fn stderr_has(&self, needles: &[&str]) -> &Self {
        for n in needles {
            assert!(
                self.stderr.contains(n),
                "stderr lacks {n:?}:\n{}",
                self.stderr
            );
        }
        self
    }

    #[track_caller]
    pub fn no_secrets_on_stderr(&self) -> &Self {
        for s in [
            DEV_SECRET,
            "fake-secret-",
            "fake-token-",
            "imds-secret",
            "ecs-secret",
            "env-secret",
        ] {
            assert!(
                !self.stderr.contains(s),
                "a secret reached stderr:\n{}",
                self.stderr
            );
        }
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {:?}", self.stdout))
    }
}

/// Form parameters of an STS (awsQuery) request body.
pub fn form(body: &str) -> HashMap<String, String> {
    body.split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

pub fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A copy of the binary that another user may run (the build directory may lie under a private
/// home), and the directory holding it, which goes when dropped.
#[cfg(unix)]
pub fn binary_anyone_may_run() -> (tempfile::TempDir, PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let bin = dir.path().join("xacct-cred");
    std::fs::copy(BIN, &bin).unwrap();
    // A child another test thread forked while the copy was being written holds the written
    // descriptor until it execs: running the copy then fails with ETXTBSY. Once one run
    // succeeds, no descriptor open for writing is left anywhere.
    for _ in 0..250 {
        match Command::new(&bin).arg("--version").output() {
            Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) => {
                std::thread::sleep(std::time::Duration::from_millis(20))
            }
            Err(e) => panic!("the copy of the binary does not run: {e}"),
            Ok(_) => return (dir, bin),
        }
    }
    panic!("the copy of the binary stayed busy for 5 s");
}
