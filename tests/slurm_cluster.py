"""A real single-node Slurm cluster on localhost for the launcher tests.

Uses Debian's ``slurm-wlm`` and ``munge`` (``.ci/run`` installs them when it
runs as root): munged, slurmctld and slurmd are started with a private
config, state and ports under a temporary directory, and stopped afterwards.
The node declares 2 CPUs and 2 ``gpu`` GRES backed by device nodes that are
not GPUs: ``mim train --launcher slurm`` always asks srun for
``--gres=gpu:<gpus-per-node>``, so a partition must offer that GRES for the
command line to be accepted. The tasks themselves still run without CUDA
(torch is a CPU build), which is the path under test.
"""
import os
import shutil
import socket
import stat
import subprocess
import time
from pathlib import Path
from typing import Dict, Optional

from tests.helpers import free_port

SLURM_BINARIES = ('munged', 'slurmctld', 'slurmd', 'srun', 'scontrol', 'sinfo')

SLURM_CONF = """\
ClusterName=dist_mm_test
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SlurmUser=root
AuthType=auth/munge
# a requeued job waits for its old credential to expire (default 120 s)
AuthInfo=cred_expire=20
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/slurmctld.log
SlurmdLogFile={root}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
SchedulerType=sched/builtin
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
GresTypes=gpu
NodeName={host} NodeAddr=127.0.0.1 CPUs=2 Gres=gpu:2 RealMemory=4000
PartitionName=debug Nodes={host} Default=YES MaxTime=INFINITE State=UP \
OverSubscribe=FORCE
"""


def _run(*cmd: str, env: Optional[Dict] = None, timeout: int = 30):
    return subprocess.run(
        cmd, env=env, text=True, capture_output=True, timeout=timeout)


def why_unavailable() -> Optional[str]:
    """The reason a local cluster cannot be started here, or None."""
    missing = [b for b in SLURM_BINARIES if shutil.which(b) is None]
    if missing:
        return (f'Slurm is not installed (missing {", ".join(missing)}): '
                '`apt-get install slurm-wlm munge` (as .ci/run does) enables '
                'the Slurm tests')
    if os.geteuid() != 0:
        return 'starting slurmd/slurmctld/munged needs root'
    return None


def _ensure_munge() -> None:
    if _run('sh', '-c', 'munge -n | unmunge').returncode == 0:
        return
    if not os.path.exists('/etc/munge/munge.key'):
        subprocess.run(['mungekey', '--create'], check=True)
        shutil.chown('/etc/munge/munge.key', 'munge', 'munge')
    os.makedirs('/run/munge', exist_ok=True)
    shutil.chown('/run/munge', 'munge', 'munge')
    subprocess.run(['runuser', '-u', 'munge', '--', 'munged'], check=True)
    for _ in range(50):
        if _run('sh', '-c', 'munge -n | unmunge').returncode == 0:
            return
        time.sleep(0.1)
    raise RuntimeError('munged did not start')


class LocalSlurm:
    """Start/stop the cluster; :attr:`env` points clients at it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.env = dict(os.environ, SLURM_CONF=str(root / 'slurm.conf'))

    def start(self, timeout: float = 60) -> 'LocalSlurm':
        _ensure_munge()
        for sub in ('state', 'spool'):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        for i in range(2):  # character devices (like /dev/null) for GRES
            os.mknod(self.root / f'gpu{i}', 0o600 | stat.S_IFCHR,
                     os.makedev(1, 3))
        (self.root /
         'gres.conf').write_text(f'Name=gpu File={self.root}/gpu[0-1]\n')
        host = socket.gethostname().split('.')[0]
        (self.root / 'slurm.conf').write_text(
            SLURM_CONF.format(
                host=host,
                root=self.root,
                ctld_port=free_port(),
                slurmd_port=free_port()))
        conf = self.env['SLURM_CONF']
        subprocess.run(['slurmctld', '-f', conf], env=self.env, check=True)
        subprocess.run(['slurmd', '-f', conf], env=self.env, check=True)
        deadline = time.time() + timeout
        while time.time() < deadline:
            state = _run('sinfo', '-h', '-N', '-o', '%T', env=self.env)
            if state.stdout.strip() == 'idle':
                return self
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(
            f'the local Slurm node did not become idle ({state.stdout!r}); '
            f'see {self.root}/slurmctld.log and slurmd.log')

    def stop(self) -> None:
        _run('scontrol', 'shutdown', env=self.env)
        for name in ('slurmd', 'slurmctld'):
            pid_file = self.root / f'{name}.pid'
            if pid_file.exists():
                try:
                    os.kill(int(pid_file.read_text()), 15)
                except (ProcessLookupError, ValueError):
                    pass
