#!/usr/bin/env bash
# Installs navarch as a systemd service, as k3s's install.sh does:
#   scripts/install.sh [server|agent] [flags...]        (default: server; flags go on the service's command line)
# - the executable (INSTALL_NAVARCH_BINARY, default dist/<arch>/navarch from scripts/publish.sh) to <bin dir>/navarch,
#   with navarch-killall.sh and navarch-uninstall.sh beside it;
# - <config dir>/config.yaml, if there is none: settings whose keys are flag names (the service reads it with --config);
# - the unit navarch.service (server) or navarch-agent.service (agent), enabled and started when systemd runs this
#   machine (INSTALL_NAVARCH_SKIP_START=true: written only).
# Where things go: INSTALL_NAVARCH_BIN_DIR (/usr/local/bin), INSTALL_NAVARCH_CONFIG_DIR (/etc/navarch),
# INSTALL_NAVARCH_SYSTEMD_DIR (/etc/systemd/system), INSTALL_NAVARCH_DATA_DIR (/var/lib/navarch).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)

mode=server
case "${1:-}" in
    server|agent) mode=$1; shift ;;
    -*|"") ;;
    *) echo "install.sh: unknown mode '$1' (server or agent)" >&2; exit 1 ;;
esac

case "$(uname -m)" in aarch64|arm64) rid=linux-arm64 ;; *) rid=linux-x64 ;; esac
binary=${INSTALL_NAVARCH_BINARY:-$repo/dist/$rid/navarch}
bin_dir=${INSTALL_NAVARCH_BIN_DIR:-/usr/local/bin}
config_dir=${INSTALL_NAVARCH_CONFIG_DIR:-/etc/navarch}
systemd_dir=${INSTALL_NAVARCH_SYSTEMD_DIR:-/etc/systemd/system}
data_dir=${INSTALL_NAVARCH_DATA_DIR:-/var/lib/navarch}
if [ "$mode" = server ]; then service=navarch; else service=navarch-agent; fi
unit="$systemd_dir/$service.service"
config="$config_dir/config.yaml"

if [ ! -x "$binary" ]; then
    echo "install.sh: no executable at $binary (run scripts/publish.sh, or name one in INSTALL_NAVARCH_BINARY)" >&2
    exit 1
fi

systemd_runs() { [ -d /run/systemd/system ]; }

# A running service has the old executable open: stop it before replacing it.
if systemd_runs && systemctl is-active --quiet "$service.service"; then
    systemctl stop "$service.service"
fi

install -D -m 0755 "$binary" "$bin_dir/navarch.tmp"
mv -f "$bin_dir/navarch.tmp" "$bin_dir/navarch"
echo "installed $bin_dir/navarch"

mkdir -p "$config_dir"
if [ ! -e "$config" ]; then
    {
        echo "# navarch $mode settings: keys are flag names without the dashes (navarch $mode --help); a flag on the"
        echo "# service's command line wins over this file. navarch-killall.sh reads it too (data-dir, bridge-name, ...)."
        echo "data-dir: $data_dir"
        if [ "$mode" = server ]; then
            echo "write-kubeconfig: $config_dir/navarch.yaml"
            echo "write-kubeconfig-mode: \"600\""
        fi
    } > "$config"
    chmod 0600 "$config"
    echo "wrote $config"
fi

# The flags of the command line, one per continuation line.
exec_flags=""
for flag in "$@"; do
    case "$flag" in *[[:space:]\"\'\\]*) echo "install.sh: flag '$flag' has a space, quote or backslash; put it in $config" >&2; exit 1 ;; esac
    exec_flags+=" \\"$'\n'"    $flag"
done

mkdir -p "$systemd_dir"
cat > "$unit" <<UNIT
[Unit]
Description=Navarch: Kubernetes in one binary ($mode)
Wants=network-online.target
After=network-online.target

[Install]
WantedBy=multi-user.target

[Service]
# navarch tells systemd when it serves (sd_notify READY=1: the API and components up; an agent's node registered).
Type=notify
EnvironmentFile=-/etc/default/%N
EnvironmentFile=-/etc/sysconfig/%N
# Only navarch itself is stopped: containerd's shims and the containers live on and are adopted at the next start
# (navarch-killall.sh stops everything).
KillMode=process
Delegate=yes
User=root
# Limits off, as k3s has them: accounting belongs to the pods' cgroups.
LimitNOFILE=1048576
LimitNPROC=infinity
LimitCORE=infinity
TasksMax=infinity
TimeoutStartSec=0
Restart=always
RestartSec=5s
ExecStartPre=-/sbin/modprobe br_netfilter
ExecStartPre=-/sbin/modprobe overlay
ExecStart=$bin_dir/navarch \\
    $mode \\
    --config $config$exec_flags
UNIT
chmod 0644 "$unit"
echo "wrote $unit"

cat > "$bin_dir/navarch-killall.sh" <<KILLALL
#!/bin/sh
# Stops navarch and everything it started: the service, containers and shims, pod mounts and network namespaces,
# the bridge, the CNI state and the iptables chains (navarch killall, with the service's settings).
set -e
[ "\$(id -u)" -eq 0 ] || exec sudo "\$0" "\$@"
if [ -d /run/systemd/system ]; then
    systemctl stop $service.service 2>/dev/null || true
fi
exec $bin_dir/navarch killall --config $config
KILLALL

cat > "$bin_dir/navarch-uninstall.sh" <<UNINSTALL
#!/bin/sh
# Removes navarch: stops everything (navarch-killall.sh), then deletes the unit, the executable, $config_dir and the
# data dir (data-dir in $config, else $data_dir).
set -e
[ "\$(id -u)" -eq 0 ] || exec sudo "\$0" "\$@"
data_dir=\$(sed -n 's/^data-dir:[[:space:]]*//p' $config 2>/dev/null | tr -d "\"'" | tail -n 1)
data_dir=\${data_dir:-$data_dir}
$bin_dir/navarch-killall.sh
if [ -d /run/systemd/system ]; then
    systemctl disable $service.service 2>/dev/null || true
fi
rm -f $unit
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    systemctl reset-failed $service.service 2>/dev/null || true
fi
rm -rf $config_dir "\$data_dir"
rm -f $bin_dir/navarch $bin_dir/navarch-killall.sh
rm -f \$0
UNINSTALL
chmod 0755 "$bin_dir/navarch-killall.sh" "$bin_dir/navarch-uninstall.sh"
echo "installed $bin_dir/navarch-killall.sh and $bin_dir/navarch-uninstall.sh"

if [ "${INSTALL_NAVARCH_SKIP_START:-}" = true ]; then
    exit 0
fi
if ! systemd_runs; then
    echo "systemd does not run this machine: start navarch with the unit's command line (ExecStart in $unit)"
    exit 0
fi
systemctl daemon-reload
systemctl enable "$service.service"
systemctl restart "$service.service"
echo "started $service.service"
