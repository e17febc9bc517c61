#!/usr/bin/env python3
"""Seeds memories for search benchmarks straight into a migrated, idle database file (the
FTS5 triggers index them as `add_memory` would): OWN memories of USER_ID and OTHERS spread over
four other users, 12-30 words each from a vocabulary of 1,000 made-up pronounceable words, the
same every run. Prints the vocabulary, one word a line, for the load generator's queries.

    bench/seed_memories.py DB USER_ID [OWN=10000] [OTHERS=40000]
"""
import sqlite3, sys

db, user_id = sys.argv[1], sys.argv[2]
own = int(sys.argv[3]) if len(sys.argv) > 3 else 10_000
others = int(sys.argv[4]) if len(sys.argv) > 4 else 40_000
MASK = (1 << 64) - 1


class SplitMix:
    def __init__(self, seed):
        self.state = seed

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def below(self, n):
        return self.next() % n


SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "den", "mor", "tal", "quen", "bri", "sho", "pa", "lux"]
rng = SplitMix(7)
words = set()
while len(words) < 1_000:
    words.add("".join(SYLLABLES[rng.below(len(SYLLABLES))] for _ in range(2 + rng.below(2))))
words = sorted(words)

rng = SplitMix(11)
conn = sqlite3.connect(db)
owners = [(user_id, own)] + [(f"usr_bench_other_{i}", others // 4) for i in range(4)]
for owner, count in owners:
    rows = (
        (owner, " ".join(words[rng.below(len(words))] for _ in range(12 + rng.below(19))), 1_700_000_000)
        for _ in range(count)
    )
    with conn:
        conn.executemany("INSERT INTO memories (user_id, content, tags, created_at) VALUES (?, ?, '[]', ?)", rows)
conn.close()
print("\n".join(words))
