//! The floor for the cache-hit benchmark: a Rust binary that only reads one file and prints it.
use std::io::Write;

fn main() {
    let path = std::env::args().nth(1).expect("usage: floor FILE");
    let bytes = std::fs::read(path).expect("read");
    std::io::stdout().write_all(&bytes).expect("write");
}
