# Sourced by scripts/test-image.sh: a minimal Debian bookworm image with this
# machine's Node.js 20 and CA certificates, for the Dockerfile's BASE when no
# image registry is reachable. debootstrap builds the root from Debian's
# packages; Node.js (with npm and its C headers) and the certificate store are
# copied from this machine.

# The Debian mirror this machine's apt uses (or HERALD_DEBIAN_MIRROR).
debian_mirror() {
  if [ -n "${HERALD_DEBIAN_MIRROR:-}" ]; then echo "$HERALD_DEBIAN_MIRROR"; return; fi
  local mirror
  mirror="$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) { print $i; exit } }')"
  [ -n "$mirror" ] || mirror="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '$1 == "deb" && $3 ~ /^bookworm$/ { print $2; exit }')"
  [ -n "$mirror" ] || cannot_run "no Debian mirror found in /etc/apt sources: set HERALD_DEBIAN_MIRROR"
  echo "$mirror"
}

# build_base ROOT TAG: debootstraps ROOT, puts Node.js and the CA store in, imports it as TAG.
build_base() {
  local root="$1" tag="$2"
  local node_bin node_prefix npm_dir ca
  node_bin="$(readlink -f "$(command -v node)")"
  node -e 'process.exit(process.versions.node.split(".")[0] === "20" ? 0 : 1)' \
    || cannot_run "this machine's node is $(node --version), the image check copies Node.js 20"
  node_prefix="$(dirname "$(dirname "$node_bin")")"
  npm_dir="$(npm root -g)/npm"
  ca=/etc/ssl/certs/ca-certificates.crt
  [ -f "$node_prefix/include/node/node.h" ] || cannot_run "Node.js C headers not found in $node_prefix/include/node"
  [ -d "$npm_dir" ] || cannot_run "npm not found at $npm_dir"
  [ -f "$ca" ] || cannot_run "no CA store at $ca"

  local mirror
  mirror="$(debian_mirror)"
  echo "--- debootstrap bookworm (minbase) from $mirror"
  debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.debootstrap.log" 2>&1 || {
    tail -n 20 "$root.debootstrap.log" >&2
    cannot_run "debootstrap failed (log above): Debian's package mirror is needed"
  }
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* "$root"/usr/share/man/*

  install -D -m 0755 "$node_bin" "$root/usr/local/bin/node"
  mkdir -p "$root/usr/local/lib/node_modules" "$root/usr/local/include"
  cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  cp -a "$node_prefix/include/node" "$root/usr/local/include/node"
  install -D -m 0644 "$ca" "$root/etc/ssl/certs/ca-certificates.crt"

  echo "--- importing the base as $tag"
  tar -C "$root" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
    --change 'ENV npm_config_cafile=/etc/ssl/certs/ca-certificates.crt' \
    --change 'ENV npm_config_nodedir=/usr/local' \
    --change 'CMD ["node"]' \
    - "$tag" >/dev/null
}
