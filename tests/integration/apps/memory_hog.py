#!/usr/bin/env python3
# Grows by 20 MiB every 100 ms (touching every page, so it is resident) up to 400 MiB, then
# holds: a test app for max_memory_restart.
import time

chunks = []
while True:
    if len(chunks) < 20:
        chunks.append(b"x" * (20 << 20))
    time.sleep(0.1)
