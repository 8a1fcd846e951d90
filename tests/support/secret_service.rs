//! A real Secret Service for tests: a private D-Bus session bus (`dbus-daemon`) with GNOME
//! Keyring's secrets component on it, unlocked with a known password, its keyring under a
//! directory the test chooses. Both processes stop when the handle is dropped.
//!
//! Nothing here passes quietly: without `dbus-daemon` or `gnome-keyring-daemon` (Debian
//! packages dbus, gnome-keyring; scripts/setup-test-deps.sh installs them) the test fails.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct SecretService {
    pub address: String,
    bus: Child,
    keyring: Child,
    runtime: tempfile::TempDir,
    data_home: PathBuf,
}

impl SecretService {
    /// Starts the bus and the keyring; the keyring's files go under `data_home`.
    pub fn start(data_home: &Path) -> SecretService {
        let runtime = tempfile::tempdir().unwrap();
        let socket = runtime.path().join("bus");
        // A session bus without service activation: a client that asks for the Secret Service
        // before our daemon has registered must not get one activated (without our password,
        // and holding the name so that ours gives up).
        let config = runtime.path().join("bus.conf");
        std::fs::write(
            &config,
            format!(
                "<busconfig><type>session</type><listen>unix:path={}</listen>\
             <policy context=\"default\"><allow send_destination=\"*\" eavesdrop=\"true\"/>\
             <allow eavesdrop=\"true\"/><allow own=\"*\"/></policy></busconfig>",
                socket.display()
            ),
        )
        .unwrap();
        let mut bus = Command::new("dbus-daemon")
            .args(["--nofork", "--nopidfile", "--print-address=1"])
            .arg(format!("--config-file={}", config.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("NOT RUNNABLE: dbus-daemon ({e}); install the Debian package dbus (scripts/setup-test-deps.sh)")
            });
        let mut address = String::new();
        BufReader::new(bus.stdout.take().unwrap())
            .read_line(&mut address)
            .unwrap();
        let address = address.trim().to_string();
        assert!(address.starts_with("unix:"), "dbus-daemon said {address:?}");
        std::fs::create_dir_all(data_home).unwrap();
        let mut keyring = Command::new("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .env_clear()
            .env("HOME", data_home)
            .env("XDG_DATA_HOME", data_home)
            .env("XDG_RUNTIME_DIR", runtime.path())
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(runtime.path().join("keyring.log")).unwrap())
            .spawn()
            .unwrap_or_else(|e| {
                let _ = bus.kill();
                panic!("NOT RUNNABLE: gnome-keyring-daemon ({e}); install the Debian package gnome-keyring (scripts/setup-test-deps.sh)")
            });
        // The login keyring's password, on stdin, then EOF: it creates and unlocks it.
        let mut stdin = keyring.stdin.take().unwrap();
        stdin.write_all(b"test-keyring-password").unwrap();
        drop(stdin);
        let ss = SecretService {
            address,
            bus,
            keyring,
            runtime,
            data_home: data_home.to_path_buf(),
        };
        ss.wait_until_it_answers();
        ss
    }

    /// `secret-tool` (libsecret-tools) on this bus: the store seen from outside xacct-cred.
    pub fn secret_tool(&self, args: &[&str]) -> std::process::Output {
        Command::new("secret-tool")
            .args(args)
            .env_clear()
            .env("HOME", &self.data_home)
            .env("XDG_RUNTIME_DIR", self.runtime.path())
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "NOT RUNNABLE: secret-tool ({e}); install the Debian package libsecret-tools"
                )
            })
    }

    fn wait_until_it_answers(&self) {
        // The login keyring is created and unlocked a moment after the daemon starts: until
        // then a store would need a prompt. Storing (and clearing) an item proves it is ready.
        let until = Instant::now() + Duration::from_secs(15);
        loop {
            let mut store = Command::new("secret-tool")
                .args(["store", "--label=probe", "service", "xacct-cred-probe"])
                .env_clear()
                .env("HOME", &self.data_home)
                .env("XDG_RUNTIME_DIR", self.runtime.path())
                .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap_or_else(|e| {
                    panic!("NOT RUNNABLE: secret-tool ({e}); install the Debian package libsecret-tools")
                });
            store.stdin.take().unwrap().write_all(b"probe").unwrap();
            let out = store.wait_with_output().unwrap();
            if out.status.success() {
                let cleared = self.secret_tool(&["clear", "service", "xacct-cred-probe"]);
                assert!(cleared.status.success(), "secret-tool clear failed");
                return;
            }
            assert!(
                Instant::now() < until,
                "the Secret Service did not come up on {}: {}\ngnome-keyring-daemon said: {}",
                self.address,
                String::from_utf8_lossy(&out.stderr),
                std::fs::read_to_string(self.runtime.path().join("keyring.log"))
                    .unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for SecretService {
    fn drop(&mut self) {
        for child in [&mut self.keyring, &mut self.bus] {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
