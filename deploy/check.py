"""Structural checks of deploy/, run by deploy/check.sh (which installs PyYAML).

What a schema cannot see: that every ConfigMap, Secret, key, volume and port a
workload names exists; that every node config loads with `fengqiao config
print` and that each key it sets is one the binary knows; that every
FENGQIAO__SECTION__KEY variable names such a key; that parents, child nodes,
certificate host names, databases and mounts agree across the files.

Usage: check.py DEPLOY_DIR FENGQIAO_BIN KUSTOMIZE_OUTPUT PKI_DIR K8S_SECRETS_DIR
"""

import csv
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import tomllib
from urllib.parse import urlparse

import yaml

failures = []


def fail(where, message):
    failures.append(f"{where}: {message}")


# --- fengqiao config print -------------------------------------------------


def flatten(table, prefix=""):
    """{"node": {"unit": "1"}} -> {"node.unit": "1"}"""
    out = {}
    for key, value in table.items():
        if isinstance(value, dict):
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


class Fengqiao:
    def __init__(self, binary):
        self.binary = binary
        probe = subprocess.run([binary, "config", "print", "--help"], capture_output=True, text=True)
        self.available = probe.returncode == 0
        if not self.available:
            fail(binary, "has no `fengqiao config print` (issue 7 item 1): node configs and "
                 "FENGQIAO__ variables cannot be checked")

    def print_config(self, text, env=None):
        """The effective config for TOML `text` (and env), flattened; or an error string.

        `config print` checks that the files a config names exist and can be
        read, as `node` does; the deployment's files live in the container
        (/etc/fengqiao/...), so they are stood in for by empty files under a
        scratch root, and the paths it prints are given back their own form.
        """
        with tempfile.TemporaryDirectory() as root:
            for _, path in config_files(tomllib.loads(text)):
                if path.startswith("/"):
                    stand_in = pathlib.Path(root + path)
                    stand_in.parent.mkdir(parents=True, exist_ok=True)
                    stand_in.touch()
            text = re.sub(r'"(/[^"]*)"', lambda m: f'"{root}{m.group(1)}"' if any(
                m.group(1) == path for _, path in config_files(tomllib.loads(text))) else m.group(0), text)
            printed, error = self._print_config(text, env)
            if printed is not None:
                printed = {k: v.replace(root, "", 1) if isinstance(v, str) else v for k, v in printed.items()}
            if error is not None:
                error = error.replace(root, "")
            return printed, error

    def _print_config(self, text, env=None):
        with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as file:
            file.write(text)
        try:
            run_env = {k: v for k, v in os.environ.items() if not k.startswith("FENGQIAO")}
            run_env.update(env or {})
            result = subprocess.run(
                [self.binary, "config", "print", "--config", file.name],
                capture_output=True,
                text=True,
                env=run_env,
                timeout=60,
            )
        finally:
            os.unlink(file.name)
        if result.returncode != 0:
            return None, (result.stderr or result.stdout).strip()
        return flatten(tomllib.loads(result.stdout)), None

    def check_file(self, where, text, env=None):
        """The config loads, and every key it sets is in the effective config."""
        if not self.available:
            return
        printed, error = self.print_config(text, env)
        if error is not None:
            fail(where, f"`fengqiao config print` refuses it: {error}")
            return
        for key, value in flatten(tomllib.loads(text)).items():
            if key not in printed:
                fail(where, f"key {key} is not in the effective config (unknown to fengqiao?)")
            elif printed[key] != value and not is_redacted(printed[key]):
                fail(where, f"key {key} = {value!r} comes out as {printed[key]!r}")

    def check_env(self, where, name, value, config_text):
        """FENGQIAO__SECTION__KEY names a key of the config, and is taken."""
        if not self.available:
            return
        parts = name.split("__")
        if len(parts) != 3 or parts[0] != "FENGQIAO" or not all(parts[1:]):
            fail(where, f"{name} is not FENGQIAO__SECTION__KEY")
            return
        key = f"{parts[1].lower()}.{parts[2].lower()}"
        printed, error = self.print_config(config_text, {name: value})
        if error is not None:
            fail(where, f"`fengqiao config print` refuses {name}: {error}")
        elif key not in printed:
            fail(where, f"{name}: no key {key} in the effective config")


