"""The three-broker KRaft cluster of scripts/kafka.sh cluster, for fault tests.

Cluster(state_dir) drives the project's script (nothing here starts java itself):
start() / stop() the whole cluster in its own state directory, and one node at a
time: kill (SIGKILL), freeze (SIGSTOP), thaw (SIGCONT), start_node. Ports: the
script's (RH_KAFKA_CLUSTER_PORT, default RH_KAFKA_PORT + 2 upward), so the cluster
runs beside the single broker of scripts/services.sh. Who leads what: leaders(),
coordinator()."""
import collections
import os
import signal
import subprocess

from .env import SRC

__all__ = ["Cluster"]

KAFKA_SH = SRC / "scripts" / "kafka.sh"


class Cluster:
    NODES = (1, 2, 3)

    def __init__(self, state_dir):
        self.dir = state_dir
        self.env = dict(os.environ, RH_KAFKA_CLUSTER_DIR=str(state_dir))
        self.bootstrap = next(line.split("=", 1)[1] for line in self.sh("env").stdout.splitlines()
                              if line.startswith("RH_KAFKA_BOOTSTRAP="))

    def sh(self, *args, timeout=420, check=True):
        r = subprocess.run(["bash", str(KAFKA_SH), "cluster", *map(str, args)], capture_output=True,
                           text=True, timeout=timeout, env=self.env)
        if check:
            assert r.returncode == 0, (f"kafka.sh cluster {' '.join(map(str, args))}: exit "
                                       f"{r.returncode}\n{r.stdout}{r.stderr}")
        return r

    def start(self):
        return self.sh("start")

    def stop(self):
        return self.sh("stop", check=False)

    def pid(self, node):
        r = self.sh("node", node, "pid", check=False)
        return int(r.stdout.strip()) if r.returncode == 0 else None

    def kill(self, node):
        self.sh("node", node, "kill")

    def start_node(self, node):
        self.sh("node", node, "start")

    def freeze(self, node):
        os.kill(self.pid(node), signal.SIGSTOP)

    def thaw_all(self):
        """SIGCONT to every running node (a finally: whatever happened)."""
        for n in self.NODES:
            pid = self.pid(n)
            if pid:
                os.kill(pid, signal.SIGCONT)

    def server_log(self, node):
        return self.dir / f"node{node}" / "logs" / "server.log"

    def leaders(self, topics):
        """{node id: number of partitions of the topics it leads}."""
        from .kafka import admin  # noqa: PLC0415
        md = admin().list_topics(timeout=15)
        count = collections.Counter()
        for t in topics:
            for p in md.topics[t].partitions.values():
                count[p.leader] += 1
        return count

    def leader(self, topic, partition=0):
        from .kafka import admin  # noqa: PLC0415
        return admin().list_topics(topic, timeout=15).topics[topic].partitions[partition].leader

    def coordinator(self, transactional_id):
        """The node id of the transaction coordinator of transactional_id (kafka-transactions
        describe), or None when it is not known (yet)."""
        r = self.sh("transactions", "describe", "--transactional-id", transactional_id,
                    check=False, timeout=120)
        lines = r.stdout.splitlines()
        if r.returncode != 0 or len(lines) < 2:
            return None
        head, row = lines[0].split("\t"), lines[1].split("\t")
        return int(dict(zip(head, row)).get("CoordinatorId", "-1"))
