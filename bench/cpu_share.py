#!/usr/bin/env python3
"""CPU use per process while a wrk run is under way (the "Where the CPU goes" table of
BENCHMARKS.md). Start it, then the benchmark: it waits for wrk, skips a second, and prints each
process name's share of the CPU time used in the next 7 seconds.

    python3 bench/cpu_share.py & python3 bench/run.py postgres --only create
"""
import os, time, collections, subprocess, sys
def snap():
    d = collections.Counter()
    for p in os.listdir('/proc'):
        if not p.isdigit(): continue
        try:
            s = open(f'/proc/{p}/stat').read()
            comm = s[s.index('(')+1:s.rindex(')')]
            f = s[s.rindex(')')+2:].split()
            d[comm.split(':')[0].split()[0]] += int(f[11]) + int(f[12])
        except Exception: pass
    return d
def wrk_running():
    return any(open(f'/proc/{p}/comm').read().strip()=='wrk' for p in os.listdir('/proc') if p.isdigit() and os.path.exists(f'/proc/{p}/comm'))
while not wrk_running(): time.sleep(0.05)
time.sleep(1); a = snap(); t=time.time(); time.sleep(7); b = snap(); dt=time.time()-t
tot = sum((b-a).values())
hz = os.sysconf('SC_CLK_TCK')
for k,v in (b-a).most_common(8): print(f"{k:20s} {v/hz/dt:.2f} cores  {100*v/tot:.0f}%")
