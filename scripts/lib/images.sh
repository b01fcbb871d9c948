# Sourced by the set-up scripts (after packages.sh): the node agent's runtime packages and its two built-in images.
# No registry is reachable here, so the pause and busybox images are built from Debian packages with
# `navarch images build` and imported by the agent at start from <data-dir>/agent/images/.

# iptables and conntrack: the proxy's dataplane (iptables-restore) and its UDP conntrack clean-up; nftables: the
# network policy controller's table (nft).
NAVARCH_RUNTIME_PACKAGES=(containerd runc catatonit busybox-static containernetworking-plugins iptables conntrack nftables)

ensure_image_packages() {
    ensure_packages "${NAVARCH_RUNTIME_PACKAGES[@]}"
}

# build_images NAVARCH_DLL OUT_DIR: writes OUT_DIR/pause.tar (registry.k8s.io/pause:3.10, `catatonit -P`) and
# OUT_DIR/busybox.tar (docker.io/library/busybox:1.35, every applet of busybox-static linked in /bin), with
# `navarch images build-builtin` (an agent without them builds the pause image itself).
build_images() {
    local navarch="$1" out="$2"
    ensure_image_packages
    dotnet "$navarch" images build-builtin -o "$out" >&2
}
