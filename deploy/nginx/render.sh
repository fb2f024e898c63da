#!/bin/sh
# Writes nginx's Polypscope configuration from polypscope.conf.template at the container's start (the nginx image
# runs /docker-entrypoint.d/*.sh before nginx). The body limits are the app's own, computed from the same variables
# the app reads, so nginx refuses an oversized body before a byte of it reaches the app (webapp/guards.py body_limit):
#   uploads (video, image, Kvasir-SEG zip)   UPLOAD_MAX_BYTES + 64 KiB of multipart framing (MULTIPART_OVERHEAD_BYTES)
#   a part of a resumable upload (disk)      the longest part: UPLOAD_PART_BYTES, or UPLOAD_MAX_BYTES / 10,000 parts
#                                            when that is more (webapp/transfers/plan.py part_size_for)
#   the media bucket (S3 parts, app writes)  that, at least S3's 5 MiB part minimum and the 8 MiB chunks boto3 writes
# NGINX_TEMPLATE / NGINX_CONF move the files (tests/deploy renders it outside a container).
set -eu
: "${POLYPSCOPE_HOST:?POLYPSCOPE_HOST (the server's name) is required}"
: "${S3_BUCKET:?S3_BUCKET (the media bucket) is required}"
UPLOAD_MAX_BYTES="${UPLOAD_MAX_BYTES:-2147483648}"
UPLOAD_PART_BYTES="${UPLOAD_PART_BYTES:-16777216}"
# The nginx image's 15-local-resolvers.envsh exports it (NGINX_ENTRYPOINT_LOCAL_RESOLVERS=1); Docker's DNS otherwise.
NGINX_LOCAL_RESOLVERS="${NGINX_LOCAL_RESOLVERS:-127.0.0.11}"
template="${NGINX_TEMPLATE:-/etc/nginx/polypscope.conf.template}"
conf="${NGINX_CONF:-/etc/nginx/conf.d/polypscope.conf}"

max() { if [ "$1" -gt "$2" ]; then echo "$1"; else echo "$2"; fi; }

UPLOAD_BODY_MAX=$((UPLOAD_MAX_BYTES + 65536))
PART_BODY_MAX=$(max "$UPLOAD_PART_BYTES" $(((UPLOAD_MAX_BYTES + 9999) / 10000)))
S3_BODY_MAX=$(max "$(max "$PART_BODY_MAX" 5242880)" 8388608)
export POLYPSCOPE_HOST S3_BUCKET UPLOAD_BODY_MAX PART_BODY_MAX S3_BODY_MAX NGINX_LOCAL_RESOLVERS
# Only these names are replaced: nginx's own $variables stay as they are.
envsubst '${POLYPSCOPE_HOST} ${S3_BUCKET} ${UPLOAD_BODY_MAX} ${PART_BODY_MAX} ${S3_BODY_MAX} ${NGINX_LOCAL_RESOLVERS}' <"$template" >"$conf"
echo "polypscope: $conf for $POLYPSCOPE_HOST (uploads $UPLOAD_BODY_MAX B, parts $PART_BODY_MAX B, bucket $S3_BODY_MAX B)"
