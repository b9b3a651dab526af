#!/usr/bin/env python3
"""Combine the tables printed by bench/run-all.sh into one summary table:
ours / raw sqlx, ours / SeaORM, ours / Diesel and ours / Sequelize, per
workload and dialect, and ours / the fastest raw client where measured.  Usage: python3 bench/summary.py < run-all output"""
import re
import sys

KEYS = [
    ("W1", "1"), ("W1", "10000"), ("W2", ""), ("W3", ""),
    ("W4", "100"), ("W4", "1000"), ("W4", "10000"),
    ("W5", "100"), ("W5", "5000"), ("W6", ""), ("W9", "5000"), ("W10", ""),
]
NAMES = {
    ("W1", "1"): "W1 select users, 1 row",
    ("W1", "10000"): "W1 select users, 10,000 rows",
    ("W2", ""): "W2 users LEFT JOIN posts, hair_color filter",
    ("W3", ""): "W3 100 sequential find_by_pk",
    ("W4", "100"): "W4 users → posts → comments, 100",
    ("W4", "1000"): "W4 users → posts → comments, 1,000",
    ("W4", "10000"): "W4 users → posts → comments, 10,000",
    ("W5", "100"): "W5 bulk insert 100 rows",
    ("W5", "5000"): "W5 bulk insert 5,000 rows",
    ("W6", ""): "W6 load 100, change one field, save each",
    ("W9", "5000"): "W9 bulk upsert 5,000 rows, half conflicting",
    ("W10", ""): "W10 keyset walk, 100 pages of 100",
}


def key_of(label):
    w = re.match(r"(W\d+)", label).group(1)
    if "by .join()" in label or "by a second statement" in label:
        return (w + "J", "")  # a variant, not in the summary
    if w in ("W2", "W3", "W6", "W10"):
        return (w, "")
    if w == "W1":
        return (w, "1" if "1 row" in label else "10000")
    nums = re.findall(r"\d[\d,]*", label[len(w):])
    return (w, nums[0].replace(",", "") if nums else "")


def main():
    table = {}  # (dialect, key) -> {column: value}
    section = None
    dialect = None
    for line in sys.stdin:
        line = line.rstrip("\n")
        if line.startswith("### "):
            dialect, section = line[4:].strip().split()[0], "raw"
            continue
        if re.match(r"\| workload \([^)]*, raw clients\)", line):
            section = "skip"  # the clients alone (peers' MariaDB floor), not the ORM
            continue
        m = re.match(r"\| workload \((\w+)\) \| (.*)", line)
        if m:
            dialect = {"PostgreSQL": "postgres"}.get(m.group(1), m.group(1))
            section = "seq" if "Sequelize" in m.group(2) else "peers-pg" if "ORM / raw" in m.group(2) else "peers"
            continue
        m = re.match(r"\| (?:native )?floor: (.*?), ORM / (?:raw [\w-]+|rusqlite[^|]*) \| ([\d.]+)", line)
        if m:
            table.setdefault((dialect, key_of(m.group(1))), {})["native"] = m.group(2)
            continue
        if not line.startswith("| W") or section == "skip":
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        k = key_of(cells[0])
        row = table.setdefault((dialect, k), {})
        if section == "raw":
            row["raw"] = cells[1]
        elif section == "peers-pg":
            row["sea"], row["diesel"] = cells[4], cells[5]
        elif section == "peers":
            row["sea"], row["diesel"] = cells[1], cells[2]
        elif section == "seq":
            row["seq"] = cells[3]
    print("| workload | dialect | ours / fastest raw client | ours / raw sqlx | ours / SeaORM | ours / Diesel | ours / Sequelize |")
    print("|---|---|---|---|---|---|---|")
    for k in KEYS:
        for d in ("postgres", "mysql", "sqlite"):
            row = table.get((d, k))
            if not row:
                continue
            name = {"postgres": "PostgreSQL", "mysql": "MariaDB", "sqlite": "SQLite"}[d]
            # The fastest raw client: tokio-postgres / mysql_async on the
            # servers, rusqlite on the calling thread on SQLite.
            cols = [row.get(c, "—") for c in ("native", "raw", "sea", "diesel", "seq")]
            print(f"| {NAMES[k]} | {name} | " + " | ".join(cols) + " |")


main()
