//! Diesel's SQLite side of `bench/peers`: `orm-bench-diesel-sqlite <db file>`
//! opens one connection, then for each stdin line `<workload> <n> <iterations>`
//! runs the workload that many times and prints the seconds taken. The
//! connection stays open between lines, as the pools on the other side do.

include!("../../peers/src/diesel_work.rs");

use diesel::prelude::*;
use std::io::{BufRead, Write};
use std::time::Instant;

fn main() {
    let path = std::env::args().nth(1).expect("usage: orm-bench-diesel-sqlite <db file>");
    let mut conn = SqliteConnection::establish(&path).expect("open the SQLite file");
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout();
    for line in stdin.lock().lines() {
        let line = line.expect("stdin");
        let parts: Vec<&str> = line.split_whitespace().collect();
        let [w, n, iters] = parts[..] else {
            panic!("expected `<workload> <n> <iterations>`, got {line:?}");
        };
        let n: i64 = n.parse().expect("n");
        let iters: usize = iters.parse().expect("iterations");
        let started = Instant::now();
        for _ in 0..iters {
            diesel_workload!(&mut conn, w, n, returning = true);
        }
        writeln!(stdout, "{}", started.elapsed().as_secs_f64()).unwrap();
        stdout.flush().unwrap();
    }
}
