//! The binary on a terminal of its own (`script` gives it a pseudo-terminal), as a person at a
//! shell meets it: its screen collected as it arrives, and each line typed only once its prompt
//! shows (the terminal echoes what arrives while echo is still on).

use super::{BIN, Scenario};
use std::io::{Read, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub struct Terminal {
    child: Child,
    keyboard: Option<ChildStdin>,
    screen: Arc<Mutex<Vec<u8>>>,
    reader: Option<JoinHandle<()>>,
}

impl Terminal {
    /// `xacct-cred ARGS` (one shell line) in `s`'s environment.
    pub fn run(s: &Scenario, args: &str) -> Terminal {
        let inner = format!("{BIN} {args}");
        let mut child = s
            .command_for("script", &["-qec", &inner, "/dev/null"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let screen = Arc::new(Mutex::new(Vec::new()));
        let mut out = child.stdout.take().unwrap();
        let reader = {
            let screen = screen.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 256];
                while let Ok(n) = out.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    screen.lock().unwrap().extend_from_slice(&buf[..n]);
                }
            })
        };
        Terminal {
            keyboard: child.stdin.take(),
            child,
            screen,
            reader: Some(reader),
        }
    }

    /// Everything shown so far.
    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.screen.lock().unwrap()).to_string()
    }

    /// Whether `what` shows within `within`.
    pub fn shows(&self, what: &str, within: Duration) -> bool {
        let until = Instant::now() + within;
        while !self.screen().contains(what) {
            if Instant::now() > until {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        true
    }

    /// Types `line` (and Enter) once `prompt` shows; fails the test (the program ended) when it
    /// does not within 20 s.
    pub fn answer(&mut self, prompt: &str, line: &str) {
        if !self.shows(prompt, Duration::from_secs(20)) {
            panic!("no {prompt:?} on the terminal: {:?}", self.screen());
        }
        let keyboard = self.keyboard.as_mut().expect("the keyboard is open");
        keyboard.write_all(format!("{line}\n").as_bytes()).unwrap();
    }

    /// Closes the keyboard and waits for the end: whether the program succeeded, and the
    /// whole screen.
    pub fn finish(mut self) -> (bool, String) {
        drop(self.keyboard.take());
        let ok = self.child.wait().unwrap().success();
        if let Some(reader) = self.reader.take() {
            reader.join().unwrap();
        }
        (ok, self.screen())
    }
}

impl Drop for Terminal {
    /// A test that failed midway leaves no program waiting at a prompt.
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
