"""Kafka secured as a county runs it (issue 12, docs/security.md "Kafka"): TLS with
the county's CA, SCRAM-SHA-512 passwords bootstrapped in KRaft, an authorizer that
refuses what no ACL allows, mutual TLS between the controllers; a program's
credentials in a file of its own (0600), never in the shared YAML. Every refusal is
tried for real against the broker the tests use."""
import os
import re
import socket
import ssl
import stat
import subprocess
import uuid

import pytest
from confluent_kafka import KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient, ScramCredentialInfo, ScramMechanism, \
    UserScramCredentialDeletion, UserScramCredentialUpsertion

import rhtest

UNAVAILABLE, CONFIG = 69, 78


def metadata(conf, timeout=6):
    """The topics a client of conf sees, or the KafkaException that stopped it."""
    a = AdminClient({**conf, "socket.connection.setup.timeout.ms": 3000})
    try:
        return sorted(a.list_topics(timeout=timeout).topics)
    except KafkaException as e:
        return e


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_brokers_files_are_private():
    tls = rhtest.KAFKA_CA.parent
    creds = rhtest.KAFKA_CREDENTIALS.parent
    assert mode(tls) == 0o700 and mode(creds) == 0o700
    assert mode(tls / "ca.key") == 0o600 and mode(tls / "broker.pem") == 0o600
    assert mode(rhtest.KAFKA_CA) == 0o644  # the certificate every client needs
    for f in creds.iterdir():
        assert mode(f) == 0o600, f
    props = rhtest.STATE_DIR / "kafka" / "config" / "server.properties"
    assert mode(props) == 0o600, "server.properties holds the broker principal's password"
    text = props.read_text()
    assert re.search(r"^listeners=SASL_SSL://\S+,CONTROLLER://\S+$", text, re.M), text
    assert "PLAINTEXT" not in text
    assert "listener.security.protocol.map=CONTROLLER:SSL,SASL_SSL:SASL_SSL" in text
    assert "listener.name.controller.ssl.client.auth=required" in text
    assert "allow.everyone.if.no.acl.found=false" in text


def test_no_client_without_tls_and_password():
    ok = metadata(rhtest.client_conf())
    assert isinstance(ok, list), ok
    # plaintext, TLS without SASL, SASL without TLS: no metadata at all
    for extra in ({"security.protocol": "PLAINTEXT"}, {"security.protocol": "SSL"},
                  {"security.protocol": "SASL_PLAINTEXT"}):
        conf = {k: v for k, v in rhtest.client_conf(**extra).items()
                if extra["security.protocol"].startswith("SASL") or not k.startswith("sasl.")}
        got = metadata(conf, timeout=4)
        assert isinstance(got, KafkaException), f"{extra}: {got}"
    # the controllers' listener takes nodes with the county's certificate only
    port = int(rhtest.BOOTSTRAP.split(",")[0].rsplit(":", 1)[1]) + 1
    got = metadata({"bootstrap.servers": f"127.0.0.1:{port}", "security.protocol": "SSL",
                    "ssl.ca.location": str(rhtest.KAFKA_CA)}, timeout=4)
    assert isinstance(got, KafkaException), got


def controller_talks(port, cert=None):
    """A TLS connection to the controllers' listener (the county's CA trusted), with
    cert (key and certificate in one PEM) as the client's: "open" if the server keeps
    it, else how it ended. TLS 1.3 says a refused client certificate after the
    client's handshake: the read that follows sees it."""
    ctx = ssl.create_default_context(cafile=str(rhtest.KAFKA_CA))
    ctx.check_hostname = False
    if cert is not None:
        ctx.load_cert_chain(str(cert))
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            with ctx.wrap_socket(raw) as tls:
                tls.settimeout(2)
                try:
                    got = tls.recv(1)
                except (socket.timeout, TimeoutError):
                    return "open"
                return "closed" if got == b"" else "data"
    except (ssl.SSLError, ConnectionError, OSError) as e:
        return f"refused: {e}"


def test_the_controllers_take_the_countys_certificate_only(tmp_path):
    """The KRaft controllers' listener requires a client certificate of the county's
    CA (mutual TLS): a node's certificate is kept; one another CA signed, or none, is
    refused in the handshake."""
    port = int(rhtest.BOOTSTRAP.split(",")[0].rsplit(":", 1)[1]) + 1
    node = rhtest.KAFKA_CA.parent / "broker.pem"
    assert controller_talks(port, node) == "open"
    key, crt = tmp_path / "other.key", tmp_path / "other.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", str(key), "-out", str(crt), "-days", "2",
                    "-subj", "/CN=riskhub-broker"], check=True, capture_output=True)
    both = tmp_path / "other-both.pem"
    both.write_text(key.read_text() + crt.read_text())
    got = controller_talks(port, both)
    assert got.startswith("refused") or got == "closed", got
    got = controller_talks(port)
    assert got.startswith("refused") or got == "closed", got


