#!/usr/bin/env python3
"""Writes src/Navarch.Api.Protobuf/proto from Kubernetes' published generated.proto files.

Usage: scripts/k8s-protos.py <api repo> <apimachinery repo> <kube-aggregator repo> <apiextensions-apiserver repo>
(git directories, e.g. from `git clone --bare`). The messages keep Kubernetes' names and field numbers; upstream's
comments are dropped and each file gets a C# namespace. Add a group/version to GROUPS when Navarch serves it.
"""
import os, re, subprocess, sys

api, machinery, aggregator, apiextensions = sys.argv[1:5]
OUT = os.path.join(os.path.dirname(__file__), "..", "src", "Navarch.Api.Protobuf", "proto")

GROUPS = ["core/v1", "apps/v1", "batch/v1", "coordination/v1", "discovery/v1", "autoscaling/v1", "autoscaling/v2",
          "events/v1", "policy/v1", "rbac/v1", "networking/v1", "storage/v1", "scheduling/v1", "scheduling/v1alpha3",
          "node/v1", "certificates/v1", "admissionregistration/v1", "authentication/v1", "authorization/v1"]
FILES = [(api, g, f"k8s.io/api/{g}") for g in GROUPS]
FILES += [(machinery, p, f"k8s.io/apimachinery/{p}") for p in
          ["pkg/apis/meta/v1", "pkg/runtime", "pkg/runtime/schema", "pkg/api/resource", "pkg/util/intstr"]]
FILES += [(aggregator, "pkg/apis/apiregistration/v1", "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"),
          (apiextensions, "pkg/apis/apiextensions/v1", "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1")]


def namespace(package):
    # k8s.io.api.core.v1 -> Navarch.Api.Protobuf.K8s.Api.Core.V1
    parts = package.split(".")[2:]
    return "Navarch.Api.Protobuf." + ".".join(p[:1].upper() + p[1:] for p in ["k8s"] + parts)


POINTERS = []  # (proto message full name, field) of Go pointer scalars: their zero value is set, not unset

for repo, path, target in FILES:
    commit = subprocess.check_output(["git", "-C", repo, "rev-parse", "HEAD"], text=True).strip()
    text = subprocess.check_output(["git", "-C", repo, "show", f"HEAD:{path}/generated.proto"], text=True)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    lines = [l for l in text.splitlines() if not l.strip().startswith("//") and not l.startswith("option go_package")]
    body = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"
    package = re.search(r"^package ([\w.]+);", body, re.M).group(1)
    # protoc warns about the imports upstream lists but does not use.
    for imp in re.findall(r'^import "([^"]+)";\n', body, re.M):
        used = subprocess.check_output(["git", "-C", {"k8s.io/api/": api, "k8s.io/apimachinery/": machinery}.get(
            next((k for k in ["k8s.io/api/", "k8s.io/apimachinery/"] if imp.startswith(k)), ""), api),
            "show", "HEAD:" + imp.removeprefix("k8s.io/api/").removeprefix("k8s.io/apimachinery/")], text=True)
        imported = re.search(r"^package ([\w.]+);", used, re.M).group(1)
        if "." + imported + "." not in body:
            body = body.replace(f'import "{imp}";\n', "")
    body = body.replace(f"package {package};", f"package {package};\n\noption csharp_namespace = \"{namespace(package)}\";", 1)
    header = (f"// Kubernetes' {target} messages: names and field numbers as in its generated.proto\n"
              f"// ({os.path.basename(repo.rstrip('/').removesuffix('/repo')).replace('+', '/')} at {commit[:12]}; Apache-2.0, The Kubernetes Authors),\n"
              f"// written by scripts/k8s-protos.py without upstream's comments. Do not edit by hand.\n\n")
    for go in subprocess.check_output(["git", "-C", repo, "ls-tree", "--name-only", "HEAD", path + "/"], text=True).split():
        if not re.search(r"/types[\w_]*\.go$", go) or go.endswith("_test.go"):
            continue
        struct = None
        for line in subprocess.check_output(["git", "-C", repo, "show", f"HEAD:{go}"], text=True).splitlines():
            m = re.match(r"^type (\w+) struct", line)
            if m:
                struct = m.group(1)
            m = re.match(r"^\s+\w+\s+\*(u?int\d*|bool|string|float\d+)\s+`.*protobuf:\"[^\"]*name=(\w+)", line)
            if m and struct:
                POINTERS.append(f"{package}.{struct}.{m.group(2)}")
    dest = os.path.join(OUT, target, "generated.proto")
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    with open(dest, "w") as f:
        f.write(header + body)
    print(dest)

cs = os.path.join(OUT, "..", "GoPointerScalars.cs")
with open(cs, "w") as f:
    f.write("// Written by scripts/k8s-protos.py from the Go types of the files in proto/. Do not edit by hand.\n")
    f.write("namespace Navarch.Api.Protobuf;\n\n")
    f.write("/// <summary>\n/// The scalar fields that are pointers in Kubernetes' Go types (full proto name). Go writes every other scalar field\n")
    f.write("/// even when zero, so there a zero value means unset; a pointer's zero value (replicas: 0) was set.\n/// </summary>\n")
    f.write("public static class GoPointerScalars\n{\n    /// <summary>Full names, e.g. k8s.io.api.apps.v1.DeploymentSpec.replicas.</summary>\n")
    f.write("    public static IReadOnlySet<string> Fields { get; } = new HashSet<string>(StringComparer.Ordinal)\n    {\n")
    for name in sorted(set(POINTERS)):
        f.write(f"        \"{name}\",\n")
    f.write("    };\n}\n")
print(cs, len(set(POINTERS)))
