#!/bin/sh
# Writes anomstreamd's credentials into DIR (default /run/secrets/anomstream), keeping
# any that exist, and never a secret in clear where the daemon reads it:
#   client.token          a bearer token for every tenant and action (mode 0600): give
#                         it to clients (anomstreamctl --token-file)
#   tokens.yaml           its SHA-256, for server.grpc.auth.tokens_file (mode 0600)
#   prometheus.password   the /metrics password, for Prometheus' password_file (mode
#                         0644: the compose network's Prometheus runs as another user;
#                         it grants reading /metrics only)
#   metrics.basic         user "prometheus" and the password's SHA-256, for
#                         server.metrics.auth.basic_file (mode 0600)
# Run it as the user the daemon runs as, so the files the daemon reads are its own.
set -eu
dir=${1:-/run/secrets/anomstream}
umask 077
mkdir -p "$dir"
cd "$dir"
random_hex() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
sha256_of() { tr -d '\n' < "$1" | sha256sum | cut -d' ' -f1; }
[ -s client.token ] || random_hex > client.token
[ -s prometheus.password ] || random_hex > prometheus.password
chmod 0644 prometheus.password
cat > tokens.yaml.tmp <<YAML
tokens:
  - sha256: $(sha256_of client.token)
    tenants: ["*"]
    may: [write, watch, feedback]
YAML
mv tokens.yaml.tmp tokens.yaml
printf 'prometheus:%s\n' "$(sha256_of prometheus.password)" > metrics.basic.tmp
mv metrics.basic.tmp metrics.basic
echo "credentials in $dir: client.token (for clients), tokens.yaml, metrics.basic, prometheus.password"
