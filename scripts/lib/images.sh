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
# OUT_DIR/busybox.tar (docker.io/library/busybox:1.35, every applet of busybox-static linked in /bin).
build_images() {
    local navarch="$1" out="$2" work applet
    ensure_image_packages
    mkdir -p "$out"
    work=$(mktemp -d)
    mkdir -p "$work/pause" "$work/busybox/bin" "$work/busybox/tmp" "$work/busybox/etc" "$work/busybox/root"
    cp /usr/bin/catatonit "$work/pause/catatonit"
    dotnet "$navarch" images build --dir "$work/pause" --name registry.k8s.io/pause:3.10 \
        --entrypoint /catatonit --entrypoint=-P -o "$out/pause.tar" >&2

    cp /bin/busybox "$work/busybox/bin/busybox"
    for applet in $(/bin/busybox --list); do
        [ "$applet" = busybox ] || ln -sf busybox "$work/busybox/bin/$applet"
    done
    chmod 1777 "$work/busybox/tmp"
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$work/busybox/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' > "$work/busybox/etc/group"
    dotnet "$navarch" images build --dir "$work/busybox" --name docker.io/library/busybox:1.35 \
        --cmd sh -o "$out/busybox.tar" >&2
    rm -rf "$work"
}
