"""Every party of a namespace its own principal on the brokers, as a county runs the
hub (docs/security.md, "Kafka"): SCRAM credentials made through the Admin API (as
admin) for each department, township and service of the namespace, a credentials
file each (0600, in a folder 0700), riskhub-acl apply, and the transactional-id
bindings that Debian's librdkafka cannot make, made here with confluent-kafka's.
From then on every program the namespace runs reads its own file
(RH_KAFKA_CREDENTIALS=<folder>/{principal}). close() revokes the bindings and removes
the principals."""
import os
import re
import shutil
import tempfile
import uuid
from pathlib import Path

from confluent_kafka.admin import (AclBinding, AclBindingFilter, AclOperation, AclPermissionType, ResourcePatternType,
                                   ResourceType, ScramCredentialInfo, ScramMechanism,
                                   UserScramCredentialDeletion, UserScramCredentialUpsertion)

from . import env as _env
from .env import wait_for
from .config import load_config
from .kafka import admin

__all__ = ["Parties", "plan_transactional_ids"]

SERVICES = ("join", "ledger", "audit", "status", "push", "scale", "identity")


def plan_transactional_ids(plan_text):
    """riskhub-acl plan's TRANSACTIONAL_ID lines as confluent-kafka AclBindings."""
    return [AclBinding(ResourceType.TRANSACTIONAL_ID, m[4], ResourcePatternType[m[3]], m[1], "*",
                       AclOperation[m[2]], AclPermissionType.ALLOW)
            for m in re.finditer(r"ALLOW (User:\S+) (\S+) TRANSACTIONAL_ID (\S+) (\S+)$", plan_text, re.M)]


class Parties:
    def __init__(self, ns, config=_env.CONFIG, use=True):
        """ns: a rhtest.Namespace; use: its programs run as their parties from now on."""
        self.ns = ns
        cfg = load_config(config)
        p = ns.prefix
        self.names = ([f"{p}dept.{d['code']}" for d in cfg["departments"]]
                      + [f"{p}town.{t['code']}" for t in cfg["townships"]]
                      + [f"{p}svc.{s}" for s in SERVICES])
        self.passwords = {n: uuid.uuid4().hex for n in self.names}
        self.dir = Path(tempfile.mkdtemp(prefix="rhtest-kafka-credentials-"))
        self.config = config
        self.made = False
        try:
            info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096)
            for f in admin().alter_user_scram_credentials(
                    [UserScramCredentialUpsertion(n, info, pw.encode())
                     for n, pw in self.passwords.items()]).values():
                f.result(60)
            self.made = True
            for n, pw in self.passwords.items():
                fd = os.open(self.dir / n, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as fp:
                    fp.write(f"sasl.username={n}\nsasl.password={pw}\n")
            r = self.acl("apply")
            assert r.returncode == 0, f"riskhub-acl apply: exit {r.returncode}: {r.stderr}"
            txn = plan_transactional_ids(self.acl("plan").stdout)
            for f in admin().create_acls(txn).values():
                f.result(30)
            # in force once the broker's authorizer shows them (riskhub-acl apply waits
            # so for its own; these are made here)
            want = {(b.name, b.principal, b.operation) for b in txn}
            every_txn = AclBindingFilter(ResourceType.TRANSACTIONAL_ID, None, ResourcePatternType.ANY,
                                         None, None, AclOperation.ANY, AclPermissionType.ANY)
            wait_for(lambda: want <= {(b.name, b.principal, b.operation)
                                      for b in admin().describe_acls(every_txn).result(30)},
                     60, "the transactional-id bindings to be in force")
            r = self.acl("check")
            assert r.returncode == 0, f"riskhub-acl check: exit {r.returncode}:\n{r.stdout}{r.stderr}"
            if use:
                ns.party_env = {"RH_KAFKA_CREDENTIALS": str(self.dir / "{principal}")}
        except BaseException:
            self.close()
            raise

    def acl(self, *args):
        """riskhub-acl in the namespace, as the admin."""
        return self.ns.run("riskhub-acl", *args, "--config", self.config, timeout=120,
                           env={"RH_KAFKA_CREDENTIALS": _env.KAFKA_ADMIN_CREDENTIALS})

    def file(self, role):
        """The credentials file of a role ("dept.health", "svc.join")."""
        return self.dir / f"{self.ns.prefix}{role}"

    def close(self):
        self.ns.__dict__.pop("party_env", None)
        try:
            self.acl("revoke")
        finally:
            if self.made:
                for f in admin().alter_user_scram_credentials(
                        [UserScramCredentialDeletion(n, ScramMechanism.SCRAM_SHA_512)
                         for n in self.names]).values():
                    f.result(60)
            shutil.rmtree(self.dir, ignore_errors=True)
