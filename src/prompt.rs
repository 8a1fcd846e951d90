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
