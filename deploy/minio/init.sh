#!/bin/sh
# One-shot (compose's `minio-init`, minio's mc image): the media bucket, the app's own MinIO user limited to it, and
# the bucket's CORS rules. Idempotent: run on every `up`.
#   MINIO_ROOT_USER / MINIO_ROOT_PASSWORD       MinIO's administrator (only this step uses it)
#   S3_BUCKET                                   the bucket the app keeps its media in
#   S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY     the app's credentials (what web and workers are given)
#   POLYPSCOPE_HOST                             the origin browsers upload from (https://POLYPSCOPE_HOST)
# Browsers PUT the parts of resumable uploads straight to the bucket through presigned URLs. The proxy serves the
# bucket at the app's own origin (same-origin: no CORS needed there); the CORS rules cover a bucket reached under
# another name (S3_ENDPOINT_URL on its own host). ETag is exposed so that a client can read it back.
set -eu
mc alias set local http://minio:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null
mc mb --ignore-existing "local/$S3_BUCKET"

cat >/tmp/policy.json <<POLICY
{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
     "Resource": ["arn:aws:s3:::$S3_BUCKET"]},
    {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload",
                                   "s3:ListMultipartUploadParts"],
     "Resource": ["arn:aws:s3:::$S3_BUCKET/*"]}
  ]
}
POLICY
mc admin policy create local polypscope-media /tmp/policy.json
mc admin user add local "$S3_ACCESS_KEY_ID" "$S3_SECRET_ACCESS_KEY"
# Attaching a policy that is attached already fails; the state wanted is reached either way.
mc admin policy attach local polypscope-media --user "$S3_ACCESS_KEY_ID" 2>/dev/null || true

cat >/tmp/cors.xml <<CORS
<CORSConfiguration>
  <CORSRule>
    <AllowedOrigin>https://$POLYPSCOPE_HOST</AllowedOrigin>
    <AllowedMethod>PUT</AllowedMethod>
    <AllowedMethod>GET</AllowedMethod>
    <AllowedMethod>HEAD</AllowedMethod>
    <AllowedHeader>*</AllowedHeader>
    <ExposeHeader>ETag</ExposeHeader>
    <MaxAgeSeconds>3600</MaxAgeSeconds>
  </CORSRule>
</CORSConfiguration>
CORS
# Per-bucket CORS needs an mc and a MinIO that know it; older ones have only the server-wide
# MINIO_API_CORS_ALLOW_ORIGIN, which compose sets to the same origin.
if mc cors set "local/$S3_BUCKET" /tmp/cors.xml; then
    echo "bucket $S3_BUCKET: CORS allows PUT from https://$POLYPSCOPE_HOST"
else
    echo "bucket $S3_BUCKET: no per-bucket CORS here; MINIO_API_CORS_ALLOW_ORIGIN=https://$POLYPSCOPE_HOST applies"
fi
echo "bucket $S3_BUCKET ready for user $S3_ACCESS_KEY_ID"
