//! Writing files that must never be seen half written or by another user: [`private_file`]
//! the one atomic writer (exclusive create with the mode, write, fsync, rename, fsync the
//! directory), [`replace`] replacing a user's own file after a backup, as they keep it (links,
//! mode), and [`root_walk`] the path check root makes before writing anything. Nothing here
//! decides what to write, and nothing here talks to the network.

pub mod private_file;
pub mod replace;
pub mod root_walk;
