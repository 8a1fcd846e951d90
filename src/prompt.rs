//! Asking a person: on `/dev/tty`, because a credential_process's stdout and stderr belong to
//! its caller. Fails (never hangs) when there is no terminal.

/// Writes `question` to the terminal and reads one line back.
#[cfg(unix)]
pub fn ask(question: &str) -> Result<String, String> {
    use std::io::{BufRead, BufReader, Write};
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(|e| format!("/dev/tty: {e}"))?;
    let mut out = &tty;
    write!(out, "{question}")
        .and_then(|()| out.flush())
        .map_err(|e| e.to_string())?;
    let mut line = String::new();
    BufReader::new(&tty)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    Ok(line.trim().to_string())
}

#[cfg(not(unix))]
pub fn ask(_question: &str) -> Result<String, String> {
    Err("prompting is supported on Unix only".into())
}

/// As [`ask`], with the terminal's echo off while the answer is typed (a secret or a
/// passphrase); the echo is restored whatever happens.
#[cfg(unix)]
pub fn ask_hidden(question: &str) -> Result<String, String> {
    use rustix::termios::{LocalModes, OptionalActions, tcgetattr, tcsetattr};
    use std::io::{BufRead, BufReader, Write};
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(|e| format!("/dev/tty: {e}"))?;
    let before = tcgetattr(&tty).map_err(|e| format!("/dev/tty: {e}"))?;
    let mut quiet = before.clone();
    quiet.local_modes.remove(LocalModes::ECHO);
    tcsetattr(&tty, OptionalActions::Flush, &quiet).map_err(|e| format!("/dev/tty: {e}"))?;
    let mut out = &tty;
    let mut line = String::new();
    let read = write!(out, "{question}")
        .and_then(|()| out.flush())
        .and_then(|()| BufReader::new(&tty).read_line(&mut line));
    let _ = tcsetattr(&tty, OptionalActions::Now, &before);
    let _ = writeln!(out);
    read.map_err(|e| e.to_string())?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

#[cfg(not(unix))]
pub fn ask_hidden(_question: &str) -> Result<String, String> {
    Err("prompting is supported on Unix only".into())
}