def is_redacted(value):
    return isinstance(value, str) and ("redacted" in value.lower() or "***" in value)


# --- the unit tree ---------------------------------------------------------


def load_tree(path):
    with open(path, encoding="utf-8") as file:
        return {row["code"]: row for row in csv.DictReader(file)}


def is_ancestor(tree, ancestor, unit):
    parent = tree.get(unit, {}).get("parent_code")
    while parent:
        if parent == ancestor:
            return True
        parent = tree.get(parent, {}).get("parent_code")
    return False


def child_nodes_list(config):
    value = config.get("node", {}).get("child_nodes", "")
    return [u.strip() for u in value.split(",") if u.strip()]


def check_topology(where, nodes, tree, host_of):
    """nodes: name -> node config; host_of(url_host) -> name of the node reached there."""
    roots = [n for n, c in nodes.items() if "parent" not in c["node"]]
    if len(roots) != 1:
        fail(where, f"expected one root node (without parent), found {roots}")
    for name, config in nodes.items():
        unit = config["node"]["unit"]
        if unit not in tree:
            fail(f"{where} {name}", f"unit {unit} is not in the tree")
        has_tree = "tree" in config["node"]
        if has_tree == ("parent" in config["node"]):
            fail(f"{where} {name}", "exactly the root reads a tree file ([node] tree), every other node has a parent")
        if "parent" not in config["node"]:
            continue
        url = urlparse(config["node"]["parent"])
        parent = host_of(url.hostname)
        if parent is None:
            fail(f"{where} {name}", f"parent host {url.hostname} is no node's service")
            continue
        parent_unit = nodes[parent]["node"]["unit"]
        if not is_ancestor(tree, parent_unit, unit):
            fail(f"{where} {name}", f"parent node's unit {parent_unit} is not above {unit} in the tree")
        children = child_nodes_list(nodes[parent])
        if children != ["all"] and unit not in children:
            fail(f"{where} {parent}", f"child_nodes lacks {unit} (whose node names it as parent)")
        if children == ["all"] and tree.get(unit, {}).get("parent_code") != parent_unit:
            fail(f"{where} {parent}", f"child_nodes = all covers direct children only, not {unit}")
        listen_port = urlparse("//" + nodes[parent]["node"].get("listen", "")).port
        if url.port != listen_port:
            fail(f"{where} {name}", f"parent port {url.port} but the parent listens on {listen_port}")


def config_files(config):
    """The files a node config names, as (key, path)."""
    out = []
    for section, key in [
        ("tls", "ca"),
        ("tls", "cert"),
        ("tls", "key"),
        ("cases", "petitioner_secret_file"),
        ("personal_data", "key_file"),
        ("node", "tree"),
    ]:
        path = config.get(section, {}).get(key)
        if path:
            out.append((f"{section}.{key}", path))
    return out


# --- docker compose --------------------------------------------------------

INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


def interpolate(value, env):
    if isinstance(value, str):
        def substitute(match):
            name, op, arg = match.groups()
            if name in env and (env[name] or not op or not op.startswith(":")):
                return env[name]
            if op and op.endswith("-"):
                return arg
            if op and op.endswith("?"):
                raise ValueError(f"${{{name}}} is required: {arg}")
            return ""

        return INTERPOLATION.sub(substitute, value)
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    return value


def parse_volume(spec):
    if isinstance(spec, dict):
        return spec.get("source"), spec["target"], spec.get("read_only", False)
    parts = spec.split(":")
    return parts[0], parts[1], len(parts) > 2 and "ro" in parts[2].split(",")


