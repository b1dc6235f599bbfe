#!/usr/bin/env bash
# Release the portcullis image: build it for linux/amd64 and linux/arm64 with docker buildx from
# the top-level Containerfile, push it, and pin the pushed digest everywhere the pipelines name
# the image (the Tekton Tasks, the Dagger module, ...).
#
#   scripts/release-image.sh IMAGE                  e.g. ghcr.io/OWNER/portcullis
#   scripts/release-image.sh --pin-only IMAGE_REF   only rewrite the pinned refs (no build, no push)
#
# Needs: a clean git checkout at the commit to release, docker with buildx and a builder that can
# build both platforms (`docker buildx create --use`, plus QEMU binfmt for the foreign one), and
# `docker login` to the registry. Env: PLATFORMS (default linux/amd64,linux/arm64), SOURCE_URL
# (org.opencontainers.image.source; default the origin remote), BUILDX_FLAGS (extra flags).
#
# Where the image is pinned: every line in the repository that carries the marker
# `portcullis-image-ref` holds exactly one quoted string, the image reference, e.g.
#   default: "ghcr.io/o/portcullis:0.1.0@sha256:…"   # portcullis-image-ref
#   export const PORTCULLIS_IMAGE = 'ghcr.io/o/portcullis:0.1.0@sha256:…'; // portcullis-image-ref
# That string is replaced with IMAGE:VERSION@DIGEST. The script fails when no line carries the
# marker, so a release never "pins" nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
MARKER=portcullis-image-ref

pin() { # REF
  local ref=$1 files
  files=$(git grep -l -F "$MARKER" -- . ':!scripts/release-image.sh' ':!docs/' || true)
  if [ -z "$files" ]; then
    echo "release-image: no line carries the marker $MARKER: nothing to pin" >&2
    exit 2
  fi
  for f in $files; do
    # On marker lines only: the first "…" or '…' string becomes the new reference.
    REF=$ref MARKER=$MARKER perl -i -pe 'if (index($_, $ENV{MARKER}) >= 0) { s/(["\x27])[^"\x27]*\1/$1$ENV{REF}$1/ }' "$f"
    echo "pinned $ref in $f"
  done
}

if [ "${1:-}" = "--pin-only" ]; then
  [ $# -eq 2 ] || { echo "usage: $0 --pin-only IMAGE_REF" >&2; exit 2; }
  pin "$2"
  exit 0
fi
[ $# -eq 1 ] || { echo "usage: $0 IMAGE  (e.g. ghcr.io/OWNER/portcullis)" >&2; exit 2; }
IMAGE=$1
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
  echo "release-image: the checkout has uncommitted changes; release a commit" >&2
  exit 2
fi
VERSION=$(node -p 'require("./package.json").version')
REVISION=$(git rev-parse HEAD)
SOURCE_URL=${SOURCE_URL:-$(git remote get-url origin | sed -e 's#^git@\([^:]*\):#https://\1/#' -e 's#\.git$##')}
PLATFORMS=${PLATFORMS:-linux/amd64,linux/arm64}
META=$(mktemp)
trap 'rm -f "$META"' EXIT

# shellcheck disable=SC2086 # BUILDX_FLAGS is a list of flags
docker buildx build --platform "$PLATFORMS" -f Containerfile \
  --build-arg VERSION="$VERSION" --build-arg REVISION="$REVISION" --build-arg SOURCE="$SOURCE_URL" \
  --provenance=mode=max --sbom=true \
  --tag "$IMAGE:$VERSION" --metadata-file "$META" --push ${BUILDX_FLAGS:-} .
DIGEST=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))["containerimage.digest"]' "$META")
case $DIGEST in sha256:????????????????????????????????????????????????????????????????) ;; *)
  echo "release-image: buildx reported no image digest ($DIGEST)" >&2; exit 2 ;;
esac
# The registry must serve that digest, for every platform asked for.
docker buildx imagetools inspect "$IMAGE@$DIGEST"
pin "$IMAGE:$VERSION@$DIGEST"
echo "Released $IMAGE:$VERSION@$DIGEST. Review and commit the pinned references: git diff"
