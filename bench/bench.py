#!/usr/bin/env python3
"""captar's benchmark against GNU tar and bsdtar on a copy of this machine's /usr.

Why it exists: issue 5 asks captar to be faster than the tools people already use, close to the
machine's floor, with flat memory. This program measures exactly that and nothing else: it is a
report of ratios, never a pass/fail test (see bench/README.md).

Method, in the order it runs:
  1. corpus: a copy (cp -a) of parts of /usr with ~20 binaries given capabilities, and a second
     one made of two copies of the first (twice the bytes and entries) for the scaling figure;
     both are built once under BENCH_DIR and reused;
  2. reference archives (plain, zstd, gzip) made by captar, and a zstd one by GNU tar; every
     tool lists, extracts and compares the same archive, so all do the same work;
  3. a warm-up round of every command (untimed; it also fills the page cache, so every timed
     run is warm-cache), then N rounds in which captar, its peers and the floors of each
     operation run one after the other, the order rotated each time (an operation with
     `repeat` runs so several times a round);
  4. captar alone on the corpus twice as large: time and peak RSS, to show memory is flat.

Archives are written to a tmpfs; extraction goes into a fresh ext4 (a new loop-mounted image per
run) or a fresh tmpfs mount per run, never into a just-emptied directory. Peak RSS is the
ru_maxrss that wait4() returns for the command: the largest single process of its process tree
(so `tar -I zstd` counts the zstd child).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import shlex
import shutil
import stat
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

MIB = 1 << 20

# Capabilities given to binaries of the corpus: the sets real systems carry, one v3 (namespaced
# rootid) among them. (text, rootid or None)
CAP_SETS = [
    ("cap_net_raw=ep", None),
    ("cap_net_bind_service=ep", None),
    ("cap_net_admin,cap_net_raw=ep", None),
    ("cap_sys_admin=ep", None),
    ("cap_dac_override=ep", None),
    ("cap_dac_read_search=ep", None),
    ("cap_setuid,cap_setgid=ep", None),
    ("cap_chown,cap_fowner,cap_fsetid=ep", None),
    ("cap_sys_ptrace=ep", None),
    ("cap_sys_nice=eip", None),
    ("cap_ipc_lock=ep", None),
    ("cap_sys_resource=ep", None),
    ("cap_audit_write=ep", None),
    ("cap_sys_time,cap_wake_alarm=ep", None),
    ("cap_kill=p", None),
    ("cap_net_bind_service=ei", None),
    ("cap_bpf,cap_perfmon=ep", None),
    ("cap_sys_chroot=ep", None),
    ("=ep", None),
    ("cap_net_raw=ep", 1000),
]

# What each corpus copies from /usr: (source, destination under the corpus root).
FULL_SOURCES = ["/usr/bin", "/usr/include", "/usr/share/man"]
QUICK_SOURCES = ["/usr/include"]
QUICK_BINARIES = 40  # quick corpus: this many files of /usr/bin, the capped ones among them


# ---------------------------------------------------------------------------------------------
# Running one command


@dataclass
class Sample:
    secs: float
    rss_kib: int
    rc: int
    size: int | None = None  # bytes of the output archive, for create
    cpu: float = float("nan")  # user + system seconds of the command and the children it waited for


def run_timed(argv: list[str], cwd: Path) -> tuple[Sample, str]:
    """Runs argv under GNU time; returns its wall time, peak RSS, CPU time and the tail of its stderr.

    The RSS comes from /usr/bin/time (%M: ru_maxrss of the child, which covers the children it
    waited for) and not from our own wait4(): the kernel carries a process's pre-exec memory
    into ru_maxrss, so a child forked from this Python process would report Python's RSS.
    """
    with tempfile.NamedTemporaryFile("r") as rss, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        rc = subprocess.call(["/usr/bin/time", "-f", "%U %S %M", "-o", rss.name, *argv], cwd=cwd,
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        secs = time.perf_counter() - start
        lines = rss.read().split()
        err.seek(0)
        tail = err.read()[-2000:].decode(errors="replace")
    kib = int(lines[-1]) if lines and lines[-1].isdigit() else 0
    try:
        cpu = float(lines[-3]) + float(lines[-2])
    except (IndexError, ValueError):
        cpu = float("nan")
    return Sample(secs, kib, rc, cpu=cpu), tail


class CpuMeter:
    """How much of the machine other processes used while the bench ran (builds, tests...)."""

    def __init__(self) -> None:
        self.busy0, self.total0 = self.read()
        self.ours0 = self.ours()

    @staticmethod
    def read() -> tuple[int, int]:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        idle = fields[3] + fields[4]  # idle + iowait
        return sum(fields[:8]) - idle, sum(fields[:8])

    @staticmethod
    def ours() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        me = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime + me.ru_utime + me.ru_stime

    def others_share(self) -> float:
        """Fraction of all CPU time (all cores) that processes other than the bench used."""
        busy, total = self.read()
        tick = os.sysconf("SC_CLK_TCK")
        others = (busy - self.busy0) / tick - (self.ours() - self.ours0)
        return max(0.0, others / ((total - self.total0) / tick))


def sh(cmd: str, check: bool = True) -> str:
    """Runs a setup command (untimed) and returns its stdout."""
    res = subprocess.run(cmd, shell=True, executable="/bin/bash", capture_output=True, text=True)
    if check and res.returncode != 0:
        raise RuntimeError(f"`{cmd}` failed ({res.returncode}): {res.stderr.strip()}")
    return res.stdout


# ---------------------------------------------------------------------------------------------
# Corpus


@dataclass
class Corpus:
    name: str
    root: Path
    paths: list[str]  # members given to every tool, relative to root
    files: int = 0
    entries: int = 0
    bytes: int = 0
    disk_bytes: int = 0
    caps: int = 0

    def describe(self) -> str:
        return (f"{self.bytes / MIB:,.0f} MiB in {self.entries:,} entries ({self.files:,} regular "
                f"files), {self.caps} with capabilities")


def measure(corpus: Corpus) -> None:
    files = entries = size = disk = 0
    for top in corpus.paths:
        for dirpath, dirnames, filenames in os.walk(corpus.root / top):
            for name in dirnames + filenames:
                st = os.lstat(os.path.join(dirpath, name))
                entries += 1
                disk += st.st_blocks * 512
                if stat.S_ISREG(st.st_mode):
                    files += 1
                    size += st.st_size
    corpus.files, corpus.entries, corpus.bytes, corpus.disk_bytes = files, entries + len(corpus.paths), size, disk
    out = sh(f"cd {shlex.quote(str(corpus.root))} && getcap -r {' '.join(map(shlex.quote, corpus.paths))}")
    corpus.caps = len(out.splitlines())


def build_small(root: Path, quick: bool) -> Corpus:
    corpus = Corpus("quick" if quick else "full", root, ["usr"])
    stamp = root.with_suffix(".json")
    if stamp.exists():
        corpus.__dict__.update({k: v for k, v in json.loads(stamp.read_text()).items() if k != "root"})
        return corpus
    if root.exists():  # an interrupted build
        shutil.rmtree(root)
    log(f"building the {corpus.name} corpus in {root} ...")
    for src in QUICK_SOURCES if quick else FULL_SOURCES:
        dst = root / src.lstrip("/")
        dst.parent.mkdir(parents=True, exist_ok=True)
        sh(f"cp -a {shlex.quote(src)} {shlex.quote(str(dst))}")
    bindir = root / "usr/bin"
    if quick:
        bindir.mkdir(parents=True, exist_ok=True)
        chosen = regular_files(Path("/usr/bin"))
        step = max(1, len(chosen) // QUICK_BINARIES)
        for f in chosen[::step][:QUICK_BINARIES]:
            sh(f"cp -a {shlex.quote(str(f))} {shlex.quote(str(bindir))}/")
    targets = regular_files(bindir)
    step = max(1, len(targets) // len(CAP_SETS))
    for (text, rootid), target in zip(CAP_SETS, targets[::step]):
        ns = f"-n {rootid} " if rootid is not None else ""
        sh(f"setcap {ns}{shlex.quote(text)} {shlex.quote(str(target))}")
    measure(corpus)
    stamp.write_text(json.dumps({k: v for k, v in corpus.__dict__.items() if k != "root"}))
    return corpus


def build_double(small: Corpus, root: Path) -> Corpus:
    """Twice the small corpus: two full copies side by side (a/usr, b/usr)."""
    corpus = Corpus(small.name + " ×2", root, ["a", "b"])
    stamp = root.with_suffix(".json")
    if stamp.exists():
        corpus.__dict__.update({k: v for k, v in json.loads(stamp.read_text()).items() if k != "root"})
        return corpus
    if root.exists():
        shutil.rmtree(root)
    log(f"building the {corpus.name} corpus in {root} ...")
    for half in corpus.paths:
        (root / half).mkdir(parents=True)
        sh(f"cp -a {shlex.quote(str(small.root / 'usr'))} {shlex.quote(str(root / half))}/")
    measure(corpus)
    if corpus.caps != 2 * small.caps:
        raise RuntimeError(f"cp -a kept {corpus.caps} of {2 * small.caps} capabilities")
    stamp.write_text(json.dumps({k: v for k, v in corpus.__dict__.items() if k != "root"}))
    return corpus


def regular_files(d: Path) -> list[Path]:
    """Regular files of d with one link, sorted: the candidates for setcap."""
    out = []
    for p in sorted(d.iterdir()):
        st = os.lstat(p)
        if stat.S_ISREG(st.st_mode) and st.st_nlink == 1 and st.st_size > 0:
            out.append(p)
    return out


# ---------------------------------------------------------------------------------------------
# Fresh filesystems


class Mounts:
    """Every mount this run made, so that an interrupted run leaves none behind."""

    def __init__(self) -> None:
        self.active: list[tuple[Path, Path | None]] = []

    def tmpfs(self, where: Path, size: int) -> None:
        self._clear(where)
        sh(f"mount -t tmpfs -o size={size},mode=0755 tmpfs {shlex.quote(str(where))}")
        self.active.append((where, None))

    def ext4(self, where: Path, image: Path, size: int, inodes: int) -> None:
        self._clear(where)
        if image.exists():
            image.unlink()
        sh(f"truncate -s {size} {shlex.quote(str(image))}")
        sh(f"mkfs.ext4 -q -F -N {inodes} {shlex.quote(str(image))}")
        # noinit_itable: no ext4lazyinit thread zeroing inode tables in the background while
        # a tool is being timed.
        sh(f"mount -o loop,noinit_itable {shlex.quote(str(image))} {shlex.quote(str(where))}")
        self.active.append((where, image))

    def release(self, where: Path) -> None:
        for i, (w, image) in enumerate(self.active):
            if w == where:
                sh(f"umount {shlex.quote(str(w))}")
                if image is not None:
                    image.unlink()
                del self.active[i]
                return

    def release_all(self) -> None:
        for where, _ in list(reversed(self.active)):
            try:
                self.release(where)
            except RuntimeError as e:
                log(f"warning: {e}")

    @staticmethod
    def _clear(where: Path) -> None:
        where.mkdir(parents=True, exist_ok=True)
        while os.path.ismount(where):  # left over by an interrupted run
            sh(f"umount {shlex.quote(str(where))}")


# ---------------------------------------------------------------------------------------------
# Operations


@dataclass
class Command:
    label: str
    template: str  # `sh:` prefix: run by bash; else split into argv; {paths} expands to members
    kind: str  # "captar", "peer" or "floor"
    accept: tuple[int, ...] = (0,)
    samples: list[Sample] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def argv(self, ctx: dict) -> list[str]:
        if self.template.startswith("sh:"):
            quoted = {k: (" ".join(map(shlex.quote, v)) if isinstance(v, list) else shlex.quote(str(v)))
                      for k, v in ctx.items()}
            return ["bash", "-c", self.template[3:].format(**quoted)]
        argv: list[str] = []
        for part in shlex.split(self.template):
            if part == "{paths}":
                argv.extend(ctx["paths"])
            else:
                argv.append(part.format(**ctx))
        return argv

    def shown(self) -> str:
        t = self.template[3:] if self.template.startswith("sh:") else self.template
        return t.replace("{captar}", "captar")


@dataclass
class Operation:
    key: str
    title: str
    commands: list[Command]
    fresh: str | None = None  # "ext4" or "tmpfs": each run extracts into a new filesystem
    output: str | None = None  # extension of the archive a create run writes (measured, removed)
    floor_mib_of: str = "tar"  # which reference archive the `dd` floor writes the size of
    # Runs of its commands per round: an operation of a tenth of a second, whose ratio moved
    # by 0.03 between whole runs of the bench, is measured on more samples.
    repeat: int = 1

    def by_kind(self, kind: str) -> list[Command]:
        return [c for c in self.commands if c.kind == kind]


XATTR_CAP = "--xattrs --xattrs-include=security.capability"


def operations(has_verify: bool, has_scan: bool) -> tuple[list[Operation], list[str]]:
    read_files = Command("read every file", "sh:find {paths} -type f -print0 | xargs -0 cat > /dev/null", "floor")
    write_out = Command("write the archive's size", "sh:dd if=/dev/zero of={out} bs=1M count={mib} status=none", "floor")
    write_dest = Command("write the archive's size", "sh:dd if=/dev/zero of={dest}/floor bs=1M count={mib} status=none", "floor")
    read_tar = Command("read the archive", "sh:cat {tar} > /dev/null", "floor")
    notes: list[str] = []

    ops = [
        Operation("create", "create", [
            Command("captar", "{captar} create -f {out} -C {root} {paths}", "captar"),
            Command("GNU tar", f"tar {XATTR_CAP} -cf {{out}} -C {{root}} {{paths}}", "peer"),
            Command("bsdtar", "bsdtar -cf {out} -C {root} {paths}", "peer"),
            clone(read_files), clone(write_out),
        ], output="tar", floor_mib_of="tar"),
        Operation("create-zstd", "create --zstd", [
            Command("captar", "{captar} create --zstd -f {out} -C {root} {paths}", "captar"),
            Command("GNU tar -I 'zstd -T0'", f"tar {XATTR_CAP} -I 'zstd -T0' -cf {{out}} -C {{root}} {{paths}}", "peer"),
            Command("bsdtar --zstd", "bsdtar --zstd -cf {out} -C {root} {paths}", "peer"),
            clone(read_files), clone(write_out),
            Command("zstd -T0 alone", "sh:zstd -T0 -q -c {tar} > /dev/null", "floor"),
        ], output="tar.zst", floor_mib_of="zst"),
        Operation("create-gzip", "create --gzip", [
            Command("captar", "{captar} create --gzip -f {out} -C {root} {paths}", "captar"),
            Command("GNU tar -z", f"tar {XATTR_CAP} -czf {{out}} -C {{root}} {{paths}}", "peer"),
            Command("GNU tar -I pigz", f"tar {XATTR_CAP} -I pigz -cf {{out}} -C {{root}} {{paths}}", "peer"),
            clone(read_files), clone(write_out),
            Command("pigz alone", "sh:pigz -c {tar} > /dev/null", "floor"),
        ], output="tar.gz", floor_mib_of="gz"),
        Operation("list", "list -v", [
            Command("captar", "{captar} list -v -f {tar}", "captar"),
            Command("GNU tar", "tar -tvf {tar}", "peer"),
            Command("bsdtar", "bsdtar -tvf {tar}", "peer"),
            clone(read_tar),
        ]),
        *[Operation(f"extract-{fs}", f"extract, fresh {fs}", [
            Command("captar", "{captar} extract -f {tar} -C {dest}", "captar"),
            Command("GNU tar", "tar --xattrs --xattrs-include=* -xf {tar} -C {dest}", "peer"),
            Command("bsdtar", "bsdtar -xpf {tar} -C {dest}", "peer"),
            clone(write_dest),
        ], fresh=fs) for fs in ("ext4", "tmpfs")],
    ]
    if has_verify:
        ops += [
            Operation("verify", "verify caps-only, plain", [
                Command("captar", "{captar} verify -f {tar} -C {root}", "captar", (0, 1)),
                Command("GNU tar --compare", "tar -d -f {tar} -C {root}", "peer", (0, 1)),
                Command("getcap -r", "getcap -r {paths}", "peer"),
                clone(read_tar),
            ], repeat=3),
            Operation("verify-zstd", "verify caps-only, zstd", [
                Command("captar", "{captar} verify -f {zst} -C {root}", "captar", (0, 1)),
                Command("GNU tar --compare", "tar --zstd -d -f {zst} -C {root}", "peer", (0, 1)),
                Command("zstd -dc alone", "sh:zstd -dcq {zst} > /dev/null", "floor"),
            ]),
            # GNU tar's zstd archive is one frame (zstd -T0 writes one), which no reader can
            # decompress on more than one core: the floor for every tool.
            Operation("verify-zstd-gnu", "verify caps-only, GNU tar's zstd", [
                Command("captar", "{captar} verify -f {gzst} -C {root}", "captar", (0, 1)),
                Command("GNU tar --compare", "tar --zstd -d -f {gzst} -C {root}", "peer", (0, 1)),
                Command("zstd -dc alone", "sh:zstd -dcq {gzst} > /dev/null", "floor"),
            ]),
            Operation("verify-all", "verify --all, plain", [
                Command("captar", "{captar} verify --all -f {tar} -C {root}", "captar", (0, 1)),
                Command("GNU tar --compare", "tar -d -f {tar} -C {root}", "peer", (0, 1)),
                clone(read_files), clone(read_tar),
            ]),
        ]
        notes.append("GNU tar --compare (`tar -d`) compares contents and metadata but not xattrs, so it "
                     "misses a lost capability; it is the peer the issue names, while `getcap -r` only lists.")
    else:
        notes.append("`captar verify` is absent from this build (`captar verify --help` failed): "
                     "the verify rows are skipped.")
    if has_scan:
        ops.append(Operation("scan", "caps scan", [
            Command("captar", "{captar} caps scan {paths}", "captar"),
            Command("getcap -r", "getcap -r {paths}", "peer"),
            Command("walk the tree", "sh:find {paths} > /dev/null", "floor"),
        ]))
    else:
        notes.append("`captar caps scan` is absent from this build: the scan row is skipped.")
    return ops, notes


def clone(c: Command) -> Command:
    return Command(c.label, c.template, c.kind, c.accept)


# ---------------------------------------------------------------------------------------------
# The bench


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.dir = Path(args.bench_dir)
        self.captar = args.captar
        self.mounts = Mounts()
        self.out = self.dir / "out"  # tmpfs: archives
        self.dest = self.dir / "dest"  # the fresh filesystem of each extraction
        self.image = self.dir / "ext4.img"

    def ctx(self, corpus: Corpus, op: Operation, cmd: Command) -> dict:
        refs = self.refs(corpus)
        return {
            "captar": self.captar,
            "root": str(corpus.root),
            "paths": corpus.paths,
            "out": str(self.out / f"out-{op.key}.{op.output or 'tar'}"),
            "dest": str(self.dest),
            "tar": refs["tar"], "zst": refs["zst"], "gz": refs["gz"], "gzst": refs["gzst"],
            "mib": max(1, round(os.path.getsize(refs[op.floor_mib_of]) / MIB)),
        }

    def refs(self, corpus: Corpus) -> dict[str, str]:
        tag = "double" if corpus.paths != ["usr"] else "single"
        return {k: str(self.out / f"ref-{tag}.{ext}")
                for k, ext in (("tar", "tar"), ("zst", "tar.zst"), ("gz", "tar.gz"), ("gzst", "gnu.tar.zst"))}

    def make_refs(self, corpus: Corpus) -> None:
        refs = self.refs(corpus)
        for flag, key in (("", "tar"), ("--zstd", "zst"), ("--gzip", "gz")):
            if not os.path.exists(refs[key]):
                sh(f"{shlex.quote(self.captar)} create {flag} -f {refs[key]} -C {shlex.quote(str(corpus.root))} "
                   + " ".join(corpus.paths))
        if not os.path.exists(refs["gzst"]):
            sh(f"tar {XATTR_CAP} -I 'zstd -T0' -cf {refs['gzst']} -C {shlex.quote(str(corpus.root))} "
               + " ".join(corpus.paths))

    def drop_refs(self, corpus: Corpus) -> None:
        for path in self.refs(corpus).values():
            if os.path.exists(path):
                os.unlink(path)

    def fs_size(self, corpus: Corpus) -> tuple[int, int]:
        """Size and inode count of a fresh filesystem that holds the corpus with room to spare."""
        return int(corpus.disk_bytes * 1.4) + 512 * MIB, corpus.entries * 2 + 16384

    def once(self, corpus: Corpus, op: Operation, cmd: Command, check: bool = False) -> Sample | None:
        ctx = self.ctx(corpus, op, cmd)
        if op.fresh == "ext4":
            size, inodes = self.fs_size(corpus)
            self.mounts.ext4(self.dest, self.image, size, inodes)
        elif op.fresh == "tmpfs":
            self.mounts.tmpfs(self.dest, self.fs_size(corpus)[0])
        # Untimed: the writeback the last command left (an ext4 image's blocks, a deleted
        # output, the corpus just copied) is done before this one starts, not while whichever
        # tool comes next is timed.
        os.sync()
        try:
            sample, err = run_timed(cmd.argv(ctx), corpus.root)
            if sample.rc not in cmd.accept:
                cmd.failures.append(f"exit {sample.rc}: {err.strip()[-300:]}")
                log(f"  {op.key} / {cmd.label}: exit {sample.rc}\n{err.strip()[-1000:]}")
                return None
            if op.output and cmd.kind != "floor":
                sample.size = os.path.getsize(ctx["out"])
            if check and op.fresh and cmd.kind != "floor":
                self.check_extracted(corpus, op, cmd)
            return sample
        finally:
            if op.output and os.path.exists(ctx["out"]):
                os.unlink(ctx["out"])
            if op.fresh:
                self.mounts.release(self.dest)

    def check_extracted(self, corpus: Corpus, op: Operation, cmd: Command) -> None:
        """Warm-up only: did the tool extract every entry and every capability?"""
        entries = sum(len(d) + len(f) for _, d, f in os.walk(self.dest)) - (op.fresh == "ext4")
        caps = len(sh(f"getcap -r {shlex.quote(str(self.dest))}", check=False).splitlines())
        note = f"{entries:,} entries, {caps} capabilities"
        if entries != corpus.entries or caps != corpus.caps:
            note += f" (corpus: {corpus.entries:,}, {corpus.caps})"
        self.extract_checks[f"{op.title}: {cmd.label}"] = note

    def run(self) -> int:
        args = self.args
        self.extract_checks: dict[str, str] = {}
        self.dir.mkdir(parents=True, exist_ok=True)
        has_verify = subprocess.run([self.captar, "verify", "--help"], capture_output=True).returncode == 0
        has_scan = subprocess.run([self.captar, "caps", "scan", "--help"], capture_output=True).returncode == 0
        small = build_small(self.dir / ("corpus-quick" if args.quick else "corpus-full"), args.quick)
        double = build_double(small, self.dir / f"{small.root.name}-x2") if args.scaling else None
        log(f"corpus: {small.describe()}")
        if double:
            log(f"corpus ×2: {double.describe()}")
        ops, notes = operations(has_verify, has_scan)
        if args.only:
            wanted = set(args.only.split(","))
            ops = [op for op in ops if op.key in wanted]
        biggest = double or small
        started = time.perf_counter()
        cpu = CpuMeter()
        try:
            self.mounts.tmpfs(self.out, 4 * biggest.bytes + 2048 * MIB)
            self.make_refs(small)
            log("warm-up round (untimed; fills the page cache) ...")
            for op in ops:
                for cmd in op.commands:
                    self.once(small, op, cmd, check=True)
            for r in range(args.rounds):
                log(f"round {r + 1}/{args.rounds}")
                for op in ops:
                    for rep in range(op.repeat):
                        k = (r * op.repeat + rep) % len(op.commands)
                        for cmd in op.commands[k:] + op.commands[:k]:
                            s = self.once(small, op, cmd)
                            if s:
                                cmd.samples.append(s)
                                log(f"  {op.key:14} {cmd.label:26} {s.secs:7.3f} s {s.rss_kib / 1024:7.1f} MiB")
                            else:
                                cmd.samples.append(Sample(float("nan"), 0, -1))
            scaling = []
            if double:
                self.drop_refs(small)
                scaling = self.scale(small, double, ops)
        finally:
            self.mounts.release_all()
        elapsed = time.perf_counter() - started
        args.others = cpu.others_share()
        report = render(small, double, ops, scaling, notes, self.extract_checks, args, elapsed)
        print(report)
        Path(args.results).write_text(report)
        log(f"written to {args.results}; bench took {elapsed / 60:.1f} min")
        return 0

    def scale(self, small: Corpus, double: Corpus, ops: list[Operation]) -> list[tuple]:
        """captar alone on the corpus twice as large: time and peak RSS against the small one."""
        log("scaling: captar on the corpus twice as large ...")
        self.make_refs(double)
        sh(f"cd {shlex.quote(str(double.root))} && find a b -type f -print0 | xargs -0 cat > /dev/null")
        rows = []
        for op in ops:
            cmd = op.by_kind("captar")[0]
            # One untimed run first, as the small corpus gets in its warm-up round: a single
            # timed run on a cold cache gave create 6× the small corpus's time instead of 2×.
            self.once(double, op, cmd)
            samples = [s for s in (self.once(double, op, cmd) for _ in range(self.args.scaling_rounds)) if s]
            # Extraction also times the first peer (GNU tar): writing a fresh filesystem twice as
            # full is the kernel's work too, so its ratio says what the machine does to anyone.
            peer = None
            if op.fresh and op.by_kind("peer"):
                p = op.by_kind("peer")[0]
                self.once(double, op, p)
                runs = [s for s in (self.once(double, op, p) for _ in range(self.args.scaling_rounds)) if s]
                peer = (p, runs) if runs else None
            if samples:
                rows.append((op, cmd, samples, peer))
                log(f"  {op.key:14} {statistics.median(s.secs for s in samples):7.3f} s "
                    f"{max(s.rss_kib for s in samples) / 1024:7.1f} MiB")
        self.drop_refs(double)
        return rows


# ---------------------------------------------------------------------------------------------
# Report


def fmt_s(x: float) -> str:
    return "—" if x != x else (f"{x:.2f} s" if x >= 1 else f"{x:.3f} s")


def fmt_mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB" if kib >= 10 * 1024 else f"{kib / 1024:.1f} MiB"


def ok(samples: list[Sample]) -> list[Sample]:
    return [s for s in samples if s.secs == s.secs]


def med(samples: list[Sample]) -> float:
    good = ok(samples)
    return statistics.median(s.secs for s in good) if good else float("nan")


def cpu_med(samples: list[Sample]) -> float:
    cpus = [s.cpu for s in ok(samples) if s.cpu == s.cpu]
    return statistics.median(cpus) if cpus else float("nan")


def peak(samples: list[Sample]) -> int:
    return max((s.rss_kib for s in ok(samples)), default=0)


def ratio(a: list[Sample], b: list[Sample]) -> float:
    pairs = [x.secs / y.secs for x, y in zip(a, b) if x.secs == x.secs and y.secs == y.secs and y.secs > 0]
    return statistics.median(pairs) if pairs else float("nan")


def size_med(samples: list[Sample]) -> float:
    sizes = [s.size for s in ok(samples) if s.size is not None]
    return statistics.median(sizes) if sizes else float("nan")


def render(small, double, ops, scaling, notes, checks, args, elapsed) -> str:
    lines = ["# captar benchmark results", ""]
    lines += [f"Run with `{' '.join(['bench/run.sh', *args.argv])}` on {datetime.date.today()}, "
              f"{args.rounds} round{'s' if args.rounds != 1 else ''} after a warm-up"
              + "".join(f" ({op.title}: {op.repeat} runs of each tool a round)" for op in ops if op.repeat > 1)
              + f"; measuring took {elapsed / 60:.1f} min. "
              f"Processes other than the bench's (other jobs on the machine, and kernel threads such as "
              f"the loop device's and writeback) used {args.others:.0%} of the machine's CPU meanwhile; "
              f"interleaving the tools spreads that noise over all of them.", ""]
    lines += ["## Machine", ""] + [f"- {k}: {v}" for k, v in machine(args).items()] + [""]
    lines += ["## Corpus", "",
              f"- {small.name}: a copy of {', '.join(QUICK_SOURCES if args.quick else FULL_SOURCES)}"
              f"{f' and {QUICK_BINARIES} files of /usr/bin' if args.quick else ''}: {small.describe()}."]
    if double:
        lines.append(f"- {double.name} (scaling): two copies of it side by side: {double.describe()}.")
    lines += ["- Page cache: warm for every tool and every run (the warm-up round reads everything "
              "first; archives live on a tmpfs). Extraction goes into a fresh filesystem per run: "
              "a new loop-mounted ext4 image (mounted with noinit_itable), or a new tmpfs mount; "
              "the mkfs, mount and umount are not timed.",
              "- All tools list, extract and compare the same archives, made by captar (and one zstd archive by GNU tar).", ""]

    lines += ["## Times", "",
              "Median wall time of each tool; captar/peer is the median of the ratios of the runs side by side (one a round, or each of an operation's repeats) "
              "(below 1: captar is faster). Peak RSS is the largest over the rounds.", "",
              "| operation | captar | peer | peer time | captar/peer | captar RSS | peer RSS | floor (captar/floor) |",
              "|---|---:|---|---:|---:|---:|---:|---|"]
    for op in ops:
        cap = op.by_kind("captar")[0]
        floors = "; ".join(f"{f.label} {fmt_s(med(f.samples))} (×{med(cap.samples) / med(f.samples):.2f})"
                           for f in op.by_kind("floor"))
        for i, peer in enumerate(op.by_kind("peer")):
            first = i == 0
            r = ratio(cap.samples, peer.samples)
            lines.append("| " + " | ".join([
                op.title if first else "", fmt_s(med(cap.samples)) if first else "", peer.label,
                fmt_s(med(peer.samples)), "—" if r != r else f"**{r:.2f}**",
                fmt_mib(peak(cap.samples)) if first else "", fmt_mib(peak(peer.samples)),
                floors if first else ""]) + " |")
    cores = os.cpu_count() or 1
    lines += ["", "## CPU time", "",
              f"Median user + system CPU seconds of each tool (with the children it waits for, such as "
              f"`tar -I`'s compressor). On {cores} core{'s' if cores != 1 else ''} no run can take less wall "
              f"time than its CPU time / {cores}: that bound is the floor column, and wall / floor says how "
              f"much of it is left (1.00: every core busy for the whole run).", "",
              f"| operation | captar CPU | captar floor (CPU / {cores}) | captar wall / floor | peer | peer CPU | peer wall / floor | CPU of the floors' commands |",
              "|---|---:|---:|---:|---|---:|---:|---|"]
    for op in ops:
        cap = op.by_kind("captar")[0]
        c = cpu_med(cap.samples)
        floors = "; ".join(f"{f.label} {fmt_s(cpu_med(f.samples))}" for f in op.by_kind("floor"))
        for i, peer in enumerate(op.by_kind("peer")):
            pc = cpu_med(peer.samples)
            lines.append("| " + " | ".join([
                op.title if i == 0 else "", fmt_s(c) if i == 0 else "", fmt_s(c / cores) if i == 0 else "",
                f"{med(cap.samples) / (c / cores):.2f}" if i == 0 and c == c and c > 0 else "",
                peer.label, fmt_s(pc),
                f"{med(peer.samples) / (pc / cores):.2f}" if pc == pc and pc > 0 else "—",
                floors if i == 0 else ""]) + " |")
    sized = [op for op in ops if op.output in ("tar.zst", "tar.gz")]
    if sized:
        lines += ["", "## Compressed sizes", "", "Median output size; the ratio is captar's size over the peer's.", "",
                  "| operation | captar | peer | peer size | size ratio |", "|---|---:|---|---:|---:|"]
        for op in sized:
            cap = op.by_kind("captar")[0]
            for i, peer in enumerate(op.by_kind("peer")):
                a, b = size_med(cap.samples), size_med(peer.samples)
                lines.append(f"| {op.title if i == 0 else ''} | {a / MIB:,.1f} MiB | {peer.label} | "
                             f"{b / MIB:,.1f} MiB | {a / b:.3f} |")
    if scaling:
        lines += ["", "## Scaling: captar on the corpus twice as large", "",
                  f"Time and peak RSS of captar on the corpus ({small.bytes / MIB:,.0f} MiB) and on the one "
                  f"twice as large ({double.bytes / MIB:,.0f} MiB, median of {args.scaling_rounds} run"
                  f"{'s' if args.scaling_rounds != 1 else ''}); flat memory means the RSS ratio stays near 1.", "",
                  "| operation | time | time ×2 | ratio | RSS | RSS ×2 | ratio | the peer's time ratio (extraction) |",
                  "|---|---:|---:|---:|---:|---:|---:|---|"]
        for op, cmd, samples, peer in scaling:
            t1, t2 = med(cmd.samples), statistics.median(s.secs for s in samples)
            m1, m2 = peak(cmd.samples), max(s.rss_kib for s in samples)
            theirs = ""
            if peer:
                p, runs = peer
                p1, p2 = med(p.samples), statistics.median(s.secs for s in runs)
                theirs = f"{p.label}: {fmt_s(p1)} → {fmt_s(p2)}, {p2 / p1:.2f}"
            lines.append(f"| {op.title} | {fmt_s(t1)} | {fmt_s(t2)} | {t2 / t1:.2f} | {fmt_mib(m1)} | "
                         f"{fmt_mib(m2)} | {m2 / m1:.2f} | {theirs} |" if m1
                         else f"| {op.title} | — | {fmt_s(t2)} | | | {fmt_mib(m2)} | | {theirs} |")
    if checks:
        lines += ["", "## What each extraction produced (warm-up run)", ""]
        lines += [f"- {k}: {v}" for k, v in checks.items()]
    failed = [(op, c) for op in ops for c in op.commands if c.failures]
    if notes or failed:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in notes]
        lines += [f"- {op.title} / {c.label} failed {len(c.failures)}×: {c.failures[0]}" for op, c in failed]
    lines += ["", "## Commands", "",
              "`{tar}`, `{zst}` are captar's reference archives (plain, zstd), `{gzst}` GNU tar's (zstd), on a "
              "tmpfs; `{out}` is on "
              "the same tmpfs; `{dest}` is the fresh filesystem; the working directory is the corpus root, "
              "`{paths}` its top directories.", ""]
    for op in ops:
        lines.append(f"- {op.title}: " + "; ".join(f"`{c.shown()}`" for c in op.commands))
    return "\n".join(lines) + "\n"


def machine(args) -> dict[str, str]:
    def first(cmd: str) -> str:
        out = subprocess.run(cmd, shell=True, capture_output=True, text=True)
        text = (out.stdout or out.stderr).strip().splitlines()
        return " ".join(text[0].strip("* ").split()) if text else "?"

    mem = first("awk '/MemTotal/ {printf \"%.1f GiB\", $2/1048576}' /proc/meminfo")
    cpu = first("awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo")
    repo = Path(__file__).resolve().parent.parent
    return {
        "CPU": f"{os.cpu_count()} × {cpu}",
        "RAM": mem,
        "kernel": f"{platform.system()} {platform.release()}",
        "filesystem of the corpus": first(f"findmnt -no FSTYPE,OPTIONS -T {shlex.quote(args.bench_dir)}"),
        "captar": f"{first(shlex.quote(args.captar) + ' --version')} "
                  f"(commit {first(f'git -C {shlex.quote(str(repo))} rev-parse --short HEAD')}, working tree as built)",
        "GNU tar": first("tar --version"),
        "bsdtar": first("bsdtar --version"),
        "zstd": first("zstd --version"),
        "pigz": first("pigz --version"),
        "gzip": first("gzip --version"),
        "getcap": "libcap2-bin " + first("dpkg-query -W -f '${Version}' libcap2-bin"),
        "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M %Z").strip(),
    }


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def main() -> int:
    here = Path(__file__).resolve().parent
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="a smaller corpus (/usr/include and a few binaries) and 3 rounds")
    p.add_argument("--rounds", type=int, help="timed rounds after the warm-up (default 5, --quick 3)")
    p.add_argument("--no-scaling", dest="scaling", action="store_false", help="skip the corpus twice as large")
    p.add_argument("--scaling-rounds", type=int, default=1, help="captar runs per operation on the larger corpus")
    p.add_argument("--only", help="comma-separated operation keys (create,create-zstd,create-gzip,list,"
                   "extract-ext4,extract-tmpfs,verify,verify-zstd,verify-zstd-gnu,verify-all,scan)")
    p.add_argument("--results", default=str(here / "RESULTS.md"), help="where the Markdown report goes")
    args = p.parse_args()
    args.argv = sys.argv[1:]
    args.rounds = args.rounds or (3 if args.quick else 5)
    args.bench_dir = os.environ.get("BENCH_DIR", "/var/tmp/captar-bench")
    args.captar = os.environ.get("CAPTAR") or str(here.parent / "target/release/captar")
    if os.geteuid() != 0:
        sys.exit("bench: run as root (it mounts filesystems and sets capabilities)")
    return Bench(args).run()


if __name__ == "__main__":
    sys.exit(main())