def check_compose(deploy, fengqiao, tree, pki_dir):
    compose_dir = os.path.join(deploy, "compose")
    path = os.path.join(compose_dir, "compose.yaml")
    with open(path, encoding="utf-8") as file:
        compose = interpolate(yaml.safe_load(file), {"POSTGRES_PASSWORD": "check-password"})
    services = compose["services"]
    volumes = compose.get("volumes") or {}
    with open(os.path.join(compose_dir, "postgres-init.sql"), encoding="utf-8") as file:
        databases = set(re.findall(r"CREATE DATABASE (\w+)", file.read()))
    pki_nodes = {}
    for spec in services["pki"]["environment"]["NODES"].split():
        unit, hosts = spec.split("=", 1)
        pki_nodes[unit] = hosts.split(",")

    nodes, texts = {}, {}
    for name, service in services.items():
        where = f"compose {name}"
        for dependency in service.get("depends_on") or {}:
            if dependency not in services:
                fail(where, f"depends_on names no service {dependency}")
        mounts = {}
        for spec in service.get("volumes") or []:
            source, target, _ = parse_volume(spec)
            if source.startswith((".", "/")):
                if not os.path.exists(os.path.join(compose_dir, source)):
                    fail(where, f"bind source {source} does not exist")
            elif source not in volumes:
                fail(where, f"volume {source} is not declared")
            mounts[target] = source
        if service.get("command", [None])[0] != "node":
            continue
        config_path = service["command"][service["command"].index("--config") + 1]
        if config_path not in mounts:
            fail(where, f"the config {config_path} is not mounted")
            continue
        with open(os.path.join(compose_dir, mounts[config_path]), encoding="utf-8") as file:
            texts[name] = file.read()
        config = nodes[name] = tomllib.loads(texts[name])
        unit = config["node"]["unit"]
        if name not in pki_nodes.get(unit, []):
            fail(where, f"the pki service issues no certificate for unit {unit} naming host {name}")
        for key, file_path in config_files(config):
            directory = os.path.dirname(file_path)
            if file_path in mounts:
                continue
            if directory not in mounts:
                fail(where, f"{key} = {file_path}: nothing is mounted at {directory}")
                continue
            volume = mounts[directory]
            if volume == f"pki-{unit}":
                produced = os.path.join(pki_dir, unit, os.path.basename(file_path))
            elif volume == "secrets":
                produced = os.path.join(pki_dir, "secrets", os.path.basename(file_path))
            else:
                fail(where, f"{key} = {file_path} is in volume {volume}, not pki-{unit} or secrets")
                continue
            if not os.path.isfile(produced):
                fail(where, f"{key} = {file_path}: pki.sh does not make {os.path.basename(file_path)}")
        health = service.get("healthcheck", {}).get("test", [])
        for flag, key in [("--ca", "ca"), ("--cert", "cert"), ("--key", "key")]:
            if flag in health and health[health.index(flag) + 1] != config["tls"][key]:
                fail(where, f"healthcheck {flag} differs from tls.{key}")
        ports = [str(p).split(":")[-1] for p in service.get("ports", [])]
        for key in ("node.listen", "metrics.listen"):
            section, field = key.split(".")
            listen = config.get(section, {}).get(field)
            if listen and listen.rsplit(":", 1)[1] not in ports:
                fail(where, f"{key} port is not published")
        fengqiao.check_file(f"{where} ({mounts[config_path]})", texts[name])
        for env_name, value in (service.get("environment") or {}).items():
            if env_name.startswith("FENGQIAO"):
                fengqiao.check_env(where, env_name, value, texts[name])
        url = (service.get("environment") or {}).get("FENGQIAO__DATABASE__URL")
        if url:
            parsed = urlparse(url)
            if parsed.hostname not in services:
                fail(where, f"database host {parsed.hostname} is no service")
            if parsed.path.lstrip("/") not in databases:
                fail(where, f"database {parsed.path} is not created by postgres-init.sql")
    check_topology("compose", nodes, tree, lambda host: host if host in nodes else None)


# --- kubernetes ------------------------------------------------------------


