#!/usr/bin/env bash
# One command for every benchmark in BENCHMARKS.md (local PostgreSQL and
# MariaDB as in the README; Node.js for Sequelize). Prints every table,
# then the summary table (bench/summary.py), and redraws BENCHMARKS.png and
# BENCHMARKS-peers.png.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target
log=target/bench-run.txt

run() {
    echo "## ORM vs raw sqlx, and the native floors (raw tokio-postgres, raw mysql_async)"
    cargo run -q -p orm-bench --release --features native-floors -- --rounds 15
    cargo run -q -p orm-bench --release --features native-floors -- --bulk100k
    echo "## Peers (SeaORM, Diesel) and the chart"
    # Diesel's MySQL backend links libmysqlclient (Debian: libmariadb-dev-compat).
    if ! command -v mysql_config >/dev/null; then
        apt-get install -y -q libmariadb-dev libmariadb-dev-compat >&2
    fi
    (cd bench/diesel-sqlite && cargo build -q --release)
    (cd bench/peers && cargo run -q --release -- 11)
    echo "## Sequelize"
    (cd bench/sequelize && npm install --no-audit --no-fund --silent && node bench.js)
}

run | tee "$log"
echo
echo "## Summary (median ratios; below 1 = ours faster)"
python3 bench/summary.py < "$log"
