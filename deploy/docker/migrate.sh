#!/bin/sh
# The one-shot step before the web and the workers start, on every install and upgrade (compose's `migrate` service,
# the Kubernetes Job `migrate`). Idempotent: a second run changes nothing.
#   1. the database schema (Django migrations);
#   2. the `admin` user, once (password: POLYPSCOPE_ADMIN_PASSWORD, else generated and printed here once);
#   3. the active model: on the first run the shipped checkpoint (or POLYPSCOPE_CHECKPOINT) is registered and made
#      active, so the web's readiness check (/readyz: "the active model's checkpoint is there") passes from the start.
#      It reads the checkpoint with torch: this runs in the worker image.
set -eu
python manage.py migrate --noinput
python manage.py ensure_admin
python manage.py ensure_model
