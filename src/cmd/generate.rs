//! `xacct-cred generate man|complete-…`: the man page and shell completions, generated from the
//! one clap definition in cli.rs, as ripgrep does. Hidden; packagers call it.

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