def test_a_wrong_password_is_refused_and_said(namespace, tmp_path):
    ns = namespace()
    bad = tmp_path / "riskhub"
    bad.write_text("sasl.username=riskhub\nsasl.password=not-the-password-0123\n")
    bad.chmod(0o600)
    assert isinstance(metadata(rhtest.client_conf(credentials=bad), timeout=4), KafkaException)
    r = ns.run("riskhub-health", "--timeout-s", "3", env={"RH_KAFKA_CREDENTIALS": bad})
    assert r.returncode == UNAVAILABLE, r.stderr
    # librdkafka's words (a program that polls its handle adds the file's name:
    # "the brokers refused this program's credentials (<file>)")
    assert "invalid credentials with SASL mechanism SCRAM-SHA-512" in r.stderr, r.stderr
    r = ns.run("riskhub-selftest", "--config", rhtest.CONFIG, "--records", "1",
               "--timeout-ms", "5000", timeout=120, env={"RH_KAFKA_CREDENTIALS": bad})
    assert r.returncode == UNAVAILABLE, r.stderr
    assert f"the brokers refused this program's credentials ({bad})" in r.stderr, r.stderr
    assert "not-the-password" not in r.stderr + r.stdout


def test_an_untrusted_certificate_is_refused(namespace, tmp_path):
    """A broker whose certificate another CA signed (here: the client trusts another
    CA only) is not talked to: no password is sent to it."""
    ns = namespace(database=False)
    other = tmp_path / "other-ca.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", str(tmp_path / "other-ca.key"), "-out", str(other),
                    "-days", "2", "-subj", "/CN=not the county"], check=True, capture_output=True)
    assert isinstance(metadata(rhtest.client_conf(**{"ssl.ca.location": str(other)}), 4), KafkaException)
    r = ns.run("riskhub-health", "--timeout-s", "3", env={"RH_KAFKA_CA": other})
    assert r.returncode == UNAVAILABLE, r.stderr
    assert "certificate verify failed" in r.stderr, r.stderr


def test_credentials_others_may_read_are_refused(namespace, tmp_path):
    ns = namespace()
    loose = tmp_path / "riskhub"
    loose.write_bytes(rhtest.KAFKA_CREDENTIALS.read_bytes())
    for m in (0o644, 0o640, 0o604):
        loose.chmod(m)
        for prog, args in (("riskhub-selftest", ["--config", rhtest.CONFIG, "--records", "1"]),
                           ("riskhub-health", ["--timeout-s", "3"])):
            r = ns.run(prog, *args, env={"RH_KAFKA_CREDENTIALS": loose})
            assert r.returncode == CONFIG, f"{prog} mode {m:o}: exit {r.returncode}: {r.stderr}"
            assert f"kafka credentials {loose}: others may read it (mode {m:04o}): refused" in r.stderr
            assert "sasl.password" not in r.stderr


def test_no_password_in_the_shared_yaml(namespace, tmp_path):
    ns = namespace()
    text = rhtest.CONFIG.read_text()
    assert not re.search(r"^\s*sasl\.password\s*:", text, re.M) and "kafka_credentials:" in text
    cfg = tmp_path / "riskhub.yaml"
    cfg.write_text(text.replace("  sasl.mechanisms: SCRAM-SHA-512\n",
                                "  sasl.mechanisms: SCRAM-SHA-512\n  sasl.password: s3cret-in-yaml\n"))
    line = next(i for i, x in enumerate(cfg.read_text().splitlines(), 1) if "sasl.password" in x)
    r = ns.run("riskhub-selftest", "--config", cfg, "--records", "1")
    assert r.returncode == CONFIG, r.stderr
    assert f"{cfg}:{line}:3: kafka: sasl.password refused: a password does not belong" in r.stderr
    assert "s3cret" not in r.stderr


def test_the_authorizer_refuses_what_no_acl_allows():
    """A principal the brokers know but that is no super user and has no ACL: it
    connects, sees no topic and may write none."""
    a = rhtest.admin()
    name = f"rhtest-nobody-{uuid.uuid4().hex[:8]}"
    password = uuid.uuid4().hex
    info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096)
    for f in a.alter_user_scram_credentials([UserScramCredentialUpsertion(name, info, password.encode())]).values():
        f.result(30)
    try:
        conf = {**rhtest.client_conf(), "sasl.username": name, "sasl.password": password}
        # SCRAM credentials reach every broker through the metadata log: wait for it
        seen = rhtest.wait_for(lambda: (lambda t: (t,) if isinstance(t, list) else None)(metadata(conf)),
                               30, "the new principal to log in")[0]
        assert not [t for t in seen if not t.startswith("__")], seen  # no Describe on any topic
        topic = f"rhtest-{uuid.uuid4().hex[:8]}.forbidden"
        p = Producer({**conf, "message.timeout.ms": 8000, "allow.auto.create.topics": True})
        errors = []
        p.produce(topic, b"x", on_delivery=lambda err, msg: errors.append(err))
        p.flush(15)
        assert errors and errors[0] is not None and errors[0].code() in (
            KafkaError.TOPIC_AUTHORIZATION_FAILED, KafkaError._MSG_TIMED_OUT,
            KafkaError.UNKNOWN_TOPIC_OR_PART), errors
        assert topic not in rhtest.list_topics("rhtest-")
    finally:
        for f in a.alter_user_scram_credentials(
                [UserScramCredentialDeletion(name, ScramMechanism.SCRAM_SHA_512)]).values():
            f.result(30)
