//! Writing files that must never be seen half written or by another user: [`private_file`]
//! the one atomic writer (exclusive create with the mode, write, fsync, rename, fsync the
//! directory), [`replace`] replacing a user's own file after a backup, as they keep it (links,
//! mode), [`path_walk`] the check that no other user can change a path (root's before any
//! write, every user's for a token file), and [`user_text`] reading such a file first without
//! waiting on a FIFO or reading a device. Nothing here decides what to write, and nothing here
//! talks to the network.

pub mod path_walk;
pub mod private_file;
pub mod replace;
pub mod user_text;

/// Whether two metadata describe the same file (device and inode): the file opened is the one
/// checked. Without inodes (Windows) it cannot tell, and says yes.
#[cfg(unix)]
pub fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    (a.dev(), a.ino()) == (b.dev(), b.ino())
}

#[cfg(not(unix))]
pub fn same_file(_: &std::fs::Metadata, _: &std::fs::Metadata) -> bool {
    true
}
