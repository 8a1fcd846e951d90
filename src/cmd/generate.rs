//! `xacct-cred generate man|markdown|complete-…`: the man page, the Markdown reference
//! (docs/REFERENCE.md) and shell completions, generated from the one clap definition in `cli`,
//! as ripgrep does. Hidden; packagers and the docs call it.

use crate::cli::{Generated, command};
use crate::error::{Error, Result};
use clap_complete::Shell;
use std::io::Write;

pub fn run(what: Generated) -> Result<()> {
    let mut cmd = command();
    let mut out = Vec::new();
    match what {
        Generated::Man => clap_mangen::Man::new(cmd)
            .render(&mut out)
            .map_err(|e| Error::config(format!("could not render the man page: {e}")))?,
        Generated::Markdown => out = crate::cli::markdown::render(cmd).into_bytes(),
        Generated::CompleteBash => {
            clap_complete::generate(Shell::Bash, &mut cmd, "xacct-cred", &mut out)
        }
        Generated::CompleteZsh => {
            clap_complete::generate(Shell::Zsh, &mut cmd, "xacct-cred", &mut out)
        }
        Generated::CompleteFish => {
            clap_complete::generate(Shell::Fish, &mut cmd, "xacct-cred", &mut out)
        }
        Generated::CompletePowershell => {
            clap_complete::generate(Shell::PowerShell, &mut cmd, "xacct-cred", &mut out)
        }
    }
    std::io::stdout()
        .lock()
        .write_all(&out)
        .map_err(|e| Error::config(format!("could not write: {e}")))
}