def check_k8s(deploy, fengqiao, tree, built, secrets_dir):
    with open(built, encoding="utf-8") as file:
        docs = [d for d in yaml.safe_load_all(file) if d]
    by_kind = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc
    config_maps = {n: dict(d.get("data") or {}) for n, d in by_kind.get("ConfigMap", {}).items()}
    secrets = {
        n: set(d.get("data") or {}) | set(d.get("stringData") or {}) for n, d in by_kind.get("Secret", {}).items()
    }
    workloads = {**by_kind.get("StatefulSet", {}), **by_kind.get("Deployment", {})}
    services = by_kind.get("Service", {})
    if not workloads:
        fail("k8s", "no workloads in the build")

    def ref_keys(where, kind, name, keys):
        table = config_maps if kind == "configMap" else secrets
        if name not in table:
            fail(where, f"{kind} {name} does not exist in the build")
            return
        for key in keys:
            if key not in table[name]:
                fail(where, f"{kind} {name} has no key {key}")

    nodes, texts, node_of_service = {}, {}, {}
    for name, workload in workloads.items():
        where = f"k8s {workload['kind']} {name}"
        pod = workload["spec"]["template"]
        labels = pod["metadata"].get("labels", {})
        if workload["spec"]["selector"].get("matchLabels", {}).items() - labels.items():
            fail(where, "selector does not match the pod labels")
        if workload["spec"].get("replicas", 1) != 1:
            fail(where, "a node must run as exactly one replica")
        volumes = {v["name"]: v for v in pod["spec"].get("volumes", [])}
        for volume in volumes.values():
            for kind, name_key in (("configMap", "name"), ("secret", "secretName")):
                if kind in volume:
                    items = [i["key"] for i in volume[kind].get("items", [])]
                    ref_keys(where, kind, volume[kind][name_key], items)
        for container in pod["spec"]["containers"]:
            port_names = {p.get("name") for p in container.get("ports", [])}
            port_numbers = {p["containerPort"] for p in container.get("ports", [])}
            mounts = {}
            for mount in container.get("volumeMounts", []):
                volume = volumes.get(mount["name"])
                if volume is None:
                    fail(where, f"volumeMount {mount['name']} names no volume")
                    continue
                if "subPath" in mount:
                    for kind, name_key in (("configMap", "name"), ("secret", "secretName")):
                        if kind in volume:
                            ref_keys(where, kind, volume[kind][name_key], [mount["subPath"]])
                mounts[mount["mountPath"]] = (volume, mount.get("subPath"))
            for probe_name in ("startupProbe", "livenessProbe", "readinessProbe"):
                probe = container.get(probe_name) or {}
                for kind in ("tcpSocket", "httpGet", "grpc"):
                    port = (probe.get(kind) or {}).get("port")
                    if port is not None and port not in port_names | port_numbers:
                        fail(where, f"{probe_name} port {port} is no container port")
            env = {}
            for variable in container.get("env", []):
                source = variable.get("valueFrom") or {}
                for kind, ref in (("secret", "secretKeyRef"), ("configMap", "configMapKeyRef")):
                    if ref in source:
                        ref_keys(where, kind, source[ref]["name"], [source[ref]["key"]])
                env[variable["name"]] = variable.get("value", "postgres://check:check@db.invalid:5432/check")
            for source in container.get("envFrom", []):
                for kind, ref in (("secret", "secretRef"), ("configMap", "configMapRef")):
                    if ref in source:
                        ref_keys(where, kind, source[ref]["name"], [])
            args = container.get("args", [])
            if "node" not in args or "--config" not in args:
                continue
            config_path = args[args.index("--config") + 1]
            if config_path not in mounts or "configMap" not in mounts[config_path][0]:
                fail(where, f"the config {config_path} is not mounted from a ConfigMap")
                continue
            volume, sub_path = mounts[config_path]
            config_map = volume["configMap"]["name"]
            text = config_maps.get(config_map, {}).get(sub_path)
            if text is None:
                continue
            texts[name] = text
            config = nodes[name] = tomllib.loads(text)
            for key, file_path in config_files(config):
                if file_path in mounts:
                    continue
                directory = os.path.dirname(file_path)
                if directory not in mounts:
                    fail(where, f"{key} = {file_path}: nothing is mounted at {directory}")
                    continue
                mounted, _ = mounts[directory]
                if "secret" in mounted:
                    ref_keys(where, "secret", mounted["secret"]["secretName"], [os.path.basename(file_path)])
                elif "configMap" in mounted:
                    ref_keys(where, "configMap", mounted["configMap"]["name"], [os.path.basename(file_path)])
            readiness = ((container.get("readinessProbe") or {}).get("exec") or {}).get("command", [])
            for flag, key in [("--ca", "ca"), ("--cert", "cert"), ("--key", "key")]:
                if flag in readiness and readiness[readiness.index(flag) + 1] != config["tls"][key]:
                    fail(where, f"readinessProbe {flag} differs from tls.{key}")
            for key in ("node.listen", "metrics.listen"):
                section, field = key.split(".")
                listen = config.get(section, {}).get(field)
                if listen and int(listen.rsplit(":", 1)[1]) not in port_numbers:
                    fail(where, f"{key} port is no container port")
            fengqiao.check_file(f"{where} (ConfigMap {config_map})", text)
            for env_name, value in env.items():
                if env_name.startswith("FENGQIAO"):
                    fengqiao.check_env(where, env_name, value, text)
            db_key = next(
                (v["valueFrom"]["secretKeyRef"]["key"] for v in container.get("env", [])
                 if v["name"] == "FENGQIAO__DATABASE__URL" and "valueFrom" in v),
                None,
            )
            if db_key is not None and db_key != f"url-{config['node']['unit']}":
                fail(where, f"database URL key {db_key} is not url-{config['node']['unit']}")

    for name, service in services.items():
        where = f"k8s Service {name}"
        selector = service["spec"].get("selector", {})
        matched = [
            w for w, d in workloads.items()
            if selector and not selector.items() - d["spec"]["template"]["metadata"].get("labels", {}).items()
        ]
        if len(matched) != 1:
            fail(where, f"selector matches {len(matched)} workloads, expected 1")
            continue
        node_of_service[name] = matched[0]
        container_ports = {
            p.get("name") for c in workloads[matched[0]]["spec"]["template"]["spec"]["containers"]
            for p in c.get("ports", [])
        } | {
            p["containerPort"] for c in workloads[matched[0]]["spec"]["template"]["spec"]["containers"]
            for p in c.get("ports", [])
        }
        for port in service["spec"]["ports"]:
            if port.get("targetPort", port["port"]) not in container_ports:
                fail(where, f"targetPort {port.get('targetPort')} is no container port")

    def host_of(host):
        service = host.split(".")[0] if host else None
        return node_of_service.get(service)

    check_topology("k8s", nodes, tree, host_of)

    # The certificates make-secrets.sh issued name the Services they serve.
    for name, config in nodes.items():
        unit = config["node"]["unit"]
        pem = os.path.join(secrets_dir, f"{unit}.pem")
        if not os.path.isfile(pem):
            fail(f"k8s {name}", f"make-secrets.sh made no {unit}.pem")
            continue
        services_of_node = [s for s, w in node_of_service.items() if w == name]
        result = subprocess.run(
            ["openssl", "x509", "-in", pem, "-noout", "-ext", "subjectAltName"],
            capture_output=True, text=True, check=False,
        )
        for service in services_of_node:
            if result.returncode == 0 and f"DNS:{service}," not in result.stdout + ",":
                fail(f"k8s {name}", f"certificate {unit}.pem does not name host {service}")


def main():
    deploy, binary, built, pki_dir, secrets_dir = sys.argv[1:6]
    fengqiao = Fengqiao(binary)
    tree = load_tree(os.path.join(deploy, "zhanhe-410411.csv"))
    for config in sorted(os.listdir(os.path.join(deploy, "config"))):
        if config.endswith(".toml"):
            with open(os.path.join(deploy, "config", config), encoding="utf-8") as file:
                fengqiao.check_file(f"deploy/config/{config}", file.read())
    check_compose(deploy, fengqiao, tree, pki_dir)
    check_k8s(deploy, fengqiao, tree, built, secrets_dir)
    for failure in failures:
        print(f"FAIL {failure}")
    if failures:
        sys.exit(1)
    print("deploy structure: ok")


if __name__ == "__main__":
    main()
